"""The test databases of a pytest session (the plugin's engine, usable without pytest): one per
connection of the project, named per xdist worker, built from its migrations (``upgrade``;
``migrate`` for apps without any), dropped at the end;
Tortoise initialised on them, a rolled-back transaction per test, truncation, fixtures."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapp.errors import DatabaseUnavailableError, FastappError, SettingsError
from fastapp.project import Project

if TYPE_CHECKING:
    from fastapp.apps import AppRegistry
    from fastapp.connections.url import DatabaseConfig

#: Setting naming the project's ASGI app (``module:attribute``) for the ``client`` fixture.
ASGI_APP_SETTING = "ASGI_APP"
#: Longest database name both servers accept (PostgreSQL 63, MySQL 64).
MAX_NAME = 63


class TestDatabaseError(FastappError):
    """A test database cannot be created or built."""

    __test__ = False  # an error, not a test class


class _RolledBack(Exception):
    """Handed to a transaction's exit so that it rolls back."""


def worker_id() -> str:
    """``gw0``, ``gw1``... under pytest-xdist, ``main`` otherwise."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


class _FixedProject(Project):
    """A project whose registry is given (the test databases'), for the engine's core calls."""

    def __init__(self, registry: AppRegistry) -> None:
        super().__init__(registry.settings.module)
        self._registry = registry

    def registry(self, database: str | None = None) -> AppRegistry:
        return self._registry


class TestDatabases:
    """The test databases of one session and worker.

    Takes the settings module (``None``: ``$FASTAPP_SETTINGS``, else ``./settings.py``),
    whether to keep the databases between runs, and the worker id.
    """

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(
        self, settings_module: str | None = None, *, reuse: bool = False, worker: str = "main"
    ) -> None:
        self.settings_module = settings_module
        self.reuse = reuse
        self.worker = worker
        self.configs: dict[str, DatabaseConfig] = {}
        self.registry: AppRegistry | None = None

    # --- session --------------------------------------------------------------------------

    def setup(self) -> None:
        """Create (or, reusing, check) and build every test database. Raises
        :class:`TestDatabaseError` naming the database and the missing privilege."""
        from fastapp.apps import AppRegistry

        settings = Project(self.settings_module).settings()
        originals = AppRegistry(settings).connections()
        self.configs = {alias: self._test_config(cfg) for alias, cfg in originals.items()}
        test_settings = replace(settings, databases={**settings.databases, **self.configs})
        self.registry = AppRegistry(test_settings)
        asyncio.run(self._build())

    def teardown(self) -> None:
        """Drop the test databases (kept when reusing)."""
        if not self.reuse:
            asyncio.run(self._drop())

    def _test_config(self, cfg: DatabaseConfig) -> DatabaseConfig:
        suffix = self.worker if self.reuse else f"{self.worker}_{uuid.uuid4().hex[:8]}"
        if not cfg.dialect.needs_server:
            origin = hashlib.sha1(str(Path(cfg.name).resolve()).encode()).hexdigest()[:8]
            path = Path(tempfile.gettempdir()) / f"test_{origin}_{suffix}.sqlite3"
            return cfg.with_name(str(path))
        tail = f"_{suffix}"
        return cfg.with_name(f"test_{cfg.name}"[: MAX_NAME - len(tail)] + tail)

    async def _build(self) -> None:
        assert self.registry is not None
        if not self.reuse:
            for cfg in self.configs.values():
                await self._create(cfg)
            await self._schema()
            return
        for cfg in self.configs.values():
            if not await self._exists(cfg):
                await self._create(cfg)
        await self._schema()  # a kept database gets the migrations added since
        stale = await self._differing()
        for cfg in stale:  # the models (or migrations) changed since it was built
            await cfg.dialect.drop_database(cfg)
            await self._create(cfg)
        if stale:
            await self._schema()

    async def _schema(self) -> None:
        """The project's tables as its own workflow makes them: the apps with migrations by
        applying them (``fastapp upgrade``, so the tests run on what production runs), the
        others by ``fastapp migrate``."""
        from fastapp.apply.create_missing import MigrateOptions, migrate
        from fastapp.versions.applying import RunRequest, upgrade
        from fastapp.versions.loading import versioned_apps

        assert self.registry is not None
        apps = versioned_apps(self.registry)
        versioned = tuple(app.label for app in apps if app.path() is not None)
        if versioned:
            await upgrade(self.registry, RunRequest(apps=versioned, verify=False))
        others = tuple(app.label for app in apps if app.label not in versioned)
        if others:
            await migrate(self.registry, MigrateOptions(apps=others))

    async def _exists(self, cfg: DatabaseConfig) -> bool:
        from fastapp.connections.raw import raw_connection

        if not cfg.dialect.needs_server:
            return Path(cfg.name).exists()
        try:
            async with raw_connection(cfg):
                return True
        except DatabaseUnavailableError:
            return False

    async def _differing(self) -> list[DatabaseConfig]:
        """The kept databases that do not match the models (``auto_migrate --check``)."""
        from fastapp.apply.automigrate import AutoMigrateRequest, auto_migrate

        request = AutoMigrateRequest(check=True, guided=False)
        results = await auto_migrate(_FixedProject(self.registry), request)
        return [r.target.cfg for r in results if not r.outcome.plan.is_empty]

    async def _create(self, cfg: DatabaseConfig) -> None:
        dialect = cfg.dialect
        try:
            await dialect.create_database(cfg)
        except Exception as exc:
            if dialect.is_permission_error(exc):
                raise TestDatabaseError(
                    f"cannot create the test database {cfg.name!r} on {cfg.url()}: user "
                    f"{cfg.user!r} may not create databases; grant it (PostgreSQL: ALTER ROLE "
                    f"{cfg.user} CREATEDB; MySQL: GRANT ALL ON `test\\_%`.* TO {cfg.user})"
                ) from None
            from fastapp.connections.raw import connection_error

            raise connection_error(exc, cfg) from None

    async def _drop(self) -> None:
        for cfg in self.configs.values():
            await cfg.dialect.drop_database(cfg)

    # --- per test ---------------------------------------------------------------------------

    @asynccontextmanager
    async def orm(self) -> AsyncIterator[None]:
        """Tortoise initialised on the test databases (in this event loop), closed on exit."""
        from tortoise import Tortoise

        from fastapp.testing import forget_tortoise_queries

        assert self.registry is not None, "setup() first"
        forget_tortoise_queries()
        config = self.registry.tortoise_config()
        await Tortoise.init(config=config, _enable_global_fallback=True)
        try:
            yield
        finally:
            await Tortoise.close_connections()

    @asynccontextmanager
    async def rolled_back(self) -> AsyncIterator[None]:
        """One transaction per connection around the block, rolled back at its end; what the
        block opens with ``in_transaction()`` becomes a savepoint."""
        from tortoise.transactions import in_transaction

        entered = []
        try:
            for alias in self.configs:
                context = in_transaction(alias)
                await context.__aenter__()
                entered.append(context)
            yield
        finally:
            for context in reversed(entered):
                await context.__aexit__(_RolledBack, _RolledBack(), None)

    async def empty(self) -> None:
        """Remove every row of every table of the test databases (ids restart)."""
        from tortoise import connections

        for alias, cfg in self.configs.items():
            client = connections.get(alias)
            rows = (await client.execute_query(cfg.dialect.list_tables_sql))[1]
            tables = [next(iter(dict(row).values())) for row in rows]
            await cfg.dialect.empty_tables(client, tables)

    async def load(self, names: Sequence[str]) -> int:
        """Load fixture files (names as ``loaddata`` takes them); returns the object count."""
        from fastapp.data.discovery import find_fixtures
        from fastapp.data.loader import LoadOptions, load_fixtures

        assert self.registry is not None
        sources = find_fixtures(list(names), self.registry)
        # No forked parser: the application side never forks.
        result = await load_fixtures(
            self.registry, LoadOptions(fixtures=sources, parse_in_child=False)
        )
        return result.objects


def load_asgi_app(spec: str | None, databases: TestDatabases) -> Any:
    """The ASGI app named ``module:attribute`` (else by the settings' ``ASGI_APP``).

    Raises :class:`SettingsError` when neither names one or it does not import.
    """
    if not spec and databases.registry is not None and databases.registry.settings.module:
        module = importlib.import_module(databases.registry.settings.module)
        spec = getattr(module, ASGI_APP_SETTING, None)
    if not spec or ":" not in spec:
        raise SettingsError(
            "the client fixture needs the ASGI app: set fastapp_app = module:attribute in the "
            f"pytest ini, or {ASGI_APP_SETTING} = 'module:attribute' in the settings module"
        )
    module_name, _, attribute = spec.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise SettingsError(f"ASGI app {spec!r} cannot be loaded: {exc}") from exc
