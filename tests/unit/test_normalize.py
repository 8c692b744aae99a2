"""Normalization rules: pure, no database."""

from __future__ import annotations

import pytest

from fastapp.dialects import dialect_names, get_dialect
from fastapp.dialects.mysql import is_implicit_fk_index, json_check_columns, table_options
from fastapp.schema.normalize import (
    TypeSpec,
    index_shape,
    is_simple_default,
    normalize_comment,
    normalize_default,
    normalize_expression,
    normalize_fk_action,
    normalize_index_method,
    normalize_type,
    parsed_default,
)
from fastapp.schema.objects import CANONICAL_TYPES

#: The stored spellings each backend's hub lets skip the parser.
FAST_DEFAULTS = {name: get_dialect(name).fast_defaults for name in dialect_names()}
FAST_LITERAL_CASTS = {name: get_dialect(name).fast_literal_casts for name in dialect_names()}
is_json_check = get_dialect("mysql").is_json_check


@pytest.mark.parametrize(
    ("dialect", "text", "expected"),
    [
        ("postgres", "integer", TypeSpec("integer")),
        ("postgres", "int4", TypeSpec("integer")),
        ("postgres", "character varying(50)", TypeSpec("varchar", length=50)),
        ("postgres", "character varying", TypeSpec("varchar")),
        ("postgres", "character(3)", TypeSpec("char", length=3)),
        ("postgres", "numeric(12,2)", TypeSpec("decimal", precision=12, scale=2)),
        ("postgres", "timestamp with time zone", TypeSpec("timestamptz")),
        ("postgres", "timestamp(3) with time zone", TypeSpec("timestamptz", precision=3)),
        ("postgres", "timestamp without time zone", TypeSpec("timestamp")),
        ("postgres", "time with time zone", TypeSpec("timetz")),
        ("postgres", "double precision", TypeSpec("double")),
        ("postgres", "bytea", TypeSpec("blob")),
        ("postgres", "vector(3)", TypeSpec("vector", length=3)),
        ("postgres", "bit(4)", TypeSpec("bit", length=4)),
        ("mysql", "int(11)", TypeSpec("integer")),
        ("mysql", "int(10) unsigned", TypeSpec("integer", unsigned=True)),
        ("mysql", "bigint(20) unsigned", TypeSpec("bigint", unsigned=True)),
        ("mysql", "tinyint(1)", TypeSpec("boolean")),
        ("mysql", "tinyint(4)", TypeSpec("tinyint")),
        ("mysql", "tinyint(1) unsigned", TypeSpec("tinyint", unsigned=True)),
        ("mysql", "float", TypeSpec("real")),
        ("mysql", "double", TypeSpec("double")),
        ("mysql", "datetime(6)", TypeSpec("datetime", precision=6)),
        ("mysql", "longtext", TypeSpec("longtext")),
        ("mysql", "enum('a','it''s, ok')", TypeSpec("enum", enum_values=("a", "it's, ok"))),
        ("mysql", "set('x','y')", TypeSpec("set", enum_values=("x", "y"))),
        ("mysql", "year(4)", TypeSpec("year")),
        ("sqlite", "INT", TypeSpec("integer")),
        ("sqlite", "VARCHAR(40)", TypeSpec("varchar", length=40)),
        ("sqlite", "DECIMAL(10, 2)", TypeSpec("decimal", precision=10, scale=2)),
        ("sqlite", "BOOL", TypeSpec("boolean")),
        ("sqlite", "double  precision", TypeSpec("double")),
    ],
)
def test_known_types(dialect, text, expected):
    assert normalize_type(dialect, text) == expected
    assert expected.type in CANONICAL_TYPES


@pytest.mark.parametrize(
    ("dialect", "text", "kept"),
    [
        ("postgres", "integer[]", "integer[]"),
        ("postgres", "cidr", "cidr"),
        ("postgres", "USER-DEFINED", "user-defined"),
        ("mysql", "point", "point"),
        ("mysql", "int(11) zerofill", "int(11) zerofill"),
        ("sqlite", "MONEY(10)", "money(10)"),
        ("sqlite", "", ""),
        ("sqlite", "VARCHAR(abc)", "varchar(abc)"),
    ],
)
def test_unknown_types_are_kept_verbatim(dialect, text, kept):
    spec = normalize_type(dialect, text)
    assert spec.known is False
    assert spec.type == kept


