"""What each fanned-out command does on one target: the command's own core function, on the
project pointed at the target (:meth:`fastapp.project.Project.pointed_at`).

Each ``*_job`` takes the command's request and returns a :data:`~fastapp.targets.run.Job`;
work that does not depend on the target (the migration files, the fixtures) is done once,
before the fan-out starts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fastapp.errors import ExecutionError, FastappError, FixtureError, SchemaDriftError
from fastapp.targets.run import Job, TargetReport

if TYPE_CHECKING:
    from fastapp.apply.automigrate import AutoMigrateRequest
    from fastapp.apply.create_missing import MigrateOptions
    from fastapp.connections.url import DatabaseConfig
    from fastapp.data.loader import LoadOptions
    from fastapp.project import Project
    from fastapp.targets.declare import Target
    from fastapp.versions.applying import RunRequest

#: Migration names the up-to-date query may quote as literals.
_PLAIN = re.compile(r"^[A-Za-z0-9_.\-]+$")
_HEAD = ("", "head", "heads", "latest")


async def ensure_namespace(cfg: DatabaseConfig) -> None:
    """Create a schema target's schema when the command writes and it is not there yet."""
    from fastapp.connections.raw import raw_connection

    sql = cfg.dialect.create_namespace_sql
    if cfg.namespace is None or sql is None:
        return
    async with raw_connection(cfg) as conn:
        await cfg.dialect.execute_raw(conn, sql.format(name=cfg.dialect.quote(cfg.namespace)))


def _applied_count_sql(cfg: DatabaseConfig, expected: set[tuple[str, str]]) -> str | None:
    """One query counting how many of ``expected`` (app, name) are recorded as applied."""
    from fastapp.versions.state import TABLE

    if not all(_PLAIN.match(part) for key in expected for part in key):
        return None
    by_app: dict[str, list[str]] = {}
    for app, name in sorted(expected):
        by_app.setdefault(app, []).append(name)
    q = cfg.dialect.quote
    where = " OR ".join(
        f"({q('app')} = '{app}' AND {q('name')} IN ({_literals(names)}))"
        for app, names in by_app.items()
    )
    return f"SELECT COUNT(*) FROM {q(TABLE)} WHERE {where}"


