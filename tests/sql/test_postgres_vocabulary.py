"""PostgreSQL's index, constraint and identity vocabulary as SQL text, and its refusal by the
dialects that cannot write it (issue 14). Pure: no database; the convergence corpus
(tests/corpus/convergence/postgres_vocabulary.yaml) applies the same text on a real server."""

from __future__ import annotations

import pytest

from fastapp.diff.compare import DiffOptions, UnmodelledClauseError, diff
from fastapp.errors import UnsupportedClauseError
from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    ExclusionConstraint,
    ForeignKey,
    Index,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
    Unmodelled,
)
from fastapp.sql.ddl import get_ddl
from fastapp.sql.plan import get_renderer
from fastapp.sql.plan.base import AFTER
from fastapp.sql.plan.postgres import serial_sequence_name

ID = Column("id", "integer", nullable=False)
CODE = Column("code", "text")
N = Column("n", "integer")


def table(name: str = "t", **kw) -> Table:
    return Table(name, (ID, CODE, N), PrimaryKey(("id",), name=f"{name}_pkey"), **kw)


def statements(dialect: str, current: list[Table], desired: list[Table]):
    plan = diff(Schema(dialect, tuple(current)), Schema(dialect, tuple(desired)), DiffOptions())
    return get_renderer(dialect).render(plan)


def sql(dialect: str, current: list[Table], desired: list[Table]) -> list[str]:
    return [s.sql for s in statements(dialect, current, desired)]


def test_index_with_every_key_option():
    index = Index(
        ("code", "lower(code)"),
        name="t_code",
        expressions=(False, True),
        orders=(None, "DESC"),
        opclasses=("text_pattern_ops", None),
        collations=(None, "C"),
        nulls_order=("NULLS FIRST", "NULLS LAST"),
        include=("n",),
        storage=(("fillfactor", "70"), ("deduplicate_items", "off")),
        where="n > 0",
        unique=True,
        nulls_not_distinct=True,
        comment="it's searched",
    )
    assert sql("postgres", [table()], [table(indexes=(index,))]) == [
        'CREATE UNIQUE INDEX "t_code" ON "t" ("code" text_pattern_ops NULLS FIRST, '
        '(lower(code)) COLLATE "C" DESC NULLS LAST) INCLUDE ("n") NULLS NOT DISTINCT '
        "WITH (fillfactor = 70, deduplicate_items = off) WHERE n > 0",
        "COMMENT ON INDEX \"t_code\" IS 'it''s searched'",
    ]


def test_access_method_and_a_changed_option_drop_and_recreate():
    before = Index(("code",), name="t_code", method="hash")
    after = Index(("code",), name="t_code", method="hash", storage=(("fillfactor", "50"),))
    assert sql("postgres", [table(indexes=(before,))], [table(indexes=(after,))]) == [
        'DROP INDEX "t_code"',
        'CREATE INDEX "t_code" ON "t" USING hash ("code") WITH (fillfactor = 50)',
    ]


def test_index_written_concurrently_is_built_after_the_transaction():
    index = Index(("code",), name="t_code", concurrently=True, comment="c")
    rendered = statements("postgres", [table()], [table(indexes=(index,))])
    assert [(s.sql, s.phase) for s in rendered] == [
        # an invalid leftover of an interrupted build of the same name goes first
        (
            '-- DROP INDEX CONCURRENTLY IF EXISTS "t_code", if an interrupted run left it invalid',
            AFTER,
        ),
        ('CREATE INDEX CONCURRENTLY "t_code" ON "t" ("code")', AFTER),
        ("COMMENT ON INDEX \"t_code\" IS 'c'", AFTER),
    ]


