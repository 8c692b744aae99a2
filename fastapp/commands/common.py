"""What the commands share: global state from the root callback, common options, output."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from fastapp.project import Project

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        "-d",
        metavar="NAME|URL",
        help="Connection name from DATABASES, or a database URL (postgres://, mysql://, sqlite://file.db).",
    ),
]
OnlineOption = Annotated[
    bool,
    typer.Option(
        "--online",
        help="Change tables without blocking the application's writes: PostgreSQL indexes "
        "CONCURRENTLY, constraints NOT VALID then VALIDATE, NOT NULL through a check, "
        "batched backfills, lock_timeout with retries; MySQL/MariaDB INSTANT or INPLACE with "
        "LOCK=NONE, refusing what would copy the table. See docs/online.md.",
    ),
]
AppsOption = Annotated[
    list[str] | None,
    typer.Option("--apps", "--app", "-a", metavar="LABEL", help="Limit to this app (repeatable)."),
]


@dataclass
class CommandState:
    """Global options, set by the root callback and read by every command."""

    settings_module: str | None = None
    traceback: bool = False

    @property
    def project(self) -> Project:
        from fastapp.project import Project

        return Project(self.settings_module)


def state(ctx: typer.Context) -> CommandState:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CommandState) else CommandState()


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


DryRunFilesOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would be written (a diff); write nothing.")
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Overwrite files that differ from what would be written.")
]


def write_files(plan, *, dry_run: bool, force: bool) -> None:
    """Print and write a scaffold :class:`~fastapp.scaffold.files.FilePlan`: the files it
    creates or changes; with ``dry_run`` their diff instead; a refused overwrite shows the diff
    of each file it would change before the error line."""
    from fastapp.scaffold.files import write_plan

    out = console()
    pending = plan.pending()
    if dry_run or (plan.conflicts() and not force):
        shown = pending if dry_run else plan.conflicts()
        for change in shown:
            out.print(change.diff(plan.root), markup=False, end="")
        if dry_run:
            out.print(f"Would write {len(pending)} file(s); nothing written (--dry-run).")
            return
    written = write_plan(plan, force=force)
    if not written:
        out.print("Nothing to do: every file is already as it would be written.")
    for change in written:
        verb = {"create": "created", "update": "updated", "conflict": "overwrote"}[change.status]
        out.print(f"  {verb} {plan.relative(change)}", markup=False)
    for note in plan.notes:
        out.print(note, markup=False)
