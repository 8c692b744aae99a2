"""What the Schema cannot carry (:class:`Unmodelled`): one mechanism on every backend.

Pure: the diff and the renderers, no database (the convergence corpus checks the same rules
against real servers).
"""

from __future__ import annotations

import pytest

from fastapp.diff import ops as o
from fastapp.diff.compare import UnmodelledClauseError, UnsupportedChangeError, diff
from fastapp.errors import UnsupportedClauseError
from fastapp.schema.objects import Column, Index, PrimaryKey, Schema, Table, Unmodelled
from fastapp.sql.plan import get_renderer

ID = Column("id", "integer", nullable=False)
A = Column("a", "integer")
B = Column("b", "integer")
INDEX = Index(("a",), name="item_a")
IGNORED = Unmodelled("index item_a", "IGNORED")
PARTITIONING = Unmodelled("partitioning", "PARTITION BY HASH (id)")
DEFERRABLE = Unmodelled("foreign key", "DEFERRABLE INITIALLY DEFERRED")
TRIGGER = Unmodelled("trigger item_touch", "CREATE TRIGGER")


def item(*columns: Column, **kw) -> Table:
    return Table("item", (ID, A, *columns), PrimaryKey(("id",)), **kw)


def plan_of(dialect: str, current: Table | None, desired: Table):
    live = Schema(dialect, (current,) if current else ())
    return diff(live, Schema(dialect, (desired,)))


def render(dialect: str, current: Table | None, desired: Table) -> list[str]:
    return [s.sql for s in get_renderer(dialect).render(plan_of(dialect, current, desired))]


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_a_desired_clause_the_live_table_lacks_is_refused_by_name(dialect):
    desired = item(indexes=(INDEX,), unmodelled=(IGNORED,))
    for current in (None, item(indexes=(INDEX,))):
        with pytest.raises(UnmodelledClauseError) as info:
            plan_of(dialect, current, desired)
        assert "table item: index item_a: IGNORED" in str(info.value)
        assert isinstance(info.value, UnsupportedClauseError)


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_a_clause_both_sides_have_is_kept_while_the_table_changes(dialect):
    live = item(indexes=(INDEX,), unmodelled=(IGNORED,))
    plan = plan_of(dialect, live, item(B, indexes=(INDEX,), unmodelled=(IGNORED,)))
    assert [op.kind for op in plan.ops] == ["add_column"]
    assert plan.notes == ()
    assert len(get_renderer(dialect).render(plan)) == 1


def test_a_sqlite_rebuild_that_would_lose_a_clause_is_refused_by_name():
    live = item(unmodelled=(DEFERRABLE,))
    not_null = Column("a", "integer", nullable=False)  # SQLite changes a column by a rebuild
    desired = Table("item", (ID, not_null), PrimaryKey(("id",)), unmodelled=(DEFERRABLE,))
    with pytest.raises(UnsupportedClauseError, match="foreign key: DEFERRABLE INITIALLY DEFERRED"):
        render("sqlite", live, desired)


def test_a_live_clause_the_desired_side_lacks_is_an_op():
    plan = plan_of("mysql", item(unmodelled=(PARTITIONING,)), item())
    assert plan.ops == (o.DropUnmodelled("item", PARTITIONING),)
    assert plan.ops[0].describe() == "remove PARTITION BY HASH (id) from partitioning of table item"


def test_mysql_removes_partitioning():
    assert render("mysql", item(unmodelled=(PARTITIONING,)), item()) == [
        "ALTER TABLE `item` REMOVE PARTITIONING"
    ]


def test_sqlite_removes_a_live_clause_by_rebuilding_the_table():
    statements = render("sqlite", item(unmodelled=(DEFERRABLE,)), item())
    assert any("CREATE TABLE" in s and "DEFERRABLE" not in s for s in statements)


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_a_live_clause_no_op_can_remove_is_refused_by_name(dialect):
    live = item(indexes=(INDEX,), unmodelled=(IGNORED,))
    with pytest.raises(UnsupportedChangeError) as info:
        render(dialect, live, item(indexes=(INDEX,)))
    assert "remove IGNORED from index item_a of table item" in str(info.value)


def test_a_live_clause_goes_with_the_index_the_desired_side_drops():
    plan = plan_of("mysql", item(indexes=(INDEX,), unmodelled=(IGNORED,)), item())
    assert [op.kind for op in plan.ops] == ["drop_index"]
    assert plan.notes == ()


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_a_live_object_of_its_own_is_kept_and_said_in_the_plan(dialect):
    plan = plan_of(dialect, item(unmodelled=(TRIGGER,)), item())
    assert plan.is_empty
    assert plan.notes == ("table item: trigger item_touch: CREATE TRIGGER",)
