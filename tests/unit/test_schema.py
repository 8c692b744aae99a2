"""Pure tests of the abstract Schema: value equality, canonical order, JSON round trip."""

import json

from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    EnumType,
    ForeignKey,
    Index,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)


def post_table(**overrides):
    values = dict(
        name="post",
        columns=(
            Column("id", "integer", nullable=False, autoincrement=True),
            Column("title", "varchar", length=200, nullable=False, default="''"),
            Column("price", "decimal", precision=10, scale=2),
        ),
        primary_key=PrimaryKey(("id",), name="post_pkey"),
        uniques=(UniqueConstraint(("title",), name="post_title_key"),),
        indexes=(Index(("title", "price"), name="idx_a"), Index(("price",), unique=True, name="b")),
        foreign_keys=(
            ForeignKey(("author_id",), "user", ("id",), on_delete="CASCADE", name="fk1"),
        ),
        checks=(CheckConstraint("price > 0", name="c1"),),
        comment="Posts",
    )
    values.update(overrides)
    return Table(**values)


def test_names_of_constraints_do_not_matter():
    renamed = post_table(
        primary_key=PrimaryKey(("id",), name="other"),
        uniques=(UniqueConstraint(("title",), name="x"),),
        indexes=(Index(("price",), unique=True, name="y"), Index(("title", "price"), name="z")),
        foreign_keys=(ForeignKey(("author_id",), "user", ("id",), on_delete="CASCADE", name="w"),),
        checks=(CheckConstraint("price > 0"),),
    )
    assert renamed == post_table()


def test_definitions_do_matter():
    assert post_table(comment=None) != post_table()
    other_fk = (ForeignKey(("author_id",), "user", ("id",), on_delete="SET NULL"),)
    assert post_table(foreign_keys=other_fk) != post_table()
    assert post_table(columns=post_table().columns[::-1]) != post_table()


def test_schema_orders_tables_and_round_trips_through_json():
    schema = Schema(
        "postgres",
        tables=(post_table(), Table("author", (Column("id", "bigint", nullable=False),))),
        enums=(EnumType("mood", ("sad", "ok")),),
    )
    assert schema.table_names == ("author", "post")
    text = json.dumps(schema.to_dict(), sort_keys=True)
    again = Schema.from_dict(json.loads(text))
    assert again == schema
    assert json.dumps(again.to_dict(), sort_keys=True) == text


def test_helpers():
    table = post_table()
    assert table.column("title").type_text == "varchar(200)"
    assert table.column("price").type_text == "decimal(10,2)"
    assert table.column("nope") is None
    assert table.references == {"user"}
    assert Schema("sqlite", (table,)).only(["nope"]).tables == ()


def test_on_update_and_prefix_lengths_default_to_nothing_and_round_trip():
    from fastapp.schema.objects import Index

    col = Column("at", "datetime", on_update="CURRENT_TIMESTAMP()")
    ix = Index(("a", "b"), lengths=(10, None), name="ab")
    schema = Schema(
        "mysql", (Table("t", (col, Column("a", "text"), Column("b", "integer")), indexes=(ix,)),)
    )
    assert Schema.from_dict(schema.to_dict()) == schema
    assert Column("at", "datetime") != col and Index(("a", "b")) != ix
    old = schema.to_dict()
    for c in old["tables"][0]["columns"]:
        del c["on_update"]
    for i in old["tables"][0]["indexes"]:
        del i["lengths"]
    loaded = Schema.from_dict(old)
    assert (
        loaded.tables[0].columns[0].on_update is None and loaded.tables[0].indexes[0].lengths == ()
    )


def test_json_export_says_what_the_schema_is_not_how_its_texts_were_printed():
    from fastapp.schema.objects import CheckConstraint

    check = CheckConstraint(
        "state IN ('a')",
        name="c",
        sources=(("expression", "state IN ('a')"),),
        printed=(("expression", "((state)::text = ANY ((ARRAY['a'::character varying])::text[]))"),),
    )
    col = Column("state", "varchar", length=10, printed=(("default", "'a'::character varying"),))
    schema = Schema("postgres", (Table("t", (col,), checks=(check,)),))
    exported = json.dumps(schema.to_dict())
    assert "sources" not in exported and "printed" not in exported
    assert "state IN ('a')" in exported
    assert Schema.from_dict(json.loads(exported)) == schema  # both are how, not what
