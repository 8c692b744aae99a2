"""``fastapp current``."""

from __future__ import annotations

import asyncio

import typer

from fastapp.commands.common import AppsOption, DatabaseOption, console, state


def command(ctx: typer.Context, apps: AppsOption = None, database: DatabaseOption = None) -> None:
    """Show the migration each app's database is at (its latest applied one)."""
    from fastapp.versions.state import status

    out = console()
    for app in asyncio.run(status(state(ctx).project.registry(database), apps)):
        current = app.current
        names = ", ".join(r.name for r in current) or "(none applied)"
        behind = sum(1 for r in app.rows if r.applied_at is None)
        note = f"  ({behind} pending)" if behind else "  (head)" if current else ""
        out.print(f"{app.app}: {names}{note}", markup=False)
