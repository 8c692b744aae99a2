"""``fastapp stamp``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands.common import AppsOption, DatabaseOption, console, state
from fastapp.commands.upgrade import LockTimeoutOption


def command(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="head, base, APP, APP:NAME or APP:base.")] = "head",
    apps: AppsOption = None,
    database: DatabaseOption = None,
    lock_timeout: LockTimeoutOption = 30.0,
) -> None:
    """Record the database as being at TARGET without running any migration.

    For adopting a database whose schema already matches (e.g. after auto_migrate), or
    recording work done by hand. Records of migrations whose files are gone are removed.
    """
    from fastapp.versions.applying import stamp

    out = console()
    registry = state(ctx).project.registry(database)
    result = asyncio.run(stamp(registry, target, tuple(apps or ()), lock_timeout))
    for key in result.recorded:
        out.print(f"  + recorded {key}", markup=False)
    for key in result.removed:
        out.print(f"  - removed {key}", markup=False)
    if not result.recorded and not result.removed:
        out.print("Nothing to do: the records already say so.")
