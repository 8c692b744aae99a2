"""A transaction per request, as a FastAPI dependency."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction


def transaction(connection_name: str | None = None) -> Any:
    """A dependency running the request in one transaction on ``connection_name`` (``None``:
    the only connection).

    Returns ``Depends(...)`` with ``scope="function"``: FastAPI leaves the dependency as soon as
    the handler returns, so the writes are committed *before* the response is sent, and a
    failed commit is a 500, never a success the client saw for lost data. Any exception out of
    the handler (``HTTPException`` included, or one raised after a partial write) rolls back.
    Inside, ``in_transaction()`` opens a savepoint, and models use the transaction's
    connection without being passed it.
    """

    async def run_in_transaction() -> AsyncIterator[BaseDBAsyncClient]:
        async with in_transaction(connection_name) as connection:
            yield connection

    return Depends(run_in_transaction, scope="function")


#: Annotate a handler parameter with it: ``async def create(tx: Transaction)``.
Transaction = Annotated[BaseDBAsyncClient, transaction()]
