"""Shared machinery of the convergence tests: reset a scratch database, apply DDL and seed
rows, migrate it to a desired DDL, and check the result. One scratch database per backend is
reused (reset between cases) so the corpus stays fast."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from fastapp.apply.executor import ApplyOptions, migrate_database
from fastapp.connections.raw import raw_connection
from fastapp.connections.url import DatabaseConfig
from fastapp.desired.read import DesiredDDL, desired_schema
from fastapp.diff.compare import DiffOptions, diff
from fastapp.introspect import get_catalog_reader
from fastapp.schema.objects import Schema, Table
from fastapp.schema.sqltext import split_statements
from tests.corpus.catalog import Snapshot, snapshot


@asynccontextmanager
async def connection(cfg: DatabaseConfig, conn: Any = None) -> AsyncIterator[Any]:
    """``conn`` when given (one connection serves a whole case), else a new one."""
    if conn is not None:
        yield conn
        return
    async with raw_connection(cfg) as fresh:
        yield fresh


_RESET = {
    "postgres": ["DROP SCHEMA public CASCADE", "CREATE SCHEMA public"],
}


#: Queries giving the DROP statements of the objects that are no table's (a table's triggers
#: go with it; a SQLite view's with the view).
_DROP_OBJECTS = {
    "mysql": [
        "SELECT CONCAT('DROP VIEW `', REPLACE(table_name, '`', '``'), '`') FROM "
        "information_schema.views WHERE table_schema = DATABASE()",
        "SELECT CONCAT('DROP ', routine_type, ' `', REPLACE(routine_name, '`', '``'), '`') "
        "FROM information_schema.routines WHERE routine_schema = DATABASE()",
        "SELECT CONCAT('DROP EVENT `', REPLACE(event_name, '`', '``'), '`') FROM "
        "information_schema.events WHERE event_schema = DATABASE()",
        "SELECT CONCAT('DROP SEQUENCE `', REPLACE(table_name, '`', '``'), '`') FROM "
        "information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'SEQUENCE'",
    ],
    "sqlite": [
        "SELECT 'DROP VIEW \"' || replace(name, '\"', '\"\"') || '\"' FROM sqlite_master "
        "WHERE type = 'view' ORDER BY rowid DESC",
        # A virtual table takes its shadow tables with it.
        "SELECT 'DROP TABLE \"' || replace(name, '\"', '\"\"') || '\"' FROM pragma_table_list "
        "WHERE schema = 'main' AND type = 'virtual'",
    ],
}


async def reset(cfg: DatabaseConfig, conn: Any = None) -> None:
    """Empty the database (every table, PostgreSQL enum types too)."""
    dialect = cfg.dialect
    async with connection(cfg, conn) as conn:
        if cfg.dialect_name in _RESET:
            for sql in _RESET[cfg.dialect_name]:
                await dialect.execute_raw(conn, sql)
            return
        for sql in _DROP_OBJECTS.get(cfg.dialect_name, ()):  # views before tables
            for drop in await dialect.fetch_scalar_list(conn, sql):
                await dialect.execute_raw(conn, drop)
        names = await dialect.fetch_scalar_list(conn, dialect.list_tables_sql)
        if cfg.dialect_name == "mysql":
            await dialect.execute_raw(conn, "SET FOREIGN_KEY_CHECKS = 0")
            if names:
                await dialect.execute_raw(
                    conn, "DROP TABLE " + ", ".join(dialect.quote(n) for n in names)
                )
            await dialect.execute_raw(conn, "SET FOREIGN_KEY_CHECKS = 1")
        else:
            await dialect.execute_raw(conn, "PRAGMA foreign_keys = OFF")
            for name in names:
                await dialect.execute_raw(conn, f"DROP TABLE {dialect.quote(name)}")
            await dialect.execute_raw(conn, "PRAGMA foreign_keys = ON")


async def fast_commits(cfg: DatabaseConfig) -> None:
    """Test databases only: PostgreSQL commits without waiting for the WAL flush (every DDL
    statement outside a transaction is a commit; durability does not matter here)."""
    if cfg.dialect_name != "postgres":
        return
    async with raw_connection(cfg) as conn:
        await conn.execute(f'ALTER DATABASE "{cfg.name}" SET synchronous_commit = off')


async def execute_script(cfg: DatabaseConfig, sql: str, conn: Any = None) -> None:
    dialect = cfg.dialect
    async with connection(cfg, conn) as conn:
        if cfg.dialect_name == "sqlite":
            await conn.executescript(sql)  # trigger bodies hold semicolons
            return
        for statement in split_statements(sql, dialect.sqlglot_name):
            await dialect.execute_raw(conn, statement)


async def insert_rows(cfg: DatabaseConfig, seed: dict[str, list[dict]], conn: Any = None) -> None:
    dialect = cfg.dialect
    async with connection(cfg, conn) as conn:
        for table, rows in seed.items():
            for row in rows:
                cols = ", ".join(dialect.quote(c) for c in row)
                values = ", ".join(_literal(v) for v in row.values())
                await dialect.execute_raw(
                    conn, f"INSERT INTO {dialect.quote(table)} ({cols}) VALUES ({values})"
                )


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


async def fetch(cfg: DatabaseConfig, sql: str, conn: Any = None) -> list[tuple]:
    async with connection(cfg, conn) as conn:
        if cfg.dialect_name == "postgres":
            return [tuple(r) for r in await conn.fetch(sql)]
        if cfg.dialect_name == "mysql":
            async with conn.cursor() as cur:
                await cur.execute(sql)
                return [tuple(r) for r in await cur.fetchall()]
        async with conn.execute(sql) as cur:
            return [tuple(r) for r in await cur.fetchall()]


async def read(cfg: DatabaseConfig, conn: Any = None) -> Schema:
    async with connection(cfg, conn) as conn:
        return await get_catalog_reader(cfg.dialect_name).read(conn)


def comparable(schema: Schema) -> Schema:
    """Column order aside (ADD COLUMN appends), the schema as a value to compare. Objects
    that are no table's (views, functions...) aside too: the live ones the desired side does
    not mention are kept (the notes say them), a desired one missing or different is refused
    by the second diff, and the catalog snapshot compares them by the server's word."""

    return replace(
        schema,
        objects=(),
        tables=tuple(
            replace(t, columns=tuple(sorted(t.columns, key=lambda c: c.name)))
            for t in schema.tables
        ),
    )