def _literals(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


async def _at_head(cfg: DatabaseConfig, expected: set[tuple[str, str]], *, prepare: bool) -> bool:
    """Whether every migration on disk is recorded on ``cfg``: one query. A database that
    cannot be reached raises; one without the table is simply not at head. With ``prepare``,
    a schema target's missing schema is created on the same connection."""
    from fastapp.connections.raw import raw_connection

    sql = _applied_count_sql(cfg, expected)
    dialect = cfg.dialect
    async with raw_connection(cfg) as conn:
        if sql is not None and expected:
            try:
                count = (await dialect.fetch_scalar_list(conn, sql))[0]
            except Exception:  # no tortoise_migrations yet (or no schema): not at head
                pass
            else:
                if int(count) == len(expected):
                    return True
        if prepare and cfg.namespace is not None and dialect.create_namespace_sql:
            await dialect.execute_raw(
                conn, dialect.create_namespace_sql.format(name=dialect.quote(cfg.namespace))
            )
    return False


async def upgrade_job(project: Project, request: RunRequest) -> Job:
    """``upgrade`` on each target; a target already at head is skipped after one query."""
    from fastapp.versions.applying import upgrade
    from fastapp.versions.state import disk_report

    registry = project.registry()
    rows = [row for app in await disk_report(registry, request.apps) for row in app.rows]
    expected = {(row.app, row.name) for row in rows if not row.missing}
    fast = request.target.strip().lower() in _HEAD and not (
        request.fake or request.dry_run or request.sql
    )

    prepare = not (request.dry_run or request.sql)

    async def job(target: Target) -> TargetReport:
        cfg = target.database
        if fast or prepare:
            if await _at_head(cfg, expected if fast else set(), prepare=prepare):
                return TargetReport("at head", up_to_date=True)
        result = await upgrade(project.pointed_at(cfg).registry(), request)
        if request.dry_run:
            return TargetReport(f"would apply {len(result.steps)} migration(s)")
        if request.sql:
            return TargetReport(f"{len(result.sql)} statement(s)")
        summary = f"applied {len(result.done)} migration(s)"
        if result.drift:
            summary += f"; differs from the models ({len(result.drift)} difference(s))"
        return TargetReport(summary, up_to_date=not result.steps)

    return job


async def migrate_job(project: Project, options: MigrateOptions) -> Job:
    """``migrate`` (create what is missing) on each target."""
    from fastapp.apply.create_missing import migrate

    async def job(target: Target) -> TargetReport:
        if not options.dry_run:
            await ensure_namespace(target.database)
        plan = await migrate(project.pointed_at(target.database).registry(), options)
        if plan.is_empty:
            return TargetReport("every table exists", up_to_date=True)
        verb = "would create" if options.dry_run else "created"
        return TargetReport(f"{verb} {plan.table_count} table(s)")

    return job


async def auto_migrate_job(project: Project, request: AutoMigrateRequest) -> Job:
    """``auto_migrate`` (never guided) on each target; with ``--check`` a target that
    differs fails, naming its changes."""
    from fastapp.apply.automigrate import auto_migrate

    async def job(target: Target) -> TargetReport:
        if not (request.check or request.dry_run):
            await ensure_namespace(target.database)
        results = await auto_migrate(project.pointed_at(target.database), request)
        changes = sum(len(r.outcome.plan.ops) for r in results)
        if request.check and changes:
            listed = "; ".join(line for r in results for line in r.outcome.plan.describe()[:3])
            raise SchemaDriftError(
                f"differs from the desired schema ({changes} change(s)): {listed}"
            )
        failed = [(s, m) for r in results for s, m in r.outcome.failed]
        if failed:
            statement, message = failed[0]
            raise ExecutionError(
                f"{len(failed)} statement(s) failed, first: {statement.sql}: {message}"
            )
        if not changes:
            return TargetReport("matches the desired schema", up_to_date=True)
        if request.dry_run:
            return TargetReport(f"would apply {changes} change(s)")
        executed = sum(len(r.outcome.executed) for r in results)
        return TargetReport(f"applied {changes} change(s), {executed} statement(s)")

    return job


async def loaddata_job(project: Project, options: LoadOptions) -> Job:
    """``loaddata`` on each target: the same fixtures, all or nothing per target."""
    from dataclasses import replace

    from fastapp.data.loader import load_fixtures

    if any(source.path is None for source in options.fixtures):
        raise FixtureError(
            "loaddata --targets cannot read standard input ('-') once per target: save the "
            "fixture to a file and name the file"
        )
    options = replace(options, parse_in_child=False)  # no fork beside other targets' tasks

    async def job(target: Target) -> TargetReport:
        await ensure_namespace(target.database)
        result = await load_fixtures(project.pointed_at(target.database).registry(), options)
        return TargetReport(f"{result.objects:,} object(s) from {result.fixtures} fixture(s)")

    return job


async def showmigrations_job(project: Project, apps: Sequence[str]) -> Job:
    """``showmigrations`` on each target: applied and pending counts, the pending named."""
    from fastapp.versions.state import status

    async def job(target: Target) -> TargetReport:
        reports = await status(project.pointed_at(target.database).registry(), apps)
        rows = [row for app in reports for row in app.rows]
        pending = [f"{r.app}.{r.name}" for r in rows if r.applied_at is None and not r.missing]
        missing = [f"{r.app}.{r.name}" for r in rows if r.missing]
        applied = len(rows) - len(pending) - len(missing)
        summary = f"{applied} applied, {len(pending)} pending"
        if pending:
            summary += f" ({', '.join(pending[:3])}{', ...' if len(pending) > 3 else ''})"
        if missing:
            raise FastappError(f"{summary}; applied but file missing: {', '.join(missing)}")
        return TargetReport(summary, up_to_date=not pending)

    return job
