"""INSTALLED_APPS -> app labels, models modules, connection routing and Tortoise config."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapp.conf import DEFAULT_CONNECTION, Settings
from fastapp.connections.pools import tortoise_connection
from fastapp.connections.url import DatabaseConfig
from fastapp.errors import SettingsError, UnknownAppError


@dataclass(frozen=True)
class AppConfig:
    """One installed app: ``blog`` for ``project.blog``, its models live in ``project.blog.models``."""

    label: str
    package: str
    connection: str

    @property
    def models_module(self) -> str:
        return f"{self.package}.models"

    def has_models(self) -> bool:
        try:
            return importlib.util.find_spec(self.models_module) is not None
        except ModuleNotFoundError:
            return False


class AppRegistry:
    """The installed apps of a settings module, with connection routing.

    ``database`` (a connection name or a :class:`DatabaseConfig`) sends every app to that one
    connection, as ``--database`` does on the command line.
    """

    def __init__(self, settings: Settings, database: DatabaseConfig | None = None) -> None:
        self.settings = settings
        self.override = database
        self.apps: dict[str, AppConfig] = {}
        for package in settings.installed_apps:
            label = package.rsplit(".", 1)[-1]
            if label in self.apps:
                raise SettingsError(
                    f"INSTALLED_APPS has two apps labelled {label!r} "
                    f"({self.apps[label].package}, {package}); app labels must be unique"
                )
            connection = settings.app_databases.get(label, DEFAULT_CONNECTION)
            if database is not None:
                connection = database.alias
            self.apps[label] = AppConfig(label, package, connection)
        for app in self.apps.values():
            if not app.has_models():
                raise SettingsError(
                    f"installed app {app.package!r} has no importable models module "
                    f"{app.models_module!r}: create it or remove the app from INSTALLED_APPS"
                )

    def select(self, labels: Iterable[str] | None) -> list[AppConfig]:
        """The apps named by ``labels`` (all apps when empty), in INSTALLED_APPS order."""
        wanted = list(dict.fromkeys(labels or ()))
        unknown = [label for label in wanted if label not in self.apps]
        if unknown:
            raise UnknownAppError(
                f"unknown app {', '.join(map(repr, unknown))}: installed apps are "
                f"{', '.join(self.apps) or 'none'} (check INSTALLED_APPS in {self.settings.module})"
            )
        return [app for label, app in self.apps.items() if not wanted or label in wanted]

    def connections(self) -> dict[str, DatabaseConfig]:
        """Every connection some app uses, by alias."""
        used: dict[str, DatabaseConfig] = {}
        for app in self.apps.values():
            if app.connection not in used:
                used[app.connection] = self._config(app.connection)
        return used

    def _config(self, alias: str) -> DatabaseConfig:
        if self.override is not None and alias == self.override.alias:
            return self.override
        return self.settings.database(alias)

    def tortoise_config(self) -> dict[str, Any]:
        """The ``Tortoise.init`` config: every installed app, so cross-app relations resolve;
        each connection with its pool settings (:mod:`fastapp.connections.pools`)."""
        connections = self.connections()
        return {
            "connections": {alias: tortoise_connection(cfg) for alias, cfg in connections.items()},
            "apps": {
                app.label: {"models": [app.models_module], "default_connection": app.connection}
                for app in self.apps.values()
            },
            "use_tz": self.settings.use_tz,
            "timezone": self.settings.time_zone,
        }


def parse_model_names(names: Sequence[str]) -> list[tuple[str | None, str]]:
    """``["User", "blog.Post"]`` -> ``[(None, "User"), ("blog", "Post")]``."""
    parsed = []
    for name in names:
        app, _, model = name.rpartition(".")
        parsed.append((app or None, model))
    return parsed
