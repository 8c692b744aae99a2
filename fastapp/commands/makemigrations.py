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
    initial_from_database: Annotated[
        bool,
        typer.Option(
            "--initial-from-database",
            help="For a database that already matches the models (migrate, auto_migrate): "
            "write each app's 0001_initial and stamp the database at it.",
        ),
    ] = False,
) -> None:
    """Write the next migration of each app whose models differ from its migrations.

    Files are Tortoise migration modules under APP/migrations/. Renames are only written when
    declared (--rename, --rename-model) or confirmed with --guided; otherwise a renamed field
    is an add and a drop. Destructive operations are marked in the file and listed here.
    """
    from fastapp.versions.writing import MakeRequest, makemigrations

    if initial_from_database:
        clash = [
            flag
            for flag, used in (
                ("--empty", empty),
                ("--check", check),
                ("--rename", rename),
                ("--rename-model", rename_model),
                ("--guided", guided),
                ("--name", name),
            )
            if used
        ]
        if clash:
            from fastapp.errors import MigrationTargetError

            raise MigrationTargetError(
                f"--initial-from-database writes 0001_initial from the models; drop {clash[0]}"
            )
        _adopt(ctx, tuple(apps or ()), dry_run)
        return
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


def _adopt(ctx: typer.Context, apps: tuple[str, ...], dry_run: bool) -> None:
    from fastapp.versions.adopting import adopt

    out = console()
    result = asyncio.run(adopt(state(ctx).project.registry(), apps, dry_run=dry_run))
    if not result.written:
        out.print("No models to write an initial migration for.")
        return
    for migration in result.written:
        verb = "Created" if migration.written else "Would create"
        where = f"  ({migration.path})" if migration.path else ""
        out.print(f"{verb} {migration.app}.{migration.name}{where}", markup=False)
    for key in result.recorded:
        out.print(f"  + recorded {key} (the database already has its schema)", markup=False)
    if dry_run:
        out.print("The database matches the models; nothing was written or recorded.")
