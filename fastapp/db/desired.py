"""The desired side: DDL (from the models or a file) applied in a scratch space and read back
with the same dumper as the live database, so both sides are normalized by the same code.

Scratch spaces, one strategy per backend (found by dialect name, like every dialect difference):

* PostgreSQL: a temporary schema inside a transaction on the target server, rolled back;
* MySQL/MariaDB: a scratch database with the target's charset and collation, always dropped;
* SQLite: an in-memory database.

A statement the scratch space rejects is reported with the file (or model source), the line
it starts on and the database's message; nothing is left behind.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from fastapp.db.sqltext import split_statements
from fastapp.errors import FastappError, SchemaError

if TYPE_CHECKING:
    from fastapp.db.schema import Schema
    from fastapp.db.url import DatabaseConfig


class DesiredSchemaError(SchemaError):
    """The desired DDL cannot be read or applied in the scratch space."""


@dataclass(frozen=True)
class TableDDL:
    """One table's statements and the tables its foreign keys reference."""

    name: str
    statements: tuple[str, ...]
    references: frozenset[str]


@dataclass(frozen=True)
class DesiredDDL:
    """DDL text and where it came from (for messages): a file path or ``models``."""

    text: str
    source: str
    dialect: str
    #: The statements when already known (generated DDL): no second tokenizer pass.
    parts: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    #: Generated DDL: the statements of each table, in creation order, so unchanged tables
    #: come from the cache and only changed ones are created in the scratch space.
    tables: tuple[TableDDL, ...] | None = field(default=None, compare=False, repr=False)

    def statements(self) -> list[tuple[int, str]]:
        """``(line, statement)`` pairs; a script the tokenizer rejects raises with its line."""
        parts = self.parts
        if parts is None:
            try:
                parts = tuple(split_statements(self.text, _sqlglot_name(self.dialect)))
            except Exception as exc:
                raise DesiredSchemaError(
                    f"{self.source}: cannot read the SQL: {_first_line(exc)}"
                ) from exc
        found, position, line = [], 0, 1
        for part in parts:
            start = self.text.find(part, position)
            start = position if start < 0 else start
            line += self.text.count("\n", position, start)
            found.append((line, part))
            line += part.count("\n")
            position = start + len(part)
        return found

    def error(self, line: int, statement: str, exc: BaseException) -> DesiredSchemaError:
        head = " ".join(statement.split())[:60]
        return DesiredSchemaError(
            f"{self.source}:{line}: {_first_line(exc)} (in: {head}...); fix the statement"
        )


