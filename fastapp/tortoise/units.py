"""A short all-or-nothing unit for one change and its bookkeeping (an audit row), in as few
round trips as the backend allows.

On SQLite, Tortoise's transaction costs a trip to aiosqlite's worker thread per step: a no-op
``COMMIT``, ``BEGIN``, each statement, ``COMMIT``. A trip is a hand-off between threads,
and on a busy machine it costs more than the statement itself: an audited ``save()`` took five
where a plain one takes one (2.8x). Here ``BEGIN`` goes with the unit's first statement, and a
write whose result nobody reads (:func:`deferred`: an audit row) waits for the next statement
or for ``COMMIT``: an audited ``save()`` is two trips. On PostgreSQL and MySQL the unit is
Tortoise's own transaction (its statements are network round trips either way).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

_deferred: ContextVar[bool] = ContextVar("fastapp_deferred_writes", default=False)


@asynccontextmanager
async def unit(db: BaseDBAsyncClient) -> AsyncIterator[BaseDBAsyncClient]:
    """``db`` itself when it is already a transaction (a request's, an ``in_transaction()``
    block), else a transaction of its own: what runs inside commits or rolls back as one,
    without a savepoint per write."""
    if isinstance(db, TransactionalDBClient) and not db._finalized:
        yield db
        return
    if isinstance(db, SqliteClient):
        context: Any = SqliteTransactionContext(_SqliteUnit(db), db._lock)
    else:
        context = db._in_transaction()
    async with context as conn:
        yield conn


@contextmanager
def deferred() -> Iterator[None]:
    """Inserts run inside this block may wait for the unit's next statement or its commit
    (where the backend gains by it): their result (a new row's id) is not read. A failure
    then surfaces there, and the unit rolls back as a whole."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


class _SqliteUnit(SqliteTransactionWrapper):
    """Tortoise's SQLite transaction, on a connection that saves trips (:class:`_Trips`)."""

    async def begin(self) -> None:  # BEGIN waits for the first statement
        self._connection = _Trips(self._parent._connection)  # type: ignore[assignment]

    async def execute_insert(self, query: str, values: list) -> Any:
        if _deferred.get():
            async with self.acquire_connection() as trips:  # not while another task's trip runs
                trips.defer(query, values)
            return None  # the executor leaves the new row's id unset
        return await super().execute_insert(query, values)

    async def commit(self) -> None:
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        self._finalized = True
        trips: _Trips = self._connection  # type: ignore[assignment]
        try:
            await trips.commit()
        except sqlite3.Error as exc:  # a deferred write failed: nothing of the unit is kept
            await trips.rollback()
            raise _translated(exc) from exc

    async def rollback(self) -> None:
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        self._finalized = True
        await self._connection.rollback()


def _translated(exc: sqlite3.Error) -> Exception:
    """The Tortoise exception for a SQLite one, as Tortoise's own client raises it."""
    if isinstance(exc, sqlite3.IntegrityError):
        return IntegrityError(exc)
    return OperationalError(exc)


class _Trips:
    """One transaction's aiosqlite connection: ``BEGIN`` rides with the first statement, and
    deferred inserts with the next statement or ``COMMIT``.

    Each call runs on aiosqlite's worker thread in one trip (aiosqlite's ``_execute``, through
    which all its own methods go). A deferred insert runs before the next statement in a trip
    of its own, so that statement's change count (which Tortoise takes from
    ``total_changes`` around it) stays its own; it shares a trip only with ``COMMIT``.
    """

    __slots__ = ("_aio", "_begun", "_pending")

    def __init__(self, aio: Any) -> None:
        self._aio = aio
        self._begun = False
        self._pending: list[tuple[str, list]] = []

    def __getattr__(self, name: str) -> Any:  # anything else: the connection's own
        return getattr(self._aio, name)

    @property
    def total_changes(self) -> int:
        return self._aio.total_changes

    def defer(self, sql: str, values: list) -> None:
        self._pending.append((sql, values))

    async def execute_fetchall(self, sql: str, parameters: Any = None) -> Any:
        return await self._run(self._aio._execute_fetchall, sql, parameters or [])

    async def execute_insert(self, sql: str, parameters: Any = None) -> Any:
        return await self._run(self._aio._execute_insert, sql, parameters or [])

    async def execute(self, sql: str, parameters: Any = None) -> Any:
        return await self._run(lambda: self._aio._conn.execute(sql, parameters or []))

    async def executemany(self, sql: str, parameters: Any) -> Any:
        return await self._run(lambda: self._aio._conn.executemany(sql, parameters))

    async def executescript(self, script: str) -> Any:
        return await self._run(lambda: self._aio._conn.executescript(script))

    async def commit(self) -> None:
        if self._begun or self._pending:  # else nothing ran: nothing to commit
            await self._aio._execute(self._on_thread, self._aio._conn.commit)

    async def rollback(self) -> None:
        self._pending.clear()
        if self._begun:
            await self._aio.rollback()

    async def _run(self, statement: Callable[..., Any], *args: Any) -> Any:
        if self._pending:
            await self._aio._execute(self._on_thread, None)
        return await self._aio._execute(self._on_thread, statement, *args)

    def _on_thread(self, statement: Callable[..., Any] | None, *args: Any) -> Any:
        """Run on the worker thread: ``BEGIN`` if not yet, the deferred inserts, then
        ``statement``."""
        conn = self._aio._conn
        if not self._begun:
            self._begun = True  # set first: a failed BEGIN leaves nothing to roll back
            conn.execute("BEGIN")
        while self._pending:
            sql, values = self._pending.pop(0)
            conn.execute(sql, values)
        return None if statement is None else statement(*args)
