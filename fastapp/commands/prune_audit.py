"""``fastapp prune_audit``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands.common import DatabaseOption, console, state


def command(
    ctx: typer.Context,
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            metavar="AGE",
            help="Delete audit entries recorded longer ago than this: 90m, 12h, 90d, 2w.",
        ),
    ] = "90d",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Delete old entries of the audit log (fastapp.contrib.audit), in one transaction."""
    from fastapp.contrib.audit.prune import prune_audit
    from fastapp.models.purge import parse_age

    age = parse_age(older_than)
    report = asyncio.run(prune_audit(state(ctx).project.registry(database), age, dry_run=dry_run))
    verb = "Would delete" if dry_run else "Deleted"
    console().print(
        f"{verb} {report.count} audit entr{'y' if report.count == 1 else 'ies'} "
        f"recorded before {report.cutoff.isoformat()}.",
        markup=False,
    )