def read_ddl_file(path: str | Path, dialect: str) -> DesiredDDL:
    """A desired DDL file; missing or unreadable files raise one clear line."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise FastappError(
            f"cannot read --desired-sql {str(target)!r}: {exc.strerror or exc}"
        ) from exc
    return DesiredDDL(text, str(target), dialect)


async def desired_schema(cfg: DatabaseConfig, ddl: DesiredDDL, *, use_cache: bool = True) -> Schema:
    """Apply ``ddl`` in a scratch space next to ``cfg`` and read it back as a Schema.

    Results are cached by DDL text, server and reader code (:mod:`fastapp.db.desired_cache`),
    so an unchanged desired schema costs one small query instead of creating every table.
    Generated DDL is also cached table by table: after a change only the changed tables (and
    the tables their foreign keys need) are created in the scratch space.
    """
    from fastapp.db import desired_cache

    strategy = SCRATCH[cfg.dialect_name]()
    if not use_cache or desired_cache.cache_dir() is None:
        return await _scratch_read(strategy, cfg, ddl)
    server = await strategy.server_identity(cfg)
    entry = desired_cache.key(cfg.dialect_name, server, ddl.text)
    hit = desired_cache.load(entry)
    if hit is not None:
        return hit
    if ddl.tables is not None:
        schema = await _read_by_table(cfg, ddl, strategy, server)
    else:
        schema = await _scratch_read(strategy, cfg, ddl)
    desired_cache.store(entry, schema)
    return schema


async def _read_by_table(
    cfg: DatabaseConfig, ddl: DesiredDDL, strategy: Scratch, server: str
) -> Schema:
    """Cached tables as they are; the others created in the scratch space with the tables
    their foreign keys reference (transitively), then cached one by one."""
    from dataclasses import replace

    from fastapp.db import desired_cache
    from fastapp.db.schema import Schema, Table

    assert ddl.tables is not None
    keys = {
        t.name: desired_cache.key(cfg.dialect_name, server, "table\0" + ";\n".join(t.statements))
        for t in ddl.tables
    }
    found: dict[str, Table] = {}
    for t in ddl.tables:
        cached = desired_cache.load_table(keys[t.name])
        if cached is not None and cached.name == t.name:
            found[t.name] = cached
    missing = [t for t in ddl.tables if t.name not in found]
    if missing:
        by_name = {t.name: t for t in ddl.tables}
        needed: set[str] = set()
        todo = [t.name for t in missing]
        while todo:
            name = todo.pop()
            if name in needed or name not in by_name:
                continue
            needed.add(name)
            todo.extend(by_name[name].references)
        parts = tuple(s for t in ddl.tables if t.name in needed for s in t.statements)
        text = "\n".join(f"{s};" for s in parts)
        tables = tuple(t for t in ddl.tables if t.name in needed)
        partial = await _scratch_read(
            strategy, cfg, replace(ddl, text=text, parts=parts, tables=tables)
        )
        if partial.enums:  # schema-level objects: not cacheable per table
            return await _scratch_read(strategy, cfg, ddl)
        for t in missing:
            table = partial.table(t.name)
            if table is None:
                return await _scratch_read(strategy, cfg, ddl)
            found[t.name] = table
            desired_cache.store_table(keys[t.name], table)
    return Schema(cfg.dialect_name, tuple(found[t.name] for t in ddl.tables))


async def _scratch_read(strategy: Scratch, cfg: DatabaseConfig, ddl: DesiredDDL) -> Schema:
    """``strategy.read`` with driver failures (rights, server limits) as one clear line."""
    try:
        return await strategy.read(cfg, ddl)
    except FastappError:
        raise
    except Exception as exc:
        raise DesiredSchemaError(
            f"cannot build the desired schema in a {strategy.scratch_kind} on {cfg.url()}: "
            f"{cfg.mask(_first_line(exc))} (the user needs the right to {strategy.needs})"
        ) from exc


def _sqlglot_name(dialect: str) -> str:
    from fastapp.db.dialects import get_dialect

    return get_dialect(dialect).sqlglot_name


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _dumper(dialect: str, namespace: str | None = None):
    from fastapp.db.dumpers import get_dumper

    return get_dumper(dialect, namespace=namespace)


class Scratch:
    """Applies DDL somewhere disposable and reads it back."""

    dialect_name: ClassVar[str]
    #: For messages: where the desired DDL is applied, and the right that takes.
    scratch_kind: ClassVar[str] = "scratch space"
    needs: ClassVar[str] = "create tables"
    #: The backend accepts a foreign key to a table created later in the same script
    #: (SQLite always; MySQL with foreign key checks off, as the scratch database runs).
    forward_references: ClassVar[bool] = True

    @classmethod
    def cyclic_script(cls, tables: Sequence[Any]) -> tuple[str, ...]:
        """The statements of generated ``tables`` whose foreign keys form a cycle.

        Where forward references are accepted, tables simply come in name order. Elsewhere
        (PostgreSQL) the tables come in dependency order; a table stuck in a cycle is created
        without its column references to tables not yet created, which are added with
        ``ALTER TABLE ... ADD FOREIGN KEY`` at the end.
        """
        if cls.forward_references:
            return tuple(s for t in sorted(tables, key=lambda t: t.table) for s in t.statements)
        by_name = {t.table: t for t in tables}
        done: set[str] = set()
        parts: list[str] = []
        deferred: list[str] = []
        while len(done) < len(by_name):
            ready = sorted(
                n
                for n, t in by_name.items()
                if n not in done and (t.references & by_name.keys()) <= done | {n}
            )
            if ready:
                name = ready[0]
                parts.extend(by_name[name].statements)
            else:
                name = min(n for n in by_name if n not in done)
                create, *rest = by_name[name].statements
                keep = (
                    done | {name} | (set().union(*(t.references for t in tables)) - by_name.keys())
                )
                create, later = _split_references(create, keep, cls.dialect_name)
                parts.append(create)
                parts.extend(rest)
                deferred.extend(later)
            done.add(name)
        return tuple(parts + deferred)

    async def read(self, cfg: DatabaseConfig, ddl: DesiredDDL) -> Schema:
        raise NotImplementedError

    async def server_identity(self, cfg: DatabaseConfig) -> str:
        """What, besides the DDL, shapes the Schema read back (for the cache key)."""
        from fastapp.db.context import raw_connection

        async with raw_connection(cfg) as conn:
            values = await cfg.dialect.fetch_scalar_list(conn, self.identity_sql)
        return "|".join(str(v) for v in values)

    identity_sql: ClassVar[str] = "SELECT 1"

    async def apply_each(self, dialect: Any, conn: Any, ddl: DesiredDDL) -> None:
        for line, statement in ddl.statements():
            try:
                await dialect.execute_raw(conn, statement)
            except Exception as exc:
                raise ddl.error(line, statement, exc) from exc


class PostgresScratch(Scratch):
    """A temporary schema, built on several connections at once and always removed.

    Small schemas are created in one transaction that is rolled back (nothing to drop).
    Every object created in a transaction holds a lock until its end, and the server's lock
    table is shared and bounded (``max_locks_per_transaction`` x connections, 6,400 slots by
    default): a desired schema of more than :attr:`BATCH_LIMIT` statements is therefore
    created in committed batches in a scratch schema that is dropped afterwards (``finally``:
    also on errors). Creating a table costs the server milliseconds of catalog work, so those
    batches run on :attr:`WORKERS` connections in parallel, level by level: a table is
    created once every table its foreign keys reference is committed. The scratch sessions
    skip waiting for the WAL flush (``synchronous_commit = off``): nothing they write is kept.
    """

    dialect_name = "postgres"
    forward_references = False
    scratch_kind = "temporary schema"
    needs = "create schemas in the database (GRANT CREATE ON DATABASE ...)"
    identity_sql = (
        "SELECT version() UNION ALL SELECT current_setting('server_encoding') UNION ALL "
        "SELECT string_agg(extname || extversion, ',' ORDER BY extname) FROM pg_extension"
    )
    BATCH_LIMIT = 100
    #: Connections creating tables at once (the server's catalog work runs on several cores).
    WORKERS = 3
    #: Statements per committed batch, at most; fewer when the lock table is small.
    BATCH = 300
    #: Lock-table slots one statement may hold (a table: itself, its TOAST table and index,
    #: sequences, one index per key), with a safety margin for other sessions.
    LOCKS_PER_STATEMENT = 10
    _LOCK_SLOTS_SQL = (
        "SELECT current_setting('max_locks_per_transaction')::int * "
        "(current_setting('max_connections')::int + "
        "current_setting('max_prepared_transactions')::int)"
    )

    async def read(self, cfg: DatabaseConfig, ddl: DesiredDDL) -> Schema:
        from fastapp.db.context import raw_connection

        namespace = f"fastapp_scratch_{uuid.uuid4().hex[:12]}"
        statements = ddl.statements()
        async with raw_connection(cfg) as conn:
            if len(statements) > self.BATCH_LIMIT:
                return await self._batched(cfg, conn, namespace, ddl, statements)
            transaction = conn.transaction()
            await transaction.start()
            try:
                await conn.execute(f'CREATE SCHEMA "{namespace}"')
                await conn.execute(f'SET LOCAL search_path TO "{namespace}", public')
                await self._apply(conn, ddl, statements)
                return _unqualified(await _dumper("postgres", namespace).dump(conn))
            finally:
                await transaction.rollback()

    async def _apply(self, conn: Any, ddl: DesiredDDL, statements: Sequence) -> None:
        script = ";\n".join(s for _, s in statements)
        if not script:
            return
        await conn.execute("SAVEPOINT whole_script")
        try:
            await conn.execute(script)  # one round trip for the whole batch
        except Exception:
            await conn.execute("ROLLBACK TO SAVEPOINT whole_script")
            for line, statement in statements:
                try:
                    await conn.execute(statement)
                except Exception as exc:
                    raise ddl.error(line, statement, exc) from exc
            raise

    async def _batched(
        self, cfg: DatabaseConfig, conn: Any, namespace: str, ddl: DesiredDDL, statements: Sequence
    ) -> Schema:
        from contextlib import AsyncExitStack

        from fastapp.db.context import raw_connection

        await conn.execute("SET synchronous_commit = off")
        await conn.execute(f'CREATE SCHEMA "{namespace}"')
        workers = [conn]
        built = False
        async with AsyncExitStack() as stack:
            try:
                (slots,) = await cfg.dialect.fetch_scalar_list(conn, self._LOCK_SLOTS_SQL)
                # Half the lock table at most, shared by the workers: other sessions need some.
                batch = max(
                    1, min(self.BATCH, slots // (2 * self.WORKERS * self.LOCKS_PER_STATEMENT))
                )
                levels = _levels(ddl, statements)
                for _ in range(min(self.WORKERS, max(len(level) for level in levels)) - 1):
                    workers.append(await stack.enter_async_context(raw_connection(cfg)))
                setup = f'SET search_path TO "{namespace}", public; SET synchronous_commit = off'
                await _all(w.execute(setup) for w in workers)
                for level in levels:
                    share = -(-len(level) // len(workers))
                    await _all(
                        self._committed(
                            w,
                            ddl,
                            [p for t in level[i * share : (i + 1) * share] for p in t],
                            batch,
                        )
                        for i, w in enumerate(workers)
                    )
                built = True
                return _unqualified(await _dumper("postgres", namespace).dump(conn))
            finally:
                groups = _drop_groups(ddl, len(workers)) if built else None
                if groups is None:
                    await self._drop(conn, namespace)
                else:  # no shared locks between the groups: dropped side by side
                    await _all(
                        self._drop(w, namespace, tables, step=max(1, batch // 2))
                        for w, tables in zip(workers, groups, strict=True)
                    )
                    await conn.execute(f'DROP SCHEMA "{namespace}" CASCADE')

    async def _committed(self, conn: Any, ddl: DesiredDDL, statements: Sequence, batch: int):
        """``statements`` in scripts of ``batch``, each its own transaction (one round trip)."""
        for start in range(0, len(statements), batch):
            part = statements[start : start + batch]
            try:
                await conn.execute(";\n".join(s for _, s in part))
            except Exception:
                for line, statement in part:  # the script was rolled back: find the culprit
                    try:
                        await conn.execute(statement)
                    except Exception as exc:
                        raise ddl.error(line, statement, exc) from exc
                raise

    async def _drop(
        self, conn: Any, namespace: str, tables: list[str] | None = None, step: int = 0
    ) -> None:
        """Drop ``tables`` (all the scratch schema's, and the schema itself, by default) in
        committed batches: dropping everything at once would need a lock per object."""
        await conn.execute("RESET search_path")
        whole = tables is None
        if tables is None:
            rows = await conn.fetch(
                "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') "
                "ORDER BY c.oid DESC",
                namespace,
            )
            tables = [r[0] for r in rows]
        names = [f'"{namespace}"."{t.replace(chr(34), chr(34) * 2)}"' for t in tables]
        step = step or max(1, self.BATCH // 3)
        for start in range(0, len(names), step):
            await conn.execute(
                f"DROP TABLE IF EXISTS {', '.join(names[start : start + step])} CASCADE"
            )
        if whole:
            await conn.execute(f'DROP SCHEMA "{namespace}" CASCADE')


def _drop_groups(ddl: DesiredDDL, count: int) -> list[list[str]] | None:
    """The script's tables in ``count`` groups with no foreign key between two groups (each
    group newest first), so they can be dropped on separate connections without waiting on
    (or deadlocking with) each other; ``None`` when that cannot be known or guaranteed (no
    per-table DDL, or references to tables outside the script, e.g. live ones)."""
    if ddl.tables is None or count < 2:
        return None
    names = {t.name for t in ddl.tables}
    parent = {name: name for name in names}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for table in ddl.tables:
        for ref in table.references:
            if ref not in names:
                return None
            parent[root(ref)] = root(table.name)
    components: dict[str, list[str]] = {}
    for table in ddl.tables:
        components.setdefault(root(table.name), []).append(table.name)
    groups: list[list[str]] = [[] for _ in range(count)]
    for members in sorted(components.values(), key=len, reverse=True):
        min(groups, key=len).extend(members)
    order = {t.name: i for i, t in enumerate(ddl.tables)}
    return [sorted(g, key=order.__getitem__, reverse=True) for g in groups]


async def _all(coroutines: Any) -> None:
    """Run ``coroutines`` together; on the first failure the others are cancelled (their
    connections free again) and that failure is raised as it is."""
    try:
        async with asyncio.TaskGroup() as group:
            for coroutine in coroutines:
                group.create_task(coroutine)
    except BaseExceptionGroup as failures:
        first = failures.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from first.__cause__


def _levels(ddl: DesiredDDL, statements: Sequence) -> list[list[list]]:
    """Levels of tables, each table its ``(line, statement)`` pairs: the tables of a level
    only need those of the levels before it, so a level's tables may go to any connection.

    A table's level is one more than the highest level among the tables its foreign keys
    reference (tables outside the script do not count). Without per-table DDL (a file, or
    foreign keys in a cycle) the whole script is one unit, run in order on one connection.
    """
    if ddl.tables is None or sum(len(t.statements) for t in ddl.tables) != len(statements):
        return [[list(statements)]]
    level_of: dict[str, int] = {}
    levels: list[list[list]] = []
    pairs = iter(statements)
    for table in ddl.tables:  # creation order: referenced tables come first
        level = 1 + max(
            (level_of[r] for r in table.references if r in level_of and r != table.name),
            default=-1,
        )
        level_of[table.name] = level
        while len(levels) <= level:
            levels.append([])
        levels[level].append([next(pairs) for _ in table.statements])
    return levels


#: The live schema (the dumpers' default): scratch tables referencing live ones (``--apps``
#: leaves the other apps' tables out of the scratch schema) see them as ``public.<name>``.
LIVE_NAMESPACE = "public"


def _unqualified(schema: Schema) -> Schema:
    """References from the scratch schema to the live one, written as the live side has them."""
    from dataclasses import replace

    prefix = f"{LIVE_NAMESPACE}."

    def bare(name: str | None) -> str | None:
        return name[len(prefix) :] if name and name.startswith(prefix) else name

    tables = []
    for table in schema.tables:
        fks = tuple(replace(fk, ref_table=bare(fk.ref_table)) for fk in table.foreign_keys)
        columns = tuple(replace(c, enum_name=bare(c.enum_name)) for c in table.columns)
        tables.append(replace(table, foreign_keys=fks, columns=columns))
    enums = tuple(replace(e, name=bare(e.name)) for e in schema.enums)
    return replace(schema, tables=tuple(tables), enums=enums)


class MySQLScratch(Scratch):
    """A scratch database with the target database's defaults, dropped afterwards; tables
    are created on :attr:`WORKERS` connections at once (InnoDB creates a file per table)."""

    dialect_name = "mysql"
    WORKERS = 3
    scratch_kind = "scratch database"
    needs = "create and drop databases (GRANT CREATE, DROP ON *.* ...)"
    identity_sql = (
        "SELECT VERSION() UNION ALL SELECT CONCAT(default_character_set_name, ' ', "
        "default_collation_name) FROM information_schema.schemata WHERE schema_name = DATABASE()"
    )

    async def read(self, cfg: DatabaseConfig, ddl: DesiredDDL) -> Schema:
        from contextlib import AsyncExitStack

        from fastapp.db.context import raw_connection

        dialect = cfg.dialect
        scratch = cfg.with_name(f"fastapp_scratch_{uuid.uuid4().hex[:12]}")
        statements = ddl.statements()
        async with raw_connection(cfg) as conn:
            rows = await _fetch_rows(
                conn,
                "SELECT default_character_set_name, default_collation_name "
                "FROM information_schema.schemata WHERE schema_name = DATABASE()",
            )
            charset, collation = rows[0] if rows else ("utf8mb4", "utf8mb4_unicode_ci")
            await dialect.execute_raw(
                conn,
                f"CREATE DATABASE {dialect.quote(scratch.name)} "
                f"CHARACTER SET {charset} COLLATE {collation}",
            )
            try:
                # With foreign key checks off, tables may come in any order: each table's
                # statements go to one of the connections (a DDL file runs in order on one).
                tables = [t for level in _levels(ddl, statements) for t in level]
                async with AsyncExitStack() as stack:
                    workers = [
                        await stack.enter_async_context(raw_connection(scratch))
                        for _ in range(max(1, min(self.WORKERS, len(tables))))
                    ]
                    # Foreign keys may point at tables outside the selected apps.
                    await _all(
                        dialect.execute_raw(w, "SET FOREIGN_KEY_CHECKS = 0") for w in workers
                    )
                    share = -(-len(tables) // len(workers))
                    await _all(
                        self._run(
                            dialect,
                            w,
                            ddl,
                            [p for t in tables[i * share : (i + 1) * share] for p in t],
                        )
                        for i, w in enumerate(workers)
                    )
                    return await _dumper("mysql").dump(workers[0])
            finally:
                await dialect.execute_raw(
                    conn, f"DROP DATABASE IF EXISTS {dialect.quote(scratch.name)}"
                )

    @staticmethod
    async def _run(dialect: Any, conn: Any, ddl: DesiredDDL, statements: Sequence) -> None:
        for line, statement in statements:
            try:
                await dialect.execute_raw(conn, statement)
            except Exception as exc:
                raise ddl.error(line, statement, exc) from exc


class SQLiteScratch(Scratch):
    """An in-memory database."""

    dialect_name = "sqlite"
    scratch_kind = "in-memory database"

    async def server_identity(self, cfg: DatabaseConfig) -> str:
        import sqlite3

        return sqlite3.sqlite_version

    async def read(self, cfg: DatabaseConfig, ddl: DesiredDDL) -> Schema:
        from fastapp.db.context import raw_connection

        memory = type(cfg)(dialect_name="sqlite", name=":memory:")
        async with raw_connection(memory) as conn:
            try:
                # The whole script at once: trigger bodies hold semicolons of their own.
                await conn.executescript(ddl.text)
            except Exception:
                async with raw_connection(memory) as probe:
                    await self.apply_each(cfg.dialect, probe, ddl)
                raise
            return await _dumper("sqlite").dump(conn)


async def _fetch_rows(conn: Any, sql: str) -> list[tuple]:
    async with conn.cursor() as cur:
        await cur.execute(sql)
        return [tuple(r) for r in await cur.fetchall()]


SCRATCH: dict[str, type[Scratch]] = {
    s.dialect_name: s for s in (PostgresScratch, MySQLScratch, SQLiteScratch)
}


# --- declared renames inside a desired DDL file --------------------------------------------

RENAMED_MARK = "@renamed"


def declared_renames(ddl: DesiredDDL) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """``-- @renamed from=old`` comments: (table renames, column renames) of ``ddl``.

    On the line of a ``CREATE TABLE`` header it renames the table; on a column's line it
    renames that column. Read with sqlglot's tokenizer, which keeps comments and lines.
    """
    from sqlglot.tokens import TokenType

    try:
        tokens = _tokenize(ddl)
    except Exception as exc:
        raise DesiredSchemaError(f"{ddl.source}: cannot read the SQL: {_first_line(exc)}") from exc
    tables: list[tuple[str, str]] = []
    columns: list[tuple[str, str, str]] = []
    statements = _split_tokens(tokens, TokenType.SEMICOLON)
    for stmt in statements:
        marks = [(t.line, c) for t in stmt for c in t.comments if RENAMED_MARK in c]
        if not marks:
            continue
        header, body_lines, table = _create_table_shape(stmt)
        for line, comment in marks:
            old = _renamed_from(comment, ddl, line)
            if table is None:
                raise DesiredSchemaError(
                    f"{ddl.source}:{line}: '-- {RENAMED_MARK}' belongs on a CREATE TABLE line "
                    "or a column line"
                )
            if line in header:
                tables.append((old, table))
            elif line in body_lines:
                columns.append((table, old, body_lines[line]))
            else:
                raise DesiredSchemaError(
                    f"{ddl.source}:{line}: '-- {RENAMED_MARK}' is not on a column line of "
                    f"table {table!r}"
                )
    return tables, columns


def _tokenize(ddl: DesiredDDL):
    from sqlglot.dialects import Dialect

    tokenizer = Dialect.get_or_raise(_sqlglot_name(ddl.dialect)).tokenizer_class()
    return tokenizer.tokenize(ddl.text)


def _split_tokens(tokens, separator) -> list[list]:
    parts: list[list] = [[]]
    for token in tokens:
        if token.token_type == separator:
            # A trailing comment of the last line rides on the semicolon.
            if token.comments and parts[-1]:
                parts[-1][-1].comments.extend(token.comments)
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]


def _create_table_shape(stmt: list) -> tuple[set[int], dict[int, str], str | None]:
    """Lines of the header, ``{line: column}`` of column definitions, and the table name."""
    from sqlglot.tokens import TokenType

    words = [t.text.upper() for t in stmt[:6]]
    if len(words) < 3 or words[0] != "CREATE" or "TABLE" not in words:
        return set(), {}, None
    header: set[int] = set()
    body: dict[int, str] = {}
    table = None
    depth = 0
    expect_column = False
    after_table = False
    for token in stmt:
        kind = token.token_type
        if depth == 0:
            header.add(token.line)
            if token.text.upper() == "TABLE":
                after_table = True
            elif (
                after_table
                and kind in (TokenType.VAR, TokenType.IDENTIFIER)
                and token.text.upper() not in ("IF", "NOT", "EXISTS")
            ):
                table = token.text  # the last name part wins (schema.table)
            if kind == TokenType.L_PAREN:
                depth, expect_column = 1, True
            continue
        if kind == TokenType.L_PAREN:
            depth += 1
        elif kind == TokenType.R_PAREN:
            depth -= 1
        elif depth == 1 and kind == TokenType.COMMA:
            expect_column = True
        elif depth == 1 and expect_column:
            expect_column = False
            if token.text.upper() not in _CONSTRAINT_WORDS:
                body.setdefault(token.line, token.text)
    return header, body, table


_CONSTRAINT_WORDS = {"CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "KEY", "INDEX"}


def _renamed_from(comment: str, ddl: DesiredDDL, line: int) -> str:
    _, _, rest = comment.partition(RENAMED_MARK)
    key, eq, value = rest.strip().partition("=")
    value = value.split()[0].strip("\"`'") if value.split() else ""
    if key.strip() != "from" or not eq or not value:
        raise DesiredSchemaError(
            f"{ddl.source}:{line}: cannot read {comment.strip()!r}: write '-- @renamed from=OLD_NAME'"
        )
    return value


# --- the models' DDL ------------------------------------------------------------------------


async def models_ddl(registry: Any, apps: Sequence[str] = ()) -> dict[str, DesiredDDL]:
    """``{connection alias: DesiredDDL}`` of the tables the selected apps' models need, as
    Tortoise generates them (through the linear-time generator of ``fastapp.db.generated``)."""
    from fastapp.db.context import tortoise_context
    from fastapp.db.generated import connection_models, creation_order, generated_tables

    labels = {app.label for app in registry.select(apps)}
    found: dict[str, DesiredDDL] = {}
    async with tortoise_context(registry) as ctx:
        for alias, cfg in registry.connections().items():
            client = ctx.db(alias)
            all_models = connection_models(client, ctx.apps)
            chosen = [m for m in all_models if m._meta.app in labels]
            if not chosen and apps:
                continue
            generated = generated_tables(client, all_models, chosen, safe=False)
            tables = None
            try:
                ordered = creation_order(generated)
                parts = tuple(s for t in ordered for s in t.statements)
                tables = tuple(TableDDL(t.table, t.statements, t.references) for t in ordered)
            except SchemaError:  # foreign keys in a cycle: fine for a declarative tool
                parts = SCRATCH[cfg.dialect_name].cyclic_script(generated)
            text = "\n".join(f"{s};" for s in parts)
            found[alias] = DesiredDDL(
                text, f"models of connection {alias!r}", cfg.dialect_name, parts, tables
            )
    return found


def _split_references(create: str, keep: set[str], dialect: str) -> tuple[str, list[str]]:
    """``create`` without its column references to tables outside ``keep``, and the
    ``ALTER TABLE`` statements adding them back (sqlglot does the rewriting)."""
    import sqlglot
    from sqlglot import exp

    name = _sqlglot_name(dialect)
    tree = sqlglot.parse_one(create, read=name)
    table = tree.find(exp.Table)
    later = []
    for column in tree.find_all(exp.ColumnDef):
        for constraint in list(column.args.get("constraints") or ()):
            reference = constraint.args.get("kind")
            if not isinstance(reference, exp.Reference):
                continue
            target = reference.find(exp.Table)
            if target is None or target.name in keep:
                continue
            constraint.pop()
            later.append(
                f"ALTER TABLE {table.sql(dialect=name)} ADD FOREIGN KEY "
                f"({column.this.sql(dialect=name)}) {reference.sql(dialect=name)}"
            )
    return tree.sql(dialect=name), later
