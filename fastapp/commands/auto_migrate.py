"""``fastapp auto_migrate``."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from fastapp.commands._fanout import (
    DEFAULT_PARALLEL,
    CanaryOption,
    FanoutRequest,
    OnlyFailedOption,
    ParallelOption,
    TargetsOption,
    run_fanout,
)
from fastapp.commands.common import AppsOption, DatabaseOption, OnlineOption, console, state
from fastapp.errors import AbortedByUser


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
    online: OnlineOption = False,
    continue_on_error: Annotated[
        bool,
        typer.Option(
            "--continue-on-error",
            help="Go on with the next statement after a failure (with --targets: and keep "
            "starting targets after one fails).",
        ),
    ] = False,
    lock_timeout: Annotated[
        float,
        typer.Option(
            "--lock-timeout", metavar="SECONDS", help="Longest wait for the migration lock."
        ),
    ] = 30.0,
    targets: TargetsOption = None,
    parallel: ParallelOption = DEFAULT_PARALLEL,
    only_failed: OnlyFailedOption = False,
    canary: CanaryOption = 0,
) -> None:
    """Bring the database schema to what the models (or a DDL file) declare.

    Computes the difference between the live schema and the desired one and applies it:
    guided by default (each change shown with its statements, destructive ones in red,
    answered yes/no/quit),
    all at once with --no-guided/--yes (refusing data loss unless --allow-destructive).
    A destructive change is applied only on an explicit 'y'. Ctrl-C exits with status 130
    and says what was applied.
    Renames are only done when declared (--rename, --rename-table, or a
    '-- @renamed from=OLD' comment in the DDL file). Running it again changes nothing.
    With --targets (and --yes, --check or --dry-run), on many databases or schemas at once;
    with --check, a target that differs fails.
    """
    fanout = FanoutRequest(targets, parallel, continue_on_error, only_failed, canary)
    fanout.refuse_without_targets()
    if fanout.wanted:
        from fastapp.apply.automigrate import AutoMigrateRequest

        if guided and not (yes or check or dry_run):
            raise typer.BadParameter(
                "--targets runs without questions: add --yes (or --check / --dry-run)"
            )
        if desired_sql is not None:
            raise typer.BadParameter("--desired-sql is one database's schema: not with --targets")
        request = AutoMigrateRequest(
            apps=tuple(apps or ()),
            guided=False,
            allow_destructive=allow_destructive,
            dry_run=dry_run,
            check=check,
            renames=tuple(rename or ()),
            rename_tables=tuple(rename_table or ()),
            concurrently=concurrently,
            continue_on_error=continue_on_error,
            lock_timeout=lock_timeout,
        )
        _fan_out(ctx, fanout, database, request)
        return
    out = console()
    run = _Run(out)
    try:  # Ctrl-C while the core is still being imported is an interruption too
        from fastapp.apply.automigrate import AutoMigrateRequest, auto_migrate

        run.request = request = AutoMigrateRequest(
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
            online=online,
            continue_on_error=continue_on_error,
            lock_timeout=lock_timeout,
        )
        results = asyncio.run(
            auto_migrate(state(ctx).project, request, run.callbacks_for, report=_note)
        )
    except KeyboardInterrupt:
        console(stderr=True).print(f"Interrupted: {run.interrupted()}.", style="red", markup=False)
        raise typer.Exit(130) from None
    code = 0
    for result in results:
        code = max(code, _report(out, request, result))
    if code:
        raise typer.Exit(code)


def _fan_out(ctx, fanout, database, request) -> None:
    from fastapp.targets.jobs import auto_migrate_job

    run_fanout(
        "auto_migrate",
        state(ctx).project,
        fanout,
        lambda project: auto_migrate_job(project, request),
        database=database,
    )


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


#: Accepted answers at a guided prompt; anything else asks again.
_ANSWERS = {"y": "yes", "yes": "yes", "n": "no", "no": "no", "q": "quit", "quit": "quit"}


@contextmanager
def _ctrl_c_raises() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt at once while a prompt waits for an answer.

    The handler ``asyncio.run`` installs only cancels the main task, which a blocked
    ``input()`` does not notice: the user would have to press Enter for Ctrl-C to work.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _ask(out, question: str, default: str | None) -> str | None:
    """ "yes", "no" or "quit"; ``default`` for an empty line; None at end of input."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():  # Ctrl-C just before the question
        raise KeyboardInterrupt
    while True:
        # Ctrl-C between the question and input() must not be lost either.
        with _ctrl_c_raises():
            try:
                out.print(question, end="", markup=False)
                line = input(" ")
            except EOFError:
                out.print()
                return None
            except KeyboardInterrupt:
                out.print()  # the report goes on a line of its own
                raise
        answer = line.strip().lower()
        if not sys.stdin.isatty():  # a terminal echoes the answer; piped, the log shows it
            out.print(line, markup=False, highlight=False)
        if not answer and default is not None:
            return default
        if answer in _ANSWERS:
            return _ANSWERS[answer]
        out.print("Please answer y (yes), n (no) or q (quit).", markup=False)


