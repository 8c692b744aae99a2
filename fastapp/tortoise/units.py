"""A short all-or-nothing unit for one change and its bookkeeping (an audit row), in as few
round trips as the backend allows.

Tortoise's transaction costs a round trip per step: ``BEGIN``, each statement, ``COMMIT`` (on
SQLite a trip to aiosqlite's worker thread, a hand-off between threads that costs more than
the statement itself, plus a no-op ``COMMIT`` first). An audited ``save()`` took four or five
where a plain one takes one. Here a write whose result nobody reads waits: the audit row
(:func:`deferred`), and the ``UPDATE`` of a ``save()`` whose count Tortoise does not read
(:func:`next_write_waits`). They go together at the end, in one trip:

* SQLite: ``BEGIN``, the writes and ``COMMIT`` in one call on the worker thread;
* PostgreSQL: one statement (the writes joined as data-modifying ``WITH`` parts), atomic on
  its own, so no ``BEGIN``/``COMMIT`` at all.

A statement whose result is read (a query in a signal handler, a nested transaction) first
starts the transaction and runs what waits, so it sees it. MySQL keeps Tortoise's transaction.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient
from tortoise.backends.asyncpg.client import TransactionWrapper as AsyncpgTransactionWrapper
from tortoise.backends.base.client import (
    BaseDBAsyncClient,
    NestedTransactionContext,
    TransactionalDBClient,
    TransactionContextPooled,
)
from tortoise.backends.base_postgres.client import translate_exceptions as translate_postgres
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
    elif isinstance(db, AsyncpgDBClient):
        context = TransactionContextPooled(_AsyncpgUnit(db), db._pool_init_lock)
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


def next_write_waits(conn: BaseDBAsyncClient) -> None:
    """Let the next statement on ``conn`` wait for the unit's end, where the backend gains by
    it: the caller promises that statement is a write whose result it does not read (the
    ``UPDATE`` of a ``Model.save()`` that is not ``force_update``) and that nothing else runs
    before it. A failure then surfaces at the end, and the unit rolls back as a whole."""
    if isinstance(conn, _Waiting):
        conn._next_waits = True


class _Waiting:
    """What the units share: which write waits."""

    _next_waits = False

    def _may_wait(self) -> bool:
        """Whether this write waits (the one :func:`next_write_waits` announced, or an insert
        in :func:`deferred`); the announcement holds for one statement only."""
        waits = self._next_waits or _deferred.get()
        self._next_waits = False
        return waits


class _SqliteUnit(_Waiting, SqliteTransactionWrapper):
    """Tortoise's SQLite transaction, on a connection that saves trips (:class:`_Trips`)."""

    async def begin(self) -> None:  # BEGIN waits for the first statement
        self._connection = _Trips(self._parent._connection)  # type: ignore[assignment]

    async def _wait(self, query: str, values: list | None) -> None:
        async with self.acquire_connection() as trips:  # not while another task's trip runs
            trips.defer(query, list(values or ()))

    async def execute_insert(self, query: str, values: list) -> Any:
        if self._may_wait():
            await self._wait(query, values)
            return None  # the executor leaves the new row's id unset
        return await super().execute_insert(query, values)

    async def execute_query(self, query: str, values: list | None = None) -> Any:
        if self._may_wait():
            await self._wait(query, values)
            return 0, []  # the caller reads neither
        return await super().execute_query(query, values)

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


class _AsyncpgUnit(_Waiting, AsyncpgTransactionWrapper):
    """Tortoise's PostgreSQL transaction, begun only when a statement's result is read: the
    writes that wait (:func:`deferred`, :func:`next_write_waits`) then run first, inside it.
    When nothing else ran, they are one statement at the end, with no transaction around it
    (a statement is atomic on its own)."""

    async def begin(self) -> None:  # BEGIN waits for a statement whose result is read
        self._begun = False
        self._pending: list[tuple[str, list]] = []

    async def _start(self) -> None:
        """Begin the transaction if not yet, and run what waits."""
        if not self._begun:
            self._begun = True
            await super().begin()
        while self._pending:
            query, values = self._pending.pop(0)
            await self._run(query, values)

    @translate_postgres
    async def _run(self, query: str, values: list) -> None:
        async with self.acquire_connection() as connection:
            await connection.execute(query, *values)

    def _waits(self, query: str, values: list | None) -> bool:
        if self._may_wait():
            self._pending.append((query, list(values or ())))
            return True
        return False

    async def execute_insert(self, query: str, values: list) -> Any:
        if self._waits(query, values):
            return None  # the executor leaves the new row's id unset
        await self._start()
        return await super().execute_insert(query, values)

    async def execute_query(self, query: str, values: list | None = None) -> Any:
        if self._waits(query, values):
            return 0, []  # the caller reads neither
        await self._start()
        return await super().execute_query(query, values)

    async def execute_query_dict(self, query: str, values: list | None = None) -> Any:
        await self._start()
        return await super().execute_query_dict(query, values)

    async def execute_many(self, query: str, values: list) -> None:
        await self._start()
        await super().execute_many(query, values)

    async def execute_script(self, query: str) -> None:
        await self._start()
        await super().execute_script(query)

    def _in_transaction(self) -> Any:
        return _SavepointAfterStart(self)

    async def commit(self) -> None:
        if self._begun:
            await self._start()  # what waits runs inside the transaction
            await super().commit()
            return
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        if self._pending and not _joinable(self._pending):
            await self._start()  # in a transaction of their own, one by one
            await super().commit()
            return
        self._finalized = True
        if self._pending:
            query, values = _one_statement(self._pending)
            self._pending = []
            await self._run(query, values)

    async def rollback(self) -> None:
        if self._begun:
            await super().rollback()
            return
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        self._finalized = True
        self._pending = []  # nothing ran


class _SavepointAfterStart(NestedTransactionContext):
    """``in_transaction()`` inside an :class:`_AsyncpgUnit`: the unit's transaction begins
    first, so the nested block is a savepoint in it, not a transaction of its own."""

    def __init__(self, unit: _AsyncpgUnit) -> None:
        super().__init__(AsyncpgTransactionWrapper(unit))
        self.unit = unit

    async def __aenter__(self) -> Any:
        await self.unit._start()
        return await super().__aenter__()


_PLACEHOLDER = re.compile(r"\$(\d+)")


def _joinable(writes: list[tuple[str, list]]) -> bool:
    """Whether ``writes`` can be one statement: no text literal (whose ``$1`` renumbering
    would change it), and at most one that is not an INSERT (one statement may not change a
    row twice)."""
    if any("'" in query for query, _ in writes):
        return False
    return sum(not query.lstrip().upper().startswith("INSERT") for query, _ in writes) <= 1


def _one_statement(writes: list[tuple[str, list]]) -> tuple[str, list]:
    """The ``writes`` (INSERT/UPDATE/DELETE, parameters ``$1``...) as one statement: all but the
    last as data-modifying ``WITH`` parts, which PostgreSQL runs exactly once, each to its
    end, atomically with the last; parameters renumbered in order."""
    if len(writes) == 1:
        return writes[0]
    parts, values = [], []
    for query, params in writes:
        offset = len(values)
        parts.append(_PLACEHOLDER.sub(lambda m, at=offset: f"${int(m.group(1)) + at}", query))
        values.extend(params)
    heads = ", ".join(f"fastapp_write_{i} AS ({part})" for i, part in enumerate(parts[:-1]))
    return f"WITH {heads} {parts[-1]}", values


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
