"""``fastapp sqlmigrate``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands.common import DatabaseOption, console, state


def command(
    ctx: typer.Context,
    app: Annotated[str, typer.Argument(help="App label.")],
    name: Annotated[str, typer.Argument(help="Migration name (a unique prefix will do).")],
    backwards: Annotated[
        bool, typer.Option("--backwards", help="The SQL that unapplies the migration.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Print the SQL of one migration, as Tortoise's schema editor would run it; runs nothing."""
    from fastapp.versions.applying import sqlmigrate

    out = console()
    registry = state(ctx).project.registry(database)
    for line in asyncio.run(sqlmigrate(registry, app, name, backwards=backwards)):
        out.print(line, markup=False)
