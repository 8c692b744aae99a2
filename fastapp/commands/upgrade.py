"""``fastapp upgrade``."""

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
from fastapp.commands.common import AppsOption, DatabaseOption, OnlineOption, console, state

FakeOption = Annotated[
    bool,
    typer.Option("--fake", help="Record the migrations as applied without running them."),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="List the migrations that would run; run nothing.")
]
SqlOption = Annotated[
    bool,
    typer.Option("--sql", help="Print the SQL of the range (offline, for a DBA); run nothing."),
]
LockTimeoutOption = Annotated[
    float,
    typer.Option("--lock-timeout", metavar="SECONDS", help="Longest wait for the migration lock."),
]


def command(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(help="head (default), APP, APP:NAME (a name prefix will do) or +N."),
    ] = "head",
    apps: AppsOption = None,
    database: DatabaseOption = None,
    fake: FakeOption = False,
    dry_run: DryRunOption = False,
    sql: SqlOption = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Exit 1 when, at head, the database still differs from the models."
        ),
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify/--no-verify",
            help="At head, compare the database with the models (fastapp's diff engine).",
        ),
    ] = True,
    lock_timeout: LockTimeoutOption = 30.0,
    online: OnlineOption = False,
    targets: TargetsOption = None,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    continue_on_error: ContinueOption = False,
    only_failed: OnlyFailedOption = False,
    canary: CanaryOption = 0,
) -> None:
    """Apply the versioned migrations (Tortoise's format) up to TARGET.

    Runs under the migration lock; each migration and its record commit together where the
    backend has transactional DDL. Refuses to run while an app has two heads. At head, the
    database is compared with the models and any drift is reported (an error with --strict).
    With --targets, runs on many databases or schemas at once (each its own lock and
    history); a target already at head is skipped after one query.
    """
    from fastapp.versions.applying import RunRequest, upgrade

    request = RunRequest(
        target=target,
        apps=tuple(apps or ()),
        fake=fake,
        dry_run=dry_run,
        sql=sql,
        lock_timeout=lock_timeout,
        verify=verify,
        strict=strict,
        online=online,
    )
    fanout = FanoutRequest(targets, parallel, continue_on_error, only_failed, canary)
    fanout.refuse_without_targets()
    if fanout.wanted:
        from fastapp.targets.jobs import upgrade_job

        run_fanout(
            "upgrade",
            state(ctx).project,
            fanout,
            lambda project: upgrade_job(project, request),
            database=database,
        )
        return
    out = console()
    result = asyncio.run(
        upgrade(state(ctx).project.registry(database), request, progress_printer(out, fake))
    )
    report(out, request, result, "apply")


def progress_printer(out, fake: bool):
    def progress(event: str, step) -> None:
        if event == "done":
            verb = ("unapplied" if step.backward else "applied") + (" (fake)" if fake else "")
            out.print(f"  \u2713 {verb} {step.key}", style="green", markup=False)

    return progress


def report(out, request, result, verb: str) -> None:
    """Print the outcome of an upgrade/downgrade; shared with ``downgrade``."""
    if request.sql:
        for line in result.sql:
            out.print(line, markup=False)
        if not result.steps:
            out.print("-- nothing to do", markup=False)
        return
    if not result.steps:
        out.print("Nothing to do: the database is at the target.")
    elif request.dry_run:
        out.print(f"Would {verb} {len(result.steps)} migration(s):")
        for step in result.steps:
            out.print(f"  {step.describe()}", markup=False)
    else:
        out.print(f"Done: {len(result.done)} migration(s).")
    for line in result.notes:
        out.print(line, markup=False)
    if result.drift is None:
        return
    if not result.drift:
        out.print("The database matches the models.")
        return
    warn = console(stderr=True)
    warn.print(
        f"warning: the database differs from the models ({len(result.drift)} difference(s)); "
        "run `fastapp makemigrations`:",
        style="yellow",
        markup=False,
    )
    for item in result.drift:
        warn.print(f"  {item.describe()}", style="yellow", markup=False)
