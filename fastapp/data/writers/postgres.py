"""PostgreSQL through asyncpg: binary COPY for new rows, batched upserts for existing ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapp.data.references import normalize
from fastapp.data.writers.base import BulkWriter, SequenceState


class Writer(BulkWriter):
    name = "postgres"

    def adapters(self) -> dict[str, Callable[[Any], Any]]:
        return {}

    def placeholder(self, index: int) -> str:
        return f"${index}"

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self.connection.execute(sql, *params)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self.connection.executemany(sql, rows)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return [tuple(r) for r in await self.connection.fetch(sql, *params)]

    async def insert_rows(self, table: str, columns: Sequence[str], rows: list[Any]) -> None:
        # Binary COPY: the fastest path into PostgreSQL for rows that are known to be new.
        if rows:
            await self.connection.copy_records_to_table(table, records=rows, columns=list(columns))

    async def existing_keys(self, table: str, column: str, values: Sequence[Any]) -> set[Any]:
        rows = await self.connection.fetch(
            f"SELECT {self.quote(column)} FROM {self.quote(table)} "
            f"WHERE {self.quote(column)} = ANY($1)",
            list(values),
        )
        return {normalize(r[0]) for r in rows}

    async def update_column(
        self, table: str, key: str, column: str, pairs: Sequence[tuple[Any, Any]]
    ) -> None:
        # One statement for the whole list instead of a statement per row.
        if not pairs:
            return
        kinds = await self.connection.fetch(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = $1::regclass AND a.attname = ANY($2)",
            self.quote(table),
            [key, column],
        )
        types = dict(kinds)
        q = self.quote
        await self.connection.execute(
            f"UPDATE {q(table)} SET {q(column)} = v.value "
            f"FROM unnest($1::{types[key]}[], $2::{types[column]}[]) AS v(key, value) "
            f"WHERE {q(table)}.{q(key)} = v.key",
            [k for k, _ in pairs],
            [v for _, v in pairs],
        )

    async def sequence_state(self, table: str, column: str) -> SequenceState | None:
        # Serial and identity columns alike own a sequence pg_get_serial_sequence finds.
        sequence = await self.connection.fetchval(
            "SELECT pg_get_serial_sequence($1, $2)", self.quote(table), column
        )
        if sequence is None:
            return None
        row = await self.connection.fetchrow(f"SELECT last_value, is_called FROM {sequence}")
        largest = await self.connection.fetchval(
            f"SELECT MAX({self.quote(column)}) FROM {self.quote(table)}"
        )
        following = row["last_value"] + 1 if row["is_called"] else row["last_value"]
        return SequenceState(
            table, column, None if largest is None else int(largest), following, sequence
        )

    async def move_sequence(self, state: SequenceState) -> None:
        await self.connection.execute("SELECT setval($1, $2, true)", state.counter, state.largest)
