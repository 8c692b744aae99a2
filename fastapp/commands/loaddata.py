"""``fastapp loaddata``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands._fanout import (
    DEFAULT_PARALLEL,
    CanaryOption,
    ContinueOption,
    FanoutRequest,
    OnlyFailedOption,
    ParallelOption,
    TargetsOption,
    run_fanout,
)
from fastapp.commands.common import DatabaseOption, console, state


def command(
    ctx: typer.Context,
    fixtures: Annotated[
        list[str],
        typer.Argument(
            metavar="FIXTURE",
            help="Fixture files or bare names (searched in each app's fixtures/ and "
            "FIXTURE_DIRS), '-' for standard input, or 'all'.",
        ),
    ],
    database: DatabaseOption = None,
    apps: Annotated[
        list[str] | None,
        typer.Option(
            "--app",
            "--apps",
            "-a",
            metavar="LABEL",
            help="Only look for fixtures in this app and only load its records (repeatable).",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            "-e",
            metavar="APP[.MODEL]",
            help="Skip records of this app or model (repeatable).",
        ),
    ] = None,
    ignore_nonexistent: Annotated[
        bool,
        typer.Option(
            "--ignore-nonexistent",
            "-i",
            help="Skip fields and models the fixture names but the models do not have.",
        ),
    ] = False,
    format: Annotated[
        str | None,
        typer.Option(
            "--format", metavar="json|jsonc|jsonl", help="Format of standard input (or override)."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
    targets: TargetsOption = None,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    continue_on_error: ContinueOption = False,
    only_failed: OnlyFailedOption = False,
    canary: CanaryOption = 0,
) -> None:
    """Load fixtures into the database: all records or none.

    Records may come in any order and reference each other by pk or by lookup
    (`"author": "${username=alice}"`). Records with a pk update the row or insert it; records
    without one are inserted. One transaction per connection covers the whole command.
    With --targets, the same fixtures go into many databases or schemas, all or nothing per
    target.
    """
    from fastapp.data.discovery import find_fixtures
    from fastapp.data.loader import LoadOptions, load_fixtures

    fanout = FanoutRequest(targets, parallel, continue_on_error, only_failed, canary)
    fanout.refuse_without_targets()
    registry = state(ctx).project.registry(None if fanout.wanted else database)
    sources = find_fixtures(fixtures, registry, apps=apps or (), format=format)
    options = LoadOptions(
        fixtures=sources,
        apps=apps or (),
        exclude=exclude or (),
        ignore_nonexistent=ignore_nonexistent,
        parse_in_child=None,  # this process is the command's own: it may fork when that pays
    )
    if fanout.wanted:
        from fastapp.targets.jobs import loaddata_job

        run_fanout(
            "loaddata",
            state(ctx).project,
            fanout,
            lambda project: loaddata_job(project, options),
            database=database,
        )
        return
    out = console()
    if quiet or not out.is_terminal:
        result = asyncio.run(load_fixtures(registry, options))
    else:
        result = _with_progress_bar(out, registry, options)
    if quiet:
        return
    skipped = f" ({result.skipped:,} skipped)" if result.skipped else ""
    out.print(
        f"Installed {result.objects:,} {'object' if result.objects == 1 else 'objects'} "
        f"from {result.fixtures} fixture(s) "
        f"in {result.seconds:.1f} s{skipped}"
    )


def _with_progress_bar(out, registry, options):
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from fastapp.data.loader import load_fixtures

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[records]:,} records"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out, transient=True) as bar:
        task = bar.add_task("Loading", total=None, records=0)

        def progress(records: int, done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total, records=records)

        return asyncio.run(load_fixtures(registry, options, progress))
