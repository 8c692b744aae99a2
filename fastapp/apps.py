"""INSTALLED_APPS -> app labels, models modules, connection routing and Tortoise config."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapp.connections.pools import tortoise_connection
from fastapp.connections.url import DatabaseConfig
from fastapp.errors import SettingsError, UnknownAppError
from fastapp.settings import Settings


@dataclass(frozen=True)
class AppConfig:
    """One installed app: ``blog`` for ``project.blog``, its models live in ``project.blog.models``.

    An app of a TORTOISE_ORM config names its models modules itself (``modules``); its
    ``package`` is then the package of the first one.
    """

    label: str
    package: str
    connection: str
    modules: tuple[str, ...] = ()

    @property
    def models_modules(self) -> tuple[str, ...]:
        return self.modules or (f"{self.package}.models",)

    @property
    def models_module(self) -> str:
        return self.models_modules[0]

    def missing_models(self) -> list[str]:
        """The models modules of this app that cannot be found."""
        missing = []
        for module in self.models_modules:
            try:
                found = importlib.util.find_spec(module) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                missing.append(module)
        return missing

    def has_models(self) -> bool:
        return not self.missing_models()


class AppRegistry:
    """The installed apps of a settings module, with connection routing.

    ``database`` (a connection name or a :class:`DatabaseConfig`) sends every app to that one
    connection, as ``--database`` does on the command line.
    """

    def __init__(self, settings: Settings, database: DatabaseConfig | None = None) -> None:
        self.settings = settings
        self.override = database
        self.apps: dict[str, AppConfig] = {}
        for label, package, modules in self._declared(settings):
            if label in self.apps:
                raise SettingsError(
                    f"INSTALLED_APPS has two apps labelled {label!r} "
                    f"({self.apps[label].package}, {package}); app labels must be unique"
                )
            connection = settings.app_databases.get(label, settings.default_connection)
            if database is not None:
                connection = database.alias
            self.apps[label] = AppConfig(label, package, connection, modules)
        for app in self.apps.values():
            missing = app.missing_models()
            if missing and app.modules:
                raise SettingsError(
                    f"app {app.label!r} of {settings.module}.TORTOISE_ORM lists models module "
                    f"{missing[0]!r}, which cannot be imported: check the name and that the "
                    "project directory is the current one"
                )
            if missing:
                raise SettingsError(
                    f"installed app {app.package!r} has no importable models module "
                    f"{app.models_module!r}: create it or remove the app from INSTALLED_APPS"
                )

    @staticmethod
    def _declared(settings: Settings) -> list[tuple[str, str, tuple[str, ...]]]:
        # (label, package, models modules): INSTALLED_APPS packages, or TORTOISE_ORM apps.
        if settings.app_models:
            return [
                (label, modules[0].rpartition(".")[0] or modules[0], tuple(modules))
                for label, modules in settings.app_models.items()
            ]
        return [(package.rsplit(".", 1)[-1], package, ()) for package in settings.installed_apps]

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
                app.label: {
                    "models": list(app.models_modules),
                    "default_connection": app.connection,
                }
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
