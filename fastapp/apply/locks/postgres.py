"""PostgreSQL: a session-level advisory lock keyed by the database name."""

from __future__ import annotations

import asyncio
import time
import zlib

from fastapp.apply.locks.base import LockSession


class PostgresLockSession(LockSession):
    def key(self) -> int:
        return zlib.crc32(f"fastapp.auto_migrate:{self.cfg.name}".encode())

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
