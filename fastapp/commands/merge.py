"""``fastapp merge``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands.common import console, state


def command(
    ctx: typer.Context,
    app: Annotated[str, typer.Argument(help="The app with two (or more) heads.")],
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Name of the merge migration.")
    ] = None,
) -> None:
    """Write the migration that joins an app's heads (two branches each added a migration)."""
    from fastapp.versions.writing import merge

    written = asyncio.run(merge(state(ctx).project.registry(), app, name))
    console().print(f"Created {written.app}.{written.name}  ({written.path})", markup=False)
