"""Targets -> ordered steps.

``upgrade`` takes ``head`` (every app's latest), ``APP`` or ``APP:head``, ``APP:NAME`` (a
unique prefix of the name will do) or ``+N`` (the next N pending migrations);
``downgrade`` takes ``-N`` (the last N applied), ``APP:NAME`` (unapply what follows it),
``base``/``zero`` (unapply everything) or ``APP:base``. Graph walks are Tortoise's own
(:meth:`MigrationGraph.forwards_plan` / ``backwards_plan``), so dependencies across apps are
honoured the way ``tortoise migrate`` honours them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapp.errors import MigrationTargetError
from fastapp.versions.loading import heads

if TYPE_CHECKING:
    from tortoise.migrations.graph import MigrationKey
    from tortoise.migrations.migration import Migration

    from fastapp.versions.state import ConnectionState

HEAD = ("head", "heads", "latest")
BASE = ("base", "zero")


@dataclass(frozen=True)
class Step:
    """Apply (or with ``backward``, unapply) one migration on one connection."""

    alias: str
    key: MigrationKey
    migration: Migration
    backward: bool = False

    def describe(self) -> str:
        return f"{'unapply' if self.backward else 'apply'} {self.key}"


def split_target(text: str) -> tuple[str, str]:
    """``APP:NAME`` (or ``APP.NAME``) -> ``(APP, NAME)``; a bare ``APP`` -> ``(APP, "")``."""
    for separator in (":", "."):
        if separator in text:
            app, _, name = text.partition(separator)
            return app.strip(), name.strip()
    return text.strip(), ""


def resolve(state: ConnectionState, app: str, name: str) -> MigrationKey:
    """The migration ``name`` of ``app`` (exact, or the one name it starts)."""
    keys = [key for key in state.graph.nodes if key.app_label == app]
    for key in keys:
        if key.name == name:
            return key
    matches = sorted(key for key in keys if key.name.startswith(name))
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise MigrationTargetError(
            f"{app}:{name} is ambiguous ({', '.join(k.name for k in matches)}): give more of the name"
        )
    known = ", ".join(sorted(k.name for k in keys)) or "none"
    raise MigrationTargetError(
        f"app {app!r} has no migration {name!r} (its migrations: {known}); see `fastapp history`"
    )


def _state_of(states: list[ConnectionState], app: str) -> ConnectionState:
    for state in states:
        if app in state.labels:
            return state
    known = ", ".join(sorted(label for s in states for label in s.labels)) or "none"
    raise MigrationTargetError(f"unknown app {app!r} in the target (apps: {known})")


def _count(text: str, sign: str) -> int | None:
    if not text.startswith(sign):
        return None
    try:
        value = int(text[1:])
    except ValueError:
        raise MigrationTargetError(f"bad target {text!r}: expected {sign}N, e.g. {sign}1") from None
    if value < 1:
        raise MigrationTargetError(f"bad target {text!r}: N must be at least 1")
    return value


def upgrade_plan(states: list[ConnectionState], target: str = "head") -> list[Step]:
    """The migrations to apply to reach ``target``, dependencies first."""
    from tortoise.migrations.graph import MigrationKey

    target = target.strip() or "head"
    count = _count(target, "+")
    if target.lower() in HEAD or count is not None:
        steps = [
            step
            for state in states
            for step in _forwards(
                state,
                [
                    MigrationKey(app, h)
                    for app in sorted(state.chosen)
                    for h in heads(state.graph, app)
                ],
            )
        ]
        return steps[:count] if count is not None else steps
    if target.startswith("-") or target.lower() in BASE:
        raise MigrationTargetError(f"{target!r} goes back: use `fastapp downgrade {target}`")
    app, name = split_target(target)
    state = _state_of(states, app)
    if not name or name.lower() in HEAD:
        return _forwards(state, [MigrationKey(app, head) for head in heads(state.graph, app)])
    key = resolve(state, app, name)
    return _forwards(state, [key])


def _forwards(state: ConnectionState, targets: list[MigrationKey]) -> list[Step]:
    applied = state.applied_keys()
    steps: list[Step] = []
    seen: set[MigrationKey] = set()
    for target in targets:
        for key in state.graph.forwards_plan(target):
            if key in applied or key in seen:
                continue
            seen.add(key)
            steps.append(Step(state.alias, key, state.graph.nodes[key]))
    return steps


def downgrade_plan(states: list[ConnectionState], target: str) -> list[Step]:
    """The migrations to unapply to reach ``target``, dependents first."""
    from tortoise.migrations.graph import MigrationKey

    target = target.strip()
    count = _count(target, "-")
    if count is not None:
        return _last_applied(states, count)
    if target.lower() in BASE:
        return [s for state in states for s in _base(state, sorted(state.chosen))]
    if target.startswith("+") or target.lower() in HEAD:
        raise MigrationTargetError(f"{target!r} goes forward: use `fastapp upgrade {target}`")
    app, name = split_target(target)
    if not name:
        raise MigrationTargetError(
            f"bad downgrade target {target!r}: use -N, APP:NAME, APP:base or base"
        )
    state = _state_of(states, app)
    if name.lower() in BASE:
        return _base(state, [app])
    key = resolve(state, app, name)
    if key not in state.applied_keys():
        raise MigrationTargetError(
            f"{key.app_label}:{key.name} is not applied on {state.alias!r}, so the database "
            "cannot go back to it: see `fastapp showmigrations`, or use `fastapp upgrade` "
            "to go forward"
        )
    # What follows it in its own app, and whatever depends on that; migrations of other
    # apps that only depend on the target itself stay.
    node = state.graph.node_map[key]
    children = sorted(c.key for c in node.children if c.key.app_label == key.app_label)
    return _backwards(state, [MigrationKey(c.app_label, c.name) for c in children])


def _backwards(state: ConnectionState, targets: list[MigrationKey]) -> list[Step]:
    applied = state.applied_keys()
    steps: list[Step] = []
    seen: set[MigrationKey] = set()
    for target in targets:
        for key in state.graph.backwards_plan(target):
            if key not in applied or key in seen:
                continue
            seen.add(key)
            steps.append(Step(state.alias, key, state.graph.nodes[key], backward=True))
    return steps


def _base(state: ConnectionState, labels: list[str]) -> list[Step]:
    # An app's first migrations: no parent in the same app (Tortoise's ``root_nodes(app)``
    # also counts parents in other apps, and so misses them).
    roots = sorted(
        key
        for key, node in state.graph.node_map.items()
        if key.app_label in labels
        and not any(parent.key.app_label == key.app_label for parent in node.parents)
    )
    return _backwards(state, roots)


def _last_applied(states: list[ConnectionState], count: int) -> list[Step]:
    from tortoise.migrations.graph import MigrationKey

    # Rows come in applied order per connection; across connections, by applied-at.
    applied = sorted(
        (row.applied_at, position, index, row)
        for position, state in enumerate(states)
        for index, row in enumerate(state.applied)
        if row.app in state.chosen
    )
    chosen = applied[-count:][::-1]
    steps: list[Step] = []
    seen: set[MigrationKey] = set()
    for _, position, _, row in chosen:
        state = states[position]
        for step in _backwards(state, [MigrationKey(row.app, row.name)]):
            if step.key not in seen:
                seen.add(step.key)
                steps.append(step)
    return steps
