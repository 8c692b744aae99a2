"""What each connection has applied (Tortoise's ``tortoise_migrations`` table, read with the
applied-at times) next to what its apps have on disk.

One :class:`ConnectionState` per connection some selected app uses: migrations of apps on
different connections are recorded on their own connection, as Tortoise does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapp.errors import MigrationGraphError
from fastapp.versions.loading import (
    VersionedApp,
    apps_config,
    full_plan,
    heads,
    load_graph,
    migration_file,
    versioned_apps,
)

if TYPE_CHECKING:
    from tortoise.migrations.executor import MigrationExecutor
    from tortoise.migrations.graph import MigrationGraph, MigrationKey

    from fastapp.apps import AppRegistry
    from fastapp.connections.url import DatabaseConfig

#: Tortoise's table of applied migrations (``MigrationRecorder``'s default).
TABLE = "tortoise_migrations"


@dataclass(frozen=True)
class AppliedMigration:
    app: str
    name: str
    applied_at: str

    @property
    def label(self) -> str:
        return f"{self.app}.{self.name}"


@dataclass
class ConnectionState:
    """One connection: its apps, Tortoise's executor (graph, recorder, schema editors) and
    the migrations recorded as applied there, in the order they were applied."""

    alias: str
    cfg: DatabaseConfig
    client: Any
    apps: list[VersionedApp]
    executor: MigrationExecutor
    applied: list[AppliedMigration] = field(default_factory=list)
    #: The apps the command is about (``--apps``); the graph holds every app of the
    #: connection, so dependencies on the others resolve.
    selected: frozenset[str] | None = None

    @property
    def chosen(self) -> set[str]:
        return set(self.selected) if self.selected is not None else self.labels

    @property
    def graph(self) -> MigrationGraph:
        return self.executor.loader.graph

    @property
    def labels(self) -> set[str]:
        return {app.label for app in self.apps}

    def app(self, label: str) -> VersionedApp:
        return next(app for app in self.apps if app.label == label)

    def applied_keys(self) -> set[MigrationKey]:
        from tortoise.migrations.graph import MigrationKey

        return {MigrationKey(a.app, a.name) for a in self.applied if a.app in self.labels}

    def applied_at(self) -> dict[tuple[str, str], str]:
        return {(a.app, a.name): a.applied_at for a in self.applied}

    def missing_files(self) -> list[AppliedMigration]:
        """Recorded as applied for one of these apps, but no such file any more."""
        from tortoise.migrations.graph import MigrationKey

        return [
            a
            for a in self.applied
            if a.app in self.labels and MigrationKey(a.app, a.name) not in self.graph.nodes
        ]

    def check(self) -> None:
        """Refuse to plan on a state that cannot be trusted: an applied migration whose
        file is gone, or an app with two heads. Raises :class:`MigrationGraphError`."""
        for gone in self.missing_files():
            if gone.app not in self.chosen:
                continue
            path = migration_file(self.app(gone.app), gone.name)
            raise MigrationGraphError(
                f"migration {gone.label} is recorded as applied in {TABLE} on {self.alias!r} "
                f"but its file {path or gone.name + '.py'} is gone: restore the file, or "
                f"record the state you really have with `fastapp stamp {gone.app}:NAME`"
            )
        for app in self.apps:
            if app.label not in self.chosen:
                continue
            found = heads(self.graph, app.label)
            if len(found) > 1:
                raise MigrationGraphError(
                    f"app {app.label!r} has {len(found)} heads ({', '.join(found)}): two "
                    f"branches each added a migration; run `fastapp merge {app.label}` to "
                    "write the migration that joins them, then upgrade"
                )


async def read_applied(cfg: DatabaseConfig, client: Any) -> list[AppliedMigration]:
    """The rows of ``tortoise_migrations`` in applied order; none when the table is missing."""
    quote = cfg.dialect.quote
    query = (
        f"SELECT {quote('app')}, {quote('name')}, {quote('applied_at')} FROM {quote(TABLE)} "
        f"ORDER BY {quote('applied_at')}, {quote('app')}, {quote('name')}"
    )
    if TABLE not in await _tables(cfg, client):
        return []
    _, rows = await client.execute_query(query)
    return [AppliedMigration(row["app"], row["name"], _when(row["applied_at"])) for row in rows]


async def _tables(cfg: DatabaseConfig, client: Any) -> set[str]:
    _, rows = await client.execute_query(cfg.dialect.list_tables_sql)
    return {row["name"] for row in rows}


def _when(value: Any) -> str:
    """Applied-at as ``YYYY-MM-DD HH:MM:SS`` UTC, whatever type the driver returns."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def group_by_connection(apps: Iterable[VersionedApp]) -> dict[str, list[VersionedApp]]:
    grouped: dict[str, list[VersionedApp]] = {}
    for app in apps:
        grouped.setdefault(app.connection, []).append(app)
    return grouped


