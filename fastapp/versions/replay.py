"""Replaying migrations into a Tortoise ``State`` without Tortoise 1.1.9's quadratic paths.

* Building the state a set of migrations leads to (``makemigrations``, the starting point of
  ``upgrade``) needs no model classes until the end, yet every ``CreateModel``/``AddField``
  re-renders the model and every model related to it. :func:`project_state` defers that:
  operations update the model states only, and the models are rendered once at the end.
* Applying a migration clones the whole state (re-rendering every model) before each
  operation, for the operation's "before" view, and each ``CreateModel`` re-initialises the
  relations and querysets of every model known. A ``CreateModel`` never looks at the "before"
  view, so :func:`apply_migration` skips the clone for it, and a migration made only of new
  models (an initial one) renders them all once before creating them -- otherwise an initial
  migration of N models costs N x N.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fastapp.versions.loading import full_plan

if TYPE_CHECKING:
    from tortoise.migrations.graph import MigrationGraph, MigrationKey
    from tortoise.migrations.migration import Migration
    from tortoise.migrations.schema_generator.state import State


def _no_old_state() -> tuple[type, ...]:
    from tortoise.migrations.operations import CreateModel

    return (CreateModel,)


async def project_state(
    graph: MigrationGraph,
    keys: Iterable[MigrationKey] | None = None,
    default_connections: dict[str, str] | None = None,
    *,
    render: bool = True,
) -> State:
    """The state after the migrations ``keys`` (all when ``None``), in dependency order,
    models rendered once at the end (``render=False``: model states only, enough to diff)."""
    from tortoise.migrations.schema_generator.state import State
    from tortoise.migrations.schema_generator.state_apps import StateApps

    wanted = None if keys is None else set(keys)
    state = State(models={}, apps=StateApps(default_connections=default_connections or {}))
    with deferred_rendering(state):
        for key in full_plan(graph):
            if wanted is not None and key not in wanted:
                continue
            migration = graph.nodes[key]
            for operation in migration.operations:
                state_forward(operation, migration.app_label, state)
    if render:
        state.reload_models(state.models.keys())
        state.validate_relations_initialized()
    return state


def state_forward(operation: Any, app_label: str, state: State) -> None:
    """``operation.state_forward`` inside :func:`deferred_rendering`. A ``CreateModel`` only
    adds its model state: Tortoise's version also scans every model known for references to
    the new one (N x N over a replay), which only matters for the rendering deferred here."""
    from tortoise.migrations.operations import CreateModel
    from tortoise.migrations.schema_generator.state import ModelState

    if type(operation) is CreateModel:
        state.models[(app_label, operation.name)] = ModelState.make_from_model(
            app_label, operation.model
        )
        return
    operation.state_forward(app_label, state)


@contextmanager
def _querysets_only_for(state: State, keys: set[tuple[str, str]]) -> Iterator[None]:
    """Re-rendering some models rebuilds the querysets of *every* model known (N per
    migration, N x N over a project); build them for the re-rendered models only -- the
    others keep theirs."""
    apps = state.apps
    build = apps._build_initial_querysets

    def only_these() -> None:
        everything = apps.apps
        apps.apps = {
            label: {name: m for name, m in models.items() if (label, name) in keys}
            for label, models in everything.items()
        }
        try:
            build()
        finally:
            apps.apps = everything

    apps._build_initial_querysets = only_these  # type: ignore[method-assign]
    try:
        yield
    finally:
        del apps._build_initial_querysets


def _related(state: State, created: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The models the ``created`` ones' relations point at."""
    from tortoise.fields.relational import ForeignKeyFieldInstance, ManyToManyFieldInstance

    found = set()
    for key in created:
        for field in state.models[key].fields.values():
            if isinstance(field, (ForeignKeyFieldInstance, ManyToManyFieldInstance)):
                found.add(state.apps.split_reference(field.model_name))
    return found


@contextmanager
def deferred_rendering(state: State) -> Iterator[set[tuple[str, str]]]:
    """Operations applied to ``state`` inside only note the models to re-render (yielded);
    the caller renders them once afterwards."""
    touched: set[tuple[str, str]] = set()

    def many(model_tuples: Iterable[tuple[str, str]]) -> None:
        touched.update(model_tuples)

    def one(app_label: str, model_name: str) -> None:
        touched.add((app_label, model_name))

    # Instance attributes shadow the methods for this state only.
    state.reload_models = many  # type: ignore[method-assign]
    state.reload_model = one  # type: ignore[method-assign]
    try:
        yield touched
    finally:
        del state.reload_models, state.reload_model


async def apply_migration(
    migration: Migration,
    state: State,
    editor: Any,
    *,
    batch: bool = False,
    querysets: bool = True,
) -> None:
    """:meth:`Migration.apply` for a real run, without the per-operation clone where the
    operation does not need it.

    For a migration of new models only (an initial one):

    * ``batch``: its statements are collected and sent as one script, one round trip instead
      of one per table. Only where a failure rolls the whole migration back (the statements
      that ran need not be told apart); the SQL and its order are unchanged.
    * ``querysets=False``: the new models' query sets are not built. Nothing reads them
      unless Python code runs against the migration state (``RunPython``), so the caller
      passes ``False`` only when the migrations hold none.
    """
    supports_transactions = editor.client.capabilities.supports_transactions
    skip_clone = _no_old_state()
    if migration.operations and all(isinstance(op, skip_clone) for op in migration.operations):
        # Only new models (an initial migration): render them all once, then create them.
        created = []
        with deferred_rendering(state) as touched:
            for operation in migration.operations:
                state_forward(operation, migration.app_label, state)
                created.append((migration.app_label, operation.name))
        # The new models, and the existing ones on either end of their relations.
        keys = {*created, *touched, *_related(state, created)} & state.models.keys()
        with _querysets_only_for(state, keys if querysets else set()):
            state.reload_models(keys)
        with _collected(editor, batch) as statements:
            for operation in migration.operations:
                await migration._run_database_forward(
                    operation, state, state, editor, supports_transactions
                )
        if statements:
            # Tortoise's statements end with ";", others (a LiveUnique's) may not.
            script = (t if t.rstrip().endswith(";") else f"{t.rstrip()};" for t in statements)
            await editor._run_sql("\n".join(script))
        state.validate_relations_initialized()
        return
    for operation in migration.operations:
        old_state = state if isinstance(operation, skip_clone) else state.clone()
        operation.state_forward(migration.app_label, state)
        await migration._run_database_forward(
            operation, old_state, state, editor, supports_transactions
        )
    state.validate_relations_initialized()


@contextmanager
def _collected(editor: Any, batch: bool) -> Iterator[list[str]]:
    """With ``batch``, the statements ``editor`` would run, collected instead (yielded)."""
    if not batch:
        yield []
        return
    kept, editor.collect_sql, editor.collected_sql = editor.collected_sql, True, []
    try:
        yield editor.collected_sql
    finally:
        editor.collect_sql, editor.collected_sql = False, kept
