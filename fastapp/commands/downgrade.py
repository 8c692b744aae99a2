"""``fastapp downgrade``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands.common import AppsOption, DatabaseOption, console, state
from fastapp.commands.upgrade import (
    DryRunOption,
    FakeOption,
    LockTimeoutOption,
    SqlOption,
    progress_printer,
    report,
)

#: ``-1`` is a target, not an unknown option.
CONTEXT_SETTINGS = {"ignore_unknown_options": True}


def command(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            help="-N (the last N applied), APP:NAME (keep it, unapply what follows), "
            "APP:base, or base/zero (unapply everything)."
        ),
    ],
    apps: AppsOption = None,
    database: DatabaseOption = None,
    fake: FakeOption = False,
    dry_run: DryRunOption = False,
    sql: SqlOption = False,
    lock_timeout: LockTimeoutOption = 30.0,
) -> None:
    """Unapply versioned migrations back to TARGET, dependents first.

    Refuses, before running anything, to go through an operation without a reverse.
    """
    from fastapp.versions.applying import RunRequest, downgrade

    request = RunRequest(
        target=target,
        apps=tuple(apps or ()),
        fake=fake,
        dry_run=dry_run,
        sql=sql,
        lock_timeout=lock_timeout,
        verify=False,
    )
    out = console()
    result = asyncio.run(
        downgrade(state(ctx).project.registry(database), request, progress_printer(out, fake))
    )
    report(out, request, result, "unapply")
