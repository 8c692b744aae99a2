"""The project a command or an application runs against: its settings module, and the one rule
that turns a ``--database`` value (a connection name or a URL) into a connection.

Commands build a :class:`Project` from their global options and hand it to the core; the core
never sees typer or the command layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapp.apps import AppRegistry
    from fastapp.connections.url import DatabaseConfig
    from fastapp.settings import Settings


def is_database_url(option: str | None) -> bool:
    """``--database`` names a URL (``postgres://...``), not a connection of DATABASES. A value
    with an ``@`` is a URL missing its scheme: read as one, it gets that error, masked."""
    return bool(option) and ("://" in option or "@" in option)


class Project:
    """A settings module (``None``: ``$FASTAPP_SETTINGS``, else ``./settings.py``), loaded lazily."""

    def __init__(
        self, settings_module: str | None = None, *, target: DatabaseConfig | None = None
    ) -> None:
        self.settings_module = settings_module
        #: A fan-out target (:mod:`fastapp.targets`): every app on this one connection, and
        #: ``--database`` is no longer a choice.
        self.target = target

    def pointed_at(self, database: DatabaseConfig) -> Project:
        """This project with every app on ``database`` (a fan-out target)."""
        return Project(self.settings_module, target=database)

    def settings(self, *, required: bool = True) -> Settings | None:
        from fastapp.settings import load_settings

        return load_settings(self.settings_module, required=required)

    def database(self, option: str | None) -> DatabaseConfig:
        """The connection ``--database`` names: a URL (no settings imported), else a name from
        DATABASES or TORTOISE_ORM (default: the settings' default connection, ``default``;
        ``DATABASE_URL`` alone will do without settings). Raises :class:`SettingsError`."""
        from fastapp.connections.url import parse_database_url
        from fastapp.errors import SettingsError
        from fastapp.settings import DEFAULT_CONNECTION

        if self.target is not None:
            return self.target
        if is_database_url(option):
            return parse_database_url(option, alias=DEFAULT_CONNECTION)
        settings = self.settings(required=False)
        if settings is None:
            raise SettingsError(
                "no settings module and no database URL: pass --database URL, --settings, "
                "or run from a directory containing settings.py"
            )
        return settings.database(option or None)

    def registry(self, database: str | None = None) -> AppRegistry:
        """The installed apps, every app routed to ``database`` (name or URL) when it is given."""
        from fastapp.apps import AppRegistry

        settings = self.settings()
        override = self.target
        if database and override is None:
            override = (
                self.database(database)
                if is_database_url(database)
                else settings.database(database)
            )
        return AppRegistry(settings, override)
