"""MySQL/MariaDB: a named ``GET_LOCK`` held by the connection."""

from __future__ import annotations

import asyncio
import time

from fastapp.apply.locks.base import LockSession


class MySQLLockSession(LockSession):
    def lock_name(self) -> str:
        return "fastapp.auto_migrate." + self.cfg.name[:40].replace("'", "")

    async def acquire(self, timeout: float) -> None:
        # GET_LOCK waits whole seconds only (0.3 would mean 0) and a waiting query cannot be
        # interrupted cleanly: ask without waiting, and poll until the deadline.
        deadline = time.monotonic() + timeout
        while True:
            got = await self.scalars(f"SELECT GET_LOCK('{self.lock_name()}', 0)")
            if got[0] == 1:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise self.timeout_error(timeout)
            await asyncio.sleep(min(0.1, left))

    async def release(self) -> None:
        await self.scalars(f"SELECT RELEASE_LOCK('{self.lock_name()}')")
