"""The cores of ``createsuperuser`` and ``changepassword``: checks, then one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapp.errors import AuthError, SettingsError

if TYPE_CHECKING:
    from fastapp.apps import AppConfig, AppRegistry

PACKAGE = "fastapp.contrib.auth"


def auth_app(registry: AppRegistry) -> AppConfig:
    """The installed auth app; :class:`SettingsError` when it is not installed."""
    for app in registry.apps.values():
        if app.package == PACKAGE:
            return app
    raise SettingsError(
        f"{PACKAGE} is not in INSTALLED_APPS: add it (and fastapp.contrib.contenttypes), "
        "then run migrate"
    )


@asynccontextmanager
async def auth_connection(registry: AppRegistry) -> AsyncIterator[Any]:
    """A transaction on the auth app's connection, Tortoise initialised for the project; a
    database error (no auth tables yet...) as one :class:`AuthError` line."""
    from tortoise.exceptions import BaseORMException
    from tortoise.transactions import in_transaction

    from fastapp.tortoise.context import tortoise_context

    app = auth_app(registry)
    cfg = registry.connections()[app.connection]
    async with tortoise_context(registry):
        try:
            async with in_transaction(app.connection) as conn:
                yield conn
        except BaseORMException as exc:
            reason = cfg.mask(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
            raise AuthError(
                f"cannot use the users table on {app.connection!r}: {reason or type(exc).__name__}"
                "; run `fastapp migrate` (or upgrade) to create the auth tables"
            ) from exc


async def username_taken(registry: AppRegistry, username: str) -> bool:
    from fastapp.contrib.auth.models import User

    async with auth_connection(registry) as conn:
        return await User.filter(username=username).using_db(conn).exists()


def check_username(username: str) -> str:
    username = username.strip()
    if not username:
        raise AuthError("the username cannot be empty: pass --username NAME")
    if len(username) > 150:
        raise AuthError("the username is longer than 150 characters: choose a shorter one")
    return username


async def create_superuser(
    registry: AppRegistry, username: str, password: str, email: str = ""
) -> None:
    """Create an active superuser. Raises :class:`AuthError` for an empty or existing
    username, :class:`~fastapp.errors.WeakPasswordError` for a weak password (nothing
    created either way)."""
    from fastapp.contrib.auth.models import User
    from fastapp.contrib.auth.passwords import hash_password, validate_password

    username = check_username(username)
    validate_password(password, username=username, email=email)
    async with auth_connection(registry) as conn:
        if await User.filter(username=username).using_db(conn).exists():
            raise AuthError(
                f"a user named {username!r} already exists: choose another username, or "
                f"run `fastapp changepassword {username}`"
            )
        await User.create(
            username=username,
            email=email,
            password=hash_password(password),
            is_superuser=True,
            using_db=conn,
        )


async def user_details(registry: AppRegistry, username: str) -> Any:
    """The user named ``username`` (read only); :class:`AuthError` when there is none."""
    from fastapp.contrib.auth.models import User

    async with auth_connection(registry) as conn:
        user = await User.get_or_none(username=username).using_db(conn)
    if user is None:
        raise AuthError(
            f"no user named {username!r}: check the name, or create one with "
            "`fastapp createsuperuser`"
        )
    return user


async def change_password(registry: AppRegistry, username: str, password: str) -> None:
    """Set ``username``'s password. Raises :class:`AuthError` for an unknown user,
    :class:`~fastapp.errors.WeakPasswordError` for a weak password (nothing changed)."""
    from fastapp.contrib.auth.models import User

    async with auth_connection(registry) as conn:
        user = await User.get_or_none(username=username).using_db(conn)
        if user is None:
            raise AuthError(
                f"no user named {username!r}: check the name, or create one with "
                "`fastapp createsuperuser`"
            )
        from fastapp.contrib.auth.passwords import validate_password

        validate_password(password, username=user.username, email=user.email)
        user.set_password(password)
        await user.save(update_fields=["password"], using_db=conn)
