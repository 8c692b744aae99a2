"""The core of ``fastapp auto_migrate``: resolve the desired schema of each connection (models
or a DDL file), then let the executor bring each database there.

Prints nothing: the command passes callbacks (prompts, progress) and prints the results.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from fastapp.apply.executor import (
    ApplyOptions,
    Callbacks,
    CommitPoint,
    Outcome,
    migrate_database,
)
from fastapp.desired.read import (
    DesiredDDL,
    declared_object_renames,
    declared_renames,
    desired_schema,
    models_ddl,
    read_ddl_file,
)
from fastapp.diff.compare import DiffOptions, parse_column_renames, parse_table_renames
from fastapp.hooks import HookRunner
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
    """Plan (and unless ``--dry-run``/``--check``, apply) every target in turn, each with
    its connection's post-migrate hooks (models only, not ``--desired-sql``; ``report``
    hears their lines).

    The hooks run once per target, under its migration lock, on the executor's connection
    (:attr:`~fastapp.apply.executor.Callbacks.before_commit`), even when the plan is empty:
    on PostgreSQL and SQLite inside the plan's transaction, before it commits, so a failing
    hook rolls the schema change back with the hooks' writes. Where part of the plan runs
    outside that transaction (``--online``, ``--concurrently``) the hooks run after it, in a
    transaction of their own: a failure keeps the plan and rolls back only the hooks' writes.
    MySQL/MariaDB cannot roll DDL back: the hooks run after the statements and a failure
    keeps the schema change and the hooks' writes up to it.

    Raises what :func:`fastapp.apply.executor.migrate_database` raises, plus
    :class:`~fastapp.desired.read.DesiredSchemaError` for DDL the scratch space rejects and
    :class:`~fastapp.hooks.HookError` (naming the app, the hook and what was kept).
    """
    results = []
    targets = await resolve_targets(project, request)
    # A DDL file is no app's schema change (and needs no settings): no hooks.
    writes = not (request.dry_run or request.check or request.desired_sql is not None)
    registry = project.registry(request.database) if writes else None
    # What the hooks report waits for their unit's outcome: lines about rolled-back writes
    # are dropped.
    reported: list[str] = []
    hooks = HookRunner(registry, "auto_migrate", reported.append) if registry else None
    hooked = {t.alias for t in targets if hooks and hooks.for_connection(t.alias)}
    async with _orm_for_hooks(registry, hooked) as ctx:
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
            if target.alias in hooked:
                run_hooks = _hooks_at(hooks, ctx.db(target.alias), target.alias, reported)
                callbacks = replace(callbacks, before_commit=run_hooks)
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
                for line in reported if report is not None else ():
                    report(line)
                reported.clear()
            results.append(TargetResult(target, outcome))
    return results


@contextlib.asynccontextmanager
async def _orm_for_hooks(registry: AppRegistry | None, aliases: set[str]) -> AsyncIterator[Any]:
    """Tortoise set up for the hooks' queries, before any migration lock is taken (SQLite:
    Tortoise's connection sets the journal mode, which a held write lock would block)."""
    if registry is None or not aliases:
        yield None
        return
    from fastapp.tortoise.context import tortoise_context

    async with tortoise_context(registry) as ctx:
        yield ctx


def _hooks_at(
    hooks: HookRunner, client: Any, alias: str, reported: list[str]
) -> Callable[[CommitPoint], Any]:
    """The executor's ``before_commit``: ``alias``'s hooks on a Tortoise client bound to the
    executor's connection and transaction (``client``: the alias's own, as the model)."""

    async def run(point: CommitPoint) -> None:
        kept = "" if point.transactional else "; the hooks' writes up to the failure were kept"
        outcome = f"{point.after_failure()}{kept}; fix the hook and run auto_migrate again"
        try:
            await hooks.run(alias, point.session.tortoise_client(client), outcome=outcome)
        except BaseException:
            if point.transactional:
                reported.clear()
            raise

    return run
