"""Schema-qualified names in a desired file, and quoted names in --rename (issue 14)."""

from __future__ import annotations

import pytest

from fastapp.connections.url import DatabaseConfig
from fastapp.desired.ddl import DesiredDDL, DesiredSchemaError
from fastapp.desired.names import local_names
from fastapp.diff.compare import RenameError, parse_column_renames, parse_table_renames

PG = DatabaseConfig("postgres", "shop")
PG_SCHEMA = DatabaseConfig("postgres", "shop", params=(("schema", "sales"),))
MY = DatabaseConfig("mysql", "shop")
LITE = DatabaseConfig("sqlite", "/tmp/x.sqlite3")


def local(cfg: DatabaseConfig, text: str) -> str:
    return local_names(DesiredDDL(text, "f.sql", cfg.dialect_name), cfg).text


@pytest.mark.parametrize(
    ("cfg", "text", "expected"),
    [
        (
            PG,
            "CREATE TABLE public.t (a INT REFERENCES public.u (a))",
            "CREATE TABLE t (a INT REFERENCES u (a))",
        ),
        (
            PG,
            'CREATE TABLE "public"."t" (a INT); CREATE INDEX i ON PUBLIC.t (a)',
            'CREATE TABLE "t" (a INT); CREATE INDEX i ON t (a)',
        ),
        (PG_SCHEMA, "CREATE TABLE sales.t (a INT)", "CREATE TABLE t (a INT)"),
        (
            MY,
            "CREATE TABLE shop.t (a INT); CREATE INDEX i ON `shop`.`t` (a)",
            "CREATE TABLE t (a INT); CREATE INDEX i ON `t` (a)",
        ),
        (
            LITE,
            'CREATE TABLE MAIN.t (a INT); CREATE INDEX "main".i ON t (a)',
            "CREATE TABLE t (a INT); CREATE INDEX i ON t (a)",
        ),
        # Not a qualifier of the target: column references, functions, strings stay.
        (
            PG,
            "CREATE TABLE t (a INT CHECK (t.a > 0), b TEXT DEFAULT 'public.x')",
            "CREATE TABLE t (a INT CHECK (t.a > 0), b TEXT DEFAULT 'public.x')",
        ),
        (
            PG,
            "CREATE TABLE t (a TIMESTAMPTZ DEFAULT pg_catalog.now())",
            "CREATE TABLE t (a TIMESTAMPTZ DEFAULT pg_catalog.now())",
        ),
    ],
)
def test_qualifier_of_the_target_is_cut(cfg, text, expected):
    assert local(cfg, text) == expected


def test_quoted_qualifier_keeps_its_case_on_postgres():
    # "Public" (quoted) is not public: a schema of its own, refused.
    with pytest.raises(DesiredSchemaError, match="Public"):
        local(PG, 'CREATE TABLE "Public".t (a INT)')


@pytest.mark.parametrize(
    ("cfg", "text", "words"),
    [
        (PG, "CREATE TABLE other.t (a INT)", ["f.sql:1", "other", "'public'"]),
        (PG, "CREATE TABLE t (a INT);\nCREATE INDEX i ON other.t (a)", ["f.sql:2", "other.t"]),
        (MY, "CREATE TABLE t (a INT, FOREIGN KEY (a) REFERENCES live.u (a))", ["live.u", "'shop'"]),
        (LITE, "CREATE TABLE IF NOT EXISTS aux.t (a INT)", ["aux.t", "'main'"]),
    ],
)
def test_another_schema_is_refused_by_name(cfg, text, words):
    with pytest.raises(DesiredSchemaError) as info:
        local(cfg, text)
    for word in words:
        assert word in str(info.value)


def test_generated_ddl_is_left_alone():
    ddl = DesiredDDL("CREATE TABLE other.t (a INT)", "models", "postgres", parts=("x",))
    assert local_names(ddl, PG) is ddl


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ('users."user"=username', ("users", "user", "username")),
        ('"a.b"."c.d"="e.f"', ("a.b", "c.d", "e.f")),
        ('t."say ""hi"""=x', ("t", 'say "hi"', "x")),
        ("`a.b`.c=d", ("a.b", "c", "d")),
        ("café.名前 = 氏名", ("café", "名前", "氏名")),
    ],
)
def test_quoted_column_renames(spec, expected):
    assert parse_column_renames([spec]) == (expected,)


def test_quoted_table_renames():
    assert parse_table_renames(['"old.t"="new.t"', "a=b"]) == (("old.t", "new.t"), ("a", "b"))


@pytest.mark.parametrize("spec", ['"a.b=c', 'a."b"x=c', "a.=c"])
def test_malformed_quoted_renames(spec):
    with pytest.raises(RenameError, match="TABLE.OLD_COLUMN=NEW_COLUMN"):
        parse_column_renames([spec])


def test_declared_index_and_constraint_renames_are_read_from_their_lines():
    from fastapp.desired.read import declared_object_renames, declared_renames

    text = (
        "CREATE TABLE t ( -- @renamed from=old_t\n"
        "  id INT PRIMARY KEY,\n"
        "  a INT, -- @renamed from=b\n"
        '  CONSTRAINT "T.uq" UNIQUE (a) -- @renamed from=t_a_key\n'
        ");\n"
        'CREATE UNIQUE INDEX "new.ix" ON public.t (a) WHERE a > 0; -- @renamed from=old_ix\n'
        'CREATE INDEX IF NOT EXISTS ix2 ON t USING btree (a); -- @renamed from="old2"\n'
    )
    ddl = DesiredDDL(text, "f.sql", "postgres")
    assert declared_object_renames(ddl) == [
        ("t", "t_a_key", "T.uq"),
        ("t", "old_ix", "new.ix"),
        ("t", "old2", "ix2"),
    ]
    assert declared_renames(ddl) == ([("old_t", "t")], [("t", "b", "a")])


def test_a_rename_mark_inside_an_index_statement_but_off_its_line_is_refused():
    from fastapp.desired.read import declared_object_renames

    text = "CREATE INDEX ix ON t\n  (a)\n  -- @renamed from=old\n  WHERE a > 0;\n"
    with pytest.raises(DesiredSchemaError, match="belongs on the CREATE INDEX line"):
        declared_object_renames(DesiredDDL(text, "f.sql", "postgres"))
