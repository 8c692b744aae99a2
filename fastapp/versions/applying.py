"""Running steps: under auto_migrate's migration lock, one migration at a time, all or nothing
per migration where the backend has transactional DDL.

* The lock is :mod:`fastapp.apply.executor`'s (PostgreSQL advisory lock, MySQL ``GET_LOCK``,
  SQLite ``BEGIN IMMEDIATE``), so two ``upgrade``s -- or an ``upgrade`` and an
  ``auto_migrate`` -- never interleave. The pending steps are re-checked under the lock: the
  second of two concurrent upgrades finds the work done.
* PostgreSQL: each migration and its ``tortoise_migrations`` row commit together in one
  transaction. SQLite: the lock is a transaction on Tortoise's own connection, each migration
  a savepoint in it. MySQL cannot roll DDL back: a failed migration is reported with the
  statements of it that ran, and is not recorded.
* Migrations run through Tortoise's schema editors and recorder, so the SQL and the recorded
  state are exactly what ``tortoise migrate`` would produce.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapp.errors import (
    ExecutionError,
    FastappError,
    IrreversibleMigrationError,
    MigrationTargetError,
    SchemaDriftError,
)
from fastapp.tortoise.tables import PROGRESS_TABLE
from fastapp.versions.editors import schema_editor
from fastapp.versions.planning import Step, downgrade_plan, upgrade_plan
from fastapp.versions.progress import StatementProgress
from fastapp.versions.replacing import reconcile, remaining, unrecorded
from fastapp.versions.replay import apply_migration, project_state
from fastapp.versions.state import TABLE, ConnectionState, open_states, read_applied

if TYPE_CHECKING:
    from fastapp.apply.locks.base import LockSession
    from fastapp.apps import AppRegistry
    from fastapp.hooks import HookRunner
    from fastapp.versions.verify import Drift

#: Called with ``"start"`` or ``"done"`` and the step.
Progress = Callable[[str, Step], None]


@dataclass(frozen=True)
class RunRequest:
    """The command line of ``upgrade``/``downgrade``/``stamp``, as values."""

    target: str = "head"
    apps: tuple[str, ...] = ()
    #: Record (or unrecord) the migrations without running them.
    fake: bool = False
    #: Plan only; touch nothing.
    dry_run: bool = False
    #: Collect the SQL of the range instead of running it.
    sql: bool = False
    lock_timeout: float = 30.0
    #: After an upgrade to head, compare the database with the models (``None``: skip).
    verify: bool = True
    strict: bool = False
    #: Apply each migration's schema changes online (:mod:`fastapp.versions.online`).
    online: bool = False


@dataclass
class RunResult:
    """What was planned, what ran, the collected SQL (``--sql``) and the drift found."""

    steps: list[Step]
    done: list[Step] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    drift: list[Drift] | None = None
    #: Lines the post-migrate hooks reported.
    notes: list[str] = field(default_factory=list)


async def upgrade(
    registry: AppRegistry, request: RunRequest, progress: Progress | None = None
) -> RunResult:
    """Apply the migrations up to ``request.target``, then (at head) check for drift.

    Raises :class:`~fastapp.errors.VersionsError` subclasses for bad files, graphs and
    targets (nothing applied), :class:`~fastapp.errors.ExecutionError` when a migration
    fails, :class:`~fastapp.errors.SchemaDriftError` with ``strict`` when the database
    differs from the models afterwards.
    """
    result = await _run(registry, request, upgrade_plan, progress, "upgrade")
    at_head = request.target.strip().lower() in ("", "head", "heads", "latest")
    if at_head and request.verify and not (request.fake or request.dry_run or request.sql):
        from fastapp.versions.verify import drift

        result.drift = await drift(registry, request.apps)
        if result.drift and request.strict:
            listed = "; ".join(d.describe() for d in result.drift[:5])
            raise SchemaDriftError(
                f"after upgrade, the database differs from the models: {listed}"
                + (f" and {len(result.drift) - 5} more" if len(result.drift) > 5 else "")
                + "; run `fastapp makemigrations` and upgrade, or fix the migrations"
            )
    return result


async def downgrade(
    registry: AppRegistry, request: RunRequest, progress: Progress | None = None
) -> RunResult:
    """Unapply migrations back to ``request.target``; raises like :func:`upgrade`, plus
    :class:`~fastapp.errors.IrreversibleMigrationError` before anything runs."""
    return await _run(registry, request, downgrade_plan, progress, "downgrade")


async def _run(registry, request: RunRequest, planner, progress, command: str) -> RunResult:
    from fastapp.hooks import HookRunner

    notes: list[str] = []
    hooks = HookRunner(registry, command, notes.append)
    # Hooks query the models (content types, permissions): Tortoise must be fully set up.
    async with open_states(registry, request.apps, queries=bool(hooks)) as states:
        for state in states:
            state.check()
        steps = planner(states, request.target)
        result = RunResult(steps)
        result.notes = notes
        if not request.fake:
            check_reversible(steps)
        check_not_partial(states, steps)
        if request.dry_run:
            return result
        if request.sql:
            if steps:
                result.sql = await collect_sql(states, steps)
            return result
        to_record = set()
        for state in states:
            if unrecorded(state, await read_applied(state.cfg, state.client)):
                to_record.add(state.alias)
        checks = {}
        if not request.fake and any(not s.backward for s in steps):
            from fastapp.versions.checks import data_checks

            for state in states:
                mine = [s for s in steps if s.alias == state.alias]
                checks[state.alias] = await data_checks(registry, state, mine)
        for state in states:
            mine = [s for s in steps if s.alias == state.alias]
            if mine or state.alias in to_record or hooks.for_connection(state.alias):
                await run_steps(
                    state, mine, request, result, progress, hooks, checks.get(state.alias)
                )
        return result


def check_reversible(steps: list[Step]) -> None:
    """Refuse a downgrade through an operation that has no reverse, before anything runs."""
    for step in steps:
        if not step.backward:
            continue
        for operation in step.migration.operations:
            if not getattr(operation, "reversible", True):
                raise IrreversibleMigrationError(
                    f"cannot unapply {step.key}: its operation {operation.describe()!r} has "
                    "no reverse (RunPython without reverse_code, RunSQL without reverse_sql); "
                    "nothing was changed. Add the reverse to the migration, or downgrade with "
                    "--fake once you have undone it by hand"
                )


def check_not_partial(states: list[ConnectionState], steps: list[Step]) -> None:
    """Refuse to go back while a database is in the middle of a squashed range."""
    if not any(step.backward for step in steps):
        return
    for state in states:
        for key in state.partial:
            raise MigrationTargetError(
                f"the database on {state.alias!r} is in the middle of the range {key} "
                "replaces: run `fastapp upgrade` to finish it before going back; nothing "
                "was changed"
            )


# --- the lock and the transactions ---------------------------------------------------------


@asynccontextmanager
async def migration_lock(state: ConnectionState, timeout: float) -> AsyncIterator[LockSession]:
    """Hold auto_migrate's migration lock of ``state``'s database.

    Where the lock is a transaction (SQLite) it must be the one the migrations run in, so it
    is taken on Tortoise's own connection; elsewhere on a connection of its own.
    """
    from fastapp.apply.locks.base import LockTimeoutError
    from fastapp.connections.raw import raw_connection
    from fastapp.dialects import dialect_part

    session_type = dialect_part(state.cfg.dialect_name, "lock_session", "lock session")

    @asynccontextmanager
    async def connection() -> AsyncIterator[Any]:
        if session_type.lock_is_transaction:
            await state.client.execute_query("SELECT 1")  # connected
            yield state.client._connection
        else:
            async with raw_connection(state.cfg) as conn:
                yield conn

    async with connection() as conn:
        session = session_type(state.cfg, conn)
        for sql in session.prelude:
            await session.execute(sql)
        try:
            await session.acquire(timeout)
        except LockTimeoutError:
            raise LockTimeoutError(
                f"another migration (fastapp upgrade/downgrade or auto_migrate) holds the "
                f"migration lock of {state.cfg.url()} (waited {timeout:g} s); wait for it "
                "to finish and run again"
            ) from None
        try:
            yield session
        finally:
            await session.release()
            for sql in session.postlude:
                await session.execute(sql)


@asynccontextmanager
async def migration_transaction(session: LockSession, client: Any) -> AsyncIterator[Any]:
    """One migration's unit of work; yields the client to run it on."""
    from tortoise.transactions import in_transaction

    if session.lock_is_transaction:
        await session.execute("SAVEPOINT fastapp_migration")
        try:
            yield client
        except BaseException:
            await session.execute("ROLLBACK TO SAVEPOINT fastapp_migration")
            await session.execute("RELEASE SAVEPOINT fastapp_migration")
            raise
        await session.execute("RELEASE SAVEPOINT fastapp_migration")
    elif session.dialect.supports_transactional_ddl:
        async with in_transaction(client.connection_name) as txn:
            yield txn
    else:
        yield client


