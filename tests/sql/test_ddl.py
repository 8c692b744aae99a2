"""Schema -> DDL text per dialect: pure, no database (the round trips in test_exporter.py
apply this text on the real backends)."""

from __future__ import annotations

import pytest

from fastapp.errors import DatabaseURLError, SchemaError
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
from fastapp.schema.toposort import creation_order
from fastapp.sql.ddl import get_ddl

ID = Column("id", "integer", nullable=False, autoincrement=True)


def table(name: str, *refs: str, **extra) -> Table:
    columns = [ID] + [Column(f"{r}_id", "integer") for r in refs]
    fks = [ForeignKey((f"{r}_id",), r, ("id",), name=f"fk_{name}_{r}") for r in refs]
    return Table(name, tuple(columns), PrimaryKey(("id",)), foreign_keys=tuple(fks), **extra)


def names(tables) -> list[str]:
    return [t.name for t in tables]


def test_creation_order_follows_references_with_name_tie_breaks():
    tables = [table("c", "b"), table("b", "a"), table("a"), table("z"), table("m", "a")]
    order, deferred = creation_order(tables)
    assert names(order) == ["a", "b", "c", "m", "z"]
    assert deferred == {}


def test_self_reference_is_not_a_cycle():
    order, deferred = creation_order([table("node", "node")])
    assert names(order) == ["node"] and deferred == {}


def test_cycle_is_broken_at_the_first_table_by_name():
    tables = [table("b", "a"), table("a", "c"), table("c", "b"), table("d", "c")]
    order, deferred = creation_order(tables)
    assert names(order) == ["a", "b", "c", "d"]
    assert [fk.ref_table for fk in deferred["a"]] == ["c"]


def test_cycle_without_deferral_keeps_keys_inline():
    order, deferred = creation_order([table("b", "a"), table("a", "b")], can_defer=False)
    assert names(order) == ["a", "b"] and deferred == {}


def test_references_outside_the_schema_do_not_block():
    order, _ = creation_order([table("x", "elsewhere")])
    assert names(order) == ["x"]


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_cyclic_schema_script_adds_keys_after_the_tables(dialect):
    schema = Schema(dialect, (table("b", "a"), table("a", "b")))
    script = get_ddl(dialect).schema_script(schema)
    assert script.index("CREATE TABLE") < script.index("ALTER TABLE")
    assert script.count("ALTER TABLE") == 1
    assert script.rstrip().endswith(";")
    assert script == get_ddl(dialect).schema_script(schema)


def test_sqlite_keeps_cyclic_keys_inline():
    schema = Schema("sqlite", (table("b", "a"), table("a", "b")))
    script = get_ddl("sqlite").schema_script(schema)
    assert "ALTER TABLE" not in script
    assert script.count("FOREIGN KEY") == 2
    with pytest.raises(SchemaError, match="recreate the table"):
        get_ddl("sqlite").add_foreign_key(schema.tables[0], schema.tables[0].foreign_keys[0])


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("postgres", '"id" SERIAL NOT NULL'),
        ("mysql", "`id` INT NOT NULL AUTO_INCREMENT"),
        ("sqlite", '"id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT'),
    ],
)
def test_autoincrement_column(dialect, expected):
    assert get_ddl(dialect).column_definition(table("t"), ID) == expected


