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
   With ``online`` the renderer gives the online forms (:class:`RenderOptions`), each
   statement commits on its own under a short lock timeout, and a statement that gives up
   waiting for its table lock is retried a bounded number of times;
5. await :attr:`Callbacks.before_commit` (auto_migrate's post-migrate hooks), even for an
   empty plan: inside the plan's transaction, before it commits, where the plan has one and
   nothing of it runs outside it; otherwise after the last statement, under the lock, in a
   transaction of its own where the backend has one (:class:`CommitPoint` says which).

An interruption (``KeyboardInterrupt`` in a callback, or the task cancelled, which is what
``asyncio.run`` does on Ctrl-C) lets the statement in flight finish, rolls the transaction
back where there is one, tells :attr:`Callbacks.interrupted` what was applied, and propagates
unchanged.

Library code: it raises, it never prints. The command supplies the callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
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
    #: Rewrite blocking changes into online ones (:attr:`RenderOptions.online`), give up
    #: waiting for a table lock after ``statement_lock_timeout`` seconds and retry up to
    #: ``lock_retries`` times.
    online: bool = False
    statement_lock_timeout: float = 1.0
    lock_retries: int = 5
    diff: DiffOptions = field(default_factory=DiffOptions)


@dataclass
class Outcome:
    """What happened: the plan, its statements, and which ones ran, were skipped or failed."""

    plan: Plan
    statements: list[Statement]
    executed: list[Statement] = field(default_factory=list)
    skipped: list[Statement] = field(default_factory=list)
    failed: list[tuple[Statement, str]] = field(default_factory=list)
    #: Statements that ran but were undone by the rollback of an interrupted transaction.
    rolled_back: list[Statement] = field(default_factory=list)
    #: A statement still running when a second interruption gave up waiting for it.
    unfinished: Statement | None = None

    def applied(self) -> str:
        """What this run left in the database, as the end of a sentence."""
        cut = (
            f"; {_what(self.unfinished)} was cut off while running (check it)"
            if self.unfinished is not None
            else ""
        )
        if not self.executed:
            if self.rolled_back:
                return (
                    f"the transaction was rolled back ({len(self.rolled_back)} statement(s) "
                    "undone): nothing was applied"
                )
            return "nothing was applied" + cut
        changes = list(dict.fromkeys(_what(s) for s in self.executed))
        listed = "; ".join(changes[:5]) + (
            f" and {len(changes) - 5} more" if len(changes) > 5 else ""
        )
        return (
            f"{len(self.executed)} statement(s) were applied and kept ({listed}); run "
            "auto_migrate again to finish (the plan is recomputed from the database)" + cut
        )


#: Guided mode: called once per change with the statements of that op (a SQLite rebuild has
#: several), returns "yes", "no" or "quit"; the answer holds for all of them.
AskChange = Callable[[list[Statement]], str]
#: Guided mode: called with a rename proposal, returns True to take it.
AskRename = Callable[[Any], bool]
#: Called after each executed statement.
Progress = Callable[[Statement], None]


@dataclass
class Callbacks:
    ask_change: AskChange | None = None
    ask_rename: AskRename | None = None
    progress: Progress | None = None
    #: Called once with the plan and statements before anything executes.
    planned: Callable[[Plan, list[Statement]], None] | None = None
    #: Called with a line worth the user's attention that is not an error (a fallback taken).
    notice: Callable[[str], None] | None = None
    #: Called, before an interruption (Ctrl-C, cancellation) propagates, with what was applied.
    interrupted: Callable[[str], None] | None = None
    #: Called when an interruption waits for the statement in flight to finish.
    finishing: Callable[[Statement], None] | None = None
    #: Awaited once per run that may change the database (not ``dry_run``/``check``), empty
    #: plan included, at the :class:`CommitPoint` it is given; an exception out of it rolls
    #: that transaction back and propagates. auto_migrate runs the post-migrate hooks here.
    before_commit: Callable[[CommitPoint], Awaitable[None]] | None = None


@dataclass(frozen=True)
class CommitPoint:
    """Where :attr:`Callbacks.before_commit` runs: on ``session``'s connection, under the
    migration lock, after the plan's statements.

    ``transactional``: inside a transaction that a failure rolls back; ``kept``: statements
    already committed (they ran outside the transaction: ``--online``, CONCURRENTLY, or a
    backend without transactional DDL), which a failure here leaves in place.
    """

    session: LockSession
    transactional: bool
    kept: tuple[Statement, ...] = ()

    def after_failure(self) -> str:
        """What a failure at this point leaves of the plan, as the end of a sentence."""
        if self.transactional and not self.kept:
            return "the transaction was rolled back: nothing was changed"
        if self.transactional:
            return (
                f"{len(self.kept)} statement(s) of the plan ran outside a transaction "
                "(--online / CONCURRENTLY) and were kept; what ran after them was rolled back"
            )
        if self.kept:
            return (
                f"the schema change was applied and kept ({len(self.kept)} statement(s); "
                "this backend cannot roll DDL back)"
            )
        return "there was no schema change to apply"


# --- the core ----------------------------------------------------------------------------


async def read_live(cfg: DatabaseConfig, conn: Any) -> Schema:
    """The live schema; a driver failure (rights on the catalog...) as one line."""
    from fastapp.introspect import get_catalog_reader

    try:
        return await get_catalog_reader(cfg.dialect_name, namespace=cfg.namespace).read(conn)
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


def render_options(options: ApplyOptions) -> RenderOptions:
    return RenderOptions(options.concurrently, online=options.online)


async def apply_plan(
    session: LockSession, plan: Plan, options: ApplyOptions, callbacks: Callbacks | None = None
) -> Outcome:
    """Run ``plan`` on a session that holds the migration lock: data checks, then the
    statements (``upgrade --online`` runs each migration's plan through here)."""
    callbacks = callbacks or Callbacks()
    renderer = get_renderer(session.cfg.dialect_name)
    statements = renderer.render(plan, render_options(options))
    outcome = Outcome(plan, statements)
    if not plan.is_empty:
        await run_data_checks(session, renderer.data_checks(plan), session.cfg)
        if callbacks.planned is not None:
            callbacks.planned(plan, statements)
        await _execute(session, outcome, options, callbacks)
    return outcome


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
    :class:`AbortedByUser` (quit at a prompt; on PostgreSQL/SQLite nothing is kept; the
    message says what was applied). On an interruption (``KeyboardInterrupt``, cancellation)
    the statement in flight finishes, the transaction is rolled back where there is one,
    :attr:`Callbacks.interrupted` hears what was applied, and the interruption propagates.
    """
    from fastapp.connections.raw import raw_connection

    callbacks = callbacks or Callbacks()
    renderer = get_renderer(cfg.dialect_name)
    read_only = options.dry_run or options.check
    online = cfg.dialect.online
    if options.online and not online.fixed_online and callbacks.notice is not None:
        callbacks.notice(f"--online on {cfg.url()}: {online.summary}")
    async with raw_connection(cfg) as conn:
        session = lock_session(cfg, conn)
        if read_only:
            current, desired = await _both(read_live(cfg, conn), desired)
            plan = plan_for(current, desired, options, callbacks.ask_rename)
            statements = renderer.render(plan, render_options(options))
            return Outcome(plan, statements)
        for sql in session.prelude:
            await session.execute(sql)
        await session.acquire(options.lock_timeout)
        outcome: Outcome | None = None
        try:
            current, desired = await _both(read_live(cfg, conn), desired)
            plan = plan_for(current, desired, options, callbacks.ask_rename)
            statements = renderer.render(plan, render_options(options))
            outcome = Outcome(plan, statements)
            if not plan.is_empty:
                if not options.guided and plan.destructive_ops and not options.allow_destructive:
                    raise DestructiveRefusedError(_refusal(cfg, plan))
                await run_data_checks(session, renderer.data_checks(plan), cfg)
                if callbacks.planned is not None:
                    callbacks.planned(plan, statements)
            if not plan.is_empty or callbacks.before_commit is not None:
                await _execute(session, outcome, options, callbacks)
        except AbortedByUser as exc:
            await _unlock(session)
            raise AbortedByUser(
                f"{exc}; {outcome.applied() if outcome else 'nothing was applied'}"
            ) from None
        except (KeyboardInterrupt, asyncio.CancelledError):
            if callbacks.interrupted is not None:
                callbacks.interrupted(outcome.applied() if outcome else "nothing was applied")
            # Cut mid-query (before any statement ran), the connection may be unusable; the
            # server frees the lock when it closes.
            with contextlib.suppress(Exception):
                await _unlock(session)
            raise
        except BaseException:
            await _unlock(session)
            raise
        await _unlock(session)
        return outcome


async def _unlock(session: LockSession) -> None:
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


async def run_data_checks(
    session: LockSession, checks: list[DataCheck], cfg: DatabaseConfig, what: str = "this plan"
) -> None:
    """Run the counting queries of ``checks``; raise :class:`DataCheckError` naming every
    one that found rows (``what``: what the data does not allow)."""
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
            f"the data in {cfg.url()} does not allow {what}; nothing was executed: "
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
    timeout_sql = session.dialect.online.lock_timeout_sql
    # --online: every statement commits on its own, so a table lock is held for one quick
    # statement, never while a later one waits for its own lock (the online forms are made
    # to be re-run: the plan is recomputed from the database).
    one_by_one = options.online and timeout_sql is not None and not session.lock_is_transaction
    if one_by_one:
        seconds = options.statement_lock_timeout
        await session.execute(timeout_sql.format(ms=int(seconds * 1000), s=max(1, round(seconds))))
        transactional = False
    replays = await _capture_replays(session, statements)
    run = _Runner(session, outcome, options, callbacks, replays)
    for statement in statements:
        if statement.phase == BEFORE and statement.sql not in session.prelude:
            await run.one(statement, False)
    after = [s for s in statements if s.phase == AFTER and s.sql not in session.postlude]
    # before_commit sees the whole new schema: in the plan's transaction unless part of the
    # plan runs outside it (after it, or statement by statement).
    finish_inside = not (one_by_one or after)
    if not one_by_one:
        await session.begin()
    mark = len(outcome.executed)
    try:
        for statement in statements:
            if statement.phase in (BEFORE, AFTER):
                continue
            await run.one(statement, transactional)
        if finish_inside and callbacks.before_commit is not None:
            kept = outcome.executed[:mark] if transactional else outcome.executed
            await callbacks.before_commit(CommitPoint(session, transactional, tuple(kept)))
    except BaseException:
        if not one_by_one:
            await session.rollback()
        if transactional:
            outcome.rolled_back.extend(outcome.executed[mark:])
            del outcome.executed[mark:]
            outcome.unfinished = None
        raise
    if not one_by_one:
        await session.commit()
    for statement in after:
        await run.one(statement, False)
    if not finish_inside and callbacks.before_commit is not None:
        await _own_unit(session, outcome, callbacks.before_commit)


async def _own_unit(
    session: LockSession, outcome: Outcome, before_commit: Callable[[CommitPoint], Awaitable[None]]
) -> None:
    """``before_commit`` after a plan that ran (partly) outside a transaction: in a
    transaction of its own where the backend has one."""
    transactional = session.dialect.supports_transactional_ddl
    await session.begin()
    try:
        await before_commit(CommitPoint(session, transactional, tuple(outcome.executed)))
    except BaseException:
        await session.rollback()
        raise
    await session.commit()


async def _capture_replays(session: LockSession, statements: list[Statement]) -> dict:
    """The statements each ``replay`` query gives, read before anything changes."""
    saved: dict[str, list[str]] = {}
    for statement in statements:
        if statement.replay and statement.replay not in saved:
            saved[statement.replay] = [s for s in await session.scalars(statement.replay) if s]
    return saved


class _Runner:
    """Runs statements one at a time, asking once per change in guided mode."""

    def __init__(
        self,
        session: LockSession,
        outcome: Outcome,
        options: ApplyOptions,
        callbacks: Callbacks,
        replays: dict[str, list[str]],
    ) -> None:
        self.session, self.outcome, self.options = session, outcome, options
        self.callbacks, self.replays = callbacks, replays
        # One answer per op, by identity: saying no to one step of a SQLite rebuild (the copy)
        # and yes to another (the drop) would lose the table's rows.
        self.answers: dict[int, str] = {}

    def answer(self, statement: Statement) -> str:
        ask = self.callbacks.ask_change
        if not self.options.guided or ask is None or statement.op is None:
            return "yes"
        key = id(statement.op)
        if key not in self.answers:
            self.answers[key] = ask([s for s in self.outcome.statements if s.op is statement.op])
        return self.answers[key]

    async def one(self, statement: Statement, transactional: bool) -> None:
        session, outcome, options = self.session, self.outcome, self.options
        answer = self.answer(statement)
        if answer == "quit":
            raise AbortedByUser("auto_migrate stopped at your request")
        if answer == "no":
            outcome.skipped.append(statement)
            return
        sqls = self.replays.get(statement.replay, []) if statement.replay else [statement.sql]
        online = options.online and session.dialect.online.lock_timeout_sql is not None
        guard = options.continue_on_error and transactional
        # Shielded: an interruption waits for the statement in flight, so what was applied is
        # known exactly (a MySQL statement cut off mid-way may or may not have run).
        retries = options.lock_retries if online else 0
        notice = self.callbacks.notice
        waited = options.statement_lock_timeout

        def retrying(attempt: int) -> None:
            if notice is not None:
                notice(
                    f"{_what(statement)}: gave up waiting {waited:g} s for its table lock "
                    f"(the application's queries went on); retry {attempt} of {retries}"
                )

        work = asyncio.ensure_future(_run_sqls(session, sqls, statement, guard, retries, retrying))
        try:
            await asyncio.shield(work)
        except asyncio.CancelledError:
            if not work.done() and self.callbacks.finishing is not None:
                self.callbacks.finishing(statement)
            with contextlib.suppress(Exception):
                await work
            if not work.done():  # interrupted again while waiting
                outcome.unfinished = statement
            elif not work.cancelled() and work.exception() is None:
                outcome.executed.append(statement)
            raise
        except Exception as exc:
            message = session.cfg.mask(_first_line(exc))
            if guard:
                await session.execute("ROLLBACK TO SAVEPOINT fastapp_statement")
            if options.continue_on_error:
                outcome.failed.append((statement, message))
                return
            kept = (
                "the whole plan was rolled back"
                if transactional
                else f"{len(outcome.executed)} earlier statement(s) were kept; fix the cause "
                "and re-run to finish (the plan is recomputed from the database)"
            )
            raise ExecutionError(
                f"{_what(statement)} failed: {message} [{statement.sql}]; {kept}"
            ) from exc
        outcome.executed.append(statement)
        if self.callbacks.progress is not None:
            self.callbacks.progress(statement)


async def _run_sqls(
    session: LockSession,
    sqls: list[str],
    statement: Statement,
    guard: bool,
    retries: int = 0,
    retrying: Callable[[int], None] | None = None,
) -> None:
    for sql in sqls:
        for attempt in range(retries + 1):
            try:
                await _run_sql(session, sql, statement, guard)
                break
            except Exception as exc:
                if attempt == retries or not session.dialect.is_lock_timeout(exc):
                    raise
                if guard:
                    await session.execute("ROLLBACK TO SAVEPOINT fastapp_statement")
                # Gave up waiting for the table lock (so the queries queued behind it ran):
                # wait a little, longer each time, and try again.
                if retrying is not None:
                    retrying(attempt + 1)
                await asyncio.sleep(min(2.0, 0.2 * 2**attempt))
                if statement.retry_cleanup:
                    await session.execute(statement.retry_cleanup)


async def _run_sql(session: LockSession, sql: str, statement: Statement, guard: bool) -> None:
    if statement.repeat:
        while True:
            if statement.count_sql is None:
                done = (await session.scalars(sql))[0]
            else:
                await session.execute(sql)
                done = (await session.scalars(statement.count_sql))[0]
            if not done:
                return
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


def _what(statement: Statement) -> str:
    return statement.op.describe() if statement.op is not None else statement.sql


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
