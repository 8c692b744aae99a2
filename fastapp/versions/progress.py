"""Statement-by-statement progress of a migration on a backend without transactional DDL
(MySQL/MariaDB), so an interrupted migration is finished -- not re-run -- by the next
``upgrade``/``downgrade``.

Each statement of a migration that runs is recorded in ``fastapp_migration_progress``
(app, migration, direction, position, SQL) right after it ran. When the migration fails
part-way, the rows say exactly which statements ran; the next run skips those (checking the
SQL is still the same) and goes on from the first that did not. When the migration
completes, its rows go, and the table itself once it is empty: it exists only while a
migration is unfinished. ``tortoise_migrations`` is not touched: its format stays
Tortoise's. The table is one of :data:`fastapp.tortoise.tables.BOOKKEEPING_TABLES`, so the
declarative engine leaves it alone.

Statements are what the schema editor runs; ``RunPython`` code runs no statement of its
own through it and is run again on resume (keep it idempotent).
"""

from __future__ import annotations

from typing import Any

from fastapp.errors import ExecutionError
from fastapp.tortoise.tables import PROGRESS_TABLE


class StatementProgress:
    """The progress rows of one migration step, on Tortoise's connection of ``state``."""

    def __init__(self, state: Any, app: str, name: str, backward: bool) -> None:
        from tortoise.migrations.recorder import MigrationRecorder

        self.state, self.app, self.name = state, app, name
        self.direction = "backward" if backward else "forward"
        helper = MigrationRecorder(state.client)
        self.quote, self.placeholder = helper._quote, helper._placeholder
        self.table = self.quote(PROGRESS_TABLE)
        self.earlier: list[str] = []
        self.position = 0

    def _where(self, first: int = 1) -> tuple[str, list]:
        q, p = self.quote, self.placeholder
        return (
            f"{q('app')} = {p(first)} AND {q('name')} = {p(first + 1)} "
            f"AND {q('direction')} = {p(first + 2)}",
            [self.app, self.name, self.direction],
        )

    async def _exists(self) -> bool:
        _, rows = await self.state.client.execute_query(self.state.cfg.dialect.list_tables_sql)
        return PROGRESS_TABLE in {row["name"] for row in rows}

    async def load(self) -> list[str]:
        """The statements an earlier, interrupted run of this step ran, in order."""
        if not await self._exists():
            return []
        where, values = self._where()
        q = self.quote
        _, rows = await self.state.client.execute_query(
            f"SELECT {q('sql_text')} FROM {self.table} WHERE {where} ORDER BY {q('position')}",
            values,
        )
        self.earlier = [row["sql_text"] for row in rows]
        return self.earlier

    async def run(self, sql: str, execute: Any) -> bool:
        """Run ``sql`` through ``execute`` and record it, or skip it when an earlier run did
        (returns False then). Raises :class:`ExecutionError` when the statement at this
        position is not the one that ran before."""
        position = self.position
        self.position += 1
        if position < len(self.earlier):
            if " ".join(self.earlier[position].split()) != " ".join(sql.split()):
                raise ExecutionError(
                    f"{self.app}.{self.name} was interrupted earlier, and its statement "
                    f"{position + 1} is no longer the one that ran then "
                    f"({' '.join(self.earlier[position].split())[:120]}): the migration "
                    f"changed since; restore it, or undo the statements recorded in "
                    f"{PROGRESS_TABLE} by hand and delete their rows"
                )
            return False
        await execute(sql)
        await self._record(position, sql)
        return True

    async def _record(self, position: int, sql: str) -> None:
        q, p = self.quote, self.placeholder
        client = self.state.client
        if position == 0 or not await self._exists():
            await client.execute_script(
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                f"{q('app')} VARCHAR(100) NOT NULL, {q('name')} VARCHAR(255) NOT NULL, "
                f"{q('direction')} VARCHAR(8) NOT NULL, {q('position')} INT NOT NULL, "
                f"{q('sql_text')} TEXT NOT NULL)"
            )
        await client.execute_query(
            f"INSERT INTO {self.table} ({q('app')}, {q('name')}, {q('direction')}, "
            f"{q('position')}, {q('sql_text')}) VALUES ({p(1)}, {p(2)}, {p(3)}, {p(4)}, {p(5)})",
            [self.app, self.name, self.direction, position, sql],
        )

    async def finish(self) -> None:
        """The step completed: its rows go, and the table once it is empty."""
        if not await self._exists():
            return
        where, values = self._where()
        client = self.state.client
        await client.execute_query(f"DELETE FROM {self.table} WHERE {where}", values)
        _, rows = await client.execute_query(f"SELECT COUNT(*) AS n FROM {self.table}")
        if not rows or not list(dict(rows[0]).values())[0]:
            await client.execute_script(f"DROP TABLE {self.table}")
