"""Scratch databases on real servers, for the test suite and the benchmarks.

Servers come from ``FASTAPP_TEST_PG_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``)
and ``FASTAPP_TEST_MYSQL_URL`` (default ``mysql://root:@127.0.0.1:3306/mysql``), as each hub
says (``test_server_env``, ``test_server_url``); SQLite needs none. Each scratch database gets
a unique ``fastapp_test_*`` name and is dropped afterwards.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapp.connections.url import DatabaseConfig, parse_database_url
from fastapp.dialects import dialect_names, get_dialect

REQUIRE_ENV = "FASTAPP_REQUIRE_BACKENDS"
BACKENDS = dialect_names()


def required_backends() -> set[str]:
    """Backends named by ``FASTAPP_REQUIRE_BACKENDS``: their tests fail instead of skipping."""
    return {b.strip() for b in os.environ.get(REQUIRE_ENV, "").split(",") if b.strip()}


def server_config(backend: str) -> DatabaseConfig | None:
    """The admin connection for ``backend`` (``None`` for SQLite, which needs no server)."""
    dialect = get_dialect(backend)
    if not dialect.needs_server:
        return None
    env = dialect.test_server_env
    return parse_database_url(
        os.environ.get(env, dialect.test_server_url) if env else dialect.test_server_url
    )


def scratch_config(backend: str, directory: Path | None = None) -> DatabaseConfig:
    """A fresh, not yet created database configuration on ``backend``."""
    name = f"fastapp_test_{uuid.uuid4().hex[:12]}"
    server = server_config(backend)
    if server is None:
        folder = directory or Path(tempfile.gettempdir())
        return DatabaseConfig(dialect_name=backend, name=str(folder / f"{name}.sqlite3"))
    return server.with_name(name)


async def unavailable_reason(backend: str) -> str | None:
    """Why ``backend``'s server cannot be used, or ``None`` when it can."""
    server = server_config(backend)
    if server is None:
        return None
    dialect = get_dialect(backend)
    try:
        conn = await dialect.connect(dialect.maintenance_config(server))
    except Exception as exc:  # any failure means: no usable server here
        return (
            f"{backend} server at {server.url()} is unreachable "
            f"({type(exc).__name__}: {server.mask(str(exc))}); start it, set "
            f"{dialect.test_server_env}, or run `docker compose up -d`"
        )
    await dialect.close(conn)
    return None


@asynccontextmanager
async def scratch_database(
    backend: str, directory: Path | None = None
) -> AsyncIterator[DatabaseConfig]:
    """Create an empty database on ``backend``, yield its config, drop it even on failure."""
    cfg = scratch_config(backend, directory)
    dialect = get_dialect(backend)
    await dialect.create_database(cfg)
    try:
        yield cfg
    finally:
        await dialect.drop_database(cfg)


def forget_tortoise_queries() -> None:
    """Drop Tortoise's process-wide cache of built queries.

    Tortoise keys that cache by connection name and table, not by backend: a process that
    initialises Tortoise on PostgreSQL, then on MySQL (a test run over several backends) would
    reuse ``$1`` placeholders on MySQL. Call it before each ``Tortoise.init`` in such a process.
    """
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    EXECUTOR_CACHE.clear()


async def create_scratch_databases(
    backend: str, count: int, directory: Path | None = None, *, parallel: int = 8
) -> list[DatabaseConfig]:
    """``count`` empty scratch databases on ``backend``, created ``parallel`` at a time (the
    fan-out tests and benchmark); drop them with :func:`drop_scratch_databases`."""
    import asyncio

    dialect = get_dialect(backend)
    configs = [scratch_config(backend, directory) for _ in range(count)]
    gate = asyncio.Semaphore(parallel)

    async def create(cfg: DatabaseConfig) -> None:
        async with gate:
            await dialect.create_database(cfg)

    try:
        await asyncio.gather(*(create(cfg) for cfg in configs))
    except BaseException:
        await drop_scratch_databases(configs, parallel=parallel)
        raise
    return configs


async def drop_scratch_databases(configs: list[DatabaseConfig], *, parallel: int = 8) -> None:
    """Drop every database of ``configs`` that exists, ``parallel`` at a time."""
    import asyncio

    gate = asyncio.Semaphore(parallel)

    async def drop(cfg: DatabaseConfig) -> None:
        async with gate:
            await cfg.dialect.drop_database(cfg)

    await asyncio.gather(*(drop(cfg) for cfg in configs), return_exceptions=True)
