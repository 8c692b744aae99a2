"""The lint rules: pure functions of a plan's ops and the backend's online facts.

Each hazard has a stable id (``FA001``...), kept forever: CI configurations and suppression
comments name them. A rule reports an op only where the backend's
:class:`~fastapp.dialects.base.OnlineFacts` give advice for it -- the hub says which changes
block writers there and what to do instead, this module only says which op is which change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapp.diff import ops as o

if TYPE_CHECKING:
    from fastapp.dialects.base import Dialect
    from fastapp.diff.compare import Plan
    from fastapp.schema.objects import Schema


@dataclass(frozen=True)
class Rule:
    id: str
    title: str


#: Every rule, by id. Ids are never reused or renumbered.
RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("FA001", "index built with writes blocked"),
        Rule("FA002", "foreign key validated over the whole table under lock"),
        Rule("FA003", "check constraint validated over the whole table under lock"),
        Rule("FA004", "SET NOT NULL scans the whole table under lock"),
        Rule("FA005", "new column with a volatile default rewrites every row"),
        Rule("FA006", "type change rewrites the table"),
        Rule("FA007", "rename breaks the running code"),
        Rule("FA008", "drop breaks the running code"),
        Rule("FA009", "no lock timeout"),
        Rule("FA010", "table rewritten to remove a clause fastapp does not model"),
    )
}


@dataclass(frozen=True)
class Finding:
    """One hazard: the rule, where (table and column or object), what and the alternative."""

    rule: str
    table: str
    subject: str
    message: str
    advice: str
    #: The op it is about (``None`` for a finding about the whole plan: FA009).
    op: o.Op | None = None

    def describe(self) -> str:
        return f"{self.rule} {self.subject}: {self.message}; instead: {self.advice}"


def lint_plan(plan: Plan, dialect: Dialect, *, online: bool = False) -> list[Finding]:
    """The hazards of applying ``plan`` on ``dialect`` while the application runs, in plan
    order. With ``online``, what ``--online`` rewrites away on this backend is not reported."""
    facts = dialect.online
    skip = facts.fixed_online if online else frozenset()
    found: list[Finding] = []
    locking = False
    for op in plan.ops:
        existing = plan.current.table(op.table) is not None
        if existing and not isinstance(op, (o.CreateEnumType, o.DropEnumType, o.AddEnumValues)):
            locking = True
        for rule, subject, message in _hazards(op, plan.current, dialect, existing):
            advice = facts.advice.get(rule)
            if advice is not None and rule not in skip:
                found.append(Finding(rule, op.table, subject, message, advice, op))
    advice = facts.advice.get("FA009")
    if locking and advice is not None and "FA009" not in skip:
        found.append(
            Finding(
                "FA009",
                "",
                "plan",
                "ALTER statements wait for their table lock with no time limit, and every "
                "query on the table queues behind them meanwhile",
                advice,
            )
        )
    return found


def _hazards(
    op: o.Op, current: Schema, dialect: Dialect, existing: bool
) -> Iterator[tuple[str, str, str]]:
    t = op.table
    if isinstance(op, o.CreateIndex) and existing:
        yield (
            "FA001",
            f"{t} ({', '.join(op.index.columns)})",
            ("building the index blocks writes to the table until it is done"),
        )
    elif isinstance(op, o.AddForeignKey) and existing:
        fk = op.foreign_key
        yield (
            "FA002",
            f"{t} ({', '.join(fk.columns)}) -> {fk.ref_table}",
            ("checking every existing row locks both tables against writes"),
        )
    elif isinstance(op, o.AddCheck) and existing:
        yield (
            "FA003",
            f"{t} check ({op.check.expression})",
            ("checking every existing row locks the table against writes"),
        )
    elif isinstance(op, o.AddColumn) and existing and volatile_default(op.column.default, dialect):
        yield (
            "FA005",
            f"{t}.{op.column.name} default {op.column.default}",
            ("every existing row is written at once, under an exclusive lock"),
        )
    elif isinstance(op, o.AlterColumn) and existing:
        changes = op.changes
        if "nullable" in changes and not op.new.nullable:
            yield (
                "FA004",
                f"{t}.{op.column}",
                ("setting NOT NULL reads every row under an exclusive lock"),
            )
        if "type" in changes and not in_place_type_change(op, dialect):
            yield (
                "FA006",
                f"{t}.{op.column} {op.old.type_text} -> {op.new.type_text}",
                ("the table is rewritten under an exclusive lock"),
            )
    elif isinstance(op, o.RenameTable):
        yield (
            "FA007",
            f"{t} -> {op.new_name}",
            ("running code still queries the old name and fails until it is redeployed"),
        )
    elif isinstance(op, o.RenameColumn):
        yield (
            "FA007",
            f"{t}.{op.old_name} -> {op.new_name}",
            ("running code still uses the old name and fails until it is redeployed"),
        )
    elif isinstance(op, o.DropColumn):
        yield (
            "FA008",
            f"{t}.{op.column.name}",
            ("running code that still reads or writes the column fails"),
        )
    elif isinstance(op, o.DropTable):
        yield "FA008", t, "running code that still uses the table fails"
    elif isinstance(op, o.DropUnmodelled) and op.rewrites and existing:
        yield (
            "FA010",
            f"{t} {op.item.object}: {op.item.clause}",
            f"removing it copies the table while reads and writes wait ({op.effect})",
        )


def in_place_type_change(op: o.AlterColumn, dialect: Dialect) -> bool:
    """The type change is done without rewriting the table (widening, per the hub's facts)."""
    facts = dialect.online
    old, new = op.old, op.new
    if (old.type, new.type) not in facts.in_place_type_changes:
        return False
    if old.type == new.type == "decimal":
        return (new.scale or 0) == (old.scale or 0) and (new.precision or 0) >= (old.precision or 0)
    if new.length is not None and (old.length is None or new.length < old.length):
        return False
    limit = facts.in_place_varchar_limit
    if limit is not None and old.length is not None and new.length is not None:
        return (old.length <= limit) == (new.length <= limit)
    return True


def volatile_default(default: str | None, dialect: Dialect) -> bool:
    """``default`` calls a function whose value differs per row (sqlglot reads it)."""
    if not default:
        return False
    names = dialect.online.volatile_functions
    lowered = default.lower()
    if not any(name in lowered for name in names):
        return False  # most defaults: no parse needed
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(default, read=dialect.sqlglot_name)
    except Exception:
        return True  # unreadable but naming a volatile function: report it
    for node in tree.find_all(exp.Func):
        called = node.name if isinstance(node, exp.Anonymous) else node.sql(dialect.sqlglot_name)
        if called.split("(")[0].strip().lower() in names:
            return True
    return False
