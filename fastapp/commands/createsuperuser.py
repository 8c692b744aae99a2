"""``fastapp createsuperuser``."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer

from fastapp.commands.common import DatabaseOption, console, state

PASSWORD_ENV = "FASTAPP_SUPERUSER_PASSWORD"
#: Interactive attempts at a password before giving up.
ATTEMPTS = 3


def command(
    ctx: typer.Context,
    username: Annotated[
        str | None, typer.Option("--username", help="The new user's name (asked otherwise).")
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="The new user's e-mail address.")
    ] = None,
    no_input: Annotated[
        bool,
        typer.Option(
            "--no-input",
            help=f"Ask nothing: --username is required, the password comes from ${PASSWORD_ENV}.",
        ),
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Create a superuser of fastapp.contrib.auth (all permissions).

    Asks for the username, e-mail and password (hidden, typed twice) unless --no-input. The
    password must be 8 characters or more, not all digits, not a common one and not too
    similar to the username or e-mail. It is stored as an Argon2id hash, never printed.
    """
    from fastapp.contrib.auth.passwords import password_problems
    from fastapp.contrib.auth.users import check_username, create_superuser, username_taken
    from fastapp.errors import AuthError

    out = console()
    registry = state(ctx).project.registry(database)
    if no_input:
        if not username:
            raise AuthError("--no-input needs --username NAME")
        password = os.environ.get(PASSWORD_ENV)
        if not password:
            raise AuthError(f"--no-input needs the password in ${PASSWORD_ENV}")
    else:
        username = check_username(username or typer.prompt("Username"))
        if asyncio.run(username_taken(registry, username)):
            raise AuthError(
                f"a user named {username!r} already exists: choose another username, or "
                f"run `fastapp changepassword {username}`"
            )
        if email is None:
            email = typer.prompt("Email address", default="", show_default=False)
        password = ask_password(out, username=username, email=email or "", check=password_problems)
    asyncio.run(create_superuser(registry, username, password, email or ""))
    out.print(f"Superuser {username!r} created.", markup=False)


def ask_password(out, *, username: str, email: str, check) -> str:
    """Ask for a password twice (hidden) until it matches and passes ``check``; at most
    :data:`ATTEMPTS` times, then :class:`AuthError`."""
    from fastapp.errors import AuthError, WeakPasswordError

    last = ""
    for _ in range(ATTEMPTS):
        password = typer.prompt("Password", hide_input=True)
        again = typer.prompt("Password (again)", hide_input=True)
        if password != again:
            last = "the two passwords do not match"
            out.print(f"Error: {last}; try again.", style="red", markup=False)
            continue
        problems = check(password, username=username, email=email)
        if problems:
            last = "the password is too weak: " + "; ".join(problems)
            out.print(f"Error: {last}; try again.", style="red", markup=False)
            continue
        return password
    raise (WeakPasswordError if "weak" in last else AuthError)(
        f"{last}; gave up after {ATTEMPTS} attempts, nothing was changed"
    )
