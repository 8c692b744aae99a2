"""``fastapp showmigrations``."""

from __future__ import annotations

import asyncio

import typer

from fastapp.commands.common import AppsOption, DatabaseOption, console, state


def command(ctx: typer.Context, apps: AppsOption = None, database: DatabaseOption = None) -> None:
    """List every app's migrations: [X] applied (with the time, UTC) or [ ] pending."""
    from fastapp.versions.state import status

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
