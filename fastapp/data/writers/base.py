"""The bulk writer every dialect specializes: SQL templates as data, a few overridable methods.

A writer works on one raw driver connection (asyncpg, asyncmy, aiosqlite) inside one
transaction for the whole load. Rows are lists in a layout's column order, already holding
driver-ready values (the dialect's ``adapters`` are composed into the converters).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, ClassVar

from fastapp.data.models import Layout
from fastapp.data.references import normalize
from fastapp.data.values import Timezones
from fastapp.dialects import get_dialect

#: Keys per ``IN (...)`` list: well below every backend's parameter limit.
IN_CHUNK = 500


@dataclass(frozen=True)
class SequenceState:
    """The counter that gives ``table.column`` its generated values: the largest value in the
    table (``None``: empty) and the one the counter gives next (``None``: not started yet)."""

    table: str
    column: str
    largest: int | None
    next_value: int | None
    #: What the backend calls it, for reports (a sequence's name, AUTO_INCREMENT...).
    counter: str = ""

    @property
    def behind(self) -> bool:
        """The next generated value would collide with a row (never True for an empty table)."""
        return self.largest is not None and (
            self.next_value is None or self.next_value <= self.largest
        )


class BulkWriter:
    """Bulk operations of one dialect on one connection."""

    name: ClassVar[str]
    begin_sql: ClassVar[str] = "BEGIN"
    commit_sql: ClassVar[str] = "COMMIT"
    rollback_sql: ClassVar[str] = "ROLLBACK"
    #: ``INSERT ...`` suffix updating every non-key column from the proposed row.
    upsert_template: ClassVar[str] = "ON CONFLICT ({key}) DO UPDATE SET {assignments}"
    upsert_assignment: ClassVar[str] = "{col} = EXCLUDED.{col}"
    upsert_nothing: ClassVar[str] = "ON CONFLICT ({key}) DO NOTHING"
    #: Whether the next batch may be parsed while one is written: yes where the server does
    #: the work and the event loop only feeds a socket; no where the driver writes in a
    #: thread of its own that would fight the parser for the GIL (sqlite3).
    overlaps_parsing: ClassVar[bool] = True

    def __init__(self, connection: Any, tz: Timezones) -> None:
        self.connection = connection
        self.tz = tz
        #: INSERT and upsert statements built so far: a batch reuses its model's (a statement
        #: of a hundred rows of nine columns is 900 markers to put together).
        self._statements: dict[tuple, str] = {}

    # -- dialect hooks ----------------------------------------------------------------------
    def adapters(self) -> dict[str, Callable[[Any], Any]]:
        """Per value kind, how a Python value is handed to this driver (none: as is)."""
        return {}

    def placeholder(self, index: int) -> str:
        """The parameter marker of the ``index``-th (1-based) parameter."""
        raise NotImplementedError

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        raise NotImplementedError

    async def sequence_state(self, table: str, column: str) -> SequenceState | None:
        """The counter of ``table.column``; ``None`` where the column has none."""
        return None

    async def move_sequence(self, state: SequenceState) -> None:
        """Set ``state``'s counter so the next value is ``largest + 1``."""
        raise NotImplementedError

    async def fix_sequence(self, table: str, column: str) -> SequenceState | None:
        """Move the counter of ``table.column`` past the largest value when it is behind (it
        is never lowered). Returns the state found before; the one implementation behind
        ``loaddata``'s sequence reset and ``fastapp fix_sequences``."""
        state = await self.sequence_state(table, column)
        if state is not None and state.behind:
            await self.move_sequence(state)
        return state

    async def reset_sequence(self, layout: Layout) -> None:
        """Move the auto-increment counter of ``layout``'s table past its largest pk, inside
        the load's transaction (where the backend allows: see :meth:`after_commit`)."""
        await self.fix_sequence(layout.table, layout.pk_column)

    async def after_commit(self, layouts: Sequence[Layout]) -> None:
        """Work that must run outside the load's transaction (none by default)."""

    # -- shared SQL -------------------------------------------------------------------------
    def quote(self, identifier: str) -> str:
        return get_dialect(self.name).quote(identifier)

    def markers(self, count: int, start: int = 1) -> str:
        return ", ".join(self.placeholder(i) for i in range(start, start + count))

    def insert_sql(self, table: str, columns: Sequence[str], rows: int = 1) -> str:
        """``INSERT`` of ``rows`` rows of values (parameters numbered row after row)."""
        cache_key = ("insert", table, tuple(columns), rows)
        sql = self._statements.get(cache_key)
        if sql is None:
            cols = ", ".join(self.quote(c) for c in columns)
            width = len(columns)
            values = ", ".join(f"({self.markers(width, 1 + i * width)})" for i in range(rows))
            sql = self._statements[cache_key] = (
                f"INSERT INTO {self.quote(table)} ({cols}) VALUES {values}"
            )
        return sql

    def upsert_sql(self, table: str, columns: Sequence[str], key: str, rows: int = 1) -> str:
        cache_key = ("upsert", table, tuple(columns), key, rows)
        sql = self._statements.get(cache_key)
        if sql is None:
            sql = self._statements[cache_key] = self._upsert_sql(table, columns, key, rows)
        return sql

    def _upsert_sql(self, table: str, columns: Sequence[str], key: str, rows: int) -> str:
        others = [c for c in columns if c != key]
        if not others:
            suffix = self.upsert_nothing.format(key=self.quote(key))
        else:
            assignments = ", ".join(
                self.upsert_assignment.format(col=self.quote(c)) for c in others
            )
            suffix = self.upsert_template.format(key=self.quote(key), assignments=assignments)
        return f"{self.insert_sql(table, columns, rows)} {suffix}"

    async def begin(self) -> None:
        await self.execute(self.begin_sql)

    async def commit(self) -> None:
        await self.execute(self.commit_sql)

    async def rollback(self) -> None:
        await self.execute(self.rollback_sql)

    # -- loading ----------------------------------------------------------------------------
    async def write(
        self, layout: Layout, rows: list[list[Any]], *, with_pk: bool, known_new: bool = False
    ) -> None:
        """Write rows: with a pk they update an existing row or insert it; without, insert.

        Only rows whose pk exists are upserted; the others are inserted plainly, so a clash
        on another unique key is an error (MySQL's ON DUPLICATE KEY would silently update the
        row owning that key instead). ``known_new`` says the caller knows no pk exists yet.
        """
        if not rows:
            return
        if not with_pk:
            await self.insert_rows(layout.table, layout.columns[1:], rows)
            return
        # A pk twice in one batch: the last row wins.
        latest = dict(zip(map(itemgetter(0), rows), rows, strict=True))
        if len(latest) < len(rows):
            rows = list(latest.values())
        existing = (
            set()
            if known_new
            else await self.existing_keys(layout.table, layout.pk_column, list(latest))
        )
        if not existing:
            await self.insert_rows(layout.table, layout.columns, rows)
            return
        fresh = [row for row in rows if normalize(row[0]) not in existing]
        await self.insert_rows(layout.table, layout.columns, fresh)
        await self.write_rows(
            lambda n: self.upsert_sql(layout.table, layout.columns, layout.pk_column, n),
            [row for row in rows if normalize(row[0]) in existing],
        )

    async def insert_rows(self, table: str, columns: Sequence[str], rows: list[Any]) -> None:
        """Insert rows known to be new, as fast as the driver allows."""
        await self.write_rows(lambda n: self.insert_sql(table, columns, n), rows)

    async def write_rows(self, statement: Callable[[int], str], rows: Sequence[Any]) -> None:
        """Run ``statement(n)``, an INSERT of ``n`` rows of values, over all ``rows``.

        By default one row per execution (the drivers batch executemany themselves).
        """
        if rows:
            await self.executemany(statement(1), rows)

    async def has_rows(self, table: str) -> bool:
        return bool(await self.fetch(f"SELECT 1 FROM {self.quote(table)} LIMIT 1"))

    async def existing_keys(self, table: str, column: str, values: Sequence[Any]) -> set[Any]:
        """The (normalized) ``values`` present in ``table.column``."""
        rows = await self.select_keys(table, column, (column,), [(v,) for v in values])
        return {normalize(r[0]) for r in rows}

    async def select_keys(
        self, table: str, result: str, columns: Sequence[str], keys: Sequence[tuple]
    ) -> list[tuple]:
        """Rows ``(result, *columns)`` of ``table`` whose ``columns`` equal one of ``keys``."""
        out: list[tuple] = []
        selected = ", ".join(self.quote(c) for c in (result, *columns))
        for start in range(0, len(keys), IN_CHUNK):
            chunk = keys[start : start + IN_CHUNK]
            if len(columns) == 1:
                where = f"{self.quote(columns[0])} IN ({self.markers(len(chunk))})"
                params = [k[0] for k in chunk]
            else:
                terms, params, n = [], [], 1
                for key in chunk:
                    terms.append(
                        "("
                        + " AND ".join(
                            f"{self.quote(c)} = {self.placeholder(n + i)}"
                            for i, c in enumerate(columns)
                        )
                        + ")"
                    )
                    params.extend(key)
                    n += len(columns)
                where = " OR ".join(terms)
            sql = f"SELECT {selected} FROM {self.quote(table)} WHERE {where}"
            out.extend(await self.fetch(sql, params))
        return out

    async def update_column(
        self, table: str, key: str, column: str, pairs: Sequence[tuple[Any, Any]]
    ) -> None:
        """``UPDATE table SET column = value WHERE key = k`` for every ``(k, value)``."""
        if pairs:
            sql = (
                f"UPDATE {self.quote(table)} SET {self.quote(column)} = {self.placeholder(1)} "
                f"WHERE {self.quote(key)} = {self.placeholder(2)}"
            )
            await self.executemany(sql, [(value, k) for k, value in pairs])

    async def replace_links(
        self,
        through: str,
        own: str,
        other: str,
        owners: Sequence[Any],
        links: Sequence[tuple[Any, Any]],
    ) -> None:
        """Make ``owners``' rows in ``through`` exactly ``links`` (pairs ``(own, other)``)."""
        for start in range(0, len(owners), IN_CHUNK):
            chunk = owners[start : start + IN_CHUNK]
            await self.execute(
                f"DELETE FROM {self.quote(through)} WHERE {self.quote(own)} "
                f"IN ({self.markers(len(chunk))})",
                chunk,
            )
        await self.write_rows(lambda n: self.insert_sql(through, (own, other), n), links)

    # -- dumping ----------------------------------------------------------------------------
    async def page(
        self, table: str, columns: Sequence[str], key: str, after: Any, limit: int
    ) -> list[tuple]:
        """The next ``limit`` rows ordered by ``key`` (keyset pagination: bounded memory)."""
        cols = ", ".join(self.quote(c) for c in columns)
        where, params = "", []
        if after is not None:
            where, params = f" WHERE {self.quote(key)} > {self.placeholder(1)}", [after]
        sql = (
            f"SELECT {cols} FROM {self.quote(table)}{where} "
            f"ORDER BY {self.quote(key)} LIMIT {int(limit)}"
        )
        return await self.fetch(sql, params)

    async def links(self, through: str, own: str, other: str, owners: Sequence[Any]) -> list[tuple]:
        """``(own, other)`` rows of ``through`` for ``owners``, ordered."""
        out: list[tuple] = []
        for start in range(0, len(owners), IN_CHUNK):
            chunk = owners[start : start + IN_CHUNK]
            out.extend(
                await self.fetch(
                    f"SELECT {self.quote(own)}, {self.quote(other)} FROM {self.quote(through)} "
                    f"WHERE {self.quote(own)} IN ({self.markers(len(chunk))}) "
                    f"ORDER BY 1, 2",
                    chunk,
                )
            )
        return out
