"""The application's lifespan: Tortoise initialised from the project's settings through
Tortoise's own ``RegisterTortoise``, the database checked against the models at start-up, the
connections closed on shutdown."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapp.errors import FastappError, SettingsError

if TYPE_CHECKING:
    from fastapp.apps import AppRegistry
    from fastapp.project import Project

logger = logging.getLogger("fastapp.runtime")

#: Settings-module key and environment variable choosing what a drifted database does to start-up.
SCHEMA_CHECK_SETTING = "SCHEMA_CHECK"
SCHEMA_CHECK_ENV = "FASTAPP_SCHEMA_CHECK"
#: refuse: the app does not start; warn: one warning line per database; ignore: no check.
SCHEMA_CHECK_MODES = ("refuse", "warn", "ignore")
DEFAULT_SCHEMA_CHECK = "warn"


class SchemaDriftError(FastappError):
    """The database does not match the models and the app was told to refuse to start."""


def schema_check_mode(registry: AppRegistry, explicit: str | None = None) -> str:
    """The start-up check in force: ``explicit``, else ``$FASTAPP_SCHEMA_CHECK``, else the
    settings' ``SCHEMA_CHECK``, else ``warn``. Raises :class:`SettingsError` for another value."""
    origin, mode = "the lifespan's schema_check", explicit
    if mode is None and os.environ.get(SCHEMA_CHECK_ENV):
        origin, mode = SCHEMA_CHECK_ENV, os.environ[SCHEMA_CHECK_ENV]
    if mode is None and registry.settings.module:
        module = importlib.import_module(registry.settings.module)
        origin = f"{registry.settings.module}.{SCHEMA_CHECK_SETTING}"
        mode = getattr(module, SCHEMA_CHECK_SETTING, None)
    if mode is None:
        return DEFAULT_SCHEMA_CHECK
    if mode not in SCHEMA_CHECK_MODES:
        raise SettingsError(f"{origin} is {mode!r}: use one of {', '.join(SCHEMA_CHECK_MODES)}")
    return mode


async def check_schema(project: Project, database: str | None = None) -> list[str]:
    """Compare each database with the code: a project with versioned migrations must have
    applied them all (``fastapp showmigrations``), and every database must match the models
    (``fastapp auto_migrate --check``).

    Takes the project and an optional ``--database`` value. Returns one line per database
    that lags, naming what is missing and the command that fixes it (empty: all match).
    Raises what ``auto_migrate`` and the migration loader raise (an unreachable database,
    a migration file that does not import, a lock held too long).
    """
    from fastapp.apply.automigrate import AutoMigrateRequest, auto_migrate
    from fastapp.diff.ops import CreateTable
    from fastapp.versions.state import pending_migrations

    registry = project.registry(database)
    pending = await pending_migrations(registry)
    lines = []
    for alias, names in sorted((pending or {}).items()):
        if names:
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            lines.append(
                f"database {alias!r} ({registry.connections()[alias].url()}) has "
                f"{len(names)} unapplied migration(s): {shown}; run `fastapp upgrade`"
            )
    if lines:  # the drift is expected until they are applied
        return lines
    request = AutoMigrateRequest(database=database, check=True, guided=False)
    for result in await auto_migrate(project, request):
        plan = result.outcome.plan
        if plan.is_empty:
            continue
        if pending is not None:  # versioned: the models changed without a migration
            fix = "fastapp makemigrations` then `fastapp upgrade"
        elif all(isinstance(op, CreateTable) for op in plan.ops):
            fix = "fastapp migrate"  # only missing tables: create, never alter
        else:
            fix = "fastapp auto_migrate"
        shown = [op.describe() for op in plan.ops[:3]]
        more = f" and {len(plan.ops) - 3} more" if len(plan.ops) > 3 else ""
        lines.append(
            f"database {result.target.alias!r} ({result.target.cfg.url()}) does not match the "
            f"models: {'; '.join(shown)}{more}; run `{fix}`"
        )
    return lines


def lifespan(
    settings_module: str | None = None,
    *,
    database: str | None = None,
    schema_check: str | None = None,
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A FastAPI ``lifespan`` for the project of ``settings_module`` (``None``:
    ``$FASTAPP_SETTINGS``, else ``./settings.py``).

    ``database`` routes every app to one connection name or URL, like ``--database``.
    ``schema_check`` (``refuse`` / ``warn`` / ``ignore``, see :func:`schema_check_mode`) says
    what a database that does not match the models does to start-up. At start-up: settings
    loaded, schema checked, Tortoise initialised by ``RegisterTortoise`` with the CLI's config,
    every connection tried once. Start-up failures are one-line :class:`FastappError`\\ s
    (settings, :class:`SchemaDriftError`, ``DatabaseUnavailableError``) with no chained
    driver traceback.
    """

    @asynccontextmanager
    async def run(app: Any) -> AsyncIterator[None]:
        from tortoise.contrib.fastapi import RegisterTortoise

        from fastapp.project import Project

        project = Project(settings_module)
        registry, config = await _one_line(_prepare(project, database, schema_check))
        async with RegisterTortoise(
            app, config=config, use_tz=config["use_tz"], timezone=config["timezone"]
        ):
            await _one_line(_try_connections(registry))
            await _one_line(_startup_checks(app, registry))
            yield

    return run


async def _prepare(
    project: Project, database: str | None, schema_check: str | None
) -> tuple[AppRegistry, dict[str, Any]]:
    registry = project.registry(database)
    config = registry.tortoise_config()  # a malformed pool variable fails before any check
    mode = schema_check_mode(registry, schema_check)
    if mode != "ignore":
        problems = await check_schema(project, database)
        if problems and mode == "refuse":
            raise SchemaDriftError(" | ".join(problems))
        for line in problems:
            logger.warning("%s", line)
    return registry, config


async def _one_line(step: Any) -> Any:
    """Await ``step``; a FastappError out of it is raised again as a fresh instance with no
    chained driver exceptions, so the server prints one line, not a traceback storm."""
    try:
        return await step
    except FastappError as exc:
        failure = type(exc)(str(exc))
    raise failure


async def _startup_checks(app: Any, registry: AppRegistry) -> None:
    """The installed apps' start-up checks (:func:`fastapp.hooks.startup_checks`)."""
    from fastapp.hooks import startup_checks

    for check in startup_checks(registry):
        await check(app, registry)


async def _try_connections(registry: AppRegistry) -> None:
    from tortoise import connections

    from fastapp.connections.raw import connection_error

    for alias, cfg in registry.connections().items():
        try:
            await connections.get(alias).execute_query("SELECT 1")
        except Exception as exc:
            raise connection_error(exc, cfg) from None