@pytest.mark.parametrize(
    ("dialect", "column", "expected"),
    [
        (
            "postgres",
            Column("n", "varchar", length=20, default="'x'"),
            "\"n\" VARCHAR(20) DEFAULT 'x'",
        ),
        ("postgres", Column("d", "decimal", precision=10, scale=2), '"d" NUMERIC(10,2)'),
        ("postgres", Column("f", "double"), '"f" DOUBLE PRECISION'),
        ("postgres", Column("b", "blob"), '"b" BYTEA'),
        ("postgres", Column("t", "timestamptz", precision=3), '"t" TIMESTAMPTZ(3)'),
        ("postgres", Column("c", "text", collation="C"), '"c" TEXT COLLATE "C"'),
        ("postgres", Column("x", "cidr", known_type=False), '"x" cidr'),
        (
            "postgres",
            Column("m", "enum", enum_name="My Mood", enum_values=("a",)),
            '"m" "My Mood"',
        ),
        (
            "mysql",
            Column("b", "boolean", nullable=False, default="1"),
            "`b` BOOL NOT NULL DEFAULT 1",
        ),
        ("mysql", Column("u", "integer", unsigned=True), "`u` INT UNSIGNED"),
        ("mysql", Column("r", "real"), "`r` FLOAT"),
        ("mysql", Column("dt", "datetime", precision=6), "`dt` DATETIME(6)"),
        (
            "mysql",
            Column("e", "enum", enum_values=("a", "it's")),
            "`e` ENUM('a','it''s')",
        ),
        (
            "mysql",
            Column("c", "text", comment="back\\slash 'q'"),
            "`c` TEXT COMMENT 'back\\\\slash ''q'''",
        ),
        (
            "mysql",
            Column("k", "varchar", length=5, collation="utf8mb4_bin"),
            "`k` VARCHAR(5) COLLATE utf8mb4_bin",
        ),
        (
            "mysql",
            Column("g", "integer", generated="`a` * 2"),
            "`g` INT GENERATED ALWAYS AS (`a` * 2) STORED",
        ),
        (
            "mysql",
            Column("x", "varchar", length=9, default="UUID()"),
            "`x` VARCHAR(9) DEFAULT (UUID())",
        ),
        ("sqlite", Column("x", "", known_type=False), '"x"'),
        (
            "sqlite",
            Column("d", "datetime", default="DATETIME('now')"),
            "\"d\" DATETIME DEFAULT (DATETIME('now'))",
        ),
        (
            "sqlite",
            Column("d", "datetime", default="CURRENT_TIMESTAMP"),
            '"d" DATETIME DEFAULT CURRENT_TIMESTAMP',
        ),
    ],
)
def test_column_definitions(dialect, column, expected):
    assert get_ddl(dialect).column_definition(table("t"), column) == expected


def test_create_table_has_inline_constraints_and_options():
    t = Table(
        "order",
        (ID, Column("code", "varchar", length=5), Column("qty", "integer")),
        PrimaryKey(("id",), name="order_pkey"),
        uniques=(UniqueConstraint(("code",), name="order_code_key"),),
        checks=(CheckConstraint("qty > 0", name="qty_positive"),),
        comment="it's",
        options=(("engine", "InnoDB"),),
    )
    pg = get_ddl("postgres").create_table(t)
    assert pg.startswith('CREATE TABLE "order" (')
    assert 'CONSTRAINT "order_pkey" PRIMARY KEY ("id")' in pg
    assert 'CONSTRAINT "order_code_key" UNIQUE ("code")' in pg
    assert 'CONSTRAINT "qty_positive" CHECK (qty > 0)' in pg
    assert get_ddl("postgres").comment_statements_for(t) == [
        "COMMENT ON TABLE \"order\" IS 'it''s'"
    ]
    my = get_ddl("mysql").create_table(t)
    assert "PRIMARY KEY (`id`)" in my and "UNIQUE KEY `order_code_key` (`code`)" in my
    assert my.endswith(") ENGINE=InnoDB COMMENT='it''s'")


