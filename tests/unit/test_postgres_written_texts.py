"""The desired DDL's expressions exactly as written, by table and part (the candidates
fastapp.desired.sources.postgres probes for an expression whose printed text is unstable)."""

from __future__ import annotations

from fastapp.desired.ddl import DesiredDDL
from fastapp.desired.sources.postgres import file_candidates, written_texts


def test_create_table_parts_as_written():
    table, parts = written_texts(
        "CREATE TABLE public.\"Item\" (a VARCHAR(5) DEFAULT 'x'::varchar || 'y' NOT NULL,"
        " g TEXT GENERATED ALWAYS AS (a||'x') STORED, CHECK (a NOT IN ('x', 'y')),"
        " CONSTRAINT e EXCLUDE USING gist (a WITH =) WHERE (a IN ('1')))"
    )
    assert table == "item"
    assert parts == [
        ("default", "'x'::varchar || 'y'"),
        ("generated", "a||'x'"),
        ("expression", "a NOT IN ('x', 'y')"),
        ("definition", "EXCLUDE USING gist (a WITH =) WHERE (a IN ('1'))"),
    ]


def test_create_index_parts_as_written():
    table, parts = written_texts(
        "CREATE UNIQUE INDEX IF NOT EXISTS i ON ONLY s.t USING btree"
        " (lower(a), (a || 'x') DESC, b text_pattern_ops) WHERE a IN ('a','b')"
    )
    assert table == "t"
    assert parts == [("where", "a IN ('a','b')"), ("columns", "lower(a)"), ("columns", "a || 'x'")]


def test_alter_table_parts_as_written():
    assert written_texts("ALTER TABLE t ALTER COLUMN a SET DEFAULT 'q'::varchar || 'r'") == (
        "t",
        [("default", "'q'::varchar || 'r'")],
    )
    assert written_texts("ALTER TABLE IF EXISTS t ADD CONSTRAINT c CHECK (a IN ('q'))") == (
        "t",
        [("expression", "a IN ('q')")],
    )


def test_other_statements_give_nothing():
    assert written_texts("CREATE VIEW v AS SELECT 1") is None
    assert written_texts("COMMENT ON TABLE t IS 'CHECK (x)'") is None


def test_candidates_by_table_and_part_in_script_order_without_repeats():
    ddl = DesiredDDL(
        "CREATE TABLE t (a TEXT CHECK (a <> ''), b TEXT CHECK (a <> ''));\n"
        "CREATE INDEX ti ON t (a) WHERE a IN ('x');\n"
        "CREATE TABLE u (a TEXT, CHECK (a IN ('y')));\n",
        "f.sql",
        "postgres",
    )
    assert file_candidates(ddl) == {
        ("t", "expression"): ["a <> ''"],
        ("t", "where"): ["a IN ('x')"],
        ("u", "expression"): ["a IN ('y')"],
    }