def test_constraint_timing_match_nulls_and_no_inherit_in_create_table():
    t = Table(
        "child",
        (ID, Column("a", "integer"), Column("b", "integer")),
        PrimaryKey(("id",), name="child_pkey", deferrable=True, initially_deferred=True),
        uniques=(
            UniqueConstraint(("a",), name="child_a", nulls_not_distinct=True, deferrable=True),
        ),
        foreign_keys=(
            ForeignKey(
                ("a", "b"),
                "parent",
                ("a", "b"),
                on_delete="CASCADE",
                name="child_parent",
                match="FULL",
                deferrable=True,
                initially_deferred=True,
                comment="belongs to",
            ),
        ),
        checks=(CheckConstraint("a > 0", name="child_a_check", no_inherit=True),),
        exclusions=(ExclusionConstraint("EXCLUDE USING gist (b WITH =)", name="child_b"),),
    )
    assert get_ddl("postgres").table_statements(t) == [
        'CREATE TABLE "child" (\n'
        '    "id" INTEGER NOT NULL,\n'
        '    "a" INTEGER,\n'
        '    "b" INTEGER,\n'
        '    CONSTRAINT "child_pkey" PRIMARY KEY ("id") DEFERRABLE INITIALLY DEFERRED,\n'
        '    CONSTRAINT "child_a" UNIQUE NULLS NOT DISTINCT ("a") DEFERRABLE,\n'
        '    CONSTRAINT "child_a_check" CHECK (a > 0) NO INHERIT,\n'
        '    CONSTRAINT "child_parent" FOREIGN KEY ("a", "b") REFERENCES "parent" ("a", "b") '
        "MATCH FULL ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,\n"
        '    CONSTRAINT "child_b" EXCLUDE USING gist (b WITH =)\n'
        ")",
        'COMMENT ON CONSTRAINT "child_parent" ON "child" IS \'belongs to\'',
    ]


def test_constraints_added_to_an_existing_table_keep_their_clauses():
    unique = UniqueConstraint(("code",), name="t_code", deferrable=True, comment="one")
    check = CheckConstraint("n > 0", name="t_n", no_inherit=True)
    exclusion = ExclusionConstraint("EXCLUDE USING gist (n WITH =)", name="t_x")
    desired = table(uniques=(unique,), checks=(check,), exclusions=(exclusion,))
    assert sql("postgres", [table()], [desired]) == [
        'ALTER TABLE "t" ADD CONSTRAINT "t_code" UNIQUE ("code") DEFERRABLE',
        'COMMENT ON CONSTRAINT "t_code" ON "t" IS \'one\'',
        'ALTER TABLE "t" ADD CONSTRAINT "t_n" CHECK (n > 0) NO INHERIT',
        'ALTER TABLE "t" ADD CONSTRAINT "t_x" EXCLUDE USING gist (n WITH =)',
    ]
    assert sql("postgres", [desired], [table()]) == [
        'ALTER TABLE "t" DROP CONSTRAINT "t_code"',
        'ALTER TABLE "t" DROP CONSTRAINT "t_n"',
        'ALTER TABLE "t" DROP CONSTRAINT "t_x"',
    ]


def test_primary_key_timing_changes_by_drop_and_add():
    before = table()
    after = Table(
        "t", (ID, CODE, N), PrimaryKey(("id",), name="t_pkey", deferrable=True, comment="k")
    )
    assert sql("postgres", [before], [after]) == [
        'ALTER TABLE "t" DROP CONSTRAINT "t_pkey"',
        'ALTER TABLE "t" ADD CONSTRAINT "t_pkey" PRIMARY KEY ("id") DEFERRABLE',
        'COMMENT ON CONSTRAINT "t_pkey" ON "t" IS \'k\'',
    ]


SERIAL = Column("id", "integer", nullable=False, autoincrement=True)
IDENTITY = Column("id", "integer", nullable=False, autoincrement=True, identity="BY DEFAULT")
ALWAYS = Column("id", "integer", nullable=False, autoincrement=True, identity="ALWAYS")


def one(column: Column) -> Table:
    return Table("t", (column,), PrimaryKey(("id",), name="t_pkey"))


def test_identity_columns_are_written_as_identity_and_serial_as_serial():
    ddl = get_ddl("postgres")
    assert ddl.column_definition(None, SERIAL) == '"id" SERIAL NOT NULL'
    assert (
        ddl.column_definition(None, ALWAYS) == '"id" INTEGER NOT NULL GENERATED ALWAYS AS IDENTITY'
    )