# --- running -------------------------------------------------------------------------------


async def ensure_table(state: ConnectionState) -> None:
    """Create ``tortoise_migrations`` as Tortoise's recorder does, under the lock (two
    first upgrades racing on CREATE TABLE IF NOT EXISTS collide on PostgreSQL) and through
    an atomic editor (Tortoise's script path would end SQLite's lock transaction)."""
    recorder = state.executor.recorder
    editor = schema_editor(state.executor, atomic=True)
    statement = editor._get_model_sql_data(recorder.model).table_sql
    await editor._run_sql(statement.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))


async def run_steps(
    state: ConnectionState,
    steps: list[Step],
    request: RunRequest,
    result: RunResult,
    progress: Progress | None = None,
    hooks: HookRunner | None = None,
    checks: list | None = None,
) -> None:
    """Run ``steps`` (all on ``state``'s connection) under the lock, appending each one that
    completed to ``result.done``, then the post-migrate ``hooks`` of the connection once.
    ``checks``: auto_migrate's counting queries for the data-dependent changes of ``steps``
    (:mod:`.checks`), run under the lock before any step.

    Raises :class:`ExecutionError` naming the failed migration and what was kept;
    :class:`~fastapp.apply.executor.DataCheckError` when a check finds rows (nothing run);
    :class:`~fastapp.hooks.HookError` when a hook fails (on PostgreSQL and SQLite the whole
    run is then rolled back: see :func:`command_unit`)."""
    executor = state.executor
    async with migration_lock(state, request.lock_timeout) as session:
        await ensure_table(state)
        real = await read_applied(state.cfg, state.client)
        state.applied, state.partial = reconcile(state.graph, real)
        applied = state.applied_keys()
        steps = [s for s in steps if (s.key in applied) == s.backward]  # others did them
        if checks and steps:
            from fastapp.apply.executor import run_data_checks

            names = ", ".join(str(s.key) for s in steps if not s.backward)
            await run_data_checks(session, checks, state.cfg, f"the migrations {names}")
        await _record_squashed(state, real, session)
        backward_states = None
        if any(s.backward for s in steps):
            backward_states = await executor._project_state_cache(applied)
        failure: BaseException | None = None
        with_hooks = hooks is not None and bool(hooks.for_connection(state.alias))
        # --online commits each statement on its own: hooks then run in a unit of their own.
        whole = with_hooks and not request.online
        async with command_unit(session, state, steps, whole=whole) as unit:
            try:
                await _run_each(
                    state, steps, request, result, progress, session, unit, applied, backward_states
                )
            except Exception as exc:  # the migrations that completed are kept
                failure = exc
            if failure is None and with_hooks:
                await _run_hooks(hooks, state, unit, result)
        if failure is not None:
            raise failure


