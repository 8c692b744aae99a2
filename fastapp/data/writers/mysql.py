"""MySQL/MariaDB through asyncmy: multi-row INSERT ... ON DUPLICATE KEY UPDATE."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from fastapp.data.models import Layout
from fastapp.data.writers.base import BulkWriter


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

    async def after_commit(self, layouts: Sequence[Layout]) -> None:
        # InnoDB already moves the counter past explicit ids; this covers a counter set lower
        # by hand, and never lowers one. ALTER TABLE commits implicitly, hence after commit.
        for layout in layouts:
            rows = await self.fetch(
                f"SELECT (SELECT MAX({self.quote(layout.pk_column)}) FROM "
                f"{self.quote(layout.table)}), (SELECT AUTO_INCREMENT FROM "
                "information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s)",
                (layout.table,),
            )
            largest, counter = rows[0]
            if largest is not None and (counter is None or int(counter) <= int(largest)):
                await self.execute(
                    f"ALTER TABLE {self.quote(layout.table)} AUTO_INCREMENT = {int(largest) + 1}"
                )