def test_indexes():
    t = table("t")
    plain = Index(("a", "b"), orders=(None, "DESC"), name="ix")
    partial = Index(("LOWER(a)",), unique=True, expressions=(True,), where="b > 0")
    hashed = Index(("a",), method="hash", name="h")
    pg = get_ddl("postgres")
    assert pg.create_index(t, plain) == 'CREATE INDEX "ix" ON "t" ("a", "b" DESC)'
    assert pg.create_index(t, partial) == (
        # The one naming rule (fastapp.sql.naming): the expression stands in as a hash.
        'CREATE UNIQUE INDEX "t_9aa61304_idx" ON "t" ((LOWER(a))) WHERE b > 0'
    )
    assert pg.create_index(t, hashed) == 'CREATE INDEX "h" ON "t" USING hash ("a")'
    assert pg.drop_index(t, plain) == 'DROP INDEX "ix"'
    my = get_ddl("mysql")
    assert my.create_index(t, Index(("a",), method="fulltext", name="ft")) == (
        "CREATE FULLTEXT INDEX `ft` ON `t` (`a`)"
    )
    assert my.drop_index(t, plain) == "DROP INDEX `ix` ON `t`"
    assert get_ddl("sqlite").create_index(t, partial).endswith("WHERE b > 0")


def test_long_generated_index_names_fit_and_are_stable():
    t = table("t" * 60)
    index = Index(("c" * 40, "d" * 40))
    name = get_ddl("postgres").index_name(t, index)
    assert len(name) <= 63
    assert name == get_ddl("postgres").index_name(t, index)


def test_foreign_key_statements():
    t = table("child", "parent")
    fk = ForeignKey(("a", "b"), "parent", ("x", "y"), "CASCADE", "SET NULL", name="fk")
    assert get_ddl("postgres").add_foreign_key(t, fk) == (
        'ALTER TABLE "child" ADD CONSTRAINT "fk" FOREIGN KEY ("a", "b") '
        'REFERENCES "parent" ("x", "y") ON DELETE CASCADE ON UPDATE SET NULL'
    )
    assert get_ddl("mysql").drop_foreign_key(t, fk) == "ALTER TABLE `child` DROP FOREIGN KEY `fk`"
    assert get_ddl("postgres").drop_foreign_key(t, fk) == 'ALTER TABLE "child" DROP CONSTRAINT "fk"'
    assert get_ddl("postgres").drop_table(t) == 'DROP TABLE "child"'


def test_postgres_preamble_creates_enum_types_first():
    schema = Schema(
        "postgres",
        (Table("p", (Column("m", "enum", enum_name="mood", enum_values=("a", "b'c")),)),),
        enums=(EnumType("mood", ("a", "b'c")),),
    )
    script = get_ddl("postgres").schema_script(schema)
    assert script.index("CREATE TYPE \"mood\" AS ENUM ('a', 'b''c');") < script.index(
        "CREATE TABLE"
    )


def test_sqlite_table_options():
    t = Table("kv", (Column("k", "text", nullable=False),), PrimaryKey(("k",)),
              options=(("without_rowid", "1"), ("strict", "1")))  # fmt: skip
    assert get_ddl("sqlite").create_table(t).endswith(") STRICT, WITHOUT ROWID")


def test_unknown_dialect():
    with pytest.raises(DatabaseURLError, match="no DDL renderer"):
        get_ddl("oracle")


def test_generated_names_count_bytes_not_characters():
    t = table("名前" * 20)
    name = get_ddl("postgres").index_name(t, Index(("列",)))
    assert len(name.encode()) <= 63


def test_mysql_on_update_and_prefix_lengths():
    my = get_ddl("mysql")
    column = Column(
        "at",
        "timestamp",
        precision=3,
        default="CURRENT_TIMESTAMP(3)",
        on_update="CURRENT_TIMESTAMP(3)",
    )
    assert my.column_definition(table("t"), column) == (
        "`at` TIMESTAMP(3) NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)"
    )
    index = Index(("a", "b"), lengths=(10, None), name="ab")
    assert my.create_index(table("t"), index) == "CREATE INDEX `ab` ON `t` (`a`(10), `b`)"
    t = Table(
        "t",
        (ID,),
        PrimaryKey(("id",)),
        indexes=(Index(("a",), unique=True, lengths=(5,), name="u"),),
    )
    assert "UNIQUE KEY `u` (`a`(5))" in my.create_table(t)