async def _run_hooks(
    hooks: HookRunner, state: ConnectionState, unit: _Unit, result: RunResult
) -> None:
    """The hooks inside the command's unit; without one (MySQL, --online, a non-atomic
    migration) in a transaction of their own, so a failing hook leaves none of its writes."""
    if unit.whole:
        await hooks.run(state.alias, unit.hook_client, outcome=unit.outcome(result))
        return
    from tortoise.transactions import in_transaction

    async with in_transaction(state.alias) as txn:
        await hooks.run(state.alias, txn, outcome=unit.outcome(result))


class _Unit:
    """The command's unit of work on one connection: the client migrations and hooks run on,
    and what a failing hook leaves behind."""

    def __init__(self, client: Any, whole: bool, hook_client: Any = None) -> None:
        self.client, self.whole = client, whole
        self.hook_client = hook_client if hook_client is not None else client

    def outcome(self, result: RunResult) -> str:
        if self.whole:
            return "the whole command was rolled back (no migration of it stays applied)"
        return (
            f"{len(result.done)} migration(s) of this run were applied and kept (this backend "
            "cannot roll DDL back, --online commits each statement, or a migration is "
            "non-atomic), the hook's own writes were not; fix the hook and run again"
        )


@asynccontextmanager
async def command_unit(
    session: LockSession, state: ConnectionState, steps: list[Step], *, whole: bool = True
) -> AsyncIterator[_Unit]:
    """One transaction around every migration of the run and the post-migrate hooks where
    the backend allows: SQLite's lock transaction, or (PostgreSQL, when ``whole``: there are
    hooks to run) a transaction whose savepoints are the migrations. A failing hook (an
    exception out of the block) rolls it all back; a failed migration is caught inside, so
    those before it commit as before. MySQL, or a non-atomic migration (it cannot run inside
    a transaction): no outer unit. Without hooks, PostgreSQL commits each migration on its
    own, as it always has (an interruption keeps the ones that completed)."""
    from tortoise.transactions import in_transaction

    from fastapp.hooks import HookError

    if session.lock_is_transaction:
        try:
            yield _Unit(state.client, True, session.tortoise_client(state.client))
        except HookError:
            raise  # not committed: releasing the lock rolls the transaction back
        except BaseException:
            await session.commit()  # an interruption keeps the migrations that completed
            raise
        await session.commit()
    elif (
        whole
        and session.dialect.supports_transactional_ddl
        and all(s.migration.atomic for s in steps)
    ):
        async with in_transaction(state.alias) as txn:
            yield _Unit(txn, True)
    else:
        yield _Unit(state.client, False)


