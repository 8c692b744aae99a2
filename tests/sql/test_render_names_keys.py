"""Per-dialect SQL of issue 14's ops (pure: no database): qualified and dotted names,
declared index/constraint renames, AUTO_INCREMENT primary key changes, generated columns."""

from __future__ import annotations

import pytest

from fastapp.diff.compare import DiffOptions, RenameError, UnsupportedChangeError, diff
from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)
from fastapp.sql.ddl import get_ddl
from fastapp.sql.plan import get_renderer

INT = Column("id", "integer", nullable=False)
AUTO = Column("id", "integer", nullable=False, autoincrement=True)
CODE = Column("code", "integer", nullable=False)
MAIL = Column("mail", "varchar", length=40)


def sql(dialect: str, current: list[Table], desired: list[Table], **kw) -> list[str]:
    plan = diff(Schema(dialect, tuple(current)), Schema(dialect, tuple(desired)), DiffOptions(**kw))
    return [s.sql for s in get_renderer(dialect).render(plan)]


def with_index(name: str) -> Table:
    return Table("person", (INT, MAIL), PrimaryKey(("id",)), indexes=(Index(("mail",), name=name),))


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("postgres", ['ALTER INDEX "person_mail" RENAME TO "Person.Mail"']),
        ("mysql", ["ALTER TABLE `person` RENAME INDEX `person_mail` TO `Person.Mail`"]),
        ("sqlite", ['DROP INDEX "person_mail"', 'CREATE INDEX "Person.Mail" ON "person" ("mail")']),
    ],
)
def test_declared_index_rename(dialect, expected):
    renames = (("person", "person_mail", "Person.Mail"),)
    got = sql(
        dialect, [with_index("person_mail")], [with_index("Person.Mail")], object_renames=renames
    )
    assert got == expected


def test_declared_rename_already_done_or_absent_is_no_op():
    renames = (("person", "person_mail", "Person.Mail"),)
    assert (
        sql(
            "postgres",
            [with_index("Person.Mail")],
            [with_index("Person.Mail")],
            object_renames=renames,
        )
        == []
    )
    bare = Table("person", (INT, MAIL), PrimaryKey(("id",)))
    assert sql("postgres", [bare], [with_index("Person.Mail")], object_renames=renames) == [
        'CREATE INDEX "Person.Mail" ON "person" ("mail")'
    ]


def test_declared_rename_with_a_changed_definition_is_refused():
    wider = Table(
        "person", (INT, MAIL), PrimaryKey(("id",)), indexes=(Index(("mail", "id"), name="new"),)
    )
    with pytest.raises(RenameError, match="person: index new is declared renamed from old"):
        sql("postgres", [with_index("old")], [wider], object_renames=(("person", "old", "new"),))


def test_constraint_renames_per_dialect():
    def with_check(name: str) -> Table:
        return Table(
            "t", (INT,), PrimaryKey(("id",)), checks=(CheckConstraint("id > 0", name=name),)
        )

    renames = (("t", "a", "b"),)
    assert sql("postgres", [with_check("a")], [with_check("b")], object_renames=renames) == [
        'ALTER TABLE "t" RENAME CONSTRAINT "a" TO "b"'
    ]
    with pytest.raises(UnsupportedChangeError, match="cannot rename check constraint a"):
        sql("mysql", [with_check("a")], [with_check("b")], object_renames=renames)

    def with_unique(name: str) -> Table:
        return Table(
            "t", (INT,), PrimaryKey(("id",)), uniques=(UniqueConstraint(("id",), name=name),)
        )

    assert sql("mysql", [with_unique("a")], [with_unique("b")], object_renames=renames) == [
        "ALTER TABLE `t` RENAME INDEX `a` TO `b`"
    ]


def test_mysql_auto_increment_key_moves_in_one_statement():
    before = Table("item", (AUTO, CODE), PrimaryKey(("id",)))
    after = Table(
        "item",
        (INT, Column("code", "integer", nullable=False, autoincrement=True)),
        PrimaryKey(("code",)),
    )
    assert sql("mysql", [before], [after]) == [
        "ALTER TABLE `item` DROP PRIMARY KEY, MODIFY COLUMN `id` INT NOT NULL, "
        "ADD PRIMARY KEY (`code`), MODIFY COLUMN `code` INT NOT NULL AUTO_INCREMENT"
    ]


