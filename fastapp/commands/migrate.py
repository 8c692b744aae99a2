"""``fastapp migrate``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands._fanout import (
    DEFAULT_PARALLEL,
    CanaryOption,
    ContinueOption,
    FanoutRequest,
    OnlyFailedOption,
    ParallelOption,
    TargetsOption,
    run_fanout,
)
from fastapp.commands.common import AppsOption, DatabaseOption, console, state


def command(
    ctx: typer.Context,
    apps: AppsOption = None,
    models: Annotated[
        list[str] | None,
        typer.Option(
            "--models",
            "--model",
            "-m",
            metavar="[APP.]MODEL",
            help="Limit to this model (repeatable).",
        ),
    ] = None,
    database: DatabaseOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the SQL that would run; execute nothing.")
    ] = False,
    safe: Annotated[
        bool,
        typer.Option(
            "--safe/--no-safe",
            help="--safe creates only missing tables; --no-safe fails if a selected table exists.",
        ),
    ] = True,
    guided: Annotated[
        bool,
        typer.Option("--guided/--no-guided", help="Show the statements and ask before executing."),
    ] = False,
    targets: TargetsOption = None,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    continue_on_error: ContinueOption = False,
    only_failed: OnlyFailedOption = False,
    canary: CanaryOption = 0,
) -> None:
    """Create the tables the models need and the database lacks; never drop or alter.

    Tables come with their indexes and many-to-many tables, in foreign-key order, on each
    app's own connection. Running it again creates nothing. With --targets, on many
    databases or schemas at once.
    """
    from fastapp.apply.create_missing import MigrateOptions
    from fastapp.apply.create_missing import migrate as run_migrate

    options = MigrateOptions(apps=apps or (), models=models or (), safe=safe, dry_run=dry_run)
    fanout = FanoutRequest(targets, parallel, continue_on_error, only_failed, canary)
    fanout.refuse_without_targets()
    if fanout.wanted:
        from fastapp.targets.jobs import migrate_job

        if guided:
            raise typer.BadParameter("--guided asks per database: not with --targets")
        run_fanout(
            "migrate",
            state(ctx).project,
            fanout,
            lambda project: migrate_job(project, options),
            database=database,
        )
        return
    out = console()
    registry = state(ctx).project.registry(database)

    def confirm(plan) -> bool:
        _print_sql(out, plan)
        return typer.confirm(f"Create {plan.table_count} table(s)?", default=False)

    def progress(alias: str, table) -> None:
        out.print(f"  [green]+[/] {table.table} [dim]({table.label})[/]")

    plan = asyncio.run(
        run_migrate(
            registry,
            options,
            confirm=confirm if guided else None,
            progress=progress,
            report=lambda line: out.print(line, markup=False),
        )
    )
    if dry_run:
        _print_sql(out, plan)
        return
    for conn in plan.connections:
        if conn.create:
            out.print(
                f"Created {len(conn.create)} table(s) on {conn.alias!r} ({conn.database.url()})."
            )
    if plan.is_empty:
        out.print("No changes: every table of the selected models already exists.")


def _print_sql(out, plan) -> None:
    if plan.is_empty:
        out.print("-- No changes: every table of the selected models already exists.")
    for conn in plan.connections:
        if not conn.create:
            continue
        out.print(f"-- {conn.alias}: {conn.database.url()}", markup=False)
        for statement in conn.statements:
            out.print(f"{statement};", markup=False)
