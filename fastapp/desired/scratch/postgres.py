"""PostgreSQL: temporary tables, or a temporary schema for DDL that needs one.

**Temporary tables** (generated DDL whose foreign keys stay inside the script): each session
runs the script with ``pg_temp`` first in its ``search_path``, so ``CREATE TABLE`` makes a
temporary table, private to the session, with no WAL for its storage (creating one costs
about a third of a permanent table). Only the ``TEMP`` right is needed, which every role has
by default.

The tables go in batches of about :attr:`Scratch.BATCH_LIMIT` statements (whole foreign-key
components where they fit, see :func:`fastapp.desired.scratch.base.batches`), each created in a
transaction, read back from the session's ``pg_temp_N`` namespace and rolled back: nothing is
ever committed, so nothing is dropped or left behind, and the server's shared, bounded lock
table (``max_locks_per_transaction`` x connections, 6,400 slots by default; every object
created holds a lock until the transaction ends) never holds more than a batch per session.
A batch whose foreign keys reach tables of earlier batches waits for them and first creates
copies of them (columns and keys, as read back). Batches go to :attr:`Scratch.WORKERS`
sessions at once. Small transactions are also what a disk where file creation suffers from
recent deletions wants (ext4 without a journal skips recently freed inodes one by one):
keeping every file until the end of the build made a thousand tables several times slower
to create right after another run.

Should one table (with the copies it needs) be too big for the lock budget, the tables are
created in committed batches instead, by independent groups on several sessions, and dropped
afterwards in batches too (``finally``: also on errors).

**A temporary schema** (a DDL file: it may hold functions, triggers or views, which
``pg_temp`` does not resolve; generated DDL referencing live tables, which temporary tables
cannot): ``CREATE SCHEMA`` rights needed. Small scripts run in one transaction that is rolled
back (nothing to drop); bigger ones in committed batches, level by level on several sessions,
dropped afterwards. The scratch sessions skip waiting for the WAL flush
(``synchronous_commit = off``): nothing they write is kept.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from fastapp.desired.scratch.base import (
    ScratchSpace,
    Statements,
    TableBatch,
    batches,
    catalog_reader,
    independent_groups,
    levels,
    outside_references,
    run_together,
    table_statements,
)

if TYPE_CHECKING:
    from fastapp.connections.url import DatabaseConfig
    from fastapp.desired.ddl import DesiredDDL
    from fastapp.schema.objects import Schema, Table

#: The live schema (the catalog readers' default): scratch tables referencing live ones (``--apps``
#: leaves the other apps' tables out of the script) see them as ``public.<name>``.
LIVE_NAMESPACE = "public"
_TEMP_PATH = f"pg_temp, {LIVE_NAMESPACE}"
_MY_TEMP_NAMESPACE = "SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = pg_my_temp_schema()"


class Scratch(ScratchSpace):
    dialect_name = "postgres"
    forward_references = False
    scratch_kind = "temporary schema"
    needs = "create temporary tables and schemas (GRANT TEMP, CREATE ON DATABASE ...)"
    #: One row, one JSON text: the server version, the session settings that change how the
    #: catalog prints what it stored (``TimeZone`` and ``DateStyle`` a timestamp or date
    #: default, ``IntervalStyle``, ``extra_float_digits``, ``bytea_output``,
    #: ``standard_conforming_strings`` literals, ``search_path`` how names are qualified...),
    #: the database's encoding and locale, and the installed extensions. Read on a session
    #: opened as the scratch sessions are, so ``ALTER DATABASE/ROLE ... SET`` and connection
    #: options count as they will there.
    identity_sql = (
        "SELECT json_build_array(version(), "
        "(SELECT json_object_agg(name, setting ORDER BY name) FROM pg_catalog.pg_settings "
        "WHERE lower(name) IN ('server_version_num', 'server_encoding', 'timezone', "
        "'datestyle', 'intervalstyle', 'extra_float_digits', 'bytea_output', "
        "'standard_conforming_strings', 'backslash_quote', 'search_path', 'lc_collate', "
        "'lc_ctype', 'lc_numeric', 'lc_time', 'default_table_access_method', "
        "'default_toast_compression', 'array_nulls', 'transform_null_equals')), "
        "(SELECT json_build_array(d.datcollate, d.datctype, to_jsonb(d) -> 'datlocprovider', "
        "to_jsonb(d) -> 'daticulocale', to_jsonb(d) -> 'datlocale', "
        "to_jsonb(d) -> 'daticurules', pg_catalog.pg_encoding_to_char(d.encoding)) "
        "FROM pg_catalog.pg_database d WHERE d.datname = current_database()), "
        "(SELECT json_agg(extname || ' ' || extversion ORDER BY extname) "
        "FROM pg_catalog.pg_extension))::text"
    )
    BATCH_LIMIT = 100
    #: Sessions creating tables at once (the server's catalog work runs on several cores).
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
        ddl, concurrent = without_concurrently(ddl)
        schema = await self._read(cfg, ddl)
        return marked_concurrently(schema, concurrent) if concurrent else schema

    async def _read(self, cfg: DatabaseConfig, ddl: DesiredDDL) -> Schema:
        from fastapp.connections.raw import raw_connection

        statements = ddl.statements()
        async with raw_connection(cfg) as conn:
            borrowed = await _borrowed_tables(conn, ddl)
            everywhere = frozenset(borrowed)
            cut = batches(ddl, self.BATCH_LIMIT, everywhere)
            if cut is None:
                if len(statements) > self.BATCH_LIMIT:
                    await conn.execute("SET synchronous_commit = off")
                    return await self._schema(cfg, conn, ddl, statements)
                schema = await self._rolled_back(conn, ddl, statements, None)
            else:
                budget = await self._batch_size(cfg, conn, self.WORKERS)
                if budget < self.BATCH_LIMIT:  # a small lock table: smaller batches
                    cut = batches(ddl, budget, everywhere) or []
                if any(b.statements > budget for b in cut):  # a table and its copies
                    schema = await self._temporary_committed(cfg, conn, ddl, borrowed)
                else:
                    schema = await self._temporary(cfg, conn, ddl, cut, borrowed)
            if borrowed:
                kept = tuple(t for t in schema.tables if t.name not in borrowed)
                return replace(schema, tables=kept)
            return schema

    async def _rolled_back(
        self,
        conn: Any,
        ddl: DesiredDDL,
        statements: Statements,
        temporary: dict[str, str] | None,
    ) -> Schema:
        """In one transaction, rolled back: as temporary tables (after the ``temporary``
        copies of the tables they reference: live ones, see :func:`_borrowed_tables`, or
        those of earlier batches) or, when ``None``, in a temporary schema."""
        transaction = conn.transaction()
        await transaction.start()
        try:
            if temporary is not None:
                await conn.execute(f"SET LOCAL search_path TO {_TEMP_PATH}")
                for create in temporary.values():
                    await conn.execute(create)
                await self._apply(conn, ddl, statements)
                namespace = await conn.fetchval(_MY_TEMP_NAMESPACE)
                if namespace is None:  # nothing was created: no temporary schema either
                    from fastapp.schema.objects import Schema

                    return Schema(self.dialect_name)
                return await _read_back(conn, namespace, ddl, frozenset(temporary))
            namespace = _new_namespace()
            await conn.execute(f'CREATE SCHEMA "{namespace}"')
            await conn.execute(f'SET LOCAL search_path TO "{namespace}", {LIVE_NAMESPACE}')
            await self._apply(conn, ddl, statements)
            return _unqualified(await _read_back(conn, namespace, ddl))
        finally:
            await transaction.rollback()

    async def _apply(self, conn: Any, ddl: DesiredDDL, statements: Statements) -> None:
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

    async def _batch_size(self, cfg: DatabaseConfig, conn: Any, sessions: int) -> int:
        (slots,) = await cfg.dialect.fetch_scalar_list(conn, self._LOCK_SLOTS_SQL)
        # Half the lock table at most, shared by the sessions: other sessions need some.
        return max(1, min(self.BATCH, slots // (2 * sessions * self.LOCKS_PER_STATEMENT)))

    async def _temporary(
        self,
        cfg: DatabaseConfig,
        conn: Any,
        ddl: DesiredDDL,
        cut: list[TableBatch],
        borrowed: dict[str, str],
    ) -> Schema:
        """Temporary tables, batch by batch, each batch in a transaction rolled back after
        it is read: nothing to drop, and nothing left behind whatever happens. Batches go
        to :attr:`WORKERS` sessions; one that ``needs`` tables of earlier batches waits for
        them and creates copies of them first (columns and keys, as read back)."""
        from fastapp.connections.raw import raw_connection

        assert ddl.tables is not None
        if not cut:
            return _merged(self.dialect_name, [])
        count = min(self.WORKERS, len(cut))
        per_table = table_statements(ddl, ddl.statements()) or []
        pairs = {t.name: p for t, p in zip(ddl.tables, per_table, strict=True)}
        owner = {t.name: i for i, b in enumerate(cut) for t in b.tables}
        done = [asyncio.Event() for _ in cut]
        read: dict[str, Table] = {}
        parts: list[Schema] = []
        queue = iter(range(len(cut)))

        async def work(session: Any) -> None:
            for i in queue:  # shared: each batch goes to the first free session
                batch = cut[i]
                for name in batch.needs:
                    await done[owner[name]].wait()
                copies = {n: _copy_sql(read[n]) for n in sorted(batch.needs)}
                statements = [p for t in batch.tables for p in pairs[t.name]]
                part = await self._rolled_back(session, ddl, statements, {**borrowed, **copies})
                part = part.only(t.name for t in batch.tables)
                read.update((t.name, t) for t in part.tables)
                parts.append(part)
                done[i].set()

        async def work_elsewhere() -> None:
            async with raw_connection(cfg) as session:
                await work(session)

        # ``conn`` starts on the first batch while the other sessions connect.
        await run_together([work(conn), *(work_elsewhere() for _ in range(count - 1))])
        return _merged(self.dialect_name, parts)

    async def _temporary_committed(
        self,
        cfg: DatabaseConfig,
        conn: Any,
        ddl: DesiredDDL,
        borrowed: dict[str, str],
    ) -> Schema:
        """Each independent group of tables on its own session, as temporary tables created
        in committed batches and dropped at the end: for a table that, with the copies it
        needs, would hold too many locks in one transaction."""
        from fastapp.connections.raw import raw_connection

        assert ddl.tables is not None
        await conn.execute("SET synchronous_commit = off")
        groups = independent_groups(ddl, self.WORKERS, frozenset(borrowed)) or []
        per_table = table_statements(ddl, ddl.statements()) or []
        pairs = {t.name: p for t, p in zip(ddl.tables, per_table, strict=True)}
        batch = await self._batch_size(cfg, conn, len(groups))
        parts: list[Schema] = []
        async with AsyncExitStack() as stack:
            sessions = [conn]
            for _ in groups[1:]:
                sessions.append(await stack.enter_async_context(raw_connection(cfg)))
            await run_together(
                self._temporary_part(
                    session, ddl, [t.name for t in group], pairs, batch, parts, borrowed
                )
                for session, group in zip(sessions, groups, strict=True)
            )
        return _merged(self.dialect_name, parts)

    async def _temporary_part(
        self,
        conn: Any,
        ddl: DesiredDDL,
        names: list[str],
        pairs: dict[str, list],
        batch: int,
        parts: list[Schema],
        borrowed: dict[str, str],
    ) -> None:
        await conn.execute(f"SET search_path TO {_TEMP_PATH}; SET synchronous_commit = off")
        names = [*borrowed, *names]
        try:
            for create in borrowed.values():
                await conn.execute(create)
            await self._committed(conn, ddl, [p for n in names for p in pairs.get(n, ())], batch)
            namespace = await conn.fetchval(_MY_TEMP_NAMESPACE)
            parts.append(await _read_back(conn, namespace, ddl, frozenset(borrowed)))
        finally:
            drops = [f"pg_temp.{_quote(n)}" for n in reversed(names)]
            await self._drop(conn, drops, batch // 2)

    async def _schema(
        self, cfg: DatabaseConfig, conn: Any, ddl: DesiredDDL, statements: Statements
    ) -> Schema:
        """A scratch schema, level by level on several sessions."""
        from fastapp.connections.raw import raw_connection

        namespace = _new_namespace()
        await conn.execute(f'CREATE SCHEMA "{namespace}"')
        async with AsyncExitStack() as stack:
            try:
                by_level = levels(ddl, statements)
                count = min(self.WORKERS, max(len(level) for level in by_level))
                batch = await self._batch_size(cfg, conn, count)
                sessions = [conn]
                for _ in range(count - 1):
                    sessions.append(await stack.enter_async_context(raw_connection(cfg)))
                setup = (
                    f'SET search_path TO "{namespace}", {LIVE_NAMESPACE}; '
                    "SET synchronous_commit = off"
                )
                await run_together(s.execute(setup) for s in sessions)
                for level in by_level:
                    share = -(-len(level) // len(sessions))
                    await run_together(
                        self._committed(
                            s,
                            ddl,
                            [p for t in level[i * share : (i + 1) * share] for p in t],
                            batch,
                        )
                        for i, s in enumerate(sessions)
                    )
                return _unqualified(await _read_back(conn, namespace, ddl))
            finally:
                await conn.execute("RESET search_path")
                rows = await conn.fetch(
                    "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') "
                    "ORDER BY c.oid DESC",
                    namespace,
                )
                names = [f"{_quote(namespace)}.{_quote(r[0])}" for r in rows]
                await self._drop(conn, names, max(1, self.BATCH // 3))
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

    @staticmethod
    async def _drop(conn: Any, names: list[str], step: int) -> None:
        """Drop the tables ``names`` (qualified, newest first) in committed batches:
        dropping everything at once would need a lock per object."""
        step = max(1, step)
        for start in range(0, len(names), step):
            await conn.execute(
                f"DROP TABLE IF EXISTS {', '.join(names[start : start + step])} CASCADE"
            )


#: Stands for the name of an unnamed ``CREATE INDEX CONCURRENTLY`` in the scratch space.
_CONCURRENT_MARK = "fastapp_concurrently_"


def without_concurrently(ddl: DesiredDDL) -> tuple[DesiredDDL, frozenset[str]]:
    """``ddl`` with ``CONCURRENTLY`` taken out of its ``CREATE INDEX`` statements (it cannot
    run in the scratch space's transaction), and the names of those indexes: the plan builds
    them concurrently, outside its transaction. An unnamed one is given a marker name, dropped
    again when read back (the plan names it by the usual rule)."""
    if "concurrently" not in ddl.text.lower():
        return ddl, frozenset()
    from sqlglot.tokens import TokenType  # costly to import: only when there is one

    from fastapp.schema.normalize.syntax import tokenizer

    parts, names = [], set()
    for _, statement in ddl.statements():
        try:
            tokens = tokenizer("postgres").tokenize(statement)
        except Exception:
            parts.append(statement)
            continue
        head = tokens[:8]
        kinds = [t.token_type for t in head]
        at = next(
            (
                i
                for i, t in enumerate(head)
                if t.token_type == TokenType.VAR and t.text.upper() == "CONCURRENTLY"
            ),
            None,
        )
        if (
            not kinds
            or kinds[0] != TokenType.CREATE
            or at is None
            or kinds[at - 1] != TokenType.INDEX
        ):
            parts.append(statement)
            continue
        rest = tokens[at + 1 :]
        if (
            len(rest) >= 3
            and rest[0].text.upper() == "IF"
            and rest[2].token_type == TokenType.EXISTS
        ):
            rest = rest[3:]
        if rest and rest[0].token_type == TokenType.ON:  # unnamed
            name = f"{_CONCURRENT_MARK}{len(names)}"
            cut = tokens[at]
            statement = f'{statement[: cut.start]}"{name}"{statement[cut.end + 1 :]}'
        else:
            name = rest[0].text if rest else ""
            cut = tokens[at]
            statement = statement[: cut.start] + statement[cut.end + 1 :]
        names.add(name)
        parts.append(statement)
    if not names:
        return ddl, frozenset()
    return replace(ddl, parts=tuple(parts)), frozenset(names)


def marked_concurrently(schema: Schema, names: frozenset[str]) -> Schema:
    """``schema`` with the indexes named in ``names`` to be built concurrently."""
    tables = []
    for table in schema.tables:
        if any(ix.name in names for ix in table.indexes):
            indexes = tuple(
                replace(
                    ix,
                    concurrently=True,
                    name=None if (ix.name or "").startswith(_CONCURRENT_MARK) else ix.name,
                )
                if ix.name in names
                else ix
                for ix in table.indexes
            )
            table = replace(table, indexes=indexes)
        tables.append(table)
    return replace(schema, tables=tuple(tables))


async def _read_back(
    conn: Any, namespace: str, ddl: DesiredDDL, copies: frozenset[str] = frozenset()
) -> Schema:
    """The scratch ``namespace`` as the catalog reader reads it, with the source text of every
    expression whose printed text does not reproduce itself (``copies``, tables the script
    only references, left alone): see :mod:`fastapp.desired.sources.postgres`."""
    from fastapp.desired.sources.postgres import attach_sources

    schema = await catalog_reader("postgres", namespace).read(conn)
    return await attach_sources(conn, namespace, schema, ddl, copies)


async def _borrowed_tables(conn: Any, ddl: DesiredDDL) -> dict[str, str]:
    """``{name: CREATE TABLE}`` copies of the live tables the script's foreign keys reference
    (``--apps``): a temporary table may only reference temporary ones, so each session
    creates these first. Only what a foreign key needs is copied (columns, primary key,
    unique constraints). Empty when there are none, or when one is missing from the live
    database: the scratch schema then reports it as the server does."""
    from fastapp.errors import SchemaError

    outside = outside_references(ddl)
    if not outside:
        return {}
    try:
        live = await catalog_reader("postgres", LIVE_NAMESPACE).read(conn, tables=sorted(outside))
    except SchemaError:
        return {}
    return {t.name: _copy_sql(t) for t in live.tables}


def _copy_sql(table: Table) -> str:
    """SQL creating what a foreign key to ``table`` may need: its columns, primary key,
    unique constraints and plain unique indexes."""
    from fastapp.sql.ddl import get_ddl

    render = get_ddl("postgres")
    keys = replace(table, foreign_keys=(), indexes=(), checks=())
    unique = [
        render.create_index(keys, index)
        for index in table.indexes
        if index.unique and index.where is None and not any(index.expressions)
    ]
    return ";\n".join([render.create_table(keys), *unique])


def _merged(dialect: str, parts: Sequence[Schema]) -> Schema:
    """One Schema of the parts read on several sessions."""
    from fastapp.schema.objects import Schema

    enums = {e.name: e for part in parts for e in part.enums}
    extensions = parts[0].extensions if parts else ()
    return Schema(
        dialect, tuple(t for p in parts for t in p.tables), tuple(enums.values()), extensions
    )


def _new_namespace() -> str:
    return f"fastapp_scratch_{uuid.uuid4().hex[:12]}"


def _quote(name: str) -> str:
    from fastapp.dialects import get_dialect

    return get_dialect("postgres").quote(name)


def _unqualified(schema: Schema) -> Schema:
    """References from the scratch schema to the live one, written as the live side has them."""
    prefix = f"{_quote(LIVE_NAMESPACE)}."

    def bare(name: str | None) -> str | None:
        if not name or not name.startswith(prefix):
            return name
        return name[len(prefix) + 1 : -1].replace('""', '"')  # '"public"."t"' -> 't'

    tables = []
    for table in schema.tables:
        fks = tuple(replace(fk, ref_table=bare(fk.ref_table)) for fk in table.foreign_keys)
        columns = tuple(replace(c, enum_name=bare(c.enum_name)) for c in table.columns)
        tables.append(replace(table, foreign_keys=fks, columns=columns))
    enums = tuple(replace(e, name=bare(e.name)) for e in schema.enums)
    return replace(schema, tables=tuple(tables), enums=enums)
