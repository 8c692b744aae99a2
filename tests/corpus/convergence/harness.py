"""Shared machinery of the convergence tests: reset a scratch database, apply DDL and seed
rows, migrate it to a desired DDL, and check the result. One scratch database per backend is
reused (reset between cases) so the corpus stays fast."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
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


async def reset(cfg: DatabaseConfig, conn: Any = None) -> None:
    """Empty the database (every table, PostgreSQL enum types too)."""
    dialect = cfg.dialect
    async with connection(cfg, conn) as conn:
        if cfg.dialect_name in _RESET:
            for sql in _RESET[cfg.dialect_name]:
                await dialect.execute_raw(conn, sql)
            return
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
    """Column order aside (ADD COLUMN appends), the schema as a value to compare."""
    from dataclasses import replace

    return replace(
        schema,
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
    destructive: bool = False
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

    def diff_options(self, backend: str = "") -> DiffOptions:
        """As ``auto_migrate --desired-sql`` builds them: the options plus the renames the
        desired file declares (``-- @renamed from=old``)."""
        from fastapp.desired.read import declared_object_renames, declared_renames
        from fastapp.diff.compare import parse_column_renames, parse_table_renames

        tables, columns, objects = parse_table_renames(self.rename_tables), (), ()
        columns = parse_column_renames(self.renames)
        if backend:
            ddl = DesiredDDL(ddl_for(self.desired, backend), self.name, backend)
            declared_tables, declared_columns = declared_renames(ddl)
            tables += tuple(declared_tables)
            columns += tuple(declared_columns)
            objects = tuple(declared_object_renames(ddl))
        return DiffOptions(table_renames=tables, column_renames=columns, object_renames=objects)


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
    from fastapp.apply.executor import DestructiveRefusedError

    backend = cfg.dialect_name
    async with raw_connection(cfg) as conn:
        await reset(cfg, conn)
        await execute_script(cfg, ddl_for(case.current, backend, cfg.name), conn)
        await insert_rows(cfg, case.seed, conn)
        desired_ddl = DesiredDDL(ddl_for(case.desired, backend, cfg.name), case.name, backend)
        if case.refused:
            await check_refused(cfg, case, desired_ddl, conn)
            return
        desired = await desired_schema(cfg, desired_ddl, use_cache=False)
        options = ApplyOptions(guided=False, diff=case.diff_options(backend))
        before = await read(cfg, conn)
        plan = diff(before, desired, options.diff)
        noted = " ".join(plan.notes)
        missing_notes = [word for word in case.notes if word not in noted]
        assert not missing_notes, f"{case.name}/{backend}: notes lack {missing_notes}: {noted}"
        kinds = {op.kind for op in plan.ops}
        missing = set(case.ops) - kinds
        assert not missing, f"{case.name}/{backend}: plan lacks {missing}: {plan.describe()}"
        assert bool(plan.destructive_ops) == case.destructive, (
            f"{case.name}/{backend}: destructive={case.destructive} expected: {plan.describe()}"
        )
        if case.destructive:
            try:
                await migrate_database(cfg, desired, options)
            except DestructiveRefusedError:
                pass
            else:
                raise AssertionError(f"{case.name}/{backend}: destructive plan was not refused")
            assert await read(cfg, conn) == before, (
                f"{case.name}/{backend}: refusal changed the database"
            )
            options = ApplyOptions(guided=False, allow_destructive=True, diff=case.diff_options(backend))
        await migrate_database(cfg, desired, options)
        after = await read(cfg, conn)
        second = diff(after, desired, case.diff_options(backend))
        assert second.is_empty, f"{case.name}/{backend}: second diff not empty: {second.describe()}"
        assert comparable(after) == comparable(desired), f"{case.name}/{backend}: result differs"
        expected_rows = (
            case.rows if case.rows is not None else (None if case.destructive else case.seed)
        )
        if expected_rows:
            await check_rows(cfg, case, expected_rows, after, conn)
        if reference is not None:
            await check_against_reference(cfg, conn, reference, case)


async def check_refused(cfg: DatabaseConfig, case: Case, ddl: DesiredDDL, conn: Any) -> None:
    """The desired DDL is refused with one line naming what (every word of ``refused``),
    and the database is as it was, by the server's own report."""
    from fastapp.errors import FastappError
    from tests.corpus.catalog import snapshot

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


async def check_against_reference(
    cfg: DatabaseConfig, conn: Any, reference: DatabaseConfig, case: Case
) -> None:
    """The migrated database equals one built directly from the desired DDL, by the server's
    word (a case marked ``known_divergence`` for this backend must still differ)."""
    lines = await reference_differences(
        cfg, conn, reference, ddl_for(case.desired, cfg.dialect_name, reference.name)
    )
    known = case.known_divergence.get(cfg.dialect_name)
    if known is not None:
        assert lines, (
            f"{case.name}/{cfg.dialect_name}: now equal to the desired DDL built directly; "
            f"remove its known_divergence marker ({known})"
        )
        return
    assert not lines, (
        f"{case.name}/{cfg.dialect_name}: differs from the desired DDL built directly: "
        + "; ".join(lines)
    )


async def reference_differences(
    cfg: DatabaseConfig, conn: Any, reference: DatabaseConfig, desired_ddl: str
) -> list[str]:
    """Apply ``desired_ddl`` directly on ``reference``; what the database on ``conn`` differs in,
    as the server reports both (:mod:`tests.corpus.catalog`)."""
    from tests.corpus.catalog import differences, snapshot

    async with raw_connection(reference) as direct:
        await reset(reference, direct)
        await execute_script(reference, desired_ddl, direct)
        want = await snapshot(reference, direct)
    return differences(await snapshot(cfg, conn), want)


async def check_rows(
    cfg: DatabaseConfig, case: Case, expected: dict, after: Schema, conn: Any = None
) -> None:
    from fastapp.diff.compare import parse_column_renames, parse_table_renames

    renamed_tables = dict(parse_table_renames(case.rename_tables))
    renamed_columns = {}
    for table, old, new in parse_column_renames(case.renames):
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
