"""Fuzzing the desired-DDL file reader and the sqlglot parse fallback: no database.

A ``--desired-sql`` file goes through :func:`read_ddl_file`, statement splitting, the
``-- @renamed`` reader and :func:`parse_schema` (the path taken where no scratch space is
allowed). Inputs are generated CREATE TABLE / INDEX / ALTER scripts, then broken
(truncated, unbalanced, unterminated quotes and comments, NUL bytes, huge numbers, bytes that
are not UTF-8), and random text. The outcome must be a Schema or one FastappError line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from fastapp.desired.parse import parse_schema
from fastapp.desired.read import declared_renames, read_ddl_file
from fastapp.errors import FastappError
from tests.fuzz.fuzzing import FUZZ, mutated_bytes, mutated_text, outcome

DIALECTS = ("sqlite", "postgres", "mysql")

names = st.one_of(
    st.sampled_from(["users", "posts", "t", "id", "name", "select", "order", "x1"]),
    st.sampled_from(['"Mixed Case"', "`back tick`", '"a""b"', "[br]", '"\x00"', "ümlaut"]),
)
types = st.sampled_from(
    [
        "INTEGER", "BIGINT", "SERIAL", "TEXT", "VARCHAR(40)", "VARCHAR(99999999999999999999)",
        "NUMERIC(12, 2)", "DECIMAL(65,30)", "DECIMAL(-1)", "BOOLEAN", "TIMESTAMPTZ", "DATETIME(6)",
        "JSONB", "JSON", "BLOB", "BYTEA", "UUID", "DOUBLE PRECISION", "ENUM('a','b')",
        "INT UNSIGNED", "CHAR(0)", "mood", "INTEGER[]", "geometry",
    ]
)  # fmt: skip
column_extras = st.sampled_from(
    [
        "", " NOT NULL", " NULL", " PRIMARY KEY", " UNIQUE", " DEFAULT 0", " DEFAULT 'it''s'",
        " DEFAULT now()", " DEFAULT 1e999", " DEFAULT -9223372036854775809",
        " CHECK (x > 0)", " CHECK (name IN ('a', 'b'))", " REFERENCES users (id) ON DELETE CASCADE",
        " REFERENCES nowhere (nothing)", " COLLATE \"C\"", " AUTO_INCREMENT", " COMMENT 'c'",
        " GENERATED ALWAYS AS (1) STORED", " -- @renamed from=old_name\n",
        " -- @renamed from=\n", " -- @renamed to=x\n",
    ]
)  # fmt: skip
table_extras = st.sampled_from(
    [
        "", ", PRIMARY KEY (id)", ", UNIQUE (name, id)", ", FOREIGN KEY (x) REFERENCES t (id)",
        ", CONSTRAINT c CHECK (id <> 0)", ", INDEX ix (name)", ", KEY (id)",
        ", PRIMARY KEY (nope)",
    ]
)  # fmt: skip
table_options = st.sampled_from(
    ["", " WITHOUT ROWID", " STRICT", " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", " ENGINE=Nope"]
)
other_statements = st.sampled_from(
    [
        "CREATE INDEX ix_{t} ON {t} (id)",
        "CREATE UNIQUE INDEX ON {t} (lower(name))",
        "CREATE INDEX ix ON nowhere (id)",
        "ALTER TABLE {t} ADD COLUMN extra TEXT",
        "ALTER TABLE {t} ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES {t} (id)",
        "ALTER TABLE {t} DROP COLUMN id",
        "COMMENT ON TABLE {t} IS 'c'",
        "COMMENT ON COLUMN {t}.id IS NULL",
        "CREATE TYPE mood AS ENUM ('happy', 'sad')",
        "CREATE TYPE mood AS ENUM ()",
        "CREATE VIEW v AS SELECT 1",
        "CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
        "CREATE SEQUENCE s",
        "DROP TABLE {t}",
        "INSERT INTO {t} VALUES (1)",
        "SELECT 1",
        "BEGIN",
        "",
    ]
)


@st.composite
def create_table(draw: st.DrawFn) -> str:
    table = draw(names)
    prefix = draw(st.sampled_from(["", "IF NOT EXISTS ", "TEMPORARY ", "public."]))
    columns = [
        f"  {draw(names)} {draw(types)}{draw(column_extras) if draw(st.booleans()) else ''}"
        for _ in range(draw(st.integers(0, 4)))
    ]
    body = ",\n".join(columns) + draw(table_extras)
    return f"CREATE TABLE {prefix}{table} ( -- @renamed from=before\n{body}\n){draw(table_options)}"


@st.composite
def plain_script(draw: st.DrawFn) -> str:
    """Tables every backend accepts, each referencing the one before: deep paths, no errors."""
    statements = []
    for i in range(draw(st.integers(1, 3))):
        columns = ["  id INTEGER NOT NULL PRIMARY KEY"]
        for j in range(draw(st.integers(0, 4))):
            kind = draw(st.sampled_from(["INTEGER", "TEXT", "VARCHAR(40)", "NUMERIC(12, 2)"]))
            extra = draw(st.sampled_from(["", " NOT NULL", " UNIQUE", " DEFAULT 0", " NULL"]))
            columns.append(f"  c{j} {kind}{extra}")
        if i and draw(st.booleans()):
            columns.append(f"  ref INTEGER REFERENCES t{i - 1} (id) ON DELETE CASCADE")
        statements.append(f"CREATE TABLE t{i} (\n" + ",\n".join(columns) + "\n)")
        if draw(st.booleans()):
            statements.append(f"CREATE INDEX ix_t{i} ON t{i} (id)")
    return ";\n".join(statements) + ";\n"


@st.composite
def script(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.integers(0, 3)):
            parts.append(draw(create_table()))
        else:
            parts.append(draw(other_statements).format(t=draw(names)))
    separator = draw(st.sampled_from([";\n", ";", "\n;\n/* c */\n", ";\r\n"]))
    return separator.join(parts) + draw(st.sampled_from(["", ";", ";\n-- end", "\n/*"]))


ddl_text = st.one_of(
    plain_script(),
    mutated_text(plain_script()),
    script(),
    mutated_text(script()),
    st.text(max_size=200),
)


def read_back(path: Path, dialect: str):
    """What ``auto_migrate --desired-sql`` does with a file before (and without) a scratch
    space: read it, split it, find declared renames, parse it into a Schema."""
    ddl = read_ddl_file(path, dialect)
    ddl.statements()
    declared_renames(ddl)
    return parse_schema(ddl.text, dialect, ddl.source)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(mutated_bytes(ddl_text), st.sampled_from(DIALECTS))
def test_desired_sql_files_read_or_fail_in_one_line(folder, data, dialect):
    path = folder / "desired.sql"
    path.write_bytes(data)
    result = outcome(read_back, path, dialect)
    event("one-line error" if isinstance(result, FastappError) else "schema")


@FUZZ
@given(ddl_text, st.sampled_from(DIALECTS))
def test_ddl_text_parses_or_fails_in_one_line(text, dialect):
    outcome(parse_schema, text, dialect, "desired.sql")


def test_a_file_that_is_not_utf8_is_one_error_line(folder):
    """Found by fuzzing: read_text's UnicodeDecodeError (not an OSError) escaped the reader."""
    path = folder / "latin1.sql"
    path.write_bytes("CREATE TABLE caf\xe9 (id INTEGER);".encode("latin-1"))
    error = outcome(read_ddl_file, path, "sqlite")
    assert isinstance(error, FastappError)
    assert "UTF-8" in str(error)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_comment_left_open_is_one_error_line(dialect):
    """Found by fuzzing: sqlglot's TokenError (its message over two lines) escaped the parser."""
    error = outcome(parse_schema, "CREATE TABLE t (id INTEGER)\n/*", dialect, "desired.sql")
    assert isinstance(error, FastappError)
    assert str(error).startswith("desired.sql:1: cannot tokenize")
