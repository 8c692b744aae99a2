"""``fastapp history``."""

from __future__ import annotations

import asyncio

import typer

from fastapp.commands.common import AppsOption, console, state


def command(ctx: typer.Context, apps: AppsOption = None) -> None:
    """List every app's migration files in dependency order, with what each depends on.

    Reads the files only: no database needed.
    """
    from fastapp.versions.state import disk_report

    out = console()
    for app in asyncio.run(disk_report(state(ctx).project.registry(), apps)):
        out.print(f"{app.app}:", markup=False)
        if not app.rows:
            out.print("  (no migrations)")
        for row in app.rows:
            head = "  (head)" if row.head else ""
            parents = f"  <- {', '.join(row.depends_on)}" if row.depends_on else ""
            out.print(f"  {row.name}{head}{parents}", markup=False)
