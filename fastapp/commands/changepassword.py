"""``fastapp changepassword``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands.common import DatabaseOption, console, state


def command(
    ctx: typer.Context,
    username: Annotated[
        str, typer.Argument(metavar="USER", help="The user whose password to set.")
    ],
    database: DatabaseOption = None,
) -> None:
    """Set the password of a fastapp.contrib.auth user.

    Asked hidden and twice, with the strength checks of createsuperuser; stored as an
    Argon2id hash, never printed.
    """
    from fastapp.commands.createsuperuser import ask_password
    from fastapp.contrib.auth.passwords import password_problems
    from fastapp.contrib.auth.users import change_password, user_details

    out = console()
    registry = state(ctx).project.registry(database)
    user = asyncio.run(user_details(registry, username))
    out.print(f"Changing the password of {user.username!r}.", markup=False)
    password = ask_password(out, username=user.username, email=user.email, check=password_problems)
    asyncio.run(change_password(registry, username, password))
    out.print(f"Password of {username!r} changed.", markup=False)
