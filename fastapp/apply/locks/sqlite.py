"""SQLite: the database file's write lock, which is the plan's transaction."""

from __future__ import annotations

from typing import Any

from fastapp.apply.locks.base import LockSession


class SQLiteLockSession(LockSession):
    """``BEGIN IMMEDIATE`` takes the write lock and is the plan's transaction. Foreign keys
    are switched off for the session (a table rebuild needs that, and the pragma is a no-op
    inside a transaction); the plan verifies them with ``PRAGMA foreign_key_check``."""

    lock_is_transaction = True
    prelude = ("PRAGMA foreign_keys = OFF",)
    postlude = ("PRAGMA foreign_keys = ON",)

    async def acquire(self, timeout: float) -> None:
        await self.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        try:
            await self.execute("BEGIN IMMEDIATE")
        except Exception as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise self.timeout_error(timeout) from exc
            raise

    async def release(self) -> None:
        if self.conn.in_transaction:
            await self.execute("ROLLBACK")

    def tortoise_client(self, client: Any) -> Any:
        # Tortoise's transaction client on this aiosqlite connection, never begun: the
        # BEGIN IMMEDIATE of the lock is its transaction, and a nested in_transaction is a
        # savepoint instead of a COMMIT + BEGIN that would end the lock. Tortoise reads rows
        # by column name, as its own connections return them (a raw connection's rows are
        # tuples; the session's own reads index them, which a Row allows too).
        import sqlite3

        from tortoise.backends.sqlite.client import SqliteTransactionWrapper

        wrapper = SqliteTransactionWrapper(client)
        wrapper._connection = self.conn
        self.conn.row_factory = sqlite3.Row
        return wrapper

    async def begin(self) -> None:
        # The lock's BEGIN IMMEDIATE is the plan's transaction; after a commit ended it, a
        # new unit takes the write lock again.
        if not self.conn.in_transaction:
            await self.execute("BEGIN IMMEDIATE")