def test_mysql_auto_increment_key_kept_by_a_new_unique_key():
    before = Table("a", (AUTO, CODE), PrimaryKey(("id",)))
    after = Table(
        "a", (AUTO, CODE), PrimaryKey(("code",)), uniques=(UniqueConstraint(("id",), name="a_id"),)
    )
    assert sql("mysql", [before], [after]) == [
        "ALTER TABLE `a` DROP PRIMARY KEY, ADD PRIMARY KEY (`code`), "
        "ADD CONSTRAINT `a_id` UNIQUE (`id`)"
    ]


def test_mysql_primary_key_comment():
    before = Table("t", (INT,), PrimaryKey(("id",)))
    after = Table("t", (INT,), PrimaryKey(("id",), comment="the key"))
    # Only the comment changes: one statement, so no moment lacks the key.
    assert sql("mysql", [before], [after]) == [
        "ALTER TABLE `t` DROP PRIMARY KEY, ADD PRIMARY KEY (`id`) COMMENT 'the key'",
    ]
    assert "PRIMARY KEY (`id`) COMMENT 'the key'" in get_ddl("mysql").create_table(after)


def generated(virtual: bool) -> Table:
    qty = Column("qty", "integer")
    twice = Column("twice", "integer", generated="qty * 2", virtual=virtual)
    return Table("item", (INT, qty, twice), PrimaryKey(("id",)))


def test_generated_columns_say_virtual_or_stored():
    assert "GENERATED ALWAYS AS (qty * 2) VIRTUAL" in get_ddl("sqlite").create_table(
        generated(True)
    )
    assert "GENERATED ALWAYS AS (qty * 2) STORED" in get_ddl("mysql").create_table(generated(False))
    assert sql("mysql", [generated(True)], [generated(False)]) == [
        "ALTER TABLE `item` DROP COLUMN `twice`, ADD COLUMN `twice` INT GENERATED ALWAYS AS "
        "(qty * 2) STORED"
    ]
    keyed = Table(
        "item", generated(True).columns, PrimaryKey(("id",)), indexes=(Index(("twice",), name="i"),)
    )
    stored_keyed = Table(
        "item",
        generated(False).columns,
        PrimaryKey(("id",)),
        indexes=(Index(("twice",), name="i"),),
    )
    with pytest.raises(UnsupportedChangeError, match="item.twice: MySQL/MariaDB cannot change"):
        sql("mysql", [keyed], [stored_keyed])


def test_dotted_names_are_one_identifier_and_other_schemas_stay_qualified():
    ref = Table("a.b", (INT,), PrimaryKey(("id",)))
    child = Table(
        "x.y",
        (INT, Column("ref", "integer")),
        PrimaryKey(("id",)),
        foreign_keys=(ForeignKey(("ref",), "a.b", ("id",), name="fk.x"),),
    )
    text = get_ddl("postgres").create_table(child)
    assert 'REFERENCES "a.b" ("id")' in text
    other = Table(
        "t",
        (INT,),
        PrimaryKey(("id",)),
        foreign_keys=(ForeignKey(("id",), '"other"."u"', ("id",)),),
    )
    assert 'REFERENCES "other"."u" ("id")' in get_ddl("postgres").create_table(other)
    assert ref.name == "a.b"


def test_sqlite_case_only_table_rename_goes_through_a_step_name():
    assert sql(
        "sqlite",
        [Table("café", (INT,), PrimaryKey(("id",)))],
        [Table("Café", (INT,), PrimaryKey(("id",)))],
        table_renames=(("café", "Café"),),
    ) == [
        'ALTER TABLE "café" RENAME TO "_fastapp_new_Café"',
        'ALTER TABLE "_fastapp_new_Café" RENAME TO "Café"',
    ]
