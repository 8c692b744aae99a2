"""``fastapp startapp``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fastapp.commands.common import DryRunFilesOption, write_files


def command(
    name: Annotated[str, typer.Argument(help="App name: a lowercase identifier (e.g. billing).")],
    dry_run: DryRunFilesOption = False,
) -> None:
    """Add an app to the project in the current folder: NAME/models.py, NAME/migrations/,
    NAME/routers/.

    Adds NAME to INSTALLED_APPS in settings.py and its router to main.py when they have the
    shape startproject writes (a plain list; `app = FastAPI(...)`), else says what to add.
    """
    from fastapp.scaffold.project import startapp

    write_files(startapp(name, Path.cwd()), dry_run=dry_run, force=False)