def test_serial_to_identity_and_back():
    setval = (
        "SELECT setval(pg_get_serial_sequence('\"t\"', 'id'), "
        'COALESCE(MAX("id"), 0) + 1, false) FROM "t"'
    )
    assert sql("postgres", [one(SERIAL)], [one(IDENTITY)]) == [
        'ALTER TABLE "t" ALTER COLUMN "id" DROP DEFAULT',
        "DO $fastapp$ DECLARE s text := pg_get_serial_sequence('\"t\"', 'id'); BEGIN IF s IS "
        "NOT NULL THEN EXECUTE 'DROP SEQUENCE ' || s; END IF; END $fastapp$",
        'ALTER TABLE "t" ALTER COLUMN "id" ADD GENERATED BY DEFAULT AS IDENTITY',
        setval,
    ]
    assert sql("postgres", [one(ALWAYS)], [one(SERIAL)]) == [
        'ALTER TABLE "t" ALTER COLUMN "id" DROP IDENTITY',
        'CREATE SEQUENCE "t_id_seq" AS integer OWNED BY "t"."id"',
        'ALTER TABLE "t" ALTER COLUMN "id" SET DEFAULT nextval(\'"t_id_seq"\'::regclass)',
        setval,
    ]
    assert sql("postgres", [one(IDENTITY)], [one(ALWAYS)]) == [
        'ALTER TABLE "t" ALTER COLUMN "id" SET GENERATED ALWAYS'
    ]


def test_serial_sequence_names_are_shortened_as_postgresql_shortens_them():
    assert serial_sequence_name("item", "id") == "item_id_seq"
    long = serial_sequence_name("t" * 60, "column")
    assert len(long.encode()) <= 63 and long.endswith("_column_seq")


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
@pytest.mark.parametrize(
    ("value", "clause"),
    [
        (Index(("code",), name="t_code", include=("n",)), "INCLUDE"),
        (Index(("code",), name="t_code", opclasses=("text_pattern_ops",)), "operator class"),
        (Index(("code",), name="t_code", storage=(("fillfactor", "70"),)), "WITH (storage"),
        (Index(("code",), name="t_code", nulls_order=("NULLS FIRST",)), "NULLS FIRST/LAST"),
        (UniqueConstraint(("code",), name="t_u", deferrable=True), "DEFERRABLE"),
        (UniqueConstraint(("code",), name="t_u", nulls_not_distinct=True), "NULLS NOT DISTINCT"),
        (CheckConstraint("n > 0", name="t_c", no_inherit=True), "NO INHERIT"),
        (ExclusionConstraint("EXCLUDE USING gist (n WITH =)", name="t_x"), "EXCLUDE"),
    ],
)
def test_other_dialects_refuse_what_they_cannot_write_by_name(dialect, value, clause):
    field = {
        Index: "indexes",
        UniqueConstraint: "uniques",
        CheckConstraint: "checks",
        ExclusionConstraint: "exclusions",
    }[type(value)]
    desired = Table("t", (ID, CODE, N), PrimaryKey(("id",)), **{field: (value,)})
    with pytest.raises(UnsupportedClauseError) as info:
        get_ddl(dialect).table_statements(desired)
    message = str(info.value)
    assert "table t" in message and clause in message and dialect in message
    with pytest.raises(UnsupportedClauseError):
        sql(dialect, [Table("t", (ID, CODE, N), PrimaryKey(("id",)))], [desired])


def test_foreign_key_match_full_is_refused_by_mysql():
    fk = ForeignKey(("n",), "p", ("id",), name="t_p", match="FULL")
    desired = Table("t", (ID, CODE, N), PrimaryKey(("id",)), foreign_keys=(fk,))
    with pytest.raises(UnsupportedClauseError, match="MATCH FULL"):
        get_ddl("mysql").table_statements(desired)


def test_desired_unmodelled_clause_is_refused_naming_table_object_and_clause():
    desired = table(unmodelled=(Unmodelled("table t", "INHERITS (base)"),))
    with pytest.raises(UnmodelledClauseError) as info:
        diff(Schema("postgres", (table(),)), Schema("postgres", (desired,)))
    assert "table t: INHERITS (base)" in str(info.value)
    assert isinstance(info.value, UnsupportedClauseError)


def test_live_unmodelled_clause_is_said_in_the_plan():
    live = table(unmodelled=(Unmodelled("trigger t_touch", "CREATE TRIGGER"),))
    plan = diff(Schema("postgres", (live,)), Schema("postgres", (table(),)))
    assert plan.is_empty
    assert plan.notes == ("table t: trigger t_touch: CREATE TRIGGER",)
    assert plan.describe() == ["[kept, not modelled] table t: trigger t_touch: CREATE TRIGGER"]