async def _run_each(
    state, steps, request, result, progress, session, unit, applied, backward_states
) -> None:
    from tortoise.migrations.recorder import MigrationRecorder

    # One recorder for the run: each one defines a model class (Tortoise's metaclass reads
    # its module's source); it only needs the step's client.
    recorder = MigrationRecorder(unit.client)
    forward_state = None
    for step in steps:
        if progress is not None:
            progress("start", step)
        if not step.backward and forward_state is None:
            forward_state = await project_state(state.graph, applied, _connections(state))
        ran: list[str] = []
        if step.key not in state.partial and _online(request, session, step):
            await _run_online(state, step, session, recorder, forward_state, ran, result)
            applied.add(step.key)
            result.done.append(step)
            if progress is not None:
                progress("done", step)
            continue
        progress_rows = None
        if not (request.fake or _all_or_nothing(session)):
            progress_rows = StatementProgress(
                state, step.key.app_label, step.key.name, step.backward
            )
            ran.extend(await progress_rows.load())
        try:
            async with migration_transaction(session, unit.client) as client:
                if not request.fake:
                    await _execute(
                        state,
                        step,
                        client,
                        session,
                        forward_state,
                        backward_states,
                        ran,
                        progress_rows,
                    )
                recorder.connection = client
                if step.backward:
                    await recorder.record_unapplied(step.key.app_label, step.key.name)
                    for app, name in step.migration.replaces or ():
                        await recorder.record_unapplied(app, name)
                else:
                    await recorder.record_applied(step.key.app_label, step.key.name)
        except FastappError:
            raise
        except Exception as exc:
            raise _failure(state, step, session, exc, ran, result) from exc
        if progress_rows is not None:
            await progress_rows.finish()
        if step.backward:
            applied.discard(step.key)
            forward_state = None
        else:
            applied.add(step.key)
            state.partial.pop(step.key, None)
        result.done.append(step)
        if progress is not None:
            progress("done", step)


async def _run_online(state, step, session, recorder, forward_state, ran, result) -> None:
    """``step`` applied as a plan of online ops (:mod:`.online`), each statement committed on
    its own, then recorded; ``forward_state`` moves past it."""
    from fastapp.versions.online import apply_online

    try:
        ran.extend(await apply_online(state, step.migration, forward_state, session))
        recorder.connection = state.client
        await recorder.record_applied(step.key.app_label, step.key.name)
    except FastappError:
        raise
    except Exception as exc:
        raise _failure(state, step, session, exc, ran, result, online=True) from exc


def _online(request: RunRequest, session: LockSession, step: Step) -> bool:
    """Run ``step`` through the online path: asked for, forwards, not faked, a backend with
    a lock of its own (SQLite's lock is the transaction: one writer, nothing to gain), and
    no data operation in the migration."""
    from fastapp.versions.online import has_data_operations

    return (
        request.online
        and not request.fake
        and not step.backward
        and not session.lock_is_transaction
        and not has_data_operations(step.migration)
    )


