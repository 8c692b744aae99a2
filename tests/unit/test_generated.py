"""Pure tests: creation ordering and statement splitting (no database)."""

import pytest

from fastapp.errors import SchemaError
from fastapp.schema.sqltext import split_statements
from fastapp.tortoise.generated import GeneratedTable, creation_order, schema_sql


def table(name, *refs):
    return GeneratedTable(name, (f"CREATE TABLE {name} (id INT)",), frozenset(refs))


def test_order_puts_references_first_and_breaks_ties_by_name():
    tables = [table("c", "b"), table("b", "a"), table("z"), table("a"), table("m", "a", "z")]
    assert [t.table for t in creation_order(tables)] == ["a", "b", "c", "z", "m"]


def test_order_ignores_self_references_and_outside_tables():
    tables = [table("comment", "comment", "post"), table("post", "user")]
    assert [t.table for t in creation_order(tables)] == ["post", "comment"]


def test_order_is_independent_of_input_order():
    tables = [table("d", "c"), table("c", "a"), table("b", "a"), table("a")]
    assert creation_order(tables) == creation_order(list(reversed(tables)))


def test_cycle_is_reported_with_its_tables():
    with pytest.raises(SchemaError, match="cycle between tables a, b"):
        creation_order([table("a", "b"), table("b", "a"), table("c")])


def test_schema_sql_is_ordered_script():
    assert schema_sql([table("b", "a"), table("a")]) == (
        "CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);"
    )


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
def test_split_keeps_semicolons_inside_strings_and_comments(dialect):
    sql = (
        "CREATE TABLE t (x INT) /* a; b */;\n"
        "COMMENT ON TABLE t IS 'it''s; fine';\n"
        "-- trailing; comment\n"
    )
    assert split_statements(sql, dialect) == [
        "CREATE TABLE t (x INT) /* a; b */",
        "COMMENT ON TABLE t IS 'it''s; fine'",
    ]


def test_split_drops_empty_statements():
    assert split_statements(";;SELECT 1;; ;", "sqlite") == ["SELECT 1"]


def test_split_mysql_backslash_escaped_quote():
    sql = r"CREATE TABLE t (x INT COMMENT 'it\'s; here'); SELECT 'a\\'; SELECT 2"
    assert split_statements(sql, "mysql") == [
        r"CREATE TABLE t (x INT COMMENT 'it\'s; here')",
        r"SELECT 'a\\'",
        "SELECT 2",
    ]


def test_split_backslash_is_plain_text_in_standard_strings():
    assert split_statements(r"SELECT 'a\'; SELECT 2", "sqlite") == [r"SELECT 'a\'", "SELECT 2"]
    assert split_statements(r"SELECT E'a\'; b'; SELECT 'c\'", "postgres") == [
        r"SELECT E'a\'; b'",
        r"SELECT 'c\'",
    ]


def test_split_postgres_dollar_quoted_bodies_and_parameters():
    body = "CREATE FUNCTION f() RETURNS int AS $fn$ BEGIN RETURN 1; END; $fn$ LANGUAGE plpgsql"
    assert split_statements(f"{body}; DO $$ BEGIN PERFORM 1; END $$;", "postgres") == [
        body,
        "DO $$ BEGIN PERFORM 1; END $$",
    ]
    assert split_statements("SELECT $1; SELECT a$b", "postgres") == ["SELECT $1", "SELECT a$b"]


def test_split_quoted_identifiers_and_unterminated_text():
    assert split_statements('CREATE TABLE "a;b" (`c;d` INT); x', "mysql") == [
        'CREATE TABLE "a;b" (`c;d` INT)',
        "x",
    ]
    assert split_statements("SELECT 'open; string", "sqlite") == ["SELECT 'open; string"]
