"""SQLite: an in-memory database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapp.desired.scratch.base import ScratchSpace, catalog_reader

if TYPE_CHECKING:
    from fastapp.connections.url import DatabaseConfig
    from fastapp.desired.ddl import DesiredDDL
    from fastapp.schema.objects import Schema


class Scratch(ScratchSpace):
    dialect_name = "sqlite"
    scratch_kind = "in-memory database"

    async def server_identity(self, cfg: DatabaseConfig) -> str:
        import sqlite3

        return sqlite3.sqlite_version

    async def read(self, cfg: DatabaseConfig, ddl: DesiredDDL) -> Schema:
        from fastapp.connections.raw import raw_connection

        memory = type(cfg)(dialect_name="sqlite", name=":memory:")
        async with raw_connection(memory) as conn:
            try:
                # The whole script at once: trigger bodies hold semicolons of their own.
                await conn.executescript(ddl.text)
            except Exception:
                async with raw_connection(memory) as probe:
                    await self.apply_each(cfg.dialect, probe, ddl)
                raise
            return await catalog_reader("sqlite").read(conn)