@asynccontextmanager
async def open_states(
    registry: AppRegistry, labels: Iterable[str] | None = None
) -> AsyncIterator[list[ConnectionState]]:
    """Tortoise initialised for the project, and one loaded :class:`ConnectionState` per
    connection of the selected apps. Raises what :func:`load_graph` raises."""
    from tortoise.migrations.executor import MigrationExecutor

    from fastapp.tortoise.context import tortoise_context

    selected = versioned_apps(registry, labels)
    chosen = frozenset(app.label for app in selected)
    used = {app.connection for app in selected}
    connections = registry.connections()
    async with tortoise_context(registry) as ctx:
        states = []
        for alias, apps in group_by_connection(versioned_apps(registry)).items():
            if alias not in used:
                continue
            client = ctx.db(alias)
            config = apps_config(apps)
            executor = MigrationExecutor(client, config)
            executor.loader = await load_graph(config)
            cfg = connections[alias]
            applied = await read_applied(cfg, client)
            mine = chosen & {app.label for app in apps}
            states.append(ConnectionState(alias, cfg, client, apps, executor, applied, mine))
        yield states


# --- read-only reports: history, current, heads, showmigrations ---------------------------


@dataclass(frozen=True)
class MigrationRow:
    """One migration of one app, for the listings."""

    app: str
    name: str
    applied_at: str | None
    head: bool
    #: Recorded as applied, but the file is gone.
    missing: bool = False
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppReport:
    alias: str
    app: str
    rows: tuple[MigrationRow, ...]

    @property
    def current(self) -> list[MigrationRow]:
        """The applied migrations no other applied migration of the app depends on."""
        applied = [r for r in self.rows if r.applied_at is not None]
        parents = {dep for r in applied for dep in r.depends_on}
        return [r for r in applied if f"{r.app}.{r.name}" not in parents]


def report(states: list[ConnectionState]) -> list[AppReport]:
    """Every selected app's migrations in dependency order, with applied-at times."""
    reports = []
    for state in states:
        when = state.applied_at()
        order = full_plan(state.graph)
        for app in state.apps:
            if app.label not in state.chosen:
                continue
            leaves = set(heads(state.graph, app.label))
            rows = []
            for key in order:
                if key.app_label != app.label:
                    continue
                node = state.graph.node_map[key]
                rows.append(
                    MigrationRow(
                        app.label,
                        key.name,
                        when.get((key.app_label, key.name)),
                        key.name in leaves,
                        depends_on=tuple(sorted(str(p.key) for p in node.parents)),
                    )
                )
            for gone in state.missing_files():
                if gone.app == app.label:
                    rows.append(MigrationRow(gone.app, gone.name, gone.applied_at, False, True))
            reports.append(AppReport(state.alias, app.label, tuple(rows)))
    return reports



async def status(registry: AppRegistry, labels: Iterable[str] | None = None) -> list[AppReport]:
    """Every selected app's migrations, applied or pending, with applied-at times (the
    database is read; for ``showmigrations`` and ``current``)."""
    async with open_states(registry, labels) as states:
        return report(states)


async def disk_report(
    registry: AppRegistry, labels: Iterable[str] | None = None
) -> list[AppReport]:
    """Every selected app's migrations from the files alone, no database (``history``,
    ``heads``)."""
    from types import SimpleNamespace

    chosen = frozenset(app.label for app in versioned_apps(registry, labels))
    states = []
    for alias, apps in group_by_connection(versioned_apps(registry)).items():
        mine = chosen & {app.label for app in apps}
        if not mine:
            continue
        loader = await load_graph(apps_config(apps))
        executor = SimpleNamespace(loader=loader)
        states.append(ConnectionState(alias, None, None, apps, executor, [], mine))  # type: ignore[arg-type]
    return report(states)


async def pending_migrations(registry: AppRegistry) -> dict[str, list[str]] | None:
    """The migrations not applied yet, ``app.name`` in the order ``upgrade`` would run them, by
    connection alias; ``None`` when no installed app has migrations (a declarative project).

    Raises what :func:`open_states` raises (unreadable files, a broken graph, no connection).
    """
    if not any(app.path() is not None for app in versioned_apps(registry)):
        return None
    found: dict[str, list[str]] = {}
    for app in await status(registry):
        unapplied = [r for r in app.rows if r.applied_at is None and not r.missing]
        found.setdefault(app.alias, []).extend(f"{r.app}.{r.name}" for r in unapplied)
    return found
