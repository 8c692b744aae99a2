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
    #: Some migration may run Python against models (``RunPython``, an operation of the
    #: project's own): their query sets must be built.
    runs_python: bool = True
    #: Squashed migrations this database is in the middle of -> operations already run
    #: (:func:`fastapp.versions.replacing.reconcile`).
    partial: dict[MigrationKey, int] = field(default_factory=dict)

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
        from fastapp.versions.replacing import replaced_names

        on_disk = {(key.app_label, key.name) for key in self.graph.nodes}
        squashed = replaced_names(self.graph)
        return [
            a
            for a in self.applied
            if a.app in self.labels and (a.app, a.name) not in on_disk | squashed
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


async def read_applied_raw(cfg: DatabaseConfig) -> list[AppliedMigration]:
    """:func:`read_applied` on a raw driver connection: no Tortoise needed (the listings).
    Raises :class:`~fastapp.errors.DatabaseUnavailableError` when the database cannot be
    reached."""
    from fastapp.connections.raw import raw_connection

    dialect = cfg.dialect
    quote = dialect.quote
    async with raw_connection(cfg) as conn:
        if TABLE not in set(await dialect.fetch_scalar_list(conn, dialect.list_tables_sql)):
            return []
        rows = await dialect.fetch_rows(
            conn,
            f"SELECT {quote('app')}, {quote('name')}, {quote('applied_at')} FROM {quote(TABLE)} "
            f"ORDER BY {quote('applied_at')}, {quote('app')}, {quote('name')}",
        )
    return [AppliedMigration(app, name, _when(when)) for app, name, when in rows]


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
    registry: AppRegistry, labels: Iterable[str] | None = None, *, queries: bool = False
) -> AsyncIterator[list[ConnectionState]]:
    """Tortoise initialised for the project, and one loaded :class:`ConnectionState` per
    connection of the selected apps. Raises what :func:`load_graph` raises.

    The files are loaded first: when no migration runs Python (only Tortoise's own schema
    and SQL operations) and the caller will not query the models (``queries``), Tortoise is
    initialised for schema work only (:func:`~fastapp.tortoise.context.tortoise_context`)."""
    from tortoise.migrations.executor import MigrationExecutor

    from fastapp.tortoise.context import tortoise_context
    from fastapp.versions.replacing import reconcile

    connections = registry.connections()
    loaded = [
        (alias, apps, mine, await load_graph(apps_config(apps)))
        for alias, apps, mine in _selected_connections(registry, labels)
    ]
    python = {alias: runs_python(loader.graph) for alias, _, _, loader in loaded}
    async with tortoise_context(registry, schema_only=not (queries or any(python.values()))) as ctx:
        states = []
        for alias, apps, mine, loader in loaded:
            client = ctx.db(alias)
            executor = MigrationExecutor(client, apps_config(apps))
            executor.loader = loader
            cfg = connections[alias]
            applied, partial = reconcile(loader.graph, await read_applied(cfg, client))
            state = ConnectionState(
                alias, cfg, client, apps, executor, applied, mine, partial=partial
            )
            state.runs_python = python[alias]
            states.append(state)
        yield states


def runs_python(graph: MigrationGraph) -> bool:
    """Some migration of ``graph`` has an operation other than Tortoise's own schema and SQL
    operations (``RunPython``, or one the project defines)."""
    from tortoise.migrations import operations

    for migration in graph.nodes.values():
        for operation in getattr(migration, "operations", None) or ():
            kind = type(operation)
            if kind.__module__ != operations.__name__ or issubclass(kind, operations.RunPython):
                return True
    return False


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
    database is read; for ``showmigrations`` and ``current``).

    The files are read without running them and ``tortoise_migrations`` with one query on
    a raw connection (see :mod:`fastapp.versions.files`); where the files need Tortoise's
    loader, Tortoise is initialised as for ``upgrade``."""
    light = _file_states(registry, labels)
    if light is not None:
        connections = registry.connections()
        for state in light:
            state.cfg = connections[state.alias]
            state.applied = await read_applied_raw(state.cfg)
        return report(light)
    async with open_states(registry, labels) as states:
        return report(states)


async def disk_report(
    registry: AppRegistry, labels: Iterable[str] | None = None
) -> list[AppReport]:
    """Every selected app's migrations from the files alone, no database (``history``,
    ``heads``)."""
    light = _file_states(registry, labels)
    if light is not None:
        return report(light)
    states = []
    for alias, apps, mine in _selected_connections(registry, labels):
        loader = await load_graph(apps_config(apps))
        states.append(_listing_state(alias, apps, mine, loader.graph))
    return report(states)


def _selected_connections(
    registry: AppRegistry, labels: Iterable[str] | None
) -> list[tuple[str, list[VersionedApp], frozenset[str]]]:
    """Each connection some selected app uses: its apps (all of them, so dependencies
    resolve) and the selected ones."""
    chosen = frozenset(app.label for app in versioned_apps(registry, labels))
    found = []
    for alias, apps in group_by_connection(versioned_apps(registry)).items():
        mine = chosen & {app.label for app in apps}
        if mine:
            found.append((alias, apps, mine))
    return found


def _listing_state(
    alias: str, apps: list[VersionedApp], mine: frozenset[str], graph: Any
) -> ConnectionState:
    """A state for the listings only: a graph, no executor, no client."""
    from types import SimpleNamespace

    executor = SimpleNamespace(loader=SimpleNamespace(graph=graph))
    return ConnectionState(alias, None, None, apps, executor, [], mine)  # type: ignore[arg-type]


def _file_states(
    registry: AppRegistry, labels: Iterable[str] | None
) -> list[ConnectionState] | None:
    """Listing states on graphs read from the files without Tortoise, ``None`` when some
    connection's files need Tortoise's loader."""
    from fastapp.versions.files import file_graph

    states = []
    for alias, apps, mine in _selected_connections(registry, labels):
        graph = file_graph({app.label: app.path() for app in apps})
        if graph is None:
            return None
        states.append(_listing_state(alias, apps, mine, graph))
    return states


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
