"""``fastapp fix_sequences``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands.common import DatabaseOption, console, state


def command(
    ctx: typer.Context,
    apps: Annotated[
        list[str] | None, typer.Argument(metavar="[APP]...", help="Limit to these apps.")
    ] = None,
    database: DatabaseOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; change nothing.")
    ] = False,
) -> None:
    """Move every generated-key counter past the largest key of its table.

    PostgreSQL serial/identity sequences, MySQL/MariaDB AUTO_INCREMENT, SQLite
    sqlite_sequence: after rows were inserted with explicit ids, the next insert without one
    would collide. Counters are never lowered. Tables without a counter are skipped and said.
    """
    from fastapp.data.sequences import CHANGED, fix_sequences

    out = console()
    registry = state(ctx).project.registry(database)
    reports = asyncio.run(fix_sequences(registry, apps or (), dry_run=dry_run))
    for report in reports:
        style = "green" if report.status == CHANGED else None
        out.print(f"  {report.describe(dry_run)}", style=style, markup=False)
    changed = sum(r.status == CHANGED for r in reports)
    if dry_run:
        out.print(f"Would fix {changed} of {len(reports)} table(s); nothing was changed.")
    else:
        out.print(f"Fixed {changed} of {len(reports)} table(s).")