async def _execute(
    state: ConnectionState,
    step: Step,
    client: Any,
    session: LockSession,
    forward_state: Any,
    backward_states: dict | None,
    ran: list[str],
    progress_rows: StatementProgress | None = None,
) -> None:
    # A non-atomic migration would run as a script, which ends a transaction that is also
    # the lock: keep it inside.
    atomic = step.migration.atomic or session.lock_is_transaction
    editor = schema_editor(state.executor, atomic=atomic)
    editor.client = client
    run_sql = editor._run_sql

    async def tracked(sql: str) -> None:
        if progress_rows is None:
            await run_sql(sql)
            ran.append(sql)
        elif await progress_rows.run(sql, run_sql):
            ran.append(sql)

    # Where a failure rolls the migration back, the statements that ran need not be told
    # apart (nor recorded for a resume): an initial migration's tables go in one round trip.
    rolls_back = _all_or_nothing(session)
    if not rolls_back:
        editor._run_sql = tracked
    if step.backward:
        await step.migration.unapply(backward_states[step.key], schema_editor=editor)
    else:
        migration = step.migration
        if step.key in state.partial:
            migration = remaining(migration, forward_state, state.partial[step.key])
        await apply_migration(
            migration,
            forward_state,
            editor,
            batch=rolls_back,
            querysets=state.runs_python,
        )


async def _record_squashed(state: ConnectionState, real: list, session: LockSession) -> None:
    """Record the squashed migrations whose replaced ones are all recorded, so Tortoise's own
    CLI (which ignores ``replaces``) sees them applied too."""
    from tortoise.migrations.recorder import MigrationRecorder

    missing = unrecorded(state, real)
    if not missing:
        return
    async with migration_transaction(session, state.client) as client:
        recorder = MigrationRecorder(client)
        for row in missing:
            await recorder.record_applied(row.app, row.name)


def _failure(
    state: ConnectionState,
    step: Step,
    session: LockSession,
    exc: Exception,
    ran: list[str],
    result: RunResult,
    *,
    online: bool = False,
) -> ExecutionError:
    message = state.cfg.mask(_first_line(exc))
    earlier = (
        f"{len(result.done)} earlier migration(s) of this run stay applied"
        if result.done
        else "nothing else was changed"
    )
    if online:
        return ExecutionError(
            f"{step.describe()} failed on {state.alias!r} (--online): {message}; the online "
            f"steps that ran are kept and it is not recorded in {TABLE}; {earlier}. Run "
            "`upgrade --online` again to finish it (the remaining changes are recomputed "
            "from the database)"
        )
    if _all_or_nothing(session):
        return ExecutionError(
            f"{step.describe()} failed on {state.alias!r}: {message}; it was rolled back "
            f"and {earlier}; fix the migration and run again"
        )
    statements = " | ".join(" ".join(s.split()) for s in ran) or "none"
    return ExecutionError(
        f"{step.describe()} failed on {state.alias!r}: {message}; this backend cannot roll "
        f"back DDL, so {len(ran)} statement(s) of it ran and were kept [{statements}] and it "
        f"is not recorded in {TABLE} (they are, in {PROGRESS_TABLE}); {earlier}. Fix the "
        "cause and run again: the migration resumes after the statements that ran"
    )


def _all_or_nothing(session: LockSession) -> bool:
    """Whether a failed migration leaves nothing behind (a transaction holds its DDL)."""
    return session.lock_is_transaction or session.dialect.supports_transactional_ddl


def _connections(state: ConnectionState) -> dict[str, str]:
    return {app.label: app.connection for app in state.apps}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- offline SQL ---------------------------------------------------------------------------


async def collect_sql(states: list[ConnectionState], steps: list[Step]) -> list[str]:
    """The SQL of ``steps`` as Tortoise's schema editors would run it, with the
    ``tortoise_migrations`` bookkeeping, without touching the database."""
    lines: list[str] = []
    for state in states:
        mine = [s for s in steps if s.alias == state.alias]
        if not mine:
            continue
        lines.append(f"-- connection {state.alias!r}: {state.cfg.url()}")
        lines.extend(await _state_sql(state, mine))
    return lines


async def _state_sql(
    state: ConnectionState, steps: list[Step], *, bookkeeping: bool = True
) -> list[str]:
    executor = state.executor
    applied = state.applied_keys()
    transactional = state.cfg.dialect.supports_transactional_ddl
    forward_state = await project_state(state.graph, applied, _connections(state))
    backward_states = (
        await executor._project_state_cache(applied) if any(s.backward for s in steps) else {}
    )
    quote = state.cfg.dialect.quote
    lines: list[str] = []
    for step in steps:
        editor = schema_editor(executor, atomic=False, collect_sql=True)
        if step.backward:
            await step.migration.unapply(
                backward_states[step.key], schema_editor=editor, collect_sql=True
            )
        else:
            migration = step.migration
            if step.key in state.partial:
                migration = remaining(migration, forward_state, state.partial[step.key])
            await migration.apply(forward_state, schema_editor=editor, collect_sql=True)
        lines.append(f"-- {step.describe()}")
        if transactional and bookkeeping:
            lines.append("BEGIN;")
        for sql in editor.collected_sql:
            text = sql.strip()
            lines.append(text if text.startswith("--") or text.endswith(";") else f"{text};")
        if not bookkeeping:
            continue
        app, name = _literal(step.key.app_label), _literal(step.key.name)
        table = quote(TABLE)
        if step.backward:
            lines.append(
                f"DELETE FROM {table} WHERE {quote('app')} = {app} AND {quote('name')} = {name};"
            )
        else:
            lines.append(
                f"INSERT INTO {table} ({quote('app')}, {quote('name')}, {quote('applied_at')}) "
                f"VALUES ({app}, {name}, CURRENT_TIMESTAMP);"
            )
        if transactional:
            lines.append("COMMIT;")
    return lines


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


