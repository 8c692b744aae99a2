"""The pure diff engine on hand-built Schemas: ops, ordering, renames, cycles, determinism."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fastapp.diff import ops as o
from fastapp.diff.compare import (
    DiffOptions,
    RenameError,
    UnsupportedChangeError,
    diff,
    parse_column_renames,
    parse_table_renames,
)
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

ID = Column("id", "integer", nullable=False, autoincrement=True)


def table(name, *columns, fks=(), **kw) -> Table:
    return Table(name, (ID, *columns), PrimaryKey(("id",)), foreign_keys=tuple(fks), **kw)


def schema(*tables, enums=()) -> Schema:
    return Schema("postgres", tuple(tables), tuple(enums))


def fk(col, ref, **kw) -> ForeignKey:
    return ForeignKey((col,), ref, ("id",), **kw)


def kinds(plan) -> list[tuple[str, str]]:
    return [(op.kind, op.table) for op in plan.ops]


NAME = Column("name", "varchar", length=50)
USERS = table("users", NAME)


def test_equal_schemas_give_an_empty_plan():
    plan = diff(schema(USERS), schema(USERS))
    assert plan.is_empty and plan.safety == o.SAFE


def test_names_of_constraints_do_not_matter():
    a = table("users", NAME, uniques=(UniqueConstraint(("name",), name="users_name_key"),))
    b = table("users", NAME, uniques=(UniqueConstraint(("name",), name="uid_users_name"),))
    assert diff(schema(a), schema(b)).is_empty


def test_create_and_drop_tables_in_foreign_key_order():
    posts = table("posts", Column("user_id", "integer"), fks=[fk("user_id", "users")])
    comments = table("comments", Column("post_id", "integer"), fks=[fk("post_id", "posts")])
    plan = diff(schema(), schema(comments, posts, USERS))
    assert kinds(plan) == [
        ("create_table", "users"),
        ("create_table", "posts"),
        ("create_table", "comments"),
    ]
    back = diff(schema(comments, posts, USERS), schema())
    assert kinds(back) == [
        ("drop_table", "comments"),
        ("drop_table", "posts"),
        ("drop_table", "users"),
    ]
    assert back.safety == o.DESTRUCTIVE and len(back.destructive_ops) == 3


def test_foreign_key_cycle_is_broken_by_a_deferred_foreign_key():
    a = table("a", Column("b_id", "integer"), fks=[fk("b_id", "b")])
    b = table("b", Column("a_id", "integer"), fks=[fk("a_id", "a")])
    plan = diff(schema(), schema(a, b))
    assert kinds(plan) == [("create_table", "a"), ("create_table", "b"), ("add_foreign_key", "a")]
    assert plan.ops[0].definition.foreign_keys == ()
    assert plan.ops[1].definition.foreign_keys == (fk("a_id", "a"),)
    drop = diff(schema(a, b), schema())
    assert kinds(drop) == [("drop_foreign_key", "b"), ("drop_table", "a"), ("drop_table", "b")]


def test_self_reference_stays_inline():
    node = table("node", Column("parent_id", "integer"), fks=[fk("parent_id", "node")])
    plan = diff(schema(), schema(node))
    assert kinds(plan) == [("create_table", "node")]
    assert plan.ops[0].definition.foreign_keys == node.foreign_keys


def test_column_changes():
    before = table("t", Column("a", "integer"), Column("b", "text"), Column("gone", "text"))
    after = table(
        "t",
        Column("a", "bigint", nullable=False, default="0"),
        Column("b", "text", comment="hello"),
        Column("new", "boolean", default="false"),
    )
    plan = diff(schema(before), schema(after))
    assert [op.describe() for op in plan.ops] == [
        "add column t.new boolean default false",
        "alter column t.a: type integer -> bigint, set NOT NULL, default 0",
        "alter column t.b: comment 'hello'",
        "drop column t.gone (its values are lost)",
    ]
    assert plan.safety == o.DESTRUCTIVE


def test_indexes_uniques_checks_and_comments():
    before = table(
        "t",
        NAME,
        indexes=(Index(("name",)),),
        checks=(CheckConstraint("id > 0"),),
    )
    after = table(
        "t",
        NAME,
        uniques=(UniqueConstraint(("id", "name")),),
        indexes=(Index(("name",), method="hash"), Index(("id",), where="name IS NOT NULL")),
        checks=(CheckConstraint("id > 1"),),
        comment="things",
    )
    plan = diff(schema(before), schema(after))
    assert kinds(plan) == [
        ("drop_index", "t"),
        ("drop_check", "t"),
        ("add_unique", "t"),
        ("create_index", "t"),
        ("create_index", "t"),
        ("add_check", "t"),
        ("set_table_comment", "t"),
    ]


def test_kept_tables_are_never_dropped():
    records = table("tortoise_migrations", Column("app", "varchar", length=100))
    plan = diff(
        schema(records, USERS), schema(), DiffOptions(kept_tables=frozenset({records.name}))
    )
    assert kinds(plan) == [("drop_table", "users")]
    assert diff(schema(records), schema(), DiffOptions(kept_tables=frozenset())).ops


def test_changed_foreign_key_is_dropped_then_added():
    before = table("posts", Column("user_id", "integer"), fks=[fk("user_id", "users")])
    after = table(
        "posts", Column("user_id", "integer"), fks=[fk("user_id", "users", on_delete="CASCADE")]
    )
    plan = diff(schema(USERS, before), schema(USERS, after))
    assert kinds(plan) == [("drop_foreign_key", "posts"), ("add_foreign_key", "posts")]


def test_altering_a_referenced_column_drops_and_restores_its_foreign_keys():
    users = Table("users", (Column("id", "integer", nullable=False),), PrimaryKey(("id",)))
    wider = Table("users", (Column("id", "bigint", nullable=False),), PrimaryKey(("id",)))
    posts = table("posts", Column("user_id", "integer"), fks=[fk("user_id", "users")])
    plan = diff(schema(users, posts), schema(wider, posts))
    assert kinds(plan) == [
        ("drop_foreign_key", "posts"),
        ("alter_column", "users"),
        ("add_foreign_key", "posts"),
    ]


def test_primary_key_change_is_split_around_column_changes():
    before = Table(
        "t", (Column("a", "integer", nullable=False), Column("b", "integer")), PrimaryKey(("a",))
    )
    after = Table(
        "t",
        (Column("a", "integer", nullable=False), Column("b", "integer", nullable=False)),
        PrimaryKey(("a", "b")),
    )
    plan = diff(schema(before), schema(after))
    assert [(op.kind, getattr(op, "new", None)) for op in plan.ops][0] == ("set_primary_key", None)
    assert kinds(plan) == [
        ("set_primary_key", "t"),
        ("alter_column", "t"),
        ("set_primary_key", "t"),
    ]


def test_new_table_referencing_new_unique_column_comes_after_it():
    users = table("users", Column("code", "varchar", length=10))
    users2 = table(
        "users", Column("code", "varchar", length=10), uniques=(UniqueConstraint(("code",)),)
    )
    orders = table(
        "orders",
        Column("code", "varchar", length=10),
        fks=[ForeignKey(("code",), "users", ("code",))],
    )
    plan = diff(schema(users), schema(users2, orders))
    assert kinds(plan) == [("add_unique", "users"), ("create_table", "orders")]


def test_declared_column_rename():
    before = table("users", NAME)
    after = table("users", Column("full_name", "varchar", length=50))
    undeclared = diff(schema(before), schema(after))
    assert kinds(undeclared) == [("add_column", "users"), ("drop_column", "users")]
    plan = diff(
        schema(before),
        schema(after),
        DiffOptions(column_renames=parse_column_renames(["users.name=full_name"])),
    )
    assert [op.describe() for op in plan.ops] == ["rename column users.name to full_name"]
    # A re-run after the rename is applied: nothing left, no complaint.
    assert diff(schema(after), schema(after), plan_options(plan)).is_empty


def plan_options(plan):
    return DiffOptions(column_renames=(("users", "name", "full_name"),))


def test_renamed_column_keeps_its_index_and_referencing_foreign_keys():
    before = table("users", NAME, indexes=(Index(("name",)),))
    after = table("users", Column("nick", "varchar", length=50), indexes=(Index(("nick",)),))
    plan = diff(
        schema(before), schema(after), DiffOptions(column_renames=(("users", "name", "nick"),))
    )
    assert kinds(plan) == [("rename_column", "users")]


def test_declared_table_rename_updates_references():
    posts = table("posts", Column("user_id", "integer"), fks=[fk("user_id", "users")])
    people = table("people", NAME)
    posts2 = table("posts", Column("user_id", "integer"), fks=[fk("user_id", "people")])
    plan = diff(
        schema(USERS, posts),
        schema(people, posts2),
        DiffOptions(table_renames=parse_table_renames(["users=people"])),
    )
    assert kinds(plan) == [("rename_table", "users")]
    assert plan.ops[0].describe() == "rename table users to people"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (DiffOptions(table_renames=(("nope", "people"),)), "the database has no table 'nope'"),
        (DiffOptions(column_renames=(("users", "nope", "x"),)), "expected column 'nope'"),
        (DiffOptions(column_renames=(("ghost", "a", "b"),)), "table 'ghost' is not in both"),
    ],
)
def test_rename_declarations_that_do_not_match_fail_loudly(options, message):
    with pytest.raises(RenameError, match=message):
        diff(schema(USERS), schema(USERS, table("people", NAME)), options)


@pytest.mark.parametrize("spec", ["users.name", "name=x", ".a=b", "t.a="])
def test_malformed_column_rename(spec):
    with pytest.raises(RenameError, match="TABLE.OLD_COLUMN=NEW_COLUMN"):
        parse_column_renames([spec])


def test_guided_proposals_for_compatible_pairs():
    before = table("users", NAME)
    after = table("users", Column("nick", "varchar", length=80))
    plan = diff(schema(before), schema(after), DiffOptions(propose_renames=True))
    assert [p.describe() for p in plan.proposals] == ["column users.name -> users.nick"]
    incompatible = table("users", Column("nick", "integer"))
    assert (
        diff(schema(before), schema(incompatible), DiffOptions(propose_renames=True)).proposals
        == ()
    )
    tables = diff(schema(USERS), schema(table("people", NAME)), DiffOptions(propose_renames=True))
    assert [p.describe() for p in tables.proposals] == ["table users -> people"]


def test_keep_unknown_tables_when_asked():
    plan = diff(schema(USERS, table("other")), schema(USERS), DiffOptions(drop_tables=False))
    assert plan.is_empty


def test_enum_types():
    mood = EnumType("mood", ("sad", "ok"))
    plan = diff(schema(), schema(enums=[mood]))
    assert kinds(plan) == [("create_enum", "mood")]
    more = EnumType("mood", ("sad", "ok", "happy"))
    assert [op.describe() for op in diff(schema(enums=[mood]), schema(enums=[more])).ops] == [
        "add values happy to enum type mood"
    ]
    with pytest.raises(UnsupportedChangeError, match="labels can only be appended"):
        diff(schema(enums=[more]), schema(enums=[mood]))


def test_deterministic_output():
    tables = [
        table(f"t{i}", Column("x", "integer"), fks=[fk("x", f"t{(i + 1) % 7}")]) for i in range(7)
    ]
    first = diff(schema(), schema(*tables))
    second = diff(schema(), schema(*reversed(tables)))
    assert first.ops == second.ops
    created = [op.table for op in first.ops if op.kind == "create_table"]
    assert sorted(created) == sorted(t.name for t in tables)


def test_dialects_must_match():
    from fastapp.errors import SchemaError

    with pytest.raises(SchemaError, match="cannot compare"):
        diff(Schema("sqlite"), Schema("postgres"))


def test_on_update_the_models_cannot_declare_is_kept():
    """Tortoise models cannot say MySQL's ON UPDATE: with keep_on_update the live clause
    stays, also through another change of the same column, and is never added."""
    stamp = Column(
        "touched", "timestamp", default="CURRENT_TIMESTAMP", on_update="CURRENT_TIMESTAMP"
    )
    plain = Column("touched", "timestamp", default="CURRENT_TIMESTAMP")
    current = Schema("mysql", (table("t", stamp, Column("n", "integer")),))
    desired = Schema("mysql", (table("t", plain, Column("n", "integer")),))
    assert diff(current, desired).ops  # a file's desired schema says: remove it
    keep = DiffOptions(keep_on_update=True)
    assert diff(current, desired, keep).ops == ()
    nullable = Schema(
        "mysql",
        (
            table(
                "t",
                Column("touched", "timestamp", nullable=True, default="CURRENT_TIMESTAMP"),
                Column("n", "integer"),
            ),
        ),
    )
    stamp_not_null = replace(stamp, nullable=False)
    current = Schema("mysql", (table("t", stamp_not_null, Column("n", "integer")),))
    (op,) = diff(current, nullable, keep).ops
    assert isinstance(op, o.AlterColumn) and op.new.on_update == "CURRENT_TIMESTAMP"
    assert op.new.nullable
    gone = Schema("mysql", (table("t", Column("n", "integer")),))
    assert [type(op) for op in diff(current, gone, keep).ops] == [o.DropColumn]
