"""``fastapp makemigrations``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands.common import console, state


def command(
    ctx: typer.Context,
    apps: Annotated[
        list[str] | None, typer.Argument(metavar="[APP]...", help="Only these apps.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Name of the migration (after the number).")
    ] = None,
    empty: Annotated[
        bool,
        typer.Option("--empty", help="Write an empty migration (for RunPython / RunSQL)."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the migrations; write nothing.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 when a migration is missing (CI)."),
    ] = False,
    rename: Annotated[
        list[str] | None,
        typer.Option(
            "--rename", metavar="APP.MODEL.OLD=NEW", help="Declare a renamed field (repeatable)."
        ),
    ] = None,
    rename_model: Annotated[
        list[str] | None,
        typer.Option(
            "--rename-model", metavar="APP.OLD=NEW", help="Declare a renamed model (repeatable)."
        ),
    ] = None,
    guided: Annotated[
        bool,
        typer.Option("--guided/--no-guided", help="Ask about each possible rename."),
    ] = False,
) -> None:
    """Write the next migration of each app whose models differ from its migrations.

    Files are Tortoise migration modules under APP/migrations/. Renames are only written when
    declared (--rename, --rename-model) or confirmed with --guided; otherwise a renamed field
    is an add and a drop. Destructive operations are marked in the file and listed here.
    """
    from fastapp.versions.writing import MakeRequest, makemigrations

    request = MakeRequest(
        apps=tuple(apps or ()),
        name=name,
        empty=empty,
        dry_run=dry_run,
        check=check,
        renames=tuple(rename or ()),
        rename_models=tuple(rename_model or ()),
    )
    out = console()

    def ask(question: str) -> bool:
        return typer.confirm(question, default=False)

    found = asyncio.run(
        makemigrations(state(ctx).project.registry(), request, ask if guided else None)
    )
    if not found:
        out.print("No changes: the migrations match the models.")
        return
    for migration in found:
        verb = "Created" if migration.written else "Missing" if check else "Would create"
        where = f"  ({migration.path})" if migration.path else ""
        out.print(f"{verb} {migration.app}.{migration.name}{where}", markup=False)
        for operation in migration.operations:
            out.print(f"  - {operation}", markup=False)
        for reason in migration.destructive:
            out.print(f"  destructive: {reason}", style="bold red", markup=False)
        if dry_run:
            out.print(migration.text, markup=False)
    if check:
        raise typer.Exit(1)
