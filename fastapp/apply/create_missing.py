"""The core of ``fastapp migrate``: create the tables the models need and the database lacks.

It never drops or alters anything. Where the backend has transactional DDL the tables of one
connection are created all or nothing; on MySQL each statement commits, and a re-run picks up
where an interrupted run stopped because the plan is recomputed from the live tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapp.apps import AppRegistry, parse_model_names
from fastapp.dialects import dialect_for_client
from fastapp.errors import AbortedByUser, ExecutionError, SchemaError, UnknownAppError
from fastapp.hooks import HookRunner
from fastapp.tortoise.context import tortoise_context
from fastapp.tortoise.generated import (
    GeneratedTable,
    connection_models,
    creation_order,
    generated_tables,
)

if TYPE_CHECKING:
    from tortoise.context import TortoiseContext
    from tortoise.models import Model

    from fastapp.connections.url import DatabaseConfig


@dataclass(frozen=True)
class ConnectionPlan:
    """What ``migrate`` does on one connection."""

    alias: str
    database: DatabaseConfig
    create: tuple[GeneratedTable, ...]
    existing: tuple[str, ...]

    @property
    def statements(self) -> list[str]:
        return [s for table in self.create for s in table.statements]


@dataclass(frozen=True)
class CreationPlan:
    connections: tuple[ConnectionPlan, ...] = field(default_factory=tuple)

    @property
    def table_count(self) -> int:
        return sum(len(c.create) for c in self.connections)

    @property
    def is_empty(self) -> bool:
        return self.table_count == 0


@dataclass(frozen=True)
class MigrateOptions:
    apps: Sequence[str] = ()
    models: Sequence[str] = ()
    safe: bool = True
    dry_run: bool = False


#: Called before anything is executed; returning False aborts without changes.
ConfirmPlan = Callable[[CreationPlan], bool]
#: Called after each table is created: (connection alias, table).
Progress = Callable[[str, GeneratedTable], None]


def select_models(
    ctx: TortoiseContext, registry: AppRegistry, options: MigrateOptions
) -> list[type[Model]]:
    """The models named by ``--apps`` and ``--models``, in registry order."""
    labels = [app.label for app in registry.select(options.apps)]
    candidates = [
        model
        for label in labels
        for model in ctx.apps.get_models_iterable()
        if model._meta.app == label
    ]
    if not options.models:
        return candidates
    wanted = parse_model_names(options.models)
    unknown = [
        f"{app}.{name}" if app else name
        for app, name in wanted
        if not any(m.__name__ == name and (app is None or m._meta.app == app) for m in candidates)
    ]
    if unknown:
        known = ", ".join(f"{m._meta.app}.{m.__name__}" for m in candidates) or "none"
        raise UnknownAppError(
            f"unknown model {', '.join(map(repr, unknown))} in the selected apps (known: {known})"
        )
    return [
        m
        for m in candidates
        if any(m.__name__ == name and (app is None or m._meta.app == app) for app, name in wanted)
    ]


async def plan_creation(
    ctx: TortoiseContext, registry: AppRegistry, options: MigrateOptions
) -> CreationPlan:
    """Compare the selected models' tables with the live tables of each connection."""
    selected = select_models(ctx, registry, options)
    plans = []
    for alias, cfg in registry.connections().items():
        client = ctx.db(alias)
        chosen = [m for m in selected if m._meta.db is client]
        if not chosen:
            continue
        all_models = connection_models(client, ctx.apps)
        tables = generated_tables(client, all_models, chosen, safe=options.safe)
        rows = await client.execute_query_dict(dialect_for_client(client).list_tables_sql)
        live = {row["name"] for row in rows}
        missing = [t for t in tables if t.table not in live]
        present = sorted(t.table for t in tables if t.table in live)
        if present and not options.safe:
            raise SchemaError(
                f"tables already exist on {alias!r}: {', '.join(present)}; "
                "use --safe to create only the missing ones"
            )
        _check_references(alias, missing, live, all_models)
        plans.append(ConnectionPlan(alias, cfg, tuple(creation_order(missing)), tuple(present)))
    return CreationPlan(tuple(plans))


