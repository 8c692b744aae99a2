"""PostgreSQL: a session-level advisory lock keyed by the database name (and the schema of a
schema target)."""

from __future__ import annotations

import asyncio
import time
import zlib

from fastapp.apply.locks.base import LockSession


class PostgresLockSession(LockSession):
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