@pytest.mark.parametrize(
    ("dialect", "text", "expected"),
    [
        ("postgres", None, None),
        ("postgres", "NULL::character varying", None),
        ("postgres", "''::character varying", "''"),
        ("postgres", "'it''s'::text", "'it''s'"),
        ("postgres", "'{}'::jsonb", "'{}'"),
        ("postgres", "'-1'::integer", "-1"),
        ("postgres", "(0)::numeric", "0"),
        ("postgres", "now()", "now()"),  # the catalog keeps it apart from CURRENT_TIMESTAMP
        ("postgres", "true", "TRUE"),
        ("postgres", "(1 + 2)", "1 + 2"),
        ("mysql", "NULL", None),
        ("mysql", "'abc'", "'abc'"),
        ("mysql", "current_timestamp(6)", "CURRENT_TIMESTAMP(6)"),
        ("mysql", "0.00", "0.00"),
        ("sqlite", "(datetime('now'))", "DATETIME('now')"),
        ("sqlite", "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
        ("sqlite", "-5", "-5"),
    ],
)
def test_defaults(dialect, text, expected):
    assert normalize_default(dialect, text) == expected


def test_fast_defaults_agree_with_the_parser():
    for dialect, spellings in FAST_DEFAULTS.items():
        for text, fast in spellings.items():
            assert parsed_default(dialect, text) == fast, (dialect, text)
    for dialect, targets in FAST_LITERAL_CASTS.items():
        for target in targets:
            for literal in ("''", "'x'", "'it''s'", "'{\"a\": 1}'"):
                text = f"{literal}::{target}"
                assert normalize_default(dialect, text) == parsed_default(dialect, text), text


@pytest.mark.parametrize(
    ("dialect", "text", "expected"),
    [
        ("postgres", "(price > (0)::numeric)", "price > 0"),
        (
            "postgres",
            "((state = 'x'::text) AND (n IS NOT NULL))",
            "state = 'x' AND n IS NOT NULL",
        ),
        (
            "postgres",
            "((kind)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
            "CAST(kind AS TEXT) = ANY(ARRAY['a', 'b'])",
        ),
        (
            "postgres",
            "((kind)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text]))",
            "CAST(kind AS TEXT) = ANY(ARRAY['a', 'b'])",
        ),
        ("mysql", "`a` > 0 and `b` < 5", "`a` > 0 AND `b` < 5"),
        (
            "postgres",
            "(((p >= (0)::numeric) AND (p <= (100)::numeric)) AND (p IS NOT NULL))",
            "p >= 0 AND p <= 100 AND p IS NOT NULL",
        ),
        ("postgres", "((a > 1) OR (b > 2)) AND (c = 3)", "(a > 1 OR b > 2) AND c = 3"),
        ("postgres", "((a + b) * 2) > 3", "(a + b) * 2 > 3"),
        ("sqlite", "lower(email)", "LOWER(email)"),
        ("sqlite", "this is not sql (", "this is not sql ("),
    ],
)
def test_expressions(dialect, text, expected):
    assert normalize_expression(dialect, text) == expected


def test_expression_normalization_is_idempotent():
    for text in ("(price > (0)::numeric)", "lower((email)::text)", "a + (b * 2)"):
        once = normalize_expression("postgres", text)
        assert normalize_expression("postgres", once) == once


@pytest.mark.parametrize(
    ("action", "dialect", "expected"),
    [
        (None, None, "NO ACTION"),
        ("", None, "NO ACTION"),
        ("c", "postgres", "CASCADE"),
        ("n", "postgres", "SET NULL"),
        ("d", "postgres", "SET DEFAULT"),
        ("r", "postgres", "RESTRICT"),
        ("a", "postgres", "NO ACTION"),
        ("set null", "sqlite", "SET NULL"),
        ("SET_DEFAULT", "sqlite", "SET DEFAULT"),
        ("RESTRICT", "sqlite", "RESTRICT"),
        ("RESTRICT", "mysql", "NO ACTION"),
        ("CASCADE", "mysql", "CASCADE"),
    ],
)
def test_fk_actions(action, dialect, expected):
    assert normalize_fk_action(action, dialect) == expected


def test_index_helpers():
    assert normalize_index_method("BTREE") is None
    assert normalize_index_method("btree") is None
    assert normalize_index_method("GIN") == "gin"
    assert normalize_index_method(None) is None
    assert index_shape([None, None], [False, False]) == ((), ())
    assert index_shape(["ASC", "desc"], [True, False]) == ((None, "DESC"), (True, False))


def test_json_check_and_comments():
    assert is_json_check("json_valid(`data`)", "data")
    assert not is_json_check("json_valid(`data`)", "other")
    assert not is_json_check("`data` > 0", "data")
    assert normalize_comment("") is None
    assert normalize_comment("x") == "x"


@pytest.mark.parametrize(
    ("text", "simple"),
    [
        ("0", True),
        ("'a'", True),
        ("-1.5", True),
        ("CURRENT_TIMESTAMP", True),
        ("NULL", True),
        ("DATETIME('now')", False),
        ("1 + 2", False),
    ],
)
def test_simple_defaults(text, simple):
    assert is_simple_default("sqlite", text) is simple


@pytest.mark.parametrize(
    ("dialect", "stored", "written"),
    [
        ("postgres", "((first || ' '::text) || last)", "first || ' ' || last"),
        ("postgres", "((a + b) + c)", "a + b + c"),
        ("mysql", "(`a` - `b`) - `c`", "`a` - `b` - `c`"),
    ],
)
def test_left_nested_operators_lose_their_parentheses(dialect, stored, written):
    assert normalize_expression(dialect, stored) == normalize_expression(dialect, written)


@pytest.mark.parametrize("text", ["a - (b - c)", "a / (b / c)", "a || (b || c)"])
def test_right_nested_parentheses_stay(text):
    assert "(" in normalize_expression("postgres", text)


def test_mariadb_json_checks_say_which_columns_are_json():
    columns = [("doc", "longtext"), ("body", "text"), ("other", "longtext")]
    checks = [("doc", "json_valid(`doc`)"), ("body", "json_valid(`body`)"), ("c", "`x` > 0")]
    assert json_check_columns(columns, checks) == ({"doc"}, {"doc"})


def test_implicit_fk_index_is_named_after_the_key_or_its_first_column():
    class Key:
        columns, name = ("a", "b"), "fk_ab"

    assert is_implicit_fk_index("fk_ab", ("a", "b"), False, [Key()])
    assert is_implicit_fk_index("a", ("a", "b"), False, [Key()])
    assert not is_implicit_fk_index("idx_ab", ("a", "b"), False, [Key()])
    assert not is_implicit_fk_index("fk_ab", ("a", "b"), True, [Key()])
    assert not is_implicit_fk_index("fk_ab", ("a",), False, [Key()])


def test_table_options_take_the_charset_from_the_collation():
    assert table_options("InnoDB", "utf8mb4_bin") == (
        ("engine", "InnoDB"),
        ("charset", "utf8mb4"),
        ("collation", "utf8mb4_bin"),
    )
    assert table_options(None, None) == ()
