"""The lint rules and suppression comments (pure: plans built from Schema values)."""

from __future__ import annotations

import pytest

from fastapp.dialects import get_dialect
from fastapp.diff.compare import DiffOptions, diff
from fastapp.lint.rules import RULES, lint_plan
from fastapp.lint.suppress import SuppressionError, allowed_in
from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    PrimaryKey,
    Schema,
    Table,
)

ID = Column("id", "integer", nullable=False, autoincrement=True)
PARENT = Table("parent", (ID,), PrimaryKey(("id",)))


def child(*columns, **kw) -> Table:
    return Table("child", (ID, *columns), PrimaryKey(("id",)), **kw)


def findings(dialect, current, desired, *, online=False, **options):
    plan = diff(
        Schema(dialect, tuple(current)), Schema(dialect, tuple(desired)), DiffOptions(**options)
    )
    return [(f.rule, f.subject) for f in lint_plan(plan, get_dialect(dialect), online=online)]


REF = Column("parent_id", "integer")
REF_NOT_NULL = Column("parent_id", "integer", nullable=False)
FK = ForeignKey(("parent_id",), "parent", ("id",), name="child_parent_fk")


def test_postgres_names_each_blocking_change_with_its_table_and_column():
    current = [PARENT, child(REF, Column("name", "varchar", length=10))]
    desired = [
        PARENT,
        child(
            REF_NOT_NULL,
            Column("name", "varchar", length=10),
            Column("token", "double", default="random()"),
            foreign_keys=(FK,),
            checks=(CheckConstraint("parent_id > 0", name="child_positive"),),
            indexes=(Index(("name",), name="child_name"),),
        ),
    ]
    found = findings("postgres", current, desired)
    rules = [rule for rule, _ in found]
    assert sorted(set(rules)) == ["FA001", "FA002", "FA003", "FA004", "FA005", "FA009"]
    assert ("FA004", "child.parent_id") in found
    assert ("FA001", "child (name)") in found
    assert ("FA002", "child (parent_id) -> parent") in found
    # --online rewrites all of them on PostgreSQL.
    assert findings("postgres", current, desired, online=True) == []


def test_new_tables_are_no_hazard():
    desired = [PARENT, child(REF, foreign_keys=(FK,), indexes=(Index(("parent_id",), name="i"),))]
    assert findings("postgres", [], desired) == []


def test_widening_is_in_place_but_narrowing_and_retyping_rewrite():
    narrow = [child(Column("n", "varchar", length=10))]
    assert findings("postgres", narrow, [child(Column("n", "varchar", length=20))]) == [
        ("FA009", "plan")
    ]
    assert ("FA006", "child.n varchar(10) -> integer") in findings(
        "postgres", narrow, [child(Column("n", "integer"))]
    )
    # MySQL: crossing 255 bytes of utf8mb4 changes the length prefix, the table is copied.
    rules = [r for r, _ in findings("mysql", narrow, [child(Column("n", "varchar", length=200))])]
    assert "FA006" in rules
    assert "FA006" not in [
        r for r, _ in findings("mysql", narrow, [child(Column("n", "varchar", length=60))])
    ]


def test_renames_and_drops_break_running_code_everywhere():
    for dialect in ("postgres", "mysql", "sqlite"):
        found = findings(
            dialect,
            [child(Column("a", "integer"), Column("b", "integer"))],
            [child(Column("a2", "integer"))],
            column_renames=(("child", "a", "a2"),),
        )
        assert ("FA007", "child.a -> a2") in found, dialect
        assert ("FA008", "child.b") in found, dialect


def test_mysql_keeps_what_online_cannot_fix_and_sqlite_has_one_writer():
    current = [PARENT, child(REF)]
    desired = [PARENT, child(REF, checks=(CheckConstraint("parent_id > 0", name="c"),))]
    assert [r for r, _ in findings("mysql", current, desired, online=True)] == ["FA003"]
    assert findings("sqlite", current, desired) == []


def test_removing_a_live_clause_that_copies_the_table_is_named():
    from fastapp.schema.objects import Unmodelled

    unlogged = Unmodelled("table child", "UNLOGGED")
    statistics = Unmodelled("column id", "SET STATISTICS 500")
    current = [child(unmodelled=(unlogged, statistics))]
    found = findings("postgres", current, [child()])
    assert ("FA010", "child table child: UNLOGGED") in found
    assert [rule for rule, _ in found] == ["FA010", "FA009"]  # statistics: catalog only
    partitioned = [child(unmodelled=(Unmodelled("partitioning", "PARTITION BY HASH (id)"),))]
    assert ("FA010", "child partitioning: PARTITION BY HASH (id)") in findings(
        "mysql", partitioned, [child()]
    )
    # Kept (the desired side cannot say it): no op, so nothing to report but the notes.
    assert findings("postgres", current, [child()], keep_live_clauses=True) == []


def test_a_constant_default_is_not_volatile():
    current = [child()]
    desired = [child(Column("n", "integer", nullable=False, default="0"))]
    assert [r for r, _ in findings("postgres", current, desired)] == ["FA009"]


def test_suppression_comments():
    text = "# fastapp: allow FA001, fa007\nx = 1  # fastapp: allow FA009\n# other comment\n"
    assert allowed_in(text, "m.py") == {"FA001", "FA007", "FA009"}
    with pytest.raises(SuppressionError, match=r"m\.py:2: unknown lint rule 'FA999'"):
        allowed_in("x = 1\n# fastapp: allow FA999\n", "m.py")
    with pytest.raises(SuppressionError, match=r"m\.py:1: a fastapp comment must read"):
        allowed_in("# fastapp: ignore FA001\n", "m.py")
    # A string that looks like a comment is not one.
    assert allowed_in("s = '# fastapp: allow FA999'\n", "m.py") == frozenset()


def test_rule_ids_are_stable_and_every_hub_advises_only_known_rules():
    assert list(RULES) == [f"FA{i:03}" for i in range(1, 11)]
    for name in ("postgres", "mysql", "sqlite"):
        facts = get_dialect(name).online
        assert set(facts.advice) <= set(RULES)
        assert facts.fixed_online <= set(facts.advice)
