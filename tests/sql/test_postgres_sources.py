"""The PostgreSQL writers write an expression's source text (``sources``: the text that
reproduces what the server printed, see fastapp.desired.sources.postgres) instead of the
compared text, and nothing else changes: the diff still compares the printed text. Pure: the
convergence corpus (tests/corpus/convergence/postgres_text.yaml) applies it on a server."""

from __future__ import annotations

from fastapp.diff.compare import DiffOptions, diff
from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    ExclusionConstraint,
    Index,
    PrimaryKey,
    Schema,
    Table,
)
from fastapp.sql.ddl import get_ddl
from fastapp.sql.plan import get_renderer

PRINTED = "CAST(state AS TEXT) = ANY(ARRAY['a', 'b'])"
WRITTEN = "state IN ('a', 'b')"
ID = Column("id", "integer", nullable=False)
STATE = Column("state", "varchar", length=10)


def table(columns: tuple[Column, ...] = (ID, STATE), **kw) -> Table:
    return Table("item", columns, PrimaryKey(("id",), name="item_pkey"), **kw)


def sql(current: list[Table], desired: list[Table]) -> list[str]:
    plan = diff(
        Schema("postgres", tuple(current)), Schema("postgres", tuple(desired)), DiffOptions()
    )
    return [s.sql for s in get_renderer("postgres").render(plan)]


def test_a_check_is_written_from_its_source():
    check = CheckConstraint(PRINTED, name="c", sources=(("expression", WRITTEN),))
    assert check == CheckConstraint(PRINTED, name="c")  # how, not what
    assert sql([table()], [table(checks=(check,))]) == [
        f'ALTER TABLE "item" ADD CONSTRAINT "c" CHECK ({WRITTEN})'
    ]
    assert f"CHECK ({WRITTEN})" in get_ddl("postgres").create_table(table(checks=(check,)))


def test_an_index_predicate_and_expression_are_written_from_their_sources():
    index = Index(
        (PRINTED, "id"),
        expressions=(True, False),
        where=PRINTED,
        name="item_x",
        sources=(("columns.0", WRITTEN), ("where", "state <> 'z'")),
    )
    assert sql([table()], [table(indexes=(index,))]) == [
        f'CREATE INDEX "item_x" ON "item" (({WRITTEN}), "id") WHERE state <> \'z\''
    ]


def test_a_default_and_a_generation_expression_are_written_from_their_sources():
    label = Column("label", "varchar", length=20, default="'x' || 'y'")
    sourced = Column(
        "label", "varchar", length=20, default="'x' || 'y'",
        sources=(("default", "'x'::varchar || 'y'"),),
    )  # fmt: skip
    tag = Column("tag", "text", generated="CAST(a AS TEXT) || 'x'",
                 sources=(("generated", "a || 'x'::varchar"),))  # fmt: skip
    render = get_ddl("postgres")
    # The per-Column cache must not hand an equal Column without sources its text.
    assert "DEFAULT 'x' || 'y'" in render.column_definition(None, label)
    assert "DEFAULT 'x'::varchar || 'y'" in render.column_definition(None, sourced)
    assert "GENERATED ALWAYS AS (a || 'x'::varchar) STORED" in render.column_definition(None, tag)
    bare = Column("label", "varchar", length=20)
    assert sql([table(columns=(ID, STATE, bare))], [table(columns=(ID, STATE, sourced))]) == [
        """ALTER TABLE "item" ALTER COLUMN "label" SET DEFAULT 'x'::varchar || 'y'"""
    ]


def test_an_exclusion_is_written_from_its_source():
    printed = "EXCLUDE USING btree (id WITH =) WHERE (state::text = ANY (...))"
    written = "EXCLUDE USING btree (id WITH =) WHERE (state IN ('a'))"
    x = ExclusionConstraint(printed, name="x", sources=(("definition", written),))
    assert sql([table()], [table(exclusions=(x,))]) == [
        f'ALTER TABLE "item" ADD CONSTRAINT "x" {written}'
    ]


def test_sources_survive_the_schema_as_json():
    # The desired-schema cache stores Schema.to_dict() and reads it with from_dict.
    import orjson

    check = CheckConstraint(PRINTED, name="c", sources=(("expression", WRITTEN),))
    schema = Schema("postgres", (table(checks=(check,)),))
    back = Schema.from_dict(orjson.loads(orjson.dumps(schema)))
    assert back.tables[0].checks[0].sources == (("expression", WRITTEN),)


def test_the_diff_tells_apart_what_normalizes_alike_by_the_printed_text():
    def check(printed: str) -> CheckConstraint:
        return CheckConstraint(PRINTED, name="c", printed=(("expression", printed),))

    desired = check("(state)::text = ANY ((ARRAY['a'::character varying])::text[])")
    desired = CheckConstraint(
        desired.expression, name="c", printed=desired.printed, sources=(("expression", WRITTEN),)
    )
    live = check("(state)::text = ANY (ARRAY[('a'::character varying)::text])")
    assert sql([table(checks=(live,))], [table(checks=(desired,))]) == [
        'ALTER TABLE "item" DROP CONSTRAINT "c"',
        f'ALTER TABLE "item" ADD CONSTRAINT "c" CHECK ({WRITTEN})',
    ]
    # Same printed text, or a side without one (a parsed desired DDL): no change.
    assert sql([table(checks=(desired,))], [table(checks=(desired,))]) == []
    assert sql([table(checks=(live,))], [table(checks=(CheckConstraint(PRINTED),))]) == []


def test_a_default_printed_otherwise_is_set_again_from_its_source():
    live = Column("label", "varchar", length=20, default="'x' || 'y'",
                  printed=(("default", "('x'::text || 'y'::text)"),))  # fmt: skip
    desired = Column(
        "label", "varchar", length=20, default="'x' || 'y'",
        printed=(("default", "(('x'::character varying)::text || 'y'::text)"),),
        sources=(("default", "'x'::varchar || 'y'"),),
    )  # fmt: skip
    assert sql([table(columns=(ID, live))], [table(columns=(ID, desired))]) == [
        """ALTER TABLE "item" ALTER COLUMN "label" SET DEFAULT 'x'::varchar || 'y'"""
    ]
    assert sql([table(columns=(ID, desired))], [table(columns=(ID, desired))]) == []
