"""A squashed migration on a database that applied (some of) the migrations it replaces.

Tortoise 1.1.9 keeps ``Migration.replaces`` but its loader ignores it; ``fastapp squash``
(:mod:`.squashing`) removes the replaced files, and this module maps the records of
``tortoise_migrations`` onto the squashed migration:

* every replaced migration recorded: the squashed one counts as applied (and ``upgrade``
  records it, so ``tortoise migrate`` agrees);
* the first *k* recorded: the database is in the middle of the range; the squashed
  operations are the originals' in order and ``squashed_operations`` (next to ``replaces``)
  says how many each original had, so ``upgrade`` runs only the rest.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from fastapp.errors import MigrationGraphError

if TYPE_CHECKING:
    from tortoise.migrations.graph import MigrationGraph, MigrationKey
    from tortoise.migrations.migration import Migration

#: Class attribute of a squashed migration: operations per replaced migration, in order.
COUNTS = "squashed_operations"


def counts_of(migration: Any) -> list[int] | None:
    counts = getattr(migration, COUNTS, None)
    if counts is None or len(counts) != len(migration.replaces):
        return None
    return [int(c) for c in counts]


def replaced_names(graph: MigrationGraph) -> set[tuple[str, str]]:
    """Every ``(app, name)`` some migration on disk replaces."""
    return {tuple(r) for node in graph.nodes.values() for r in (node.replaces or ())}


def reconcile(graph: MigrationGraph, rows: list[Any]) -> tuple[list[Any], dict[MigrationKey, int]]:
    """The applied rows with each squashed migration whose originals are all recorded added
    (applied at the last of them), and the squashed migrations a database is in the middle
    of, with the number of their operations already run.

    Raises :class:`MigrationGraphError` when the records cannot be mapped onto the squashed
    operations (originals recorded out of order, or a squash written without the counts).
    """
    recorded = {(r.app, r.name): r for r in rows}
    added: list[Any] = []
    partial: dict[MigrationKey, int] = {}
    for key, node in graph.nodes.items():
        replaces = [tuple(r) for r in (node.replaces or ())]
        if not replaces or (key.app_label, key.name) in recorded:
            continue
        done = [r in recorded for r in replaces]
        if all(done):
            last = max(recorded[r].applied_at for r in replaces)
            row = recorded[replaces[-1]]
            added.append(replace(row, app=key.app_label, name=key.name, applied_at=last))
            continue
        if not any(done):
            continue
        first = done.index(False)
        counts = counts_of(node)
        if any(done[first:]) or counts is None:
            ran = ", ".join(f"{a}.{n}" for (a, n), d in zip(replaces, done, strict=True) if d)
            why = (
                "not in order"
                if counts is not None
                else f"{key} does not say which of its operations those were ({COUNTS})"
            )
            raise MigrationGraphError(
                f"the database applied part of the range {key} replaces ({ran}), {why}: "
                "restore the original files to finish the range, then squash again"
            )
        partial[key] = sum(counts[:first])
    return rows + added, partial


def unrecorded(state: Any, real: list[Any]) -> list[Any]:
    """The squashed migrations :func:`reconcile` counts as applied that are not recorded yet."""
    recorded = {(r.app, r.name) for r in real}
    return [r for r in state.applied if (r.app, r.name) not in recorded]


def remaining(migration: Migration, state: Any, offset: int) -> Migration:
    """``migration`` without its first ``offset`` operations, ``state`` moved past them."""
    for operation in migration.operations[:offset]:
        operation.state_forward(migration.app_label, state)
    rest = copy.copy(migration)
    rest.operations = list(migration.operations[offset:])
    return rest
