"""``Column.identity`` (PostgreSQL ``GENERATED ALWAYS|BY DEFAULT AS IDENTITY``) is written by
the PostgreSQL DDL writer only; MySQL and SQLite refuse it by name, whatever writes it (a
created table, an added or changed column, a SQLite rebuild, an export), before any statement:
their auto-increment reads back without the identity, so it would never converge.
"""

from __future__ import annotations

import pytest

from fastapp.diff.compare import diff
from fastapp.errors import UnsupportedClauseError
from fastapp.schema.objects import Column, PrimaryKey, Schema, Table
from fastapp.sql.ddl import get_ddl
from fastapp.sql.plan import get_renderer

SERIAL = Column("id", "integer", nullable=False, autoincrement=True)
NAME = Column("name", "varchar", length=20)


def identity(kind: str, name: str = "id") -> Column:
    return Column(name, "integer", nullable=False, autoincrement=True, identity=kind)


def item(*columns: Column, key: str = "id") -> Table:
    return Table("item", columns, PrimaryKey((key,)))


def render(dialect: str, current: Table | None, desired: Table) -> list[str]:
    live = Schema(dialect, (current,) if current else ())
    plan = diff(live, Schema(dialect, (desired,)))
    return [s.sql for s in get_renderer(dialect).render(plan)]


def refusal(kind: str, column: str = "id") -> str:
    return f"table item: column {column}: GENERATED {kind} AS IDENTITY cannot be written in"


@pytest.mark.parametrize("kind", ["ALWAYS", "BY DEFAULT"])
def test_postgres_writes_the_identity(kind):
    sql = get_ddl("postgres").create_table(item(identity(kind), NAME))
    assert f'"id" INTEGER NOT NULL GENERATED {kind} AS IDENTITY' in sql
    added = render("postgres", item(SERIAL), item(SERIAL, identity(kind, "seq")))
    assert added == [f'ALTER TABLE "item" ADD COLUMN "seq" INTEGER NOT NULL GENERATED {kind} AS IDENTITY']


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
@pytest.mark.parametrize("kind", ["ALWAYS", "BY DEFAULT"])
def test_a_created_table_with_an_identity_is_refused_by_name(dialect, kind):
    ddl = get_ddl(dialect)
    with pytest.raises(UnsupportedClauseError) as info:
        ddl.create_table(item(identity(kind), NAME))
    assert refusal(kind) + f" {dialect}" in str(info.value)
    assert "\n" not in str(info.value)
    with pytest.raises(UnsupportedClauseError, match="GENERATED"):
        ddl.schema_script(Schema(dialect, (item(identity(kind), NAME),)))
    with pytest.raises(UnsupportedClauseError, match=refusal(kind)):
        render(dialect, None, item(identity(kind), NAME))


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_an_added_identity_column_is_refused_by_name(dialect):
    current = item(SERIAL)
    desired = item(SERIAL, Column("seq", "integer", nullable=False, identity="ALWAYS"))
    with pytest.raises(UnsupportedClauseError, match=refusal("ALWAYS", "seq")):
        render(dialect, current, desired)


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_a_column_changed_into_an_identity_is_refused_by_name(dialect):
    # MySQL: ALTER TABLE ... MODIFY; SQLite: the table rebuild (a CREATE TABLE).
    current = item(SERIAL, Column("n", "integer", nullable=False))
    desired = item(SERIAL, Column("n", "integer", nullable=False, identity="BY DEFAULT"))
    with pytest.raises(UnsupportedClauseError, match=refusal("BY DEFAULT", "n")):
        render(dialect, current, desired)


def test_mysql_refuses_an_identity_in_a_primary_key_change_said_in_one_statement():
    # Moving AUTO_INCREMENT with the key is one ALTER TABLE (the renderer's key group).
    current = item(SERIAL, Column("code", "integer", nullable=False))
    desired = item(
        Column("id", "integer", nullable=False),
        identity("ALWAYS", "code"),
        key="code",
    )
    with pytest.raises(UnsupportedClauseError, match=refusal("ALWAYS", "code")):
        render("mysql", current, desired)


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_auto_increment_without_identity_is_still_written(dialect):
    sql = get_ddl(dialect).create_table(item(SERIAL, NAME))
    assert ("AUTO_INCREMENT" if dialect == "mysql" else "AUTOINCREMENT") in sql
