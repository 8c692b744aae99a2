"""SQLite's declared type spelling (``Column.declared_type``): written back as declared, a
respelling is a safe change done by the table rebuild, and other backends never carry it.
Pure: the diff, the DDL writer and the renderer (the convergence corpus,
tests/corpus/convergence/sqlite_spelling.yaml, checks the same against SQLite's pragmas)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fastapp.diff import ops as o
from fastapp.diff.compare import diff
from fastapp.schema.objects import Column, ForeignKey, Index, PrimaryKey, Schema, Table
from fastapp.sql.ddl import get_ddl
from fastapp.sql.plan import get_renderer

ID = Column("id", "integer", nullable=False, declared_type="INTEGER")


def spelled(name: str, type_: str, declared: str | None, **kw) -> Column:
    return Column(name, type_, declared_type=declared, **kw)


def item(*columns: Column, **kw) -> Table:
    return Table("item", (ID, *columns), PrimaryKey(("id",)), **kw)


def plan_of(current: Table, desired: Table, dialect: str = "sqlite"):
    return diff(Schema(dialect, (current,)), Schema(dialect, (desired,)))


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (spelled("r", "double", "DOUBLE PRECISION"), '"r" DOUBLE PRECISION'),
        (spelled("q", "integer", "INT"), '"q" INT'),
        (spelled("v", "varchar", "character varying(10)", length=10), '"v" character varying(10)'),
        (spelled("p", "decimal", "NUMERIC(10, 2)", precision=10, scale=2), '"p" NUMERIC(10, 2)'),
        (spelled("x", "", "", known_type=False), '"x"'),
        # Text SQLite would not read back as one type: one quoted name, which it unquotes.
        (spelled("n", "not null", "not null", known_type=False), '"n" "not null"'),
        (spelled("c", "double", "DOUBLE /* c */ PRECISION"), '"c" "DOUBLE /* c */ PRECISION"'),
        # No spelling (a Schema made by hand, another backend's): the canonical one.
        (spelled("d", "double", None), '"d" DOUBLE'),
    ],
)
def test_sqlite_writes_the_declared_spelling(column, expected):
    assert get_ddl("sqlite").column_definition(None, column) == expected


def test_other_backends_write_the_canonical_type():
    column = spelled("r", "double", None)
    assert get_ddl("postgres").column_definition(None, column) == '"r" DOUBLE PRECISION'
    assert get_ddl("mysql").column_definition(None, column) == "`r` DOUBLE"


def test_a_respelling_is_one_safe_column_change_done_by_the_rebuild():
    current = item(spelled("qty", "integer", "INT"))
    desired = item(spelled("qty", "integer", "INTEGER"))
    plan = plan_of(current, desired)
    (op,) = plan.ops
    assert isinstance(op, o.AlterColumn) and op.changes == ("type",)
    assert op.respelled and op.safety == o.SAFE and not plan.destructive_ops
    assert op.describe() == "alter column item.qty: type integer respelled 'INT' -> 'INTEGER'"
    assert op.reverse() == o.AlterColumn("item", desired.columns[1], current.columns[1])
    sql = [s.sql for s in get_renderer("sqlite").render(plan)]
    assert any('"qty" INTEGER' in s and s.startswith('CREATE TABLE "_fastapp_new_item"') for s in sql)
    assert 'INSERT INTO "_fastapp_new_item" ("id", "qty") SELECT "id", "qty" FROM "item"' in sql


def test_a_respelling_keeps_the_indexes_and_the_keys_pointing_at_the_table():
    index = Index(("code",), unique=True, name="item_code")
    current = item(spelled("code", "varchar", "VARCHAR(10)", length=10), indexes=(index,))
    desired = item(spelled("code", "varchar", "CHARACTER VARYING(10)", length=10), indexes=(index,))
    child = Table(
        "child",
        (ID, spelled("item_id", "integer", "INTEGER")),
        PrimaryKey(("id",)),
        foreign_keys=(ForeignKey(("item_id",), "item", ("id",)),),
    )
    plan = diff(Schema("sqlite", (current, child)), Schema("sqlite", (desired, child)))
    assert [op.kind for op in plan.ops] == ["alter_column"]
    sql = [s.sql for s in get_renderer("sqlite").render(plan)]
    assert 'CREATE UNIQUE INDEX "item_code" ON "item" ("code")' in sql
    assert sql[0] == "PRAGMA foreign_keys = OFF" and "PRAGMA foreign_key_check" in sql
    assert not any('"child"' in s for s in sql)


@pytest.mark.parametrize(
    ("old", "new", "safety"),
    [
        (spelled("n", "integer", "INT"), spelled("n", "bigint", "BIGINT"), o.SAFE),
        (spelled("n", "real", "REAL"), spelled("n", "integer", "INT"), o.DESTRUCTIVE),
        (spelled("n", "text", "TEXT"), spelled("n", "varchar", "VARCHAR(5)", length=5), o.DATA_DEPENDENT),
        (spelled("n", "varchar", "varchar(5)", length=5), spelled("n", "varchar", "VARCHAR(5)", length=5), o.SAFE),
    ],
)
def test_a_canonical_change_is_classified_as_before_whatever_the_spelling(old, new, safety):
    op = o.AlterColumn("item", old, new)
    assert op.safety == safety
    assert op.respelled == (safety == o.SAFE and old.type == new.type)


def test_same_spelling_is_no_change_and_a_schema_without_spellings_compares_as_before():
    column = spelled("r", "double", "DOUBLE PRECISION")
    assert plan_of(item(column), item(column)).is_empty
    bare = replace(column, declared_type=None)
    assert plan_of(item(bare), item(bare), "postgres").is_empty
