"""PostgreSQL: a session-level advisory lock keyed by the database name (and the schema of a
schema target)."""

from __future__ import annotations

import asyncio
import time
import zlib
from typing import Any

from fastapp.apply.locks.base import LockSession


class PostgresLockSession(LockSession):
    """The plan's transaction is an asyncpg transaction block, not a bare ``BEGIN``: asyncpg
    then knows one is open and turns the transactions of the ORM work done in it (Tortoise's
    ``in_transaction``) into savepoints instead of refusing them."""

    _transaction: Any = None

    def key(self) -> int:
        # A schema of its own (a fan-out target) is locked on its own.
        scope = self.cfg.name + (f".{self.cfg.namespace}" if self.cfg.namespace else "")
        return zlib.crc32(f"fastapp.auto_migrate:{scope}".encode())

    async def acquire(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            got = await self.scalars(f"SELECT pg_try_advisory_lock({self.key()})")
            if got[0]:
                return
            if time.monotonic() >= deadline:
                raise self.timeout_error(timeout)
            await asyncio.sleep(0.1)

    async def release(self) -> None:
        await self.scalars(f"SELECT pg_advisory_unlock({self.key()})")

    async def begin(self) -> None:
        self._transaction = self.conn.transaction()
        await self._transaction.start()

    async def commit(self) -> None:
        transaction, self._transaction = self._transaction, None
        await transaction.commit()

    async def rollback(self) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is not None:
            await transaction.rollback()

    def tortoise_client(self, client: Any) -> Any:
        # Tortoise's asyncpg transaction client on this connection, never begun itself: the
        # session's transaction is its transaction.
        from tortoise.backends.asyncpg.client import TransactionWrapper

        wrapper = TransactionWrapper(client)
        wrapper._connection = self.conn
        return wrapper
