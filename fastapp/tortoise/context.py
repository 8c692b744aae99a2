"""The Tortoise context of one command: init from the app registry, every connection checked,
closed on exit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapp.connections.raw import connection_error, raw_connection
from fastapp.errors import SettingsError

if TYPE_CHECKING:
    from tortoise.context import TortoiseContext

    from fastapp.apps import AppRegistry


@asynccontextmanager
async def tortoise_context(
    registry: AppRegistry, *, schema_only: bool = False, offline: bool = False
) -> AsyncIterator[TortoiseContext]:
    """Initialise Tortoise for ``registry``'s apps, check every connection, close on exit.

    ``schema_only``: the context only generates and runs DDL, never queries models, so what
    only queries need is not built. ``offline``: nothing runs through the context (it
    generates DDL or reads the models' state), so no connection is opened or checked; the
    caller opens its own where it needs one, which fails with the same clean line. The
    start-up workarounds
    (:func:`fastapp.tortoise.speedups.scope`) are active during the init only, and only for
    this task. Raises :class:`SettingsError` for models that do not load,
    :class:`~fastapp.errors.UnsupportedTortoiseError` for a Tortoise the workarounds do not
    know, and what :func:`fastapp.connections.raw.connection_error` gives for a connection
    that fails.
    """
    from tortoise.context import TortoiseContext

    from fastapp.tortoise import speedups

    ctx = TortoiseContext()
    with ctx:
        try:
            with speedups.scope(schema_only=schema_only):  # the models modules import here
                try:
                    await ctx.init(config=registry.tortoise_config())
                except Exception as exc:
                    raise SettingsError(
                        f"cannot load the models of the installed apps: {exc}"
                    ) from exc
            for alias, cfg in () if offline else registry.connections().items():
                # Our own connection first: a driver that fails to connect inside Tortoise
                # can leave a worker thread behind that outlives the event loop (aiosqlite),
                # which no close() of Tortoise's reaches.
                async with raw_connection(cfg):
                    pass
                try:
                    await ctx.db(alias).execute_query("SELECT 1")
                except Exception as exc:
                    raise connection_error(exc, cfg) from exc
            yield ctx
        finally:
            await ctx.close_connections()
