"""``fastapp showmigrations``."""

from __future__ import annotations

import asyncio

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
    database: DatabaseOption = None,
    targets: TargetsOption = None,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    continue_on_error: ContinueOption = False,
    only_failed: OnlyFailedOption = False,
    canary: CanaryOption = 0,
) -> None:
    """List every app's migrations: [X] applied (with the time, UTC) or [ ] pending.

    With --targets, one row per target: how many are applied and which are pending.
    """
    from fastapp.versions.state import status

    fanout = FanoutRequest(targets, parallel, continue_on_error, only_failed, canary)
    fanout.refuse_without_targets()
    if fanout.wanted:
        from fastapp.targets.jobs import showmigrations_job

        run_fanout(
            "showmigrations",
            state(ctx).project,
            fanout,
            lambda project: showmigrations_job(project, tuple(apps or ())),
            database=database,
        )
        return

    out = console()
    for app in asyncio.run(status(state(ctx).project.registry(database), apps)):
        out.print(f"{app.app} [dim]({app.alias})[/]")
        if not app.rows:
            out.print("  (no migrations)")
        for row in app.rows:
            if row.missing:
                out.print(
                    f"  [!] {row.name}  applied {row.applied_at}, file missing",
                    style="red",
                    markup=False,
                )
            elif row.applied_at is not None:
                out.print(f"  [X] {row.name}  {row.applied_at}", markup=False)
            else:
                out.print(f"  [ ] {row.name}", markup=False)
