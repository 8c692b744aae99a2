"""MySQL/MariaDB through asyncmy: multi-row INSERT ... ON DUPLICATE KEY UPDATE."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from fastapp.data.models import Layout
from fastapp.data.writers.base import BulkWriter, SequenceState


class Writer(BulkWriter):
    name = "mysql"
    begin_sql = "START TRANSACTION"
    upsert_template = "ON DUPLICATE KEY UPDATE {assignments}"
    upsert_assignment = "{col} = VALUES({col})"
    upsert_nothing = "ON DUPLICATE KEY UPDATE {key} = {key}"

    def adapters(self) -> dict[str, Callable[[Any], Any]]:
        zone = self.tz.zone

        def naive(value: dt.datetime) -> dt.datetime:
            # DATETIME has no zone: store the wall time in TIME_ZONE, as Tortoise reads it.
            return value if value.tzinfo is None else value.astimezone(zone).replace(tzinfo=None)

        return {"datetime": naive}

    def placeholder(self, index: int) -> str:
        return "%s"

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        async with self.connection.cursor() as cur:
            await cur.execute(sql, tuple(params) or None)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        # asyncmy rewrites INSERT ... VALUES (...) into multi-row statements of ~1 MB.
        async with self.connection.cursor() as cur:
            await cur.executemany(sql, rows)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        async with self.connection.cursor() as cur:
            await cur.execute(sql, tuple(params) or None)
            return [tuple(r) for r in await cur.fetchall()]

    async def reset_sequence(self, layout: Layout) -> None:
        """Nothing inside the load's transaction: ALTER TABLE commits (see after_commit)."""

    async def after_commit(self, layouts: Sequence[Layout]) -> None:
        # InnoDB already moves the counter past explicit ids; this covers a counter set lower
        # by hand, and never lowers one. ALTER TABLE commits implicitly, hence after commit.
        for layout in layouts:
            await self.fix_sequence(layout.table, layout.pk_column)

    async def sequence_state(self, table: str, column: str) -> SequenceState | None:
        rows = await self.fetch(
            "SELECT t.AUTO_INCREMENT FROM information_schema.TABLES t "
            "JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = t.TABLE_SCHEMA "
            "AND c.TABLE_NAME = t.TABLE_NAME WHERE t.TABLE_SCHEMA = DATABASE() "
            "AND t.TABLE_NAME = %s AND c.COLUMN_NAME = %s AND c.EXTRA LIKE %s",
            (table, column, "%auto_increment%"),
        )
        if not rows:
            return None
        largest = (await self.fetch(f"SELECT MAX({self.quote(column)}) FROM {self.quote(table)}"))[
            0
        ][0]
        counter = rows[0][0]
        return SequenceState(
            table,
            column,
            None if largest is None else int(largest),
            None if counter is None else int(counter),
            "AUTO_INCREMENT",
        )

    async def move_sequence(self, state: SequenceState) -> None:
        await self.execute(
            f"ALTER TABLE {self.quote(state.table)} AUTO_INCREMENT = {int(state.largest) + 1}"
        )
