"""Op values: safety classes, descriptions, reversibility (pure, no database)."""

from __future__ import annotations

import pytest

from fastapp.diff import ops as o
from fastapp.schema.objects import Column, ForeignKey, Index, PrimaryKey, Table, UniqueConstraint


def col(name="c", type="integer", **kw) -> Column:
    return Column(name=name, type=type, **kw)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (col(type="integer"), col(type="bigint"), o.SAFE),
        (col(type="bigint"), col(type="integer"), o.DATA_DEPENDENT),
        (col(type="varchar", length=10), col(type="varchar", length=20), o.SAFE),
        (col(type="varchar", length=20), col(type="varchar", length=10), o.DATA_DEPENDENT),
        (col(type="varchar", length=20), col(type="text"), o.SAFE),
        (col(type="text"), col(type="varchar", length=20), o.DATA_DEPENDENT),
        (col(type="integer"), col(type="text"), o.SAFE),
        (col(type="text"), col(type="integer"), o.DATA_DEPENDENT),
        (
            col(type="decimal", precision=10, scale=2),
            col(type="decimal", precision=12, scale=2),
            o.SAFE,
        ),
        (
            col(type="decimal", precision=10, scale=2),
            col(type="decimal", precision=10, scale=1),
            o.DESTRUCTIVE,
        ),
        (
            col(type="decimal", precision=10, scale=2),
            col(type="decimal", precision=8, scale=2),
            o.DATA_DEPENDENT,
        ),
        (col(type="double"), col(type="integer"), o.DESTRUCTIVE),
        (col(type="double"), col(type="real"), o.DESTRUCTIVE),
        (col(type="real"), col(type="double"), o.SAFE),
        (col(type="timestamp"), col(type="date"), o.DESTRUCTIVE),
        (col(type="date"), col(type="timestamp"), o.SAFE),
        (col(type="integer", unsigned=True), col(type="integer"), o.DATA_DEPENDENT),
        (col(type="integer"), col(type="bigint", unsigned=True), o.DATA_DEPENDENT),
    ],
)
def test_type_change_classes(old, new, expected):
    assert o.classify_type_change(old, new) == expected
    assert o.AlterColumn("t", old, new).safety == expected


def test_alter_column_lists_changes_and_worst_safety():
    op = o.AlterColumn("t", col(nullable=True), col(type="bigint", nullable=False, default="0"))
    assert op.changes == ("type", "nullable", "default")
    assert op.safety == o.DATA_DEPENDENT  # NOT NULL on rows that may hold NULL
    assert op.describe() == "alter column t.c: type integer -> bigint, set NOT NULL, default 0"
    assert op.reverse() == o.AlterColumn("t", op.new, op.old)


def test_destructive_alter_has_no_reverse():
    op = o.AlterColumn("t", col(type="double"), col(type="integer"))
    assert op.destructive and op.reverse() is None


def test_add_column_not_null_without_default_depends_on_rows():
    assert o.AddColumn("t", col(nullable=False)).safety == o.DATA_DEPENDENT
    assert o.AddColumn("t", col(nullable=False, default="0")).safety == o.SAFE
    assert o.AddColumn("t", col(nullable=True)).safety == o.SAFE


def test_safety_classes_of_structural_ops():
    table = Table("t", (col("id"),), PrimaryKey(("id",)))
    fk = ForeignKey(("p",), "parent", ("id",))
    assert o.DropTable("t", table).safety == o.DESTRUCTIVE
    assert o.DropColumn("t", col()).safety == o.DESTRUCTIVE
    assert o.CreateTable("t", table).safety == o.SAFE
    assert o.AddUnique("t", UniqueConstraint(("c",))).safety == o.DATA_DEPENDENT
    assert o.CreateIndex("t", Index(("c",), unique=True)).safety == o.DATA_DEPENDENT
    assert o.CreateIndex("t", Index(("c",))).safety == o.SAFE
    assert o.AddForeignKey("t", fk).safety == o.DATA_DEPENDENT
    assert o.DropForeignKey("t", fk).safety == o.SAFE
    assert o.SetPrimaryKey("t", PrimaryKey(("id",)), None).safety == o.SAFE


def test_reverse_round_trips():
    table = Table("t", (col("id"),))
    values = [
        o.CreateTable("t", table),
        o.RenameTable("a", "b"),
        o.RenameColumn("t", "a", "b"),
        o.AddColumn("t", col()),
        o.CreateIndex("t", Index(("c",))),
        o.AddForeignKey("t", ForeignKey(("p",), "parent", ("id",))),
        o.SetTableComment("t", None, "x"),
        o.SetPrimaryKey("t", None, PrimaryKey(("id",))),
    ]
    for op in values:
        assert op.reverse().reverse() == op


def test_ops_are_hashable_values():
    a = o.AddColumn("t", col())
    assert a == o.AddColumn("t", col()) and len({a, o.AddColumn("t", col())}) == 1
    with pytest.raises(AttributeError):
        a.table = "x"  # type: ignore[misc]


def test_describe_mentions_objects():
    assert o.DropTable("t", Table("t")).describe() == "drop table t (its rows are lost)"
    fk = ForeignKey(("author_id",), "users", ("id",), on_delete="CASCADE")
    assert (
        o.AddForeignKey("posts", fk).describe()
        == "add foreign key posts (author_id) -> users (id) on delete cascade"
    )