def _check_references(
    alias: str,
    missing: Sequence[GeneratedTable],
    live: set[str],
    all_models: Sequence[type[Model]],
) -> None:
    creating = {t.table for t in missing}
    owners = {m._meta.db_table: m for m in all_models}
    for table in missing:
        for ref in sorted(table.references - creating - live):
            owner = owners.get(ref)
            hint = f"add --apps {owner._meta.app}" if owner is not None else "create it first"
            what = f" ({owner._meta.app}.{owner.__name__})" if owner is not None else ""
            raise SchemaError(
                f"{table.table} ({table.label}) references table {ref!r}{what}, which does not "
                f"exist on {alias!r} and is not selected: {hint}"
            )


async def apply_creation(
    ctx: TortoiseContext,
    plan: CreationPlan,
    progress: Progress | None = None,
    hooks: HookRunner | None = None,
) -> None:
    """Execute ``plan``: all or nothing per connection where DDL is transactional, the
    post-migrate ``hooks`` of each connection inside that transaction (a failing hook rolls
    the connection's tables back with it)."""
    from tortoise.transactions import in_transaction

    aliases = [c.alias for c in plan.connections]
    if hooks is not None:
        aliases += [a for a in _hook_aliases(hooks) if a not in aliases]
    for alias in aliases:
        conn_plan = next((c for c in plan.connections if c.alias == alias), None)
        create = conn_plan is not None and bool(conn_plan.create)
        run_hooks = hooks is not None and bool(hooks.for_connection(alias))
        if not create and not run_hooks:
            continue
        client = ctx.db(alias)
        if dialect_for_client(client).supports_transactional_ddl:
            async with in_transaction(alias) as conn:
                if create:
                    await _create_tables(conn, conn_plan, progress, transactional=True)
                if run_hooks:
                    await hooks.run(alias, conn, outcome="nothing was created on this connection")
        else:
            if create:
                await _create_tables(client, conn_plan, progress, transactional=False)
            if run_hooks:
                await hooks.run(
                    alias,
                    client,
                    outcome="the tables created were kept (this backend cannot roll DDL "
                    "back); fix the hook and run migrate again",
                )


def _hook_aliases(hooks: HookRunner) -> list[str]:
    return list(dict.fromkeys(app.connection for app, _ in hooks.hooks))


async def _create_tables(
    client, conn_plan: ConnectionPlan, progress, *, transactional: bool
) -> None:
    for table in conn_plan.create:
        for statement in table.statements:
            try:
                await client.execute_query(statement)
            except Exception as exc:
                outcome = (
                    "nothing was created on this connection"
                    if transactional
                    else "tables created before it were kept; fix the cause and re-run"
                )
                raise ExecutionError(
                    f"creating {table.table} ({table.label}) on {conn_plan.alias!r} failed: "
                    f"{conn_plan.database.mask(str(exc))}; {outcome}"
                ) from exc
        if progress is not None:
            progress(conn_plan.alias, table)


async def migrate(
    registry: AppRegistry,
    options: MigrateOptions,
    *,
    confirm: ConfirmPlan | None = None,
    progress: Progress | None = None,
    report: Callable[[str], None] | None = None,
) -> CreationPlan:
    """Plan and (unless ``dry_run``) apply the creation of missing tables, then run the
    post-migrate hooks (:mod:`fastapp.hooks`; ``report`` hears the lines they report).

    Returns the plan. Raises :class:`AbortedByUser` when ``confirm`` says no,
    :class:`SchemaError` / :class:`ExecutionError` / :class:`DatabaseUnavailableError` on
    failure, :class:`~fastapp.hooks.HookError` when a hook fails.
    """
    hooks = None if options.dry_run else HookRunner(registry, "migrate", report)
    async with tortoise_context(registry, schema_only=not hooks) as ctx:
        plan = await plan_creation(ctx, registry, options)
        if options.dry_run or (plan.is_empty and not hooks):
            return plan
        if not plan.is_empty and confirm is not None and not confirm(plan):
            raise AbortedByUser("migrate cancelled: nothing was created")
        await apply_creation(ctx, plan, progress, hooks or None)
        return plan
