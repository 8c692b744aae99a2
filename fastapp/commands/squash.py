"""``fastapp squash``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands.common import console, state


def command(
    ctx: typer.Context,
    app: Annotated[str, typer.Argument(help="The app whose migrations to squash.")],
    start: Annotated[str, typer.Argument(metavar="FROM", help="First migration of the range.")],
    end: Annotated[str, typer.Argument(metavar="TO", help="Last migration of the range.")],
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Name of the squashed migration.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the squashed migration; change no file.")
    ] = False,
) -> None:
    """Replace the migrations FROM..TO of APP (both included) with one migration.

    The new file lists the originals in `replaces`; the originals are removed and migrations
    depending on them now depend on the new one. Databases that applied all of the range
    keep going; one in the middle of it runs only the rest on its next upgrade.
    """
    from fastapp.versions.squashing import SquashRequest, squash

    request = SquashRequest(app=app, start=start, end=end, name=name, dry_run=dry_run)
    out = console()
    result = asyncio.run(squash(state(ctx).project.registry(), request))
    verb = "Created" if result.written else "Would create"
    where = f"  ({result.path})" if result.path else ""
    out.print(
        f"{verb} {result.app}.{result.name}{where}: {result.operations} operation(s) "
        f"replacing {len(result.replaced)} migrations",
        markup=False,
    )
    for key in result.replaced:
        out.print(f"  {'- removed' if result.written else '- would remove'} {key}", markup=False)
    for path in result.rewritten:
        out.print(f"  ~ dependencies now name {result.name}: {path}", markup=False)
    if dry_run:
        out.print(result.text, markup=False)
