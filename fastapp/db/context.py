"""Connections for one command: a Tortoise context for model work, raw driver connections for
catalog and admin work. Both turn connection failures into one clear line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapp.db.url import DatabaseConfig
from fastapp.errors import DatabaseUnavailableError, SettingsError

if TYPE_CHECKING:
    from tortoise.context import TortoiseContext

    from fastapp.apps import AppRegistry


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
async def tortoise_context(
    registry: AppRegistry, *, schema_only: bool = False
) -> AsyncIterator[TortoiseContext]:
    """Initialise Tortoise for ``registry``'s apps, check every connection, close on exit.

    ``schema_only``: the context only generates and runs DDL, never queries models, so what
    only queries need is not built (:func:`fastapp.db.tortoise_speedups.schema_only`).
    """
    from contextlib import nullcontext

    from tortoise.context import TortoiseContext

    from fastapp.db import tortoise_speedups

    tortoise_speedups.install()  # before the models modules are imported by ctx.init
    ctx = TortoiseContext()
    with ctx:
        try:
            try:
                with tortoise_speedups.schema_only() if schema_only else nullcontext():
                    await ctx.init(config=registry.tortoise_config())
            except Exception as exc:
                raise SettingsError(f"cannot load the models of the installed apps: {exc}") from exc
            for alias, cfg in registry.connections().items():
                try:
                    await ctx.db(alias).execute_query("SELECT 1")
                except Exception as exc:
                    raise connection_error(exc, cfg) from exc
            yield ctx
        finally:
            await ctx.close_connections()


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
