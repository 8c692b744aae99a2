"""Raw driver connections (asyncpg, asyncmy, aiosqlite) for catalog and admin work, and the one
clear line a failed connection becomes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapp.connections.url import DatabaseConfig
from fastapp.errors import DatabaseUnavailableError


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    while (exc.__cause__ or exc.__context__) is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return exc


def connection_error(exc: BaseException, cfg: DatabaseConfig) -> DatabaseUnavailableError:
    """The one-line error for a failed connection to ``cfg``."""
    return DatabaseUnavailableError(cfg.dialect.explain_connect_error(_root_cause(exc), cfg))


@asynccontextmanager
async def raw_connection(cfg: DatabaseConfig) -> AsyncIterator[Any]:
    """A raw driver connection to ``cfg`` (asyncpg, asyncmy or aiosqlite), closed on exit."""
    dialect = cfg.dialect
    try:
        conn = await dialect.connect(cfg)
    except Exception as exc:
        raise connection_error(exc, cfg) from exc
    try:
        yield conn
    finally:
        await dialect.close(conn)
