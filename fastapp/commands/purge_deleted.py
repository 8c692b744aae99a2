"""``fastapp purge_deleted``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands.common import DatabaseOption, console, state


def command(
    ctx: typer.Context,
    apps: Annotated[
        list[str] | None, typer.Argument(metavar="[APP]...", help="Only these apps (default: all).")
    ] = None,
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            metavar="AGE",
            help="Purge rows soft-deleted longer ago than this: 90m, 12h, 30d, 2w.",
        ),
    ] = "30d",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be purged; delete nothing.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Hard-delete soft-deleted rows older than an age, in every SoftDeleteMixin model.

    Prints the count per model. All or nothing: one transaction; a delete that fails (a
    foreign key that refuses) purges nothing.
    """
    from fastapp.models.purge import PurgeRequest, parse_age, purge_deleted

    request = PurgeRequest(
        older_than=parse_age(older_than), apps=tuple(apps or ()), dry_run=dry_run
    )
    report = asyncio.run(purge_deleted(state(ctx).project.registry(database), request))
    out = console()
    if not report.counts:
        out.print("No soft-delete models in the selected apps: nothing to purge.")
        return
    verb = "Would purge" if dry_run else "Purged"
    for label, count in report.counts.items():
        out.print(f"  {label}: {count}", markup=False)
    out.print(
        f"{verb} {report.total} row(s) deleted before {report.cutoff.isoformat()}.", markup=False
    )
