"""Applies plans: migration lock, plan computed under it, data checks, one transaction where
the backend has transactional DDL, progress through callbacks.

:func:`migrate_database` is the core of ``fastapp auto_migrate`` for one database:

1. take the migration lock (PostgreSQL advisory lock, MySQL ``GET_LOCK``, SQLite
   ``BEGIN IMMEDIATE``), waiting at most ``lock_timeout`` seconds;
2. read the live schema and diff it against the desired one (so a re-run after an
   interruption finishes the job: the plan is always recomputed from the database);
3. refuse destructive ops unless allowed or confirmed, and count the rows that would make
   data-dependent ops fail -- reporting them before anything runs;
4. run the statements (all or nothing on PostgreSQL and SQLite; one by one on MySQL).

Library code: it raises, it never prints. The command supplies the callbacks.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapp.apply.locks import lock_session
from fastapp.apply.locks.base import LockSession
from fastapp.diff.compare import DiffOptions, Plan, diff
from fastapp.errors import AbortedByUser, ExecutionError, FastappError
from fastapp.sql.plan import get_renderer
from fastapp.sql.plan.base import AFTER, BEFORE, DataCheck, RenderOptions, Statement

if TYPE_CHECKING:
    from fastapp.connections.url import DatabaseConfig
    from fastapp.schema.objects import Schema


class DestructiveRefusedError(FastappError):
    """The plan drops data and destructive changes were not allowed."""


class DataCheckError(FastappError):
    """Rows already in the database would make a data-dependent op fail."""


@dataclass(frozen=True)
class ApplyOptions:
    guided: bool = True
    allow_destructive: bool = False
    dry_run: bool = False
    check: bool = False
    concurrently: bool = False
    continue_on_error: bool = False
    lock_timeout: float = 30.0
    diff: DiffOptions = field(default_factory=DiffOptions)


@dataclass
class Outcome:
    """What happened: the plan, its statements, and which ones ran, were skipped or failed."""

    plan: Plan
    statements: list[Statement]
    executed: list[Statement] = field(default_factory=list)
    skipped: list[Statement] = field(default_factory=list)
    failed: list[tuple[Statement, str]] = field(default_factory=list)


#: Guided mode: called with a statement, returns "yes", "no" or "quit".
AskStatement = Callable[[Statement], str]
#: Guided mode: called with a rename proposal, returns True to take it.
AskRename = Callable[[Any], bool]
#: Called after each executed statement.
Progress = Callable[[Statement], None]


@dataclass
class Callbacks:
    ask_statement: AskStatement | None = None
    ask_rename: AskRename | None = None
    progress: Progress | None = None
    #: Called once with the plan and statements before anything executes.
    planned: Callable[[Plan, list[Statement]], None] | None = None
    #: Called with a line worth the user's attention that is not an error (a fallback taken).
    notice: Callable[[str], None] | None = None


# --- the core ----------------------------------------------------------------------------


async def read_live(cfg: DatabaseConfig, conn: Any) -> Schema:
    """The live schema; a driver failure (rights on the catalog...) as one line."""
    from fastapp.introspect import get_catalog_reader

    try:
        return await get_catalog_reader(cfg.dialect_name).read(conn)
    except FastappError:
        raise
    except Exception as exc:
        raise ExecutionError(
            f"cannot read the schema of {cfg.url()}: {cfg.mask(_first_line(exc))}"
        ) from exc


def plan_for(
    current: Schema, desired: Schema, options: ApplyOptions, ask_rename: AskRename | None
) -> Plan:
    """Diff, and in guided mode ask about each proposed rename and re-diff with the answers."""
    diff_options = options.diff
    if options.guided and ask_rename is not None:
        probe = diff(current, desired, _with(diff_options, propose_renames=True))
        accepted = [p for p in probe.proposals if ask_rename(p)]
        tables = tuple((p.old, p.new) for p in accepted if p.kind == "table")
        columns = tuple((p.table, p.old, p.new) for p in accepted if p.kind == "column")
        diff_options = _with(
            diff_options,
            table_renames=diff_options.table_renames + tables,
            column_renames=diff_options.column_renames + columns,
        )
    return diff(current, desired, diff_options)


def _with(options: DiffOptions, **changes: Any) -> DiffOptions:
    from dataclasses import replace

    return replace(options, **changes)


async def migrate_database(
    cfg: DatabaseConfig,
    desired: Schema | Awaitable[Schema],
    options: ApplyOptions,
    callbacks: Callbacks | None = None,
) -> Outcome:
    """Bring ``cfg``'s database to ``desired``; see the module docstring for the steps.

    ``desired`` may still be in the making (an awaitable, e.g. the scratch space at work):
    the live schema is then read while it is built, on another connection.

    Raises :class:`~fastapp.apply.locks.base.LockTimeoutError`, :class:`DestructiveRefusedError` (nothing executed),
    :class:`DataCheckError` (nothing executed, offending row counts named),
    :class:`ExecutionError` (a statement failed; on PostgreSQL/SQLite nothing is kept),
    :class:`AbortedByUser` (quit at a prompt; on PostgreSQL/SQLite nothing is kept).
    """
    from fastapp.connections.raw import raw_connection

    callbacks = callbacks or Callbacks()
    renderer = get_renderer(cfg.dialect_name)
    read_only = options.dry_run or options.check
    async with raw_connection(cfg) as conn:
        session = lock_session(cfg, conn)
        if read_only:
            current, desired = await _both(read_live(cfg, conn), desired)
            plan = plan_for(current, desired, options, callbacks.ask_rename)
            statements = renderer.render(plan, RenderOptions(options.concurrently))
            return Outcome(plan, statements)
        for sql in session.prelude:
            await session.execute(sql)
        await session.acquire(options.lock_timeout)
        try:
            current, desired = await _both(read_live(cfg, conn), desired)
            plan = plan_for(current, desired, options, callbacks.ask_rename)
            statements = renderer.render(plan, RenderOptions(options.concurrently))
            outcome = Outcome(plan, statements)
            if plan.is_empty:
                return outcome
            if not options.guided and plan.destructive_ops and not options.allow_destructive:
                raise DestructiveRefusedError(_refusal(cfg, plan))
            await _run_data_checks(session, renderer.data_checks(plan), cfg)
            if callbacks.planned is not None:
                callbacks.planned(plan, statements)
            await _execute(session, outcome, options, callbacks)
            return outcome
        finally:
            await session.release()
            for sql in session.postlude:
                await session.execute(sql)


async def _both(live: Awaitable[Schema], desired: Schema | Awaitable[Schema]) -> tuple:
    """The live schema and the desired one, awaited together; the first failure is raised
    as it is and the other side is cancelled."""
    if not inspect.isawaitable(desired):
        return await live, desired
    try:
        async with asyncio.TaskGroup() as group:
            current = group.create_task(live)
            wanted = group.create_task(_awaited(desired))
    except BaseExceptionGroup as failures:
        first = failures.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from first.__cause__
    return current.result(), wanted.result()


async def _awaited(value: Awaitable[Schema]) -> Schema:
    return await value


def _refusal(cfg: DatabaseConfig, plan: Plan) -> str:
    listed = "; ".join(op.describe() for op in plan.destructive_ops[:5])
    more = f" and {len(plan.destructive_ops) - 5} more" if len(plan.destructive_ops) > 5 else ""
    return (
        f"refusing {len(plan.destructive_ops)} destructive change(s) on {cfg.url()}: {listed}{more}; "
        "nothing was executed. Re-run with --allow-destructive to accept the data loss, "
        "declare renames with --rename TABLE.OLD=NEW / --rename-table OLD=NEW, or use --guided"
    )


async def _run_data_checks(session: LockSession, checks: list[DataCheck], cfg: DatabaseConfig) -> None:
    problems = []
    for check in checks:
        try:
            count = (await session.scalars(check.sql))[0]
        except Exception:  # a check the backend cannot evaluate: the transaction still guards
            continue
        if count:
            problems.append(f"{check.op.describe()}: {count} {check.problem}")
    if problems:
        raise DataCheckError(
            f"the data in {cfg.url()} does not allow this plan; nothing was executed: "
            + "; ".join(problems)
        )


async def _execute(
    session: LockSession,
    outcome: Outcome,
    options: ApplyOptions,
    callbacks: Callbacks,
) -> None:
    transactional = session.dialect.supports_transactional_ddl
    statements = outcome.statements
    replays = await _capture_replays(session, statements)
    for statement in statements:
        if statement.phase == BEFORE and statement.sql not in session.prelude:
            await _run_one(session, statement, outcome, options, callbacks, False, replays)
    await session.begin()
    try:
        for statement in statements:
            if statement.phase in (BEFORE, AFTER):
                continue
            await _run_one(
                session, statement, outcome, options, callbacks, transactional, replays
            )
    except BaseException:
        await session.rollback()
        raise
    await session.commit()
    for statement in statements:
        if statement.phase == AFTER and statement.sql not in session.postlude:
            await _run_one(session, statement, outcome, options, callbacks, False, replays)


async def _capture_replays(session: LockSession, statements: list[Statement]) -> dict:
    """The statements each ``replay`` query gives, read before anything changes."""
    saved: dict[str, list[str]] = {}
    for statement in statements:
        if statement.replay and statement.replay not in saved:
            saved[statement.replay] = [s for s in await session.scalars(statement.replay) if s]
    return saved


async def _run_one(
    session: LockSession,
    statement: Statement,
    outcome: Outcome,
    options: ApplyOptions,
    callbacks: Callbacks,
    transactional: bool,
    replays: dict[str, list[str]],
) -> None:
    if options.guided and callbacks.ask_statement is not None and statement.op is not None:
        answer = callbacks.ask_statement(statement)
        if answer == "quit":
            kept = (
                "nothing was changed"
                if transactional
                else f"{len(outcome.executed)} statement(s) already ran and were kept"
            )
            raise AbortedByUser(f"auto_migrate stopped at your request; {kept}")
        if answer == "no":
            outcome.skipped.append(statement)
            return
    sqls = replays.get(statement.replay, []) if statement.replay else [statement.sql]
    guard = options.continue_on_error and transactional
    try:
        for sql in sqls:
            if guard:
                await session.execute("SAVEPOINT fastapp_statement")
            if statement.expect_empty:
                rows = await session.scalars(sql)
                if rows:
                    raise ExecutionError(
                        f"{sql} reports {len(rows)} problem row(s) (first in table {rows[0]!r})"
                    )
            else:
                await session.execute(sql)
            if guard:
                await session.execute("RELEASE SAVEPOINT fastapp_statement")
    except Exception as exc:
        message = session.cfg.mask(_first_line(exc))
        if guard:
            await session.execute("ROLLBACK TO SAVEPOINT fastapp_statement")
        if options.continue_on_error:
            outcome.failed.append((statement, message))
            return
        what = statement.op.describe() if statement.op is not None else statement.sql
        kept = (
            "the whole plan was rolled back"
            if transactional
            else f"{len(outcome.executed)} earlier statement(s) were kept; fix the cause and "
            "re-run to finish (the plan is recomputed from the database)"
        )
        raise ExecutionError(f"{what} failed: {message} [{statement.sql}]; {kept}") from exc
    outcome.executed.append(statement)
    if callbacks.progress is not None:
        callbacks.progress(statement)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
