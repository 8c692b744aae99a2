"""MySQL/MariaDB: a named ``GET_LOCK`` held by the connection."""

from __future__ import annotations

from fastapp.apply.locks.base import LockSession


class MySQLLockSession(LockSession):
    def lock_name(self) -> str:
        return "fastapp.auto_migrate." + self.cfg.name[:40].replace("'", "")

    async def acquire(self, timeout: float) -> None:
        got = await self.scalars(f"SELECT GET_LOCK('{self.lock_name()}', {max(int(timeout), 0)})")
        if got[0] != 1:
            raise self.timeout_error(timeout)

    async def release(self) -> None:
        await self.scalars(f"SELECT RELEASE_LOCK('{self.lock_name()}')")