def norm(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
        return int(number) if math.isfinite(number) and number == int(number) else round(number, 6)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        try:
            return norm(Decimal(value))
        except Exception:
            return value
    return str(value)


@dataclass
class Case:
    name: str
    current: str
    desired: str
    backends: tuple[str, ...] = ("sqlite", "postgres", "mysql")
    seed: dict[str, list[dict]] = field(default_factory=dict)
    renames: tuple[str, ...] = ()
    rename_tables: tuple[str, ...] = ()
    #: Whether the plan is destructive; ``None``: whatever the plan says (a mirror).
    destructive: bool | None = False
    #: Op kinds that must appear in the plan (proves the case exercises what it says).
    ops: tuple[str, ...] = ()
    #: Expected rows after the migration, when they differ from the seed: {table: [row...]}.
    rows: dict[str, list[dict]] | None = None
    #: {backend: why}: the migrated database still differs from the desired DDL built
    #: directly, as that server reports it (issue 14). The check must keep failing until the
    #: engine is fixed; then the marker goes.
    known_divergence: dict[str, str] = field(default_factory=dict)
    #: Words the refusal must contain (the table, object and clause): fastapp cannot carry
    #: what the desired DDL says, so it must refuse by name and change nothing (issue 14).
    refused: tuple[str, ...] = ()
    #: Words the plan's notes must contain: the live database keeps something fastapp does
    #: not model, which the desired side does not mention; the plan says so.
    notes: tuple[str, ...] = ()
    #: Why the case has no mirror (desired -> current), for every backend or {backend: why}.
    #: Every other case also runs mirrored: see :meth:`mirrored`.
    mirror: str | dict[str, str] | None = None
    #: Rows for the mirror's current side (the forward desired schema), when the default
    #: (the forward ``rows``, else the forward seed of a non-destructive case) is not wanted.
    mirror_seed: dict[str, list[dict]] | None = None
    #: Op kinds the mirror's plan must contain (none asserted unless given).
    mirror_ops: tuple[str, ...] = ()
    #: ``refused`` of the mirror: its desired side (the forward current) is what fastapp
    #: refuses by name.
    mirror_refused: tuple[str, ...] = ()
    #: ``known_divergence`` of the mirror.
    mirror_known_divergence: dict[str, str] = field(default_factory=dict)
    #: On a mirror: the forward case it reverses (its renames, turned around, are the mirror's).
    forward: Case | None = None

    def mirrors_on(self, backend: str) -> bool:
        if isinstance(self.mirror, dict):
            return backend not in self.mirror
        return self.mirror is None

    def mirrored(self) -> Case:
        """desired -> current: the sides swapped, the renames turned around (new=old); the
        plan is destructive when it says so, and runs with --allow-destructive (the refusal
        without it is the forward destructive cases' to check). Seeded with rows that fit the
        forward desired schema: ``mirror_seed``, else the rows the forward run leaves
        (``rows``, or the seed when the forward plan keeps it), so a non-destructive mirror
        must keep them too."""
        if self.mirror_seed is not None:
            seed = self.mirror_seed
        elif self.rows is not None:
            seed = self.rows
        else:
            seed = {} if self.destructive else self.seed
        return Case(
            name=f"{self.name} (mirror)",
            current=self.desired,
            desired=self.current,
            backends=self.backends,
            seed=seed,
            destructive=None,
            ops=self.mirror_ops,
            refused=self.mirror_refused,
            known_divergence=self.mirror_known_divergence,
            forward=self,
        )

    def seed_rows(self, backend: str) -> dict[str, list[dict]]:
        """The rows to insert before migrating; a mirror's, under the forward desired names."""
        if self.forward is None:
            return self.seed
        return _renamed_rows(self.seed, self.forward.diff_options(backend))

    def diff_options(self, backend: str = "") -> DiffOptions:
        """As ``auto_migrate --desired-sql`` builds them: the options plus the renames the
        desired file declares (``-- @renamed from=old``). A mirror's are its forward case's,
        turned around."""
        from fastapp.desired.read import declared_object_renames, declared_renames
        from fastapp.diff.compare import parse_column_renames, parse_table_renames

        if self.forward is not None:
            return _reversed(self.forward.diff_options(backend))
        tables, columns, objects = parse_table_renames(self.rename_tables), (), ()
        columns = parse_column_renames(self.renames)
        if backend:
            ddl = DesiredDDL(ddl_for(self.desired, backend), self.name, backend)
            declared_tables, declared_columns = declared_renames(ddl)
            tables += tuple(declared_tables)
            columns += tuple(declared_columns)
            objects = tuple(declared_object_renames(ddl))
        return DiffOptions(table_renames=tables, column_renames=columns, object_renames=objects)


def _reversed(options: DiffOptions) -> DiffOptions:
    """The renames of ``options`` undone: old=new becomes new=old. A declared object rename
    names the desired table, which is the current one seen from the other side."""

    back = {new: old for old, new in options.table_renames}
    return replace(
        options,
        table_renames=tuple((new, old) for old, new in options.table_renames),
        column_renames=tuple((table, new, old) for table, old, new in options.column_renames),
        object_renames=tuple(
            (back.get(table, table), new, old) for table, old, new in options.object_renames
        ),
    )


def _renamed_rows(rows: dict[str, list[dict]], options: DiffOptions) -> dict[str, list[dict]]:
    """``rows`` written with current names (a seed), with the desired names instead."""
    tables = dict(options.table_renames)
    columns = {}
    for table, old, new in options.column_renames:
        columns[(tables.get(table, table), old)] = new
    renamed = {}
    for table, table_rows in rows.items():
        name = tables.get(table, table)
        renamed[name] = [{columns.get((name, k), k): v for k, v in row.items()} for row in table_rows]
    return renamed


def ddl_for(value: Any, backend: str, database: str = "") -> str:
    """The case's DDL for ``backend``; ``${database}`` stands for the database's name (a
    MySQL file qualifying its tables with it)."""
    if isinstance(value, dict):
        value = value.get(backend, value.get("default", ""))
    return (value or "").replace("${database}", database)


async def run_case(
    cfg: DatabaseConfig, case: Case, reference: DatabaseConfig | None = None
) -> None:
    """The convergence contract for one case on one backend (asserts).

    With ``reference`` (a second scratch database of the same server), the desired DDL is also
    applied there directly, and the two databases must be equal as the server itself reports
    them (:mod:`tests.corpus.catalog`), not only as fastapp's catalog reader sees them.
    """

    backend = cfg.dialect_name
    async with raw_connection(cfg) as conn:
        await reset(cfg, conn)
        await execute_script(cfg, ddl_for(case.current, backend, cfg.name), conn)
        seed = case.seed_rows(backend)
        await insert_rows(cfg, seed, conn)
        desired_ddl = DesiredDDL(ddl_for(case.desired, backend, cfg.name), case.name, backend)
        if case.refused:
            await check_refused(cfg, case, desired_ddl, conn)
            return
        # The database built directly from the desired DDL, made while this one migrates.
        direct = None
        if reference is not None:
            ddl = ddl_for(case.desired, backend, reference.name)
            direct = asyncio.create_task(reference_snapshot(reference, ddl))
        try:
            await migrate_and_check(cfg, case, conn, desired_ddl, seed)
            if direct is not None:
                check_against_reference(case, backend, await direct, await snapshot(cfg, conn))
        finally:
            if direct is not None:  # never leave it running into the next case's reset
                await asyncio.gather(direct, return_exceptions=True)


async def migrate_and_check(
    cfg: DatabaseConfig, case: Case, conn: Any, desired_ddl: DesiredDDL, seed: dict
) -> None:
    """Migrate the database on ``conn`` to ``desired_ddl`` as ``case`` says; check the plan,
    that a second diff is empty, and the rows."""
    from fastapp.apply.executor import DestructiveRefusedError

    backend = cfg.dialect_name
    wanted: Any = desired_schema(cfg, desired_ddl, use_cache=False)
    if case.destructive:
        wanted = await wanted
        await check_destructive_refused(cfg, case, wanted, conn)
    # As auto_migrate does it: the desired side is built while the live side is read. A
    # mirror (destructive=None) runs with --allow-destructive whatever its plan is.
    options = ApplyOptions(
        guided=False,
        allow_destructive=case.destructive is not False,
        diff=case.diff_options(backend),
    )
    try:
        plan = (await migrate_database(cfg, wanted, options)).plan
    except DestructiveRefusedError as exc:
        raise AssertionError(f"{case.name}/{backend}: destructive=False expected: {exc}") from None
    desired = plan.desired
    noted = " ".join(plan.notes)
    missing_notes = [word for word in case.notes if word not in noted]
    assert not missing_notes, f"{case.name}/{backend}: notes lack {missing_notes}: {noted}"
    kinds = {op.kind for op in plan.ops}
    missing = set(case.ops) - kinds
    assert not missing, f"{case.name}/{backend}: plan lacks {missing}: {plan.describe()}"
    destructive = bool(plan.destructive_ops)
    if case.destructive is not None:
        assert destructive == case.destructive, (
            f"{case.name}/{backend}: destructive={case.destructive} expected: {plan.describe()}"
        )
    after = await read(cfg, conn)
    second = diff(after, desired, options.diff)
    assert second.is_empty, f"{case.name}/{backend}: second diff not empty: {second.describe()}"
    assert comparable(after) == comparable(desired), f"{case.name}/{backend}: result differs"
    expected_rows = case.rows if case.rows is not None else (None if destructive else seed)
    if expected_rows:
        await check_rows(cfg, case, expected_rows, after, conn)


async def check_destructive_refused(
    cfg: DatabaseConfig, case: Case, desired: Schema, conn: Any
) -> None:
    """Without --allow-destructive, the destructive plan is refused and nothing changes."""
    from fastapp.apply.executor import DestructiveRefusedError

    backend = cfg.dialect_name
    before = await read(cfg, conn)
    plan = diff(before, desired, case.diff_options(backend))
    assert plan.destructive_ops, f"{case.name}/{backend}: destructive expected: {plan.describe()}"
    try:
        await migrate_database(cfg, desired, ApplyOptions(guided=False, diff=case.diff_options(backend)))
    except DestructiveRefusedError:
        pass
    else:
        raise AssertionError(f"{case.name}/{backend}: destructive plan was not refused")
    assert await read(cfg, conn) == before, f"{case.name}/{backend}: refusal changed the database"


async def check_refused(cfg: DatabaseConfig, case: Case, ddl: DesiredDDL, conn: Any) -> None:
    """The desired DDL is refused with one line naming what (every word of ``refused``),
    and the database is as it was, by the server's own report."""
    from fastapp.errors import FastappError

    before = await snapshot(cfg, conn)
    options = ApplyOptions(guided=False, allow_destructive=True, diff=case.diff_options(cfg.dialect_name))
    try:
        desired = await desired_schema(cfg, ddl, use_cache=False)
        await migrate_database(cfg, desired, options)
    except FastappError as exc:
        message = str(exc)
        assert "\n" not in message.strip(), f"{case.name}/{cfg.dialect_name}: {message}"
        lacking = [w for w in case.refused if w.lower() not in message.lower()]
        assert not lacking, f"{case.name}/{cfg.dialect_name}: {lacking} not in {message!r}"
    else:
        raise AssertionError(f"{case.name}/{cfg.dialect_name}: was not refused")
    assert await snapshot(cfg, conn) == before, f"{case.name}/{cfg.dialect_name}: changed"


def check_against_reference(case: Case, backend: str, want: Snapshot, got: Snapshot) -> None:
    """The migrated database (``got``) equals one built directly from the desired DDL
    (``want``), by the server's word (a case marked ``known_divergence`` for this backend
    must still differ)."""
    from tests.corpus.catalog import differences

    lines = differences(got, want)
    known = case.known_divergence.get(backend)
    if known is not None:
        assert lines, (
            f"{case.name}/{backend}: now equal to the desired DDL built directly; "
            f"remove its known_divergence marker ({known})"
        )
        return
    assert not lines, (
        f"{case.name}/{backend}: differs from the desired DDL built directly: " + "; ".join(lines)
    )


async def reference_snapshot(reference: DatabaseConfig, desired_ddl: str) -> Snapshot:
    """Apply ``desired_ddl`` directly on the emptied ``reference``; the server's report of it."""
    async with raw_connection(reference) as direct:
        await reset(reference, direct)
        await execute_script(reference, desired_ddl, direct)
        return await snapshot(reference, direct)


async def reference_differences(
    cfg: DatabaseConfig, conn: Any, reference: DatabaseConfig, desired_ddl: str
) -> list[str]:
    """Apply ``desired_ddl`` directly on ``reference``; what the database on ``conn`` differs in,
    as the server reports both (:mod:`tests.corpus.catalog`)."""
    from tests.corpus.catalog import differences

    want = await reference_snapshot(reference, desired_ddl)
    return differences(await snapshot(cfg, conn), want)


async def check_rows(
    cfg: DatabaseConfig, case: Case, expected: dict, after: Schema, conn: Any = None
) -> None:
    options = case.diff_options(cfg.dialect_name)
    renamed_tables = dict(options.table_renames)
    renamed_columns = {}
    for table, old, new in options.column_renames:
        renamed_columns[(renamed_tables.get(table, table), old)] = new
    q = cfg.dialect.quote
    for table, rows in expected.items():
        if not rows:
            continue
        name = renamed_tables.get(table, table)
        live: Table | None = after.table(name)
        assert live is not None, f"{case.name}: table {name} is gone"
        columns = [renamed_columns.get((name, c), c) for c in rows[0]]
        columns = [c for c in columns if live.column(c) is not None]
        order = q(columns[0])
        got = await fetch(
            cfg, f"SELECT {', '.join(q(c) for c in columns)} FROM {q(name)} ORDER BY {order}", conn
        )
        want = sorted(
            (
                tuple(
                    norm(v) for k, v in row.items() if renamed_columns.get((name, k), k) in columns
                )
                for row in rows
            ),
            key=lambda r: (r[0] is None, r[0]),
        )
        assert [tuple(norm(v) for v in r) for r in got] == want, (
            f"{case.name}/{cfg.dialect_name}: rows of {name}"
        )