async def sqlmigrate(
    registry: AppRegistry, app: str, name: str, *, backwards: bool = False
) -> list[str]:
    """The SQL of one migration (``backwards``: of unapplying it), as if every migration
    before it were applied; nothing is run. Raises :class:`MigrationTargetError` for an
    unknown app or migration."""
    from fastapp.versions.planning import resolve

    async with open_states(registry) as states:
        state = next((s for s in states if app in s.labels), None)
        if state is None:
            raise MigrationTargetError(
                f"unknown app {app!r} (apps: {', '.join(sorted(registry.apps)) or 'none'})"
            )
        key = resolve(state, app, name)
        step = Step(state.alias, key, state.graph.nodes[key], backward=backwards)
        if backwards:
            check_reversible([step])
        # Everything before the migration (and, backwards, the migration itself) is applied.
        everything = set(state.graph.forwards_plan(key))
        if not backwards:
            everything.discard(key)
        state.applied = [_row(k) for k in state.executor._full_plan() if k in everything]
        return await _state_sql(state, [step], bookkeeping=False)


def _row(key: Any):
    from fastapp.versions.state import AppliedMigration

    return AppliedMigration(key.app_label, key.name, "")


# --- stamp -----------------------------------------------------------------------------------


@dataclass
class StampResult:
    recorded: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


async def stamp(
    registry: AppRegistry, target: str, apps: tuple[str, ...] = (), lock_timeout: float = 30.0
) -> StampResult:
    """Make ``tortoise_migrations`` say the database is at ``target`` without running
    anything: ``head`` (every migration), ``base``, ``APP:NAME`` (that migration and what it
    depends on; later migrations of APP unrecorded), ``APP:base``. Records of the target's
    apps whose files are gone are removed. For adopting a database that already has the
    schema, or recording what was done by hand.

    Raises :class:`~fastapp.errors.MigrationTargetError` for an unknown target and what
    loading the files raises.
    """
    from tortoise.migrations.graph import MigrationKey
    from tortoise.migrations.recorder import MigrationRecorder

    from fastapp.versions.planning import BASE, HEAD, resolve, split_target

    result = StampResult()
    async with open_states(registry, apps) as states:
        for state in states:
            text = target.strip() or "head"
            if text.lower() in HEAD or text.lower() in BASE:
                labels = state.chosen
                wanted = (
                    {k for k in state.graph.nodes if k.app_label in labels}
                    if text.lower() in HEAD
                    else set()
                )
            else:
                app, name = split_target(text)
                if app not in {label for s in states for label in s.labels}:
                    raise MigrationTargetError(f"unknown app {app!r} in the target {target!r}")
                if app not in state.labels:
                    continue
                labels = {app}
                if not name or name.lower() in HEAD:
                    wanted = {k for k in state.graph.nodes if k.app_label == app}
                elif name.lower() in BASE:
                    wanted = set()
                else:
                    wanted = set(state.graph.forwards_plan(resolve(state, app, name)))
            async with migration_lock(state, lock_timeout) as session:
                await ensure_table(state)
                rows = await read_applied(state.cfg, state.client)
                applied = {MigrationKey(r.app, r.name) for r in rows}
                recorder = MigrationRecorder(state.client)
                for key in state.executor._full_plan():
                    if key in wanted and key not in applied:
                        await recorder.record_applied(key.app_label, key.name)
                        result.recorded.append(str(key))
                for row in rows:
                    key = MigrationKey(row.app, row.name)
                    if row.app in labels and key not in wanted:
                        await recorder.record_unapplied(row.app, row.name)
                        result.removed.append(str(key))
                if session.lock_is_transaction:
                    await session.commit()
    return result
