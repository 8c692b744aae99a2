"""MySQL/MariaDB: a scratch database with the target database's defaults, dropped afterwards.

Tables are created on :attr:`Scratch.WORKERS` connections at once (InnoDB creates a file per
table); with foreign key checks off, tables may come in any order, and foreign keys may point
at tables outside the selected apps.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from fastapp.desired.scratch.base import ScratchSpace, catalog_reader, levels, run_together

if TYPE_CHECKING:
    from fastapp.connections.url import DatabaseConfig
    from fastapp.desired.ddl import DesiredDDL
    from fastapp.schema.objects import Schema


class Scratch(ScratchSpace):
    dialect_name = "mysql"
    WORKERS = 3
    scratch_kind = "scratch database"
    needs = "create and drop databases (GRANT CREATE, DROP ON *.* ...)"
    identity_sql = (
        "SELECT VERSION() UNION ALL SELECT CONCAT(default_character_set_name, ' ', "
        "default_collation_name) FROM information_schema.schemata WHERE schema_name = DATABASE()"
    )

    async def read(self, cfg: DatabaseConfig, ddl: DesiredDDL) -> Schema:
        from fastapp.connections.raw import raw_connection

        dialect = cfg.dialect
        scratch = cfg.with_name(f"fastapp_scratch_{uuid.uuid4().hex[:12]}")
        statements = ddl.statements()
        async with raw_connection(cfg) as conn:
            async with conn.cursor() as cur:
                await cur.execute(
                    "SELECT default_character_set_name, default_collation_name "
                    "FROM information_schema.schemata WHERE schema_name = DATABASE()"
                )
                rows = [tuple(r) for r in await cur.fetchall()]
            charset, collation = rows[0] if rows else ("utf8mb4", "utf8mb4_unicode_ci")
            await dialect.execute_raw(
                conn,
                f"CREATE DATABASE {dialect.quote(scratch.name)} "
                f"CHARACTER SET {charset} COLLATE {collation}",
            )
            try:
                # Each table's statements go to one of the connections (a file runs in order
                # on one).
                tables = [t for level in levels(ddl, statements) for t in level]
                async with AsyncExitStack() as stack:
                    workers = [
                        await stack.enter_async_context(raw_connection(scratch))
                        for _ in range(max(1, min(self.WORKERS, len(tables))))
                    ]
                    await run_together(
                        dialect.execute_raw(w, "SET FOREIGN_KEY_CHECKS = 0") for w in workers
                    )
                    share = -(-len(tables) // len(workers))
                    await run_together(
                        self._run(
                            dialect,
                            w,
                            ddl,
                            [p for t in tables[i * share : (i + 1) * share] for p in t],
                        )
                        for i, w in enumerate(workers)
                    )
                    return await catalog_reader("mysql").read(workers[0])
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
