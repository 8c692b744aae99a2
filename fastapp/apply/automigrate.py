"""The core of ``fastapp auto_migrate``: resolve the desired schema of each connection (models
or a DDL file), then let the executor bring each database there.

Prints nothing: the command passes callbacks (prompts, progress) and prints the results.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapp.apply.executor import ApplyOptions, Callbacks, Outcome, migrate_database
from fastapp.desired.read import (
    DesiredDDL,
    declared_renames,
    desired_schema,
    models_ddl,
    read_ddl_file,
)
from fastapp.diff.compare import DiffOptions, parse_column_renames, parse_table_renames
from fastapp.tortoise.tables import BOOKKEEPING_TABLES

if TYPE_CHECKING:
    from fastapp.connections.url import DatabaseConfig
    from fastapp.project import Project


@dataclass(frozen=True)
class AutoMigrateRequest:
    """The command line, as values."""

    apps: tuple[str, ...] = ()
    database: str | None = None
    desired_sql: str | None = None
    guided: bool = True
    allow_destructive: bool = False
    dry_run: bool = False
    check: bool = False
    renames: tuple[str, ...] = ()
    rename_tables: tuple[str, ...] = ()
    concurrently: bool = False
    online: bool = False
    continue_on_error: bool = False
    lock_timeout: float = 30.0


@dataclass(frozen=True)
class Target:
    """One database to migrate and the DDL it should end up with."""

    alias: str
    cfg: DatabaseConfig
    ddl: DesiredDDL


@dataclass(frozen=True)
class TargetResult:
    target: Target
    outcome: Outcome


async def resolve_targets(project: Project, request: AutoMigrateRequest) -> list[Target]:
    """Where to migrate and to what: the DDL file on one database, or each connection's
    models (only the selected apps' with ``--apps``)."""
    if request.desired_sql is not None:
        cfg = project.database(request.database)
        return [Target(cfg.alias, cfg, read_ddl_file(request.desired_sql, cfg.dialect_name))]
    registry = project.registry(request.database)
    connections = registry.connections()
    found = await models_ddl(registry, request.apps)
    return [Target(alias, connections[alias], ddl) for alias, ddl in found.items()]


def diff_options(request: AutoMigrateRequest, ddl: DesiredDDL, *, file: bool) -> DiffOptions:
    tables = parse_table_renames(request.rename_tables)
    columns = parse_column_renames(request.renames)
    if file:
        declared_tables, declared_columns = declared_renames(ddl)
        tables += tuple(declared_tables)
        columns += tuple(declared_columns)
    return DiffOptions(
        table_renames=tables,
        column_renames=columns,
        drop_tables=not request.apps,
        keep_on_update=not file,
        kept_tables=BOOKKEEPING_TABLES,
    )


async def auto_migrate(
    project: Project,
    request: AutoMigrateRequest,
    callbacks_for: Callable[[Target], Callbacks] | None = None,
) -> list[TargetResult]:
    """Plan (and unless ``--dry-run``/``--check``, apply) every target in turn.

    Raises what :func:`fastapp.apply.executor.migrate_database` raises, plus
    :class:`~fastapp.desired.read.DesiredSchemaError` for DDL the scratch space rejects.
    """
    results = []
    for target in await resolve_targets(project, request):
        options = ApplyOptions(
            guided=request.guided,
            allow_destructive=request.allow_destructive,
            dry_run=request.dry_run,
            check=request.check,
            concurrently=request.concurrently,
            online=request.online,
            continue_on_error=request.continue_on_error,
            lock_timeout=request.lock_timeout,
            diff=diff_options(request, target.ddl, file=request.desired_sql is not None),
        )
        callbacks = callbacks_for(target) if callbacks_for is not None else Callbacks()
        # The scratch space works while the live side is read.
        desired = asyncio.ensure_future(
            desired_schema(target.cfg, target.ddl, notice=callbacks.notice)
        )
        try:
            outcome = await migrate_database(target.cfg, desired, options, callbacks)
        finally:
            if not desired.done():  # e.g. the migration lock was not granted
                desired.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await desired
        results.append(TargetResult(target, outcome))
    return results
