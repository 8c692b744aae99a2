"""What the commands share: global state from the root callback, common options, output."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from fastapp.apps import AppRegistry
    from fastapp.conf import Settings
    from fastapp.db.url import DatabaseConfig

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        "-d",
        metavar="NAME|URL",
        help="Connection name from DATABASES, or a database URL (postgres://, mysql://, sqlite:///).",
    ),
]
AppsOption = Annotated[
    list[str] | None,
    typer.Option("--apps", "--app", "-a", metavar="LABEL", help="Limit to this app (repeatable)."),
]


@dataclass
class CommandState:
    """Global options, set by the root callback and read by every command."""

    settings_module: str | None = None
    traceback: bool = False

    def settings(self, *, required: bool = True) -> Settings | None:
        from fastapp.conf import load_settings

        return load_settings(self.settings_module, required=required)

    def database(self, option: str | None, settings: Settings | None) -> DatabaseConfig:
        """``--database``: a URL, or a connection name from settings (default: ``default``)."""
        from fastapp.conf import DEFAULT_CONNECTION
        from fastapp.db.url import parse_database_url
        from fastapp.errors import SettingsError

        if option and "://" in option:
            return parse_database_url(option, alias=DEFAULT_CONNECTION)
        if settings is None:
            raise SettingsError(
                "no settings module and no database URL: pass --database URL, --settings, "
                "or run from a directory containing settings.py"
            )
        return settings.database(option or DEFAULT_CONNECTION)

    def registry(self, database: str | None) -> AppRegistry:
        """The app registry, every app routed to ``--database`` when it is given."""
        from fastapp.apps import AppRegistry

        settings = self.settings()
        override = self.database(database, settings) if database else None
        return AppRegistry(settings, override)


def state(ctx: typer.Context) -> CommandState:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CommandState) else CommandState()


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)
