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
    declared_object_renames,
    declared_renames,
    desired_schema,
    models_ddl,
    read_ddl_file,
)
from fastapp.diff.compare import DiffOptions, parse_column_renames, parse_table_renames
from fastapp.tortoise.tables import BOOKKEEPING_TABLES

if TYPE_CHECKING:
    from fastapp.apps import AppRegistry
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
        objects = tuple(declared_object_renames(ddl))
    else:
        objects = ()
    return DiffOptions(
        table_renames=tables,
        column_renames=columns,
        drop_tables=not request.apps,
        keep_on_update=not file,
        keep_live_clauses=not file,
        kept_tables=BOOKKEEPING_TABLES,
        object_renames=objects,
    )


async def auto_migrate(
    project: Project,
    request: AutoMigrateRequest,
    callbacks_for: Callable[[Target], Callbacks] | None = None,
    report: Callable[[str], None] | None = None,
) -> list[TargetResult]:
    """Plan (and unless ``--dry-run``/``--check``, apply) every target in turn, then run the
    post-migrate hooks (models only, not ``--desired-sql``; ``report`` hears their lines).

    The executor works on raw driver connections under the migration lock, so the hooks run
    after each target's plan is committed, in a transaction of their own: a failing hook
    leaves the schema change applied (a re-run finds an empty plan and runs the hooks again).

    Raises what :func:`fastapp.apply.executor.migrate_database` raises, plus
    :class:`~fastapp.desired.read.DesiredSchemaError` for DDL the scratch space rejects and
    :class:`~fastapp.hooks.HookError`.
    """
    results = []
    targets = await resolve_targets(project, request)
    for target in targets:
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
    if not (request.dry_run or request.check or request.desired_sql is not None):
        await run_hooks(project.registry(request.database), [t.alias for t in targets], report)
    return results


async def run_hooks(
    registry: AppRegistry, aliases: list[str], report: Callable[[str], None] | None
) -> None:
    """The post-migrate hooks of ``aliases``, each connection's in one transaction."""
    from fastapp.dialects import dialect_for_client
    from fastapp.hooks import HookRunner
    from fastapp.tortoise.context import tortoise_context

    hooks = HookRunner(registry, "auto_migrate", report)
    wanted = [a for a in aliases if hooks.for_connection(a)]
    if not wanted:
        return
    from tortoise.transactions import in_transaction

    async with tortoise_context(registry) as ctx:
        for alias in wanted:
            outcome = "the schema change was applied and kept; fix the hook and run again"
            if dialect_for_client(ctx.db(alias)).supports_transactional_ddl:
                async with in_transaction(alias) as conn:
                    await hooks.run(alias, conn, outcome=outcome)
            else:
                await hooks.run(alias, ctx.db(alias), outcome=outcome)
