"""``fastapp startproject``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fastapp.commands.common import DryRunFilesOption, ForceOption, write_files


def command(
    name: Annotated[str, typer.Argument(help="Project name, also its first app (e.g. shop).")],
    directory: Annotated[
        Path | None,
        typer.Argument(help="Where to create it (default: ./NAME; '.' for the current folder)."),
    ] = None,
    dry_run: DryRunFilesOption = False,
    force: ForceOption = False,
) -> None:
    """Create a project: settings.py (SQLite unless DATABASE_URL), .env.example, the app NAME,
    main.py (FastAPI with fastapp's lifespan), tests on the pytest plugin, Makefile, pyproject.

    Files that exist with other content are not overwritten without --force.
    """
    from fastapp.scaffold.project import startproject

    write_files(startproject(name, directory or Path(name)), dry_run=dry_run, force=force)
