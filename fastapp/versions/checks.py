"""Live-data checks before ``upgrade`` runs anything: auto_migrate's own checks, one
implementation.

The data-dependent changes (NOT NULL on a column with NULLs, UNIQUE over duplicates, a
narrower type than the longest value, a NOT NULL column without default added to a table
with rows) are found the way ``auto_migrate`` finds them: fastapp's diff of the live schema
against the models' schema, whose data-dependent ops the plan renderer turns into counting
queries. Only the ops on tables and columns that the pending migrations change are kept, so
drift elsewhere is ``verify``'s business, not a reason to refuse. The counts run under the
migration lock, before the first migration (:func:`fastapp.apply.executor.run_data_checks`).

The desired side is the models: after ``upgrade`` to head the migrations reach them (and
``verify`` says so when they do not). For a nearer target the check is on the models'
definition of the touched columns, the same one those migrations lead to when the app's
migrations are up to date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapp.apps import AppRegistry
    from fastapp.sql.plan.base import DataCheck
    from fastapp.versions.planning import Step
    from fastapp.versions.state import ConnectionState

#: Tortoise operations that can make a data-dependent change.
_RISKY = ("AlterField", "AddField", "AddIndex", "AddConstraint", "AlterModelOptions")


def touched(state: ConnectionState, steps: list[Step]) -> tuple[set, set]:
    """``(table, column)`` pairs and whole tables the forward ``steps`` change."""
    columns: set[tuple[str, str]] = set()
    tables: set[str] = set()
    risky = [
        (s.key.app_label, op)
        for s in steps
        if not s.backward
        for op in s.migration.operations
        if type(op).__name__ in _RISKY
    ]
    if not risky:
        return columns, tables
    models = _model_tables(state)
    for app, op in risky:
        name = getattr(op, "model_name", None) or getattr(op, "name", None)
        table = models.get((app, name)) or models.get((app, str(name).lower()))
        if table is None:
            continue
        field_name = getattr(op, "name", None) if hasattr(op, "field") else None
        if field_name is None:
            tables.add(table)
            continue
        field = op.field
        for column in {field_name, f"{field_name}_id", getattr(field, "source_field", None)}:
            if column:
                columns.add((table, column))
    return columns, tables


def _model_tables(state: ConnectionState) -> dict[tuple[str, str], str]:
    """``(app, model) -> table`` over every migration of the connection (model states only)."""
    from fastapp.versions.loading import full_plan

    found: dict[tuple[str, str], str] = {}
    for key in full_plan(state.graph):
        for op in state.graph.nodes[key].operations:
            if type(op).__name__ == "CreateModel":
                table = (getattr(op, "options", None) or {}).get("table") or op.name.lower()
                found[(key.app_label, op.name)] = table
                found[(key.app_label, op.name.lower())] = table
            elif type(op).__name__ == "RenameModel":
                old = found.get((key.app_label, op.old_name))
                if old is not None:
                    found[(key.app_label, op.new_name)] = old
    return found


async def data_checks(
    registry: AppRegistry, state: ConnectionState, steps: list[Step]
) -> list[DataCheck]:
    """The counting queries for the data-dependent changes ``steps`` make on ``state``'s
    database (empty when they make none: no schema is read then)."""
    columns, tables = touched(state, steps)
    if not columns and not tables:
        return []
    from fastapp.apply.executor import read_live
    from fastapp.connections.raw import raw_connection
    from fastapp.desired.read import desired_schema, models_ddl
    from fastapp.diff.compare import DiffOptions, diff
    from fastapp.sql.plan import get_renderer

    labels = sorted({s.key.app_label for s in steps})
    ddl = (await models_ddl(registry, labels)).get(state.alias)
    if ddl is None:
        return []
    desired = await desired_schema(state.cfg, ddl)
    async with raw_connection(state.cfg) as conn:
        current = await read_live(state.cfg, conn)
    options = DiffOptions(drop_tables=False, keep_on_update=True, keep_live_clauses=True)
    plan = diff(current, desired, options)
    return [
        check
        for check in get_renderer(state.cfg.dialect_name).data_checks(plan)
        if _concerns(check.op, columns, tables)
    ]


def _concerns(op: Any, columns: set, tables: set) -> bool:
    table = op.table
    if table in tables:
        return True
    column = getattr(op, "column", None)
    if isinstance(column, str):
        return (table, column) in columns
    target = getattr(op, "unique", None) or getattr(op, "index", None) or getattr(op, "new", None)
    names = getattr(target, "columns", ()) or getattr(getattr(op, "fk", None), "columns", ())
    return any((table, c) in columns for c in names)
