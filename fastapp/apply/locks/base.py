"""What a lock session is: how one backend takes the migration lock and begins and ends the
plan's transaction on a raw driver connection. One subclass per backend, named by the hub
(``parts["lock_session"]`` in :mod:`fastapp.dialects`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from fastapp.errors import FastappError

if TYPE_CHECKING:
    from fastapp.connections.url import DatabaseConfig


class LockTimeoutError(FastappError):
    """Another migration holds the lock for longer than we are willing to wait."""


class LockSession:
    """How one backend locks, begins and ends a migration on a raw connection."""

    #: The lock is the transaction itself (SQLite): no separate BEGIN.
    lock_is_transaction: ClassVar[bool] = False
    #: Run before the lock is taken and after it is released (connection settings).
    prelude: ClassVar[tuple[str, ...]] = ()
    postlude: ClassVar[tuple[str, ...]] = ()

    def __init__(self, cfg: DatabaseConfig, conn: Any) -> None:
        self.cfg, self.conn, self.dialect = cfg, conn, cfg.dialect

    async def execute(self, sql: str) -> None:
        await self.dialect.execute_raw(self.conn, sql)

    async def scalars(self, sql: str) -> list[Any]:
        return await self.dialect.fetch_scalar_list(self.conn, sql)

    async def acquire(self, timeout: float) -> None:
        """Take the migration lock, waiting at most ``timeout`` seconds; raises
        :class:`LockTimeoutError` when another migration keeps it."""
        raise NotImplementedError

    async def release(self) -> None:
        """Give the lock back (ends the transaction where the lock is one)."""
        raise NotImplementedError

    def tortoise_client(self, client: Any) -> Any:
        """A Tortoise client for ORM work in this session's open transaction: like ``client``
        (the connection's Tortoise client: its name, capabilities, log) but bound to this
        session's own connection, knowing a transaction is open, so Tortoise's
        ``in_transaction`` nests as a savepoint instead of committing the session's work.

        ``client`` itself on a backend without transactional DDL (nothing to join: the work
        runs on Tortoise's own connections, committing as it goes).
        """
        return client

    async def begin(self) -> None:
        if self.dialect.supports_transactional_ddl and not self.lock_is_transaction:
            await self.execute("BEGIN")

    async def commit(self) -> None:
        if self.dialect.supports_transactional_ddl:
            await self.execute("COMMIT")

    async def rollback(self) -> None:
        if self.dialect.supports_transactional_ddl:
            await self.execute("ROLLBACK")

    def timeout_error(self, timeout: float) -> LockTimeoutError:
        return LockTimeoutError(
            f"another auto_migrate holds the migration lock of {self.cfg.url()} "
            f"(waited {timeout:g} s); wait for it to finish and run again"
        )
