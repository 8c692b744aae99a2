"""What the lint reads: the plan ``auto_migrate`` would apply (models or a DDL file), or the
ops of versioned migration files.

A migration's ops come from the diff engine, not from its SQL text: the schema before it and
the schema after it are both built in a scratch space from the SQL Tortoise's schema editors
give (every earlier migration, then this one) and diffed. Data operations (``RunPython``,
``RunSQL``) change no schema and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapp.diff.compare import DiffOptions, diff
from fastapp.errors import MigrationTargetError
from fastapp.lint.rules import Finding, lint_plan
from fastapp.lint.suppress import allowed_rules

if TYPE_CHECKING:
    from fastapp.apps import AppRegistry
    from fastapp.connections.url import DatabaseConfig
    from fastapp.project import Project
    from fastapp.schema.objects import Schema
    from fastapp.versions.state import ConnectionState


@dataclass
class LintReport:
    """Findings by source (``database alias`` or a migration file), and what was allowed."""

    findings: list[tuple[str, Finding]] = field(default_factory=list)
    allowed: list[tuple[str, Finding]] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)


async def lint_project(
    project: Project,
    *,
    database: str | None = None,
    apps: tuple[str, ...] = (),
    desired_sql: str | None = None,
    online: bool = False,
    allow: frozenset[str] = frozenset(),
) -> LintReport:
    """Lint the plan ``auto_migrate`` would apply now (nothing is executed)."""
    from fastapp.apply.automigrate import AutoMigrateRequest, auto_migrate
    from fastapp.dialects import get_dialect

    request = AutoMigrateRequest(
        apps=apps, database=database, desired_sql=desired_sql, guided=False, dry_run=True
    )
    report = LintReport()
    for result in await auto_migrate(project, request):
        where = result.target.alias
        report.checked.append(where)
        dialect = get_dialect(result.target.cfg.dialect_name)
        _sort(report, where, lint_plan(result.outcome.plan, dialect, online=online), allow)
    return report


async def lint_migrations(
    registry: AppRegistry,
    targets: tuple[str, ...],
    *,
    online: bool = False,
    allow: frozenset[str] = frozenset(),
) -> LintReport:
    """Lint migration files: ``APP`` (all of its migrations), ``APP:NAME`` (one, a name prefix
    will do) or ``APP:FROM..TO`` (a range, both ends included). Suppression comments in each
    file apply to its findings. Raises :class:`MigrationTargetError` for an unknown target."""
    from fastapp.dialects import get_dialect
    from fastapp.versions.loading import full_plan, migration_file
    from fastapp.versions.state import open_states

    report = LintReport()
    async with open_states(registry) as states:
        for state in states:
            chosen = _chosen(state, states, targets)
            if not chosen:
                continue
            order = [k for k in full_plan(state.graph) if k.app_label in state.labels]
            last = max(order.index(k) for k in chosen)
            dialect = get_dialect(state.cfg.dialect_name)
            async for key, plan in migration_plans(state, order[: last + 1]):
                if key not in chosen:
                    continue
                path = migration_file(state.app(key.app_label), key.name)
                where = str(path) if path is not None else str(key)
                report.checked.append(where)
                allowed = allow | (
                    allowed_rules(path) if path is not None and path.exists() else frozenset()
                )
                _sort(report, where, lint_plan(plan, dialect, online=online), allowed)
    return report


def _sort(report: LintReport, where: str, findings: list[Finding], allowed: frozenset[str]) -> None:
    for finding in findings:
        (report.allowed if finding.rule in allowed else report.findings).append((where, finding))


def _chosen(state: ConnectionState, states: list[ConnectionState], targets: tuple[str, ...]) -> set:
    from fastapp.versions.planning import resolve, split_target

    known = {label for s in states for label in s.labels}
    chosen = set()
    for target in targets:
        app, name = split_target(target)
        if app not in known:
            raise MigrationTargetError(
                f"unknown app {app!r} in {target!r} (apps with migrations: "
                f"{', '.join(sorted(known)) or 'none'})"
            )
        if app not in state.labels:
            continue
        keys = [k for k in _app_order(state, app)]
        if not name:
            chosen.update(keys)
        elif ".." in name:
            first, _, last = name.partition("..")
            a = keys.index(resolve(state, app, first)) if first else 0
            b = keys.index(resolve(state, app, last)) if last else len(keys) - 1
            if a > b:
                raise MigrationTargetError(f"{target!r}: the range ends before it starts")
            chosen.update(keys[a : b + 1])
        else:
            chosen.add(resolve(state, app, name))
    return chosen


def _app_order(state: ConnectionState, app: str) -> list:
    from fastapp.versions.loading import full_plan

    return [k for k in full_plan(state.graph) if k.app_label == app]


async def migration_plans(state: ConnectionState, keys: list) -> Any:
    """``(key, plan)`` for each migration of ``keys`` (in order, starting from an empty
    database): the plan is the diff of the schema before it and after it."""
    from fastapp.versions.online import schema_sql
    from fastapp.versions.replay import project_state

    connections = {app.label: app.connection for app in state.apps}
    forward = await project_state(state.graph, [], connections)
    text = ""
    before = await _scratch_schema(state.cfg, text, "the empty schema")
    for key in keys:
        sql = await schema_sql(state, state.graph.nodes[key], forward)
        text += "".join(s + "\n" for s in sql)
        after = await _scratch_schema(state.cfg, text, f"migrations up to {key}")
        yield key, diff(before, after, DiffOptions())
        before = after


async def _scratch_schema(cfg: DatabaseConfig, text: str, source: str) -> Schema:
    from fastapp.desired.read import DesiredDDL, desired_schema
    from fastapp.schema.objects import Schema

    if not text.strip():
        return Schema(cfg.dialect_name)
    return await desired_schema(cfg, DesiredDDL(text, source, cfg.dialect_name))