# -- the sqlglot parse fallback (no scratch space): read, or refused, never dropped ---------


@pytest.mark.parametrize(
    ("ddl", "clause"),
    [
        ("CREATE TABLE t (a int, CONSTRAINT u UNIQUE (a) DEFERRABLE)", "DEFERRABLE"),
        ("CREATE TABLE t (a int UNIQUE DEFERRABLE)", "DEFERRABLE"),
        ("CREATE TABLE t (a int, PRIMARY KEY (a) DEFERRABLE INITIALLY DEFERRED)", "DEFERRABLE"),
        ("CREATE TABLE t (a int, UNIQUE NULLS NOT DISTINCT (a))", "NULLS NOT DISTINCT"),
        ("CREATE TABLE t (a int, b int, UNIQUE (a) INCLUDE (b))", "INCLUDE"),
        ("CREATE TABLE t (a int) INHERITS (p)", "INHERITS"),
        ("CREATE TABLE t (a int4range, EXCLUDE USING gist (a WITH &&))", "EXCLUDE"),
        ("CREATE TABLE t (a int); CREATE INDEX i ON t (a) INCLUDE (a)", "INCLUDE"),
    ],
)
def test_parse_fallback_refuses_what_it_does_not_read(ddl, clause):
    from fastapp.desired.parse import ParsedSchemaError, parse_schema

    with pytest.raises(ParsedSchemaError) as info:
        parse_schema(ddl, "postgres", "f.sql")
    assert clause in str(info.value) and "scratch-space" in str(info.value)


def test_parse_fallback_reads_now_identity_and_nulls_order():
    from fastapp.desired.parse import parse_schema

    schema = parse_schema(
        "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY, at timestamptz DEFAULT now(),"
        " b timestamptz DEFAULT CURRENT_TIMESTAMP);"
        " CREATE INDEX t_b ON t (b DESC NULLS LAST, at NULLS FIRST)",
        "postgres",
        "f.sql",
    )
    t = schema.table("t")
    assert t.column("id").identity == "ALWAYS"
    assert (t.column("at").default, t.column("b").default) == ("now()", "CURRENT_TIMESTAMP")
    assert t.indexes[0].nulls_order == ("NULLS LAST", "NULLS FIRST")


def test_a_renamed_column_is_renamed_in_index_include_lists():
    live = table(indexes=(Index(("code",), name="t_code", include=("n",)),))
    renamed = Column("m", "integer")
    desired = Table(
        "t",
        (ID, CODE, renamed),
        PrimaryKey(("id",), name="t_pkey"),
        indexes=(Index(("code",), name="t_code", include=("m",)),),
    )
    plan = diff(
        Schema("postgres", (live,)),
        Schema("postgres", (desired,)),
        DiffOptions(column_renames=(("t", "n", "m"),)),
    )
    assert [op.kind for op in plan.ops] == ["rename_column"]


def test_the_new_fields_survive_the_json_form_the_desired_schema_cache_keeps():
    import json

    t = Table(
        "t",
        (ID, CODE, Column("n", "integer", autoincrement=True, identity="ALWAYS")),
        PrimaryKey(("id",), name="t_pkey", deferrable=True, comment="k"),
        uniques=(UniqueConstraint(("code",), name="u", nulls_not_distinct=True),),
        indexes=(
            Index(
                ("code",),
                name="i",
                include=("n",),
                opclasses=("text_pattern_ops",),
                storage=(("fillfactor", "70"), ("deduplicate_items", "off")),
                concurrently=True,
            ),
        ),
        foreign_keys=(ForeignKey(("n",), "p", ("id",), match="FULL", initially_deferred=True),),
        checks=(CheckConstraint("n > 0", no_inherit=True, comment="c"),),
        exclusions=(ExclusionConstraint("EXCLUDE USING gist (n WITH =)", name="x"),),
        unmodelled=(Unmodelled("trigger tr", "CREATE TRIGGER"),),
    )
    schema = Schema("postgres", (t,))
    back = Schema.from_dict(json.loads(json.dumps(schema.to_dict())))
    assert back == schema
    assert back.tables[0].unmodelled == t.unmodelled
    assert back.tables[0].indexes[0].concurrently