class _Run:
    """The callbacks of one command run, and what to say when it is interrupted."""

    def __init__(self, out) -> None:
        self.out = out
        self.request = None
        #: The databases worked on so far, in order (they are migrated one after another).
        self.targets: list = []
        self.interruption: str | None = None

    def where(self, target) -> str:
        return f"{target.alias!r} ({target.cfg.url()})"

    def callbacks_for(self, target):
        from fastapp.apply.executor import Callbacks

        self.targets.append(target)
        out, request = self.out, self.request
        last_op: list = [None]

        def ask_change(statements) -> str:
            op = statements[0].op
            out.print(f"[dim]-- {op.describe()}[/]")
            for statement in statements:
                _print_statement(out, statement)
            if any(s.destructive for s in statements):
                question = "Apply this DESTRUCTIVE change? [y]es/[N]o/[q]uit"
                answer = _ask(out, question, default="no")
            else:
                answer = _ask(out, "Apply? [Y]es/[n]o/[q]uit", default="yes")
            if answer is None:
                out.print("End of input: quitting.", markup=False)
                return "quit"
            return answer

        def ask_rename(proposal) -> bool:
            answer = _ask(out, f"Was {proposal.describe()} a rename? [y]es/[N]o/[q]uit", "no")
            if answer in (None, "quit"):
                raise AbortedByUser("auto_migrate stopped at your request")
            return answer == "yes"

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

        def interrupted(applied: str) -> None:
            self.interruption = f"{self.where(target)}: {applied}"

        def finishing(statement) -> None:
            what = statement.op.describe() if statement.op else statement.sql
            console(stderr=True).print(
                f"Interrupted: waiting for the statement in progress ({what}) to finish; "
                "Ctrl-C again abandons it",
                style="yellow",
                markup=False,
            )

        return Callbacks(
            notice=notice,
            ask_change=ask_change if request.guided else None,
            ask_rename=ask_rename if request.guided else None,
            progress=progress,
            planned=planned,
            interrupted=interrupted,
            finishing=finishing,
        )

    def interrupted(self) -> str:
        """What was applied, for the line printed on Ctrl-C."""
        if not self.targets:
            return "nothing was applied"
        done = len(self.targets) - 1
        earlier = f"; the {done} database(s) before it were brought up to date" if done else ""
        if self.interruption is not None:
            return self.interruption + earlier
        return f"{self.where(self.targets[-1])}: nothing was applied{earlier}"


def _report(out, request, result) -> int:
    target, outcome = result.target, result.outcome
    where = f"{target.alias!r} ({target.cfg.url()})"
    plan = outcome.plan
    for note in plan.notes:
        out.print(f"note: kept as it is, fastapp does not model it: {note}", markup=False)
    if request.check:
        if plan.is_empty:
            out.print(f"{where}: matches the desired schema.")
            return 0
        out.print(f"{where}: differs from the desired schema ({len(plan.ops)} change(s)):")
        for line in plan.describe()[: len(plan.ops)]:
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
    # One line per change: a skipped SQLite rebuild is several statements of one op.
    for what in dict.fromkeys(s.op.describe() if s.op else s.sql for s in outcome.skipped):
        out.print(f"  skipped: {what}", style="yellow", markup=False)
    for statement, message in outcome.failed:
        out.print(f"  failed: {statement.sql}: {message}", style="red", markup=False)
    return 1 if outcome.failed else 0


def _note(line: str) -> None:
    """A line a post-migrate hook reported."""
    console().print(line, markup=False)
