"""``fastapp heads``."""

from __future__ import annotations

import asyncio

import typer

from fastapp.commands.common import AppsOption, console, state


def command(ctx: typer.Context, apps: AppsOption = None) -> None:
    """Show each app's latest migration(s); two heads in an app need `fastapp merge APP`.

    Reads the files only: no database needed.
    """
    from fastapp.versions.state import disk_report

    out = console()
    for app in asyncio.run(disk_report(state(ctx).project.registry(), apps)):
        found = [row.name for row in app.rows if row.head]
        note = f"  ({len(found)} heads: run `fastapp merge {app.app}`)" if len(found) > 1 else ""
        out.print(f"{app.app}: {', '.join(found) or '(no migrations)'}{note}", markup=False)
