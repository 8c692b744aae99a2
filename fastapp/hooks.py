"""Post-migrate hooks: code an app runs after ``migrate``, ``auto_migrate``, ``upgrade`` or
``downgrade`` has brought a database up to date.

An app registers a hook with the decorator, in its models module or in a ``hooks`` module of
its package (``<package>.hooks``, imported when the hooks are collected)::

    from fastapp.hooks import PostMigrate, post_migrate

    @post_migrate
    async def sync_tags(event: PostMigrate) -> None:
        await Tag.get_or_create(name="default", using_db=event.connection)

A hook belongs to the installed app whose package holds the hook's module; only hooks of
installed apps run, in INSTALLED_APPS order, then in registration order. Each runs once per
command and connection (not once per migration), with every installed app and the Tortoise
client of the command's unit of work: on PostgreSQL and SQLite the hooks of ``migrate``,
``auto_migrate``, ``upgrade`` and ``downgrade`` share the transaction of the schema change,
so a failing hook rolls the whole command back -- except where part of the change runs
outside a transaction (``--online``, ``CREATE INDEX CONCURRENTLY``, a non-atomic migration on
PostgreSQL): the hooks then run after it and a failure keeps it. MariaDB/MySQL cannot roll
DDL back: the schema change stays and the hooks' own writes up to the failure are kept. The
unit of each command on each backend: ``docs/contrib.md``.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapp.errors import HookError, SettingsError

if TYPE_CHECKING:
    from fastapp.apps import AppConfig, AppRegistry

__all__ = ["HookError", "PostMigrate", "post_migrate", "startup_checks"]


#: The commands that run hooks.
COMMANDS = ("migrate", "auto_migrate", "upgrade", "downgrade")


@dataclass(frozen=True)
class PostMigrate:
    """What a hook gets.

    ``command``: which command ran; ``alias``: the connection brought up to date;
    ``apps``: every installed app (each with its ``connection``); ``connection``: the Tortoise
    client to run queries on (``using_db=event.connection``), inside the command's transaction
    where the backend has one; ``report``: hand a line to the user (the command prints it).
    """

    command: str
    alias: str
    apps: tuple[AppConfig, ...]
    connection: Any
    report: Callable[[str], None] = field(default=lambda line: None)


Hook = Callable[[PostMigrate], Awaitable[None]]


@dataclass(frozen=True)
class Registered:
    module: str
    name: str
    func: Hook


_HOOKS: list[Registered] = []


def post_migrate(func: Hook) -> Hook:
    """Register ``func`` (an ``async def`` taking a :class:`PostMigrate`) as a post-migrate
    hook of the app its module belongs to. Registering the same function twice (a module
    imported again) keeps one."""
    import inspect

    if not inspect.iscoroutinefunction(func):
        raise TypeError(f"post-migrate hook {func.__qualname__} must be an async function")
    entry = Registered(func.__module__, func.__qualname__, func)
    _HOOKS[:] = [h for h in _HOOKS if (h.module, h.name) != (entry.module, entry.name)]
    _HOOKS.append(entry)
    return func


def _owner(module: str, apps: Sequence[AppConfig]) -> AppConfig | None:
    best = None
    for app in apps:
        packages = {app.package, *(m.rpartition(".")[0] for m in app.models_modules)}
        for package in packages:
            if package and (module == package or module.startswith(package + ".")):
                if best is None or len(app.package) > len(best.package):
                    best = app
    return best


def _import_if_present(module: str) -> Any:
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return None
    try:
        return importlib.import_module(module)
    except Exception as exc:
        raise SettingsError(f"cannot import {module}: {type(exc).__name__}: {exc}") from exc


def collect(registry: AppRegistry) -> list[tuple[AppConfig, Registered]]:
    """The hooks of the installed apps, in INSTALLED_APPS order: each app's models modules
    and its ``hooks`` module (when it has one) are imported first."""
    from fastapp.tortoise import speedups

    apps = list(registry.apps.values())
    # The models modules usually import here, before any Tortoise init: inside a schema-only
    # scope, as fastapp's inits import them (outside it, Tortoise's metaclass parses each
    # module once per model class: 1,000 models took ~10 s more). The classes work in any
    # later init.
    with speedups.scope(schema_only=True):
        for app in apps:
            for module in (*app.models_modules, f"{app.package}.hooks"):
                _import_if_present(module)
    owned = [(_owner(h.module, apps), h) for h in _HOOKS]
    order = {app.label: i for i, app in enumerate(apps)}
    mine = [(app, h) for app, h in owned if app is not None]
    return sorted(mine, key=lambda pair: order[pair[0].label])


#: An app's start-up check: ``async def check(app, registry)`` in ``<package>.startup``,
#: awaited by the runtime lifespan once Tortoise is up; raising a FastappError stops start-up.
StartupCheck = Callable[[Any, "AppRegistry"], Awaitable[None]]


def startup_checks(registry: AppRegistry) -> list[StartupCheck]:
    """The ``check`` of every installed app that has a ``startup`` module, in INSTALLED_APPS
    order (``fastapp.contrib.auth`` checks the permissions the routes require)."""
    found = []
    for app in registry.apps.values():
        module = _import_if_present(f"{app.package}.startup")
        if module is not None and hasattr(module, "check"):
            found.append(module.check)
    return found


class HookRunner:
    """The hooks of one command: collected once, run once per connection."""

    def __init__(
        self,
        registry: AppRegistry,
        command: str,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.registry = registry
        self.command = command
        self.report = report or (lambda line: None)
        self.hooks = collect(registry)
        self.ran: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.hooks)

    def for_connection(self, alias: str) -> list[tuple[AppConfig, Registered]]:
        """The hooks that run for ``alias``: those of the apps stored on it."""
        return [(app, hook) for app, hook in self.hooks if app.connection == alias]

    async def run(self, alias: str, connection: Any, *, outcome: str) -> None:
        """Run ``alias``'s hooks on ``connection``. Raises :class:`HookError` naming the app
        and hook, ending with ``outcome`` (what happened to the command's changes)."""
        from tortoise.connection import get_connections

        event = PostMigrate(
            self.command, alias, tuple(self.registry.apps.values()), connection, self.report
        )
        # The unit's client is the alias's current one while the hooks run: Tortoise's own
        # in_transaction (get_or_create, bulk_create) then nests in it as a savepoint.
        token = get_connections().set(alias, connection)
        try:
            await self._run(alias, event, outcome)
        finally:
            get_connections().reset(token)

    async def _run(self, alias: str, event: PostMigrate, outcome: str) -> None:
        for app, hook in self.for_connection(alias):
            try:
                await hook.func(event)
            except Exception as exc:
                text = str(exc).strip().splitlines()
                reason = text[0] if text else type(exc).__name__
                cfg = self.registry.connections().get(alias)
                if cfg is not None:
                    reason = cfg.mask(reason)
                raise HookError(
                    f"post-migrate hook {app.label}.{hook.name} failed on {alias!r}: "
                    f"{reason}; {outcome}"
                ) from exc
            self.ran.append(f"{app.label}.{hook.name}")
