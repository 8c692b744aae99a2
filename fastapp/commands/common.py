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
