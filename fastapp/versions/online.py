"""``upgrade --online``: a migration applied as a plan of fastapp's ops, so the online
rewrites of the executor and the plan renderers apply to it.

The schema after the migration is the live schema (exported as DDL) plus the migration's
SQL, built in the scratch space; the diff from the live schema to it is the migration's
plan. Tortoise's editors still decide *what* changes (the names and definitions are theirs);
fastapp decides *how*. A migration with data operations (``RunPython``, ``RunSQL``) runs the
usual way: its SQL is not a schema change fastapp can rewrite.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapp.apply.locks.base import LockSession
    from fastapp.versions.state import ConnectionState


async def schema_sql(state: ConnectionState, migration: Any, forward: Any) -> list[str]:
    """The SQL of ``migration``'s schema operations, as Tortoise's editors give it, applied
    to (and advancing) the project state ``forward``. Data operations are left out."""
    from tortoise.migrations.operations import RunPython, RunSQL

    from fastapp.versions.editors import schema_editor

    only_schema = copy.copy(migration)
    only_schema.operations = [
        op for op in migration.operations if not isinstance(op, (RunPython, RunSQL))
    ]
    editor = schema_editor(state.executor, atomic=False, collect_sql=True)
    await only_schema.apply(forward, schema_editor=editor, collect_sql=True)
    out = []
    for sql in editor.collected_sql:
        text = sql.strip()
        if text and not text.startswith("--"):
            out.append(text if text.endswith(";") else text + ";")
    return out


def has_data_operations(migration: Any) -> bool:
    from tortoise.migrations.operations import RunPython, RunSQL

    return any(isinstance(op, (RunPython, RunSQL)) for op in migration.operations)


async def apply_online(
    state: ConnectionState, migration: Any, forward: Any, session: LockSession
) -> list[str]:
    """Apply ``migration``'s schema operations online on ``session`` (which holds the
    migration lock); returns the statements that ran."""
    from fastapp.apply.executor import ApplyOptions, apply_plan, read_live
    from fastapp.desired.read import DesiredDDL, desired_schema
    from fastapp.diff.compare import DiffOptions, diff
    from fastapp.introspect.exporter import render

    sql = await schema_sql(state, migration, forward)
    if not sql:
        return []
    current = await read_live(state.cfg, session.conn)
    text = render(current, "sql") + "\n" + "\n".join(sql) + "\n"
    desired = await desired_schema(
        state.cfg,
        DesiredDDL(
            text, f"migration {migration.app_label}.{migration.name}", state.cfg.dialect_name
        ),
    )
    plan = diff(current, desired, DiffOptions())
    options = ApplyOptions(guided=False, allow_destructive=True, online=True)
    outcome = await apply_plan(session, plan, options)
    return [s.sql for s in outcome.executed]
