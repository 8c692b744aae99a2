"""SQLite through aiosqlite: the embedded default."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapp.connections.url import DatabaseConfig
from fastapp.dialects.base import Dialect


class SQLiteDialect(Dialect):
    name = "sqlite"
    url_schemes = ("sqlite", "sqlite3", "aiosqlite")
    engine_aliases = ("sqlite", "sqlite3", "aiosqlite")
    tortoise_engine = "tortoise.backends.sqlite"
    sqlglot_name = "sqlite"
    needs_server = False
    supports_transactional_ddl = True
    # Tortoise turns every SQLite credential into a PRAGMA; busy_timeout is in milliseconds.
    pool_keys = {"timeout": ("busy_timeout", 1000)}
    pool_unsupported_reason = "Tortoise keeps one connection per SQLite database, no pool"
    list_tables_sql = (
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' ORDER BY 1"
    )

    def tortoise_connection(self, cfg: DatabaseConfig) -> dict[str, Any]:
        credentials: dict[str, Any] = {"file_path": cfg.name}
        credentials.update(dict(cfg.params))
        return {"engine": self.tortoise_engine, "credentials": credentials}

    def empty_tables_sql(self, tables: list[str]) -> list[str]:
        deletes = [f"DELETE FROM {self.quote(t)}" for t in tables]
        return ["PRAGMA foreign_keys = OFF", *deletes, "PRAGMA foreign_keys = ON"]

    async def empty_tables(self, client: Any, tables: list[str]) -> None:
        await super().empty_tables(client, tables)
        # sqlite_sequence exists only once some AUTOINCREMENT table does.
        found = await client.execute_query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
        )
        if found[1] and tables:
            names = ", ".join("'" + t.replace("'", "''") + "'" for t in tables)
            await client.execute_script(f"DELETE FROM sqlite_sequence WHERE name IN ({names})")

    async def connect(self, cfg: DatabaseConfig) -> Any:
        import aiosqlite

        conn = await aiosqlite.connect(cfg.name, isolation_level=None)
        await conn.execute("PRAGMA foreign_keys=ON")
        return conn

    async def fetch_scalar_list(self, connection: Any, sql: str) -> list[Any]:
        async with connection.execute(sql) as cur:
            return [row[0] for row in await cur.fetchall()]

    async def execute_raw(self, connection: Any, sql: str) -> None:
        await connection.execute(sql)

    async def create_database(self, cfg: DatabaseConfig) -> None:
        if cfg.name != ":memory:":
            Path(cfg.name).parent.mkdir(parents=True, exist_ok=True)
            Path(cfg.name).touch()

    async def drop_database(self, cfg: DatabaseConfig) -> None:
        if cfg.name == ":memory:":
            return
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.remove(cfg.name + suffix)
            except FileNotFoundError:
                pass

    def explain_connect_error(self, exc: BaseException, cfg: DatabaseConfig) -> str:
        detail = str(exc).strip() or type(exc).__name__
        folder = Path(cfg.name).parent
        hint = f"(does the folder {str(folder)!r} exist and is it writable?)"
        return (
            f"cannot open SQLite database {cfg.name!r} (connection {cfg.alias!r}): {detail} {hint}"
        )


dialect = SQLiteDialect()
