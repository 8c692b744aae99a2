"""Per-dialect SQL of single ops and small plans (pure: no database)."""

from __future__ import annotations

import pytest

from fastapp.diff import ops as o
from fastapp.diff.compare import DiffOptions, diff
from fastapp.errors import UnsupportedClauseError
from fastapp.schema.objects import (
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
from fastapp.sql.plan.base import AFTER, BEFORE, RenderOptions

ID = Column("id", "integer", nullable=False, autoincrement=True)


def table(name, *columns, **kw) -> Table:
    return Table(name, (ID, *columns), PrimaryKey(("id",), name=f"{name}_pkey"), **kw)


def sql(dialect: str, current: list[Table], desired: list[Table], **kw) -> list[str]:
    options = kw.pop("render", None)
    plan = diff(Schema(dialect, tuple(current)), Schema(dialect, tuple(desired)), DiffOptions(**kw))
    return [s.sql for s in get_renderer(dialect).render(plan, options)]


NAME = Column("name", "varchar", length=20)
WIDE = Column("name", "varchar", length=80, nullable=False, default="'x'")


def test_postgres_alter_column_uses_using_cast_and_separate_clauses():
    assert sql("postgres", [table("t", NAME)], [table("t", WIDE)]) == [
        'ALTER TABLE "t" ALTER COLUMN "name" TYPE VARCHAR(80) USING "name"::VARCHAR(80)',
        'ALTER TABLE "t" ALTER COLUMN "name" SET DEFAULT \'x\'',
        'ALTER TABLE "t" ALTER COLUMN "name" SET NOT NULL',
    ]


def test_postgres_type_change_drops_and_restores_default():
    before = Column("n", "varchar", length=5, default="'1'")
    after = Column("n", "integer", default="1")
    assert sql("postgres", [table("t", before)], [table("t", after)]) == [
        'ALTER TABLE "t" ALTER COLUMN "n" DROP DEFAULT',
        'ALTER TABLE "t" ALTER COLUMN "n" TYPE INTEGER USING "n"::INTEGER',
        'ALTER TABLE "t" ALTER COLUMN "n" SET DEFAULT 1',
    ]


def test_postgres_create_table_with_serial_comment_and_index():
    t = table(
        "post",
        Column("title", "text", comment="it's the title"),
        indexes=(Index(("title",), name="post_title"),),
        comment="Posts",
    )
    assert sql("postgres", [], [t]) == [
        'CREATE TABLE "post" (\n    "id" SERIAL NOT NULL,\n    "title" TEXT,\n'
        '    CONSTRAINT "post_pkey" PRIMARY KEY ("id")\n)',
        'CREATE INDEX "post_title" ON "post" ("title")',
        "COMMENT ON TABLE \"post\" IS 'Posts'",
        "COMMENT ON COLUMN \"post\".\"title\" IS 'it''s the title'",
    ]


def test_postgres_concurrently_runs_after_the_transaction():
    t = table("t", NAME)
    indexed = table("t", NAME, indexes=(Index(("name",), name="t_name"),))
    plan = diff(Schema("postgres", (t,)), Schema("postgres", (indexed,)))
    statements = get_renderer("postgres").render(plan, RenderOptions(concurrently=True))
    # First the invalid leftover of an interrupted build, if there is one (a replay query).
    assert [(s.sql, s.phase) for s in statements][1:] == [
        ('CREATE INDEX CONCURRENTLY "t_name" ON "t" ("name")', AFTER)
    ]
    assert statements[0].phase == AFTER and "indisvalid" in statements[0].replay


def test_postgres_partial_and_method_index():
    ix = Index(("name",), method="hash", where="name IS NOT NULL", name="t_h")
    assert sql("postgres", [table("t", NAME)], [table("t", NAME, indexes=(ix,))]) == [
        'CREATE INDEX "t_h" ON "t" USING hash ("name") WHERE name IS NOT NULL'
    ]


def test_postgres_drops_constraints_by_their_live_names():
    fk = ForeignKey(("p",), "t", ("id",), name="c_p_fkey")
    child = table("c", Column("p", "integer"), foreign_keys=(fk,))
    plain = table("c", Column("p", "integer"))
    assert sql("postgres", [table("t"), child], [table("t"), plain]) == [
        'ALTER TABLE "c" DROP CONSTRAINT "c_p_fkey"'
    ]


def test_mysql_finds_the_hidden_foreign_key_index_when_the_plan_starts():
    """MySQL has no DROP/RENAME INDEX IF EXISTS: a query run before the plan gives the
    statements for the index MySQL made for a foreign key, where the table has one."""
    fk = ForeignKey(("uid",), "u", ("id",), name="p_u")
    posts = table("p", Column("uid", "integer"), foreign_keys=(fk,))
    plan = diff(Schema("mysql", (table("u"), posts)), Schema("mysql", (table("u"), table("p"))))
    drop, hidden = get_renderer("mysql").render(plan)[:2]
    assert drop.sql == "ALTER TABLE `p` DROP FOREIGN KEY `p_u`"
    assert hidden.replay == (
        "SELECT DISTINCT CONCAT('ALTER TABLE `p` DROP INDEX ', "
        "CONCAT('`', REPLACE(index_name, '`', '``'), '`'), '') "
        "FROM information_schema.statistics WHERE table_schema = DATABASE() "
        "AND table_name = 'p' AND index_name IN ('p_u', 'uid')"
    )
    assert hidden.op is drop.op


def test_mysql_modify_column_carries_the_whole_definition():
    assert sql("mysql", [table("t", NAME)], [table("t", WIDE)]) == [
        "ALTER TABLE `t` MODIFY COLUMN `name` VARCHAR(80) NOT NULL DEFAULT 'x'"
    ]


def test_mysql_foreign_key_around_column_change():
    users = Table("u", (Column("id", "integer", nullable=False),), PrimaryKey(("id",)))
    wider = Table("u", (Column("id", "bigint", nullable=False),), PrimaryKey(("id",)))
    fk = ForeignKey(("uid",), "u", ("id",), name="p_u")
    posts = table("p", Column("uid", "integer"), foreign_keys=(fk,))
    posts2 = table("p", Column("uid", "bigint"), foreign_keys=(fk,))
    assert sql("mysql", [users, posts], [wider, posts2]) == [
        "ALTER TABLE `p` DROP FOREIGN KEY `p_u`",
        "-- ALTER TABLE `p` DROP INDEX `p_u` or `uid`, where the table has it",
        "ALTER TABLE `p` MODIFY COLUMN `uid` BIGINT",
        "ALTER TABLE `u` MODIFY COLUMN `id` BIGINT NOT NULL",
        "ALTER TABLE `p` ADD CONSTRAINT `p_u` FOREIGN KEY (`uid`) REFERENCES `u` (`id`)",
    ]


def test_mysql_rejects_partial_index_loudly():
    ix = Index(("name",), where="name IS NOT NULL")
    # refused by the one clause mechanism (DDL.clauses), naming the table, index and clause
    with pytest.raises(UnsupportedClauseError, match=r"table t: index \(name\): WHERE"):
        sql("mysql", [table("t", NAME)], [table("t", NAME, indexes=(ix,))])


def test_mysql_table_options_and_comment():
    before = table("t", options=(("engine", "InnoDB"), ("collation", "utf8mb4_unicode_ci")))
    after = table("t", options=(("engine", "InnoDB"), ("collation", "utf8mb4_bin")), comment="It's")
    assert sql("mysql", [before], [after]) == [
        "ALTER TABLE `t` COMMENT = 'It''s'",
        "ALTER TABLE `t` COLLATE=utf8mb4_bin",
    ]


def test_sqlite_native_ops_stay_alter_table():
    assert sql(
        "sqlite",
        [table("t", NAME)],
        [table("t", NAME, Column("n", "integer"), indexes=(Index(("n",), name="t_n"),))],
    ) == ['ALTER TABLE "t" ADD COLUMN "n" INTEGER', 'CREATE INDEX "t_n" ON "t" ("n")']


def test_sqlite_rebuild_follows_the_documented_steps():
    before = table("t", NAME, Column("gone", "text"), indexes=(Index(("name",), name="t_name"),))
    after = table("t", WIDE, indexes=(Index(("name",), name="t_name"),))
    plan = diff(Schema("sqlite", (before,)), Schema("sqlite", (after,)))
    statements = get_renderer("sqlite").render(plan)
    assert [(s.sql, s.phase) for s in statements] == [
        ("PRAGMA foreign_keys = OFF", BEFORE),
        ("-- drop the views", "inside"),
        (
            'CREATE TABLE "_fastapp_new_t" (\n    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,\n'
            "    \"name\" VARCHAR(80) NOT NULL DEFAULT 'x'\n)",
            "inside",
        ),
        ('INSERT INTO "_fastapp_new_t" ("id", "name") SELECT "id", "name" FROM "t"', "inside"),
        ('DROP TABLE "t"', "inside"),
        ("PRAGMA legacy_alter_table = ON", "inside"),
        ('ALTER TABLE "_fastapp_new_t" RENAME TO "t"', "inside"),
        ("PRAGMA legacy_alter_table = OFF", "inside"),
        ('CREATE INDEX "t_name" ON "t" ("name")', "inside"),
        ("-- recreate the triggers of t", "inside"),
        ("-- re-create the views", "inside"),
        ("PRAGMA foreign_key_check", "inside"),
        ("PRAGMA foreign_keys = ON", AFTER),
    ]
    assert statements[-2].expect_empty
    rebuild = statements[2].op
    assert rebuild.kind == "rebuild_table" and rebuild.safety == o.DESTRUCTIVE
    replays = [s.replay for s in statements if s.replay]
    assert "type = 'trigger' AND tbl_name = 't'" in replays[1]
    assert [("DROP VIEW" in q, "type = 'view'" in q) for q in (replays[0], replays[2])] == [
        (True, True),
        (False, True),
    ]


def test_sqlite_rebuild_copies_renamed_columns_from_old_names():
    before = table("t", NAME)
    after = table("t", Column("full", "varchar", length=20, nullable=False))
    statements = sql("sqlite", [before], [after], column_renames=(("t", "name", "full"),))
    assert 'INSERT INTO "_fastapp_new_t" ("id", "full") SELECT "id", "name" FROM "t"' in statements


def test_sqlite_new_tables_keep_foreign_keys_inline_even_in_cycles():
    a = table("a", Column("b_id", "integer"), foreign_keys=(ForeignKey(("b_id",), "b", ("id",)),))
    b = table("b", Column("a_id", "integer"), foreign_keys=(ForeignKey(("a_id",), "a", ("id",)),))
    statements = sql("sqlite", [], [a, b])
    assert len(statements) == 2 and all(s.startswith("CREATE TABLE") for s in statements)
    assert 'REFERENCES "b"' in statements[0]


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
def test_created_tables_are_written_by_the_ddl_layer(dialect):
    """export_schema and auto_migrate spell a new table identically (one place says how)."""
    t = table(
        "post",
        Column("title", "varchar", length=40, nullable=False, default="'x'"),
        Column("at", "timestamp"),
        uniques=(UniqueConstraint(("title",), name="post_title_key"),),
        indexes=(Index(("at",), name="post_at"),),
        comment="Posts",
    )
    assert sql(dialect, [], [t]) == get_ddl(dialect).table_statements(t)


def test_mysql_nullable_timestamp_says_null_explicitly():
    before = table("t", Column("at", "timestamp", nullable=False))
    after = table("t", Column("at", "timestamp"))
    assert sql("mysql", [before], [after]) == ["ALTER TABLE `t` MODIFY COLUMN `at` TIMESTAMP NULL"]


def test_generated_names_are_deterministic_and_short():
    r = get_renderer("postgres")
    long = ("a" * 40, "b" * 40)
    first = r.name("key", "t" * 30, long, None)
    assert first == r.name("key", "t" * 30, long, None)
    assert len(first) <= 63
    assert r.name("key", "t", ("c",), "given") == "given"


def test_data_checks_count_rows_first():
    current = table("t", NAME)
    desired = table(
        "t",
        Column("name", "varchar", length=5, nullable=False),
        uniques=(UniqueConstraint(("name",)),),
    )
    plan = diff(Schema("postgres", (current,)), Schema("postgres", (desired,)))
    checks = get_renderer("postgres").data_checks(plan)
    assert [c.sql for c in checks] == [
        'SELECT COUNT(*) FROM "t" WHERE "name" IS NULL OR CHAR_LENGTH("name") > 5',
        'SELECT COUNT(*) FROM (SELECT "name" FROM "t" WHERE "name" IS NOT NULL GROUP BY "name" '
        "HAVING COUNT(*) > 1) dup",
    ]


def test_unknown_dialect():
    from fastapp.errors import FastappError

    with pytest.raises(FastappError, match="no SQL renderer"):
        get_renderer("oracle")


def test_mysql_on_update_change_is_a_modify_column():
    plain = Column("at", "datetime", default="CURRENT_TIMESTAMP()")
    updating = Column(
        "at", "datetime", default="CURRENT_TIMESTAMP()", on_update="CURRENT_TIMESTAMP()"
    )
    assert sql("mysql", [table("t", plain)], [table("t", updating)]) == [
        "ALTER TABLE `t` MODIFY COLUMN `at` DATETIME DEFAULT CURRENT_TIMESTAMP() "
        "ON UPDATE CURRENT_TIMESTAMP()"
    ]
    assert sql("mysql", [table("t", updating)], [table("t", plain)]) == [
        "ALTER TABLE `t` MODIFY COLUMN `at` DATETIME DEFAULT CURRENT_TIMESTAMP()"
    ]


def test_mysql_prefix_length_change_recreates_the_index():
    short = Index(("name",), lengths=(5,), name="t_name")
    longer = Index(("name",), lengths=(10,), name="t_name")
    assert sql(
        "mysql", [table("t", NAME, indexes=(short,))], [table("t", NAME, indexes=(longer,))]
    ) == [
        "DROP INDEX `t_name` ON `t`",
        "CREATE INDEX `t_name` ON `t` (`name`(10))",
    ]
