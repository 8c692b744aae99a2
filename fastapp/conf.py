"""The project's configuration as the application sees it: the exact Tortoise config every
fastapp command uses, so the app and the CLI always open the same databases.

Loading and validating the settings module itself is :mod:`fastapp.settings`; this module
sits above the app registry (:mod:`fastapp.apps`), which builds on those settings.
"""

from __future__ import annotations

from fastapp.project import Project
from fastapp.settings import DEFAULT_CONNECTION, Settings, load_settings

__all__ = ["DEFAULT_CONNECTION", "Settings", "load_settings", "tortoise_config"]


def tortoise_config(settings_module: str | None = None, database: str | None = None) -> dict:
    """The Tortoise config of a project, exactly as every fastapp command builds it.

    Takes the settings module (``None``: ``$FASTAPP_SETTINGS``, else ``./settings.py``) and,
    like ``--database``, an optional connection name or URL every app is routed to. Returns a
    plain dict for ``Tortoise.init(config=...)`` or ``RegisterTortoise(config=...)``: the
    connections resolved from ``DATABASES`` / ``DATABASE_URL`` / ``.env`` with their pool
    settings (``DB_POOL_*``), the apps of ``INSTALLED_APPS``, their routing, ``USE_TZ`` and
    ``TIME_ZONE``. Raises :class:`SettingsError` (or a subclass) for settings that do not load.
    """
    return Project(settings_module).registry(database).tortoise_config()
