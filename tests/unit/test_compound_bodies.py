"""Statement splitting around BEGIN ... END bodies, and the normalized text of object bodies
(issue 14: a view's, a routine's or a trigger's text is what is compared)."""

from __future__ import annotations

import pytest

from fastapp.schema.normalize.bodies import normalize_body
from fastapp.schema.sqltext import split_statements

PROCEDURE = """CREATE PROCEDURE restock(IN amount INT)
lbl: BEGIN
  DECLARE n INT DEFAULT 0;
  IF amount > 0 THEN SET n = amount; END IF;
  SET n = CASE WHEN n > 9 THEN 9 ELSE n END;
  CASE n WHEN 1 THEN SELECT 'one;'; ELSE BEGIN END; END CASE;
  WHILE n > 0 DO SET n = n - 1; END WHILE;
END lbl"""


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_a_compound_body_is_one_statement(dialect):
    script = f"CREATE TABLE t (a INT);\n{PROCEDURE};\nCREATE TABLE u (b INT);"
    assert split_statements(script, dialect) == [
        "CREATE TABLE t (a INT)",
        PROCEDURE,
        "CREATE TABLE u (b INT)",
    ]


def test_a_trigger_body_with_a_definer_and_comments():
    trigger = (
        "CREATE DEFINER=`root`@`%` TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\n"
        "BEGIN -- end; begin\n  SET NEW.a = 1; /* END; */\n  SET NEW.b = 'END';\nEND"
    )
    assert split_statements(f"{trigger};\nSELECT 1;", "mysql") == [trigger, "SELECT 1"]


def test_block_words_outside_a_routine_split_as_before():
    # A column named begin or end, and a transaction's BEGIN, are no blocks.
    script = "CREATE TABLE t (`begin` INT, end INT);\nBEGIN;\nCREATE TABLE u (case_no INT);"
    assert split_statements(script, "mysql") == [
        "CREATE TABLE t (`begin` INT, end INT)",
        "BEGIN",
        "CREATE TABLE u (case_no INT)",
    ]


def test_postgres_keeps_splitting_at_every_top_level_semicolon():
    # PostgreSQL bodies are dollar-quoted; its BEGIN ATOMIC (SQL-standard bodies) is not
    # a compound body here.
    assert split_statements("CREATE FUNCTION f() RETURNS int AS $$ BEGIN; END $$;", "postgres") == [
        "CREATE FUNCTION f() RETURNS int AS $$ BEGIN; END $$"
    ]


def test_body_text_drops_comments_spacing_and_keyword_case_only():
    one = normalize_body("mysql", "select  id -- the key\n from t where name = 'A  b';")
    two = normalize_body("mysql", "SELECT id FROM t\nWHERE name = 'A  b'")
    assert one == two == "SELECT id FROM t WHERE name = 'A  b'"
    assert normalize_body("mysql", "SELECT 'a'") != normalize_body("mysql", "SELECT 'A'")
    assert normalize_body("sqlite", 'SELECT "Id" FROM t') != normalize_body("sqlite", "SELECT id FROM t")
