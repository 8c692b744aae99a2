"""How SQLite reports a declared type (its hub's ``declared_type``) and the parse path's
reading of it; the scratch-space side is checked against SQLite in tests/corpus/test_parsed.py."""

from __future__ import annotations

import pytest

from fastapp.desired.parse import ParsedSchemaError, parse_schema
from fastapp.dialects.sqlite import dialect as sqlite


@pytest.mark.parametrize(
    ("declared", "reported"),
    [
        ("integer", "INTEGER"),  # the STRICT names: upper case whatever was written
        ("Int", "INT"),
        ("text", "TEXT"),
        ("double   precision", "double precision"),  # others as written, one space
        ("VarChar( 10 )", "VarChar( 10 )"),
        ("character\n varying(10)", "character varying(10)"),
        ("integer(10)", "integer(10)"),
        ("", ""),
    ],
)
def test_the_hub_says_what_pragma_table_info_reports(declared, reported):
    assert sqlite.declared_type(declared) == reported


def test_the_parse_path_reads_the_declared_spelling_and_keeps_the_canonical_type():
    schema = parse_schema(
        'CREATE TABLE t (a int, b DOUBLE PRECISION, c "my type", d numeric(10, 2), e)', "sqlite"
    )
    columns = {c.name: c for c in schema.tables[0].columns}
    assert {n: c.declared_type for n, c in columns.items()} == {
        "a": "INT",
        "b": "DOUBLE PRECISION",
        "c": "my type",
        "d": "numeric(10, 2)",
        "e": "",
    }
    assert (columns["b"].type, columns["d"].type, columns["d"].scale) == ("double", "decimal", 2)


def test_other_backends_carry_no_spelling():
    for dialect in ("postgres", "mysql"):
        schema = parse_schema("CREATE TABLE t (a INT, b DOUBLE PRECISION)", dialect)
        assert {c.declared_type for c in schema.tables[0].columns} == {None}


def test_a_quoted_word_followed_by_more_is_refused_not_guessed():
    # SQLite reports '"x"(10)' as "x" ('"double" precision' as "double"): the parse path
    # does not predict where it cuts.
    with pytest.raises(ParsedSchemaError) as info:
        parse_schema('CREATE TABLE t (id INTEGER,\n r "x"(10))', "sqlite", "f.sql")
    assert str(info.value).startswith("f.sql:2:")
    assert 'the column type "x"(10)' in str(info.value)
