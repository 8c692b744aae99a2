"""``fastapp auto_migrate``."""

from __future__ import annotations

import asyncio
import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from fastapp.commands.common import AppsOption, DatabaseOption, console, state


def command(
    ctx: typer.Context,
    apps: AppsOption = None,
    database: DatabaseOption = None,
    desired_sql: Annotated[
        str | None,
        typer.Option(
            "--desired-sql",
            metavar="FILE",
            help="Desired schema as a DDL file instead of the models (no settings needed with a URL).",
        ),
    ] = None,
    guided: Annotated[
        bool,
        typer.Option(
            "--guided/--no-guided",
            help="Show each statement and ask; --no-guided applies without asking but refuses "
            "destructive changes unless --allow-destructive.",
        ),
    ] = True,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Same as --no-guided: apply without asking.")
    ] = False,
    allow_destructive: Annotated[
        bool,
        typer.Option("--allow-destructive", help="Accept drops and lossy changes without asking."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the SQL plan; execute nothing.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Execute nothing; exit 1 when the database differs, 0 when it matches."
        ),
    ] = False,
    rename: Annotated[
        list[str] | None,
        typer.Option(
            "--rename", metavar="TABLE.OLD=NEW", help="Declare a renamed column (repeatable)."
        ),
    ] = None,
    rename_table: Annotated[
        list[str] | None,
        typer.Option(
            "--rename-table", metavar="OLD=NEW", help="Declare a renamed table (repeatable)."
        ),
    ] = None,
    concurrently: Annotated[
        bool,
        typer.Option(
            "--concurrently",
            help="PostgreSQL: build new indexes with CREATE INDEX CONCURRENTLY after the transaction.",
        ),
    ] = False,
    continue_on_error: Annotated[
        bool,
        typer.Option("--continue-on-error", help="Go on with the next statement after a failure."),
    ] = False,
    lock_timeout: Annotated[
        float,
        typer.Option(
            "--lock-timeout", metavar="SECONDS", help="Longest wait for the migration lock."
        ),
    ] = 30.0,
) -> None:
    """Bring the database schema to what the models (or a DDL file) declare.

    Computes the difference between the live schema and the desired one and applies it:
    guided by default (each statement shown, destructive ones in red, [Y]es/[N]o/[Q]uit),
    all at once with --no-guided/--yes (refusing data loss unless --allow-destructive).
    Renames are only done when declared (--rename, --rename-table, or a
    '-- @renamed from=OLD' comment in the DDL file). Running it again changes nothing.
    """
    from fastapp.apply.automigrate import AutoMigrateRequest, auto_migrate

    out = console()
    request = AutoMigrateRequest(
        apps=tuple(apps or ()),
        database=database,
        desired_sql=desired_sql,
        guided=guided and not yes and not dry_run and not check,
        allow_destructive=allow_destructive,
        dry_run=dry_run,
        check=check,
        renames=tuple(rename or ()),
        rename_tables=tuple(rename_table or ()),
        concurrently=concurrently,
        continue_on_error=continue_on_error,
        lock_timeout=lock_timeout,
    )
    with _collector_paused():
        results = asyncio.run(
            auto_migrate(state(ctx).project, request, lambda t: _callbacks(out, request))
        )
    code = 0
    for result in results:
        code = max(code, _report(out, request, result))
    if code:
        raise typer.Exit(code)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the command works, nor at interpreter exit.

    A run builds hundreds of thousands of long-lived objects (the models, two schemas) and
    next to no cyclic garbage; each automatic collection walks them all again (~0.5 s at
    1,000 models) and the interpreter's collections at exit as much again. Objects are
    still freed by reference counting; frozen objects are only skipped by the collector.
    """
    enabled = gc.isenabled()
    gc.disable()
    atexit.unregister(gc.freeze)  # once per process, however many commands ran in it
    atexit.register(gc.freeze)
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _style(statement) -> str:
    if statement.destructive:
        return "bold red"
    if statement.op is not None and statement.op.safety == "data-dependent":
        return "yellow"
    return ""


def _print_statement(out, statement) -> None:
    from rich.text import Text

    note = f"  -- {statement.op.safety}" if statement.op is not None else ""
    out.print(Text(f"{statement.sql};{note}", style=_style(statement)))


def _callbacks(out, request):
    from fastapp.apply.executor import Callbacks

    def ask_statement(statement) -> str:
        if statement.op is not None:
            out.print(f"[dim]-- {statement.op.describe()}[/]")
        _print_statement(out, statement)
        answer = typer.prompt("Apply? [Y]es/[N]o/[Q]uit", default="y", show_default=False)
        return {"y": "yes", "yes": "yes", "n": "no", "no": "no"}.get(answer.strip().lower(), "quit")

    def ask_rename(proposal) -> bool:
        return typer.confirm(f"Was {proposal.describe()} a rename?", default=False)

    last_op: list = [None]

    def progress(statement) -> None:
        # One line per change: a SQLite rebuild runs several statements for one op.
        if request.guided or (statement.op is not None and statement.op is last_op[0]):
            return
        last_op[0] = statement.op
        what = statement.op.describe() if statement.op else statement.sql
        out.print(f"  \u2713 {what}", style="green", markup=False)

    def planned(plan, statements) -> None:
        if request.guided:
            out.print(f"{len(plan.ops)} change(s), {len(statements)} statement(s):")

    def notice(line: str) -> None:
        console(stderr=True).print(f"warning: {line}", style="yellow", markup=False)

    return Callbacks(
        notice=notice,
        ask_statement=ask_statement if request.guided else None,
        ask_rename=ask_rename if request.guided else None,
        progress=progress,
        planned=planned,
    )


def _report(out, request, result) -> int:
    target, outcome = result.target, result.outcome
    where = f"{target.alias!r} ({target.cfg.url()})"
    plan = outcome.plan
    if request.check:
        if plan.is_empty:
            out.print(f"{where}: matches the desired schema.")
            return 0
        out.print(f"{where}: differs from the desired schema ({len(plan.ops)} change(s)):")
        for line in plan.describe():
            out.print(f"  {line}", markup=False)
        return 1
    if request.dry_run:
        out.print(f"-- {where}", markup=False)
        if plan.is_empty:
            out.print("-- No changes: the database matches the desired schema.")
        for statement in outcome.statements:
            _print_statement(out, statement)
        return 0
    if plan.is_empty:
        out.print(f"No changes: {where} matches the desired schema.")
        return 0
    out.print(
        f"Applied {len(outcome.executed)} statement(s) on {where}"
        + (f", skipped {len(outcome.skipped)}" if outcome.skipped else "")
        + "."
    )
    for statement in outcome.skipped:
        what = statement.op.describe() if statement.op else statement.sql
        out.print(f"  skipped: {what}", style="yellow", markup=False)
    for statement, message in outcome.failed:
        out.print(f"  failed: {statement.sql}: {message}", style="red", markup=False)
    return 1 if outcome.failed else 0
