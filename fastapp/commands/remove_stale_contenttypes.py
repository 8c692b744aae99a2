"""``fastapp remove_stale_contenttypes``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands.common import DatabaseOption, console, state


def command(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Delete the content types whose model is no longer installed.

    With fastapp.contrib.auth installed, the permissions of those models go with them (and
    their grants to users and groups). Asks first unless --yes.
    """
    from fastapp.contrib.contenttypes.sync import remove_stale_content_types

    out = console()

    def confirm(names: list[str]) -> bool:
        out.print(f"Stale content types ({len(names)}):", markup=False)
        for name in names:
            out.print(f"  {name}", markup=False)
        return typer.confirm("Delete them (and the permissions of those models)?", default=False)

    registry = state(ctx).project.registry(database)
    removed = asyncio.run(remove_stale_content_types(registry, None if yes else confirm))
    if not removed:
        out.print("No stale content types.")
    else:
        out.print(f"Deleted {len(removed)} stale content type(s): {', '.join(removed)}.")
