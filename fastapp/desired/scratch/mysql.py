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
    #: The server version and the session variables that shape a table as created and read
    #: back: ``sql_mode`` (``REAL_AS_FLOAT``, ``NO_ENGINE_SUBSTITUTION``...), the default
    #: storage engine and row format, ``explicit_defaults_for_timestamp``, the database's
    #: character set and collation (the scratch database gets them) and the collation
    #: defaults of the server and connection, the time zone (a TIMESTAMP default is stored in
    #: UTC and shown in it). ``SHOW`` lists the variables the server has and skips the others
    #: (MySQL and MariaDB each lack some), where ``@@name`` would fail.
    identity_sql = (
        "SHOW SESSION VARIABLES WHERE Variable_name IN ('version', 'version_comment', "
        "'sql_mode', 'default_storage_engine', 'innodb_default_row_format', "
        "'innodb_strict_mode', 'explicit_defaults_for_timestamp', 'character_set_database', "
        "'collation_database', 'character_set_server', 'collation_server', "
        "'character_set_connection', 'collation_connection', 'default_collation_for_utf8mb4', "
        "'character_set_collations', 'default_table_encryption', 'time_zone', "
        "'system_time_zone', 'lower_case_table_names', 'div_precision_increment')"
    )

    async def server_identity(self, cfg: DatabaseConfig) -> str:
        from fastapp.connections.raw import raw_connection

        async with raw_connection(cfg) as conn:
            async with conn.cursor() as cur:
                await cur.execute(self.identity_sql)
                rows = sorted(
                    (str(name).lower(), str(value)) for name, value in await cur.fetchall()
                )
        return "\n".join(f"{name}={value}" for name, value in rows)

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
                            scratch.name,
                        )
                        for i, w in enumerate(workers)
                    )
                    return await catalog_reader("mysql").read(workers[0])
            finally:
                await dialect.execute_raw(
                    conn, f"DROP DATABASE IF EXISTS {dialect.quote(scratch.name)}"
                )

    @staticmethod
    async def _run(
        dialect: Any, conn: Any, ddl: DesiredDDL, statements: Sequence, scratch: str
    ) -> None:
        for line, statement in statements:
            try:
                await dialect.execute_raw(conn, statement)
            except Exception as exc:
                # The server names tables with the scratch database ("Table
                # 'fastapp_scratch_...missing' doesn't exist" for a view's): the user's
                # names are the ones to say.
                said = RuntimeError(str(exc).replace(f"{scratch}.", ""))
                raise ddl.error(line, statement, said) from exc
