"""What the Schema cannot carry (:class:`Unmodelled`): one mechanism on every backend.

Pure: the diff and the renderers, no database (the convergence corpus checks the same rules
against real servers).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from fastapp.diff import ops as o
from fastapp.diff.compare import DiffOptions, UnmodelledClauseError, UnsupportedChangeError, diff
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
from fastapp.sql.plan import get_renderer

ID = Column("id", "integer", nullable=False)
A = Column("a", "integer")
B = Column("b", "integer")
INDEX = Index(("a",), name="item_a")
IGNORED = Unmodelled("index item_a", "IGNORED")
PARTITIONING = Unmodelled("partitioning", "PARTITION BY HASH (id)")
DEFERRABLE = Unmodelled("foreign key", "DEFERRABLE INITIALLY DEFERRED")
TRIGGER = Unmodelled("trigger item_touch", "CREATE TRIGGER")


def item(*columns: Column, **kw) -> Table:
    return Table("item", (ID, A, *columns), PrimaryKey(("id",)), **kw)


def plan_of(dialect: str, current: Table | None, desired: Table):
    live = Schema(dialect, (current,) if current else ())
    return diff(live, Schema(dialect, (desired,)))


def render(dialect: str, current: Table | None, desired: Table) -> list[str]:
    return [s.sql for s in get_renderer(dialect).render(plan_of(dialect, current, desired))]


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_a_desired_clause_the_live_table_lacks_is_refused_by_name(dialect):
    desired = item(indexes=(INDEX,), unmodelled=(IGNORED,))
    for current in (None, item(indexes=(INDEX,))):
        with pytest.raises(UnmodelledClauseError) as info:
            plan_of(dialect, current, desired)
        assert "table item: index item_a: IGNORED" in str(info.value)
        assert isinstance(info.value, UnsupportedClauseError)


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_a_clause_both_sides_have_is_kept_while_the_table_changes(dialect):
    live = item(indexes=(INDEX,), unmodelled=(IGNORED,))
    plan = plan_of(dialect, live, item(B, indexes=(INDEX,), unmodelled=(IGNORED,)))
    assert [op.kind for op in plan.ops] == ["add_column"]
    assert plan.notes == ()
    assert len(get_renderer(dialect).render(plan)) == 1


def test_a_sqlite_rebuild_that_would_lose_a_clause_is_refused_by_name():
    live = item(unmodelled=(DEFERRABLE,))
    not_null = Column("a", "integer", nullable=False)  # SQLite changes a column by a rebuild
    desired = Table("item", (ID, not_null), PrimaryKey(("id",)), unmodelled=(DEFERRABLE,))
    with pytest.raises(UnsupportedClauseError, match="foreign key: DEFERRABLE INITIALLY DEFERRED"):
        render("sqlite", live, desired)


def test_a_live_clause_the_desired_side_lacks_is_an_op_carrying_its_cost():
    plan = plan_of("mysql", item(unmodelled=(PARTITIONING,)), item())
    effect = "REMOVE PARTITIONING copies the table"
    assert plan.ops == (o.DropUnmodelled("item", PARTITIONING, o.SAFE, effect, rewrites=True),)
    assert plan.describe() == [
        f"[safe] remove PARTITION BY HASH (id) from partitioning of table item ({effect})"
    ]


def test_mysql_removes_partitioning():
    assert render("mysql", item(unmodelled=(PARTITIONING,)), item()) == [
        "ALTER TABLE `item` REMOVE PARTITIONING"
    ]


def test_sqlite_removes_a_live_clause_by_rebuilding_the_table():
    statements = render("sqlite", item(unmodelled=(DEFERRABLE,)), item())
    assert any("CREATE TABLE" in s and "DEFERRABLE" not in s for s in statements)


@pytest.mark.parametrize(
    ("dialect", "clause"),
    [
        ("postgres", Unmodelled("table item", "PARTITION BY RANGE (id)")),
        ("postgres", Unmodelled("constraint item_a_key", "INCLUDE (...)")),
        ("postgres", Unmodelled("constraint item_a_fk", "MATCH PARTIAL")),
        ("postgres", Unmodelled("column a", "SEQUENCE (INCREMENT BY -1)")),
        ("postgres", Unmodelled("column a", "SEQUENCE (MINVALUE -100 START WITH -100)")),
        ("mysql", Unmodelled("check item_a", "NO SUCH CLAUSE")),
    ],
)
def test_a_live_clause_no_statement_can_remove_is_refused_by_name(dialect, clause):
    named = {
        "uniques": (UniqueConstraint(("a",), name="item_a_key"),),
        "foreign_keys": (ForeignKey(("a",), "item", ("id",), name="item_a_fk"),),
        "checks": (CheckConstraint("a > 0", name="item_a"),),
    }
    with pytest.raises(UnsupportedChangeError) as info:
        render(dialect, item(unmodelled=(clause,), **named), item(**named))
    message = str(info.value)
    assert f"cannot remove {clause.clause} from {clause.object} of table item" in message
    assert "write it in the desired DDL too" in message and "\n" not in message


def test_postgres_says_why_a_partitioned_table_stays_and_what_to_do():
    with pytest.raises(UnsupportedChangeError, match="cannot become a plain one in place"):
        render(
            "postgres",
            item(unmodelled=(Unmodelled("table item", "PARTITION BY HASH (id)"),)),
            item(),
        )


# --- PostgreSQL: each clause the catalog reader reports, removed ----------------------------

TABLESPACE_BLOCK = (
    "DO $fastapp$ BEGIN EXECUTE format('ALTER {what} %I SET TABLESPACE %I', '{name}', "
    "(SELECT spcname FROM pg_catalog.pg_tablespace WHERE oid = (SELECT dattablespace FROM "
    "pg_catalog.pg_database WHERE datname = current_database()))); END $fastapp$"
)


@pytest.mark.parametrize(
    ("obj", "clause", "sql", "safety"),
    [
        ("table item", "UNLOGGED", 'ALTER TABLE "item" SET LOGGED', o.SAFE),
        (
            "table item",
            "ENABLE ROW LEVEL SECURITY",
            'ALTER TABLE "item" DISABLE ROW LEVEL SECURITY',
            o.DESTRUCTIVE,
        ),
        (
            "table item",
            "FORCE ROW LEVEL SECURITY",
            'ALTER TABLE "item" NO FORCE ROW LEVEL SECURITY',
            o.DESTRUCTIVE,
        ),
        (
            "table item",
            "WITH (fillfactor=70, autovacuum_enabled=false)",
            'ALTER TABLE "item" RESET (fillfactor, autovacuum_enabled)',
            o.SAFE,
        ),
        ("table item", "INHERITS (base)", 'ALTER TABLE "item" NO INHERIT "base"', o.SAFE),
        (
            "table item",
            "TABLESPACE fast",
            TABLESPACE_BLOCK.format(what="TABLE", name="item"),
            o.SAFE,
        ),
        (
            "column a",
            "SET STATISTICS 500",
            'ALTER TABLE "item" ALTER COLUMN "a" SET STATISTICS -1',
            o.SAFE,
        ),
        (
            "column a",
            "COMPRESSION pglz",
            'ALTER TABLE "item" ALTER COLUMN "a" SET COMPRESSION default',
            o.SAFE,
        ),
        (
            "column a",
            "SEQUENCE (AS integer INCREMENT BY 5 CACHE 20 CYCLE)",
            "DO $fastapp$ DECLARE s text := pg_get_serial_sequence('\"item\"', 'a'); BEGIN IF s "
            "IS NOT NULL THEN EXECUTE format('ALTER SEQUENCE %s AS %s INCREMENT BY 1 NO MINVALUE "
            "NO MAXVALUE START WITH 1 CACHE 1 NO CYCLE', s, (SELECT pg_catalog.format_type("
            "atttypid, NULL) FROM pg_catalog.pg_attribute WHERE attrelid = '\"item\"'::regclass "
            "AND attname = 'a')); END IF; END $fastapp$",
            o.SAFE,
        ),
        (
            "index item_a",
            "TABLESPACE fast",
            TABLESPACE_BLOCK.format(what="INDEX", name="item_a"),
            o.SAFE,
        ),
        (
            "constraint item_pkey",
            "WITH (fillfactor=70,deduplicate_items=off)",
            'ALTER INDEX "item_pkey" RESET (fillfactor, deduplicate_items)',
            o.SAFE,
        ),
        (
            "constraint item_a_positive",
            "NOT VALID",
            'ALTER TABLE "item" VALIDATE CONSTRAINT "item_a_positive"',
            o.DATA_DEPENDENT,
        ),
    ],
)
def test_postgres_removes_each_live_clause(obj, clause, sql, safety):
    removed = Unmodelled(obj, clause)
    check = CheckConstraint("a > 0", name="item_a_positive")
    key = PrimaryKey(("id",), name="item_pkey")
    live = replace(item(indexes=(INDEX,), checks=(check,), unmodelled=(removed,)), primary_key=key)
    desired = replace(item(indexes=(INDEX,), checks=(check,)), primary_key=key)
    plan = plan_of("postgres", live, desired)
    assert [op.kind for op in plan.ops] == ["drop_unmodelled"]
    assert plan.safety == safety
    assert [s.sql for s in get_renderer("postgres").render(plan)] == [sql]


def test_postgres_counts_the_rows_a_not_valid_constraint_would_reject():
    check = CheckConstraint("a > 0", name="item_a_positive")
    fk = ForeignKey(("a",), "other", ("id",), name="item_a_fk")
    other = Table("other", (ID,), PrimaryKey(("id",)))
    clauses = (
        Unmodelled("constraint item_a_positive", "NOT VALID"),
        Unmodelled("constraint item_a_fk", "NOT VALID"),
    )
    live = Schema(
        "postgres", (item(checks=(check,), foreign_keys=(fk,), unmodelled=clauses), other)
    )
    desired = Schema("postgres", (item(checks=(check,), foreign_keys=(fk,)), other))
    plan = diff(live, desired)
    checks = get_renderer("postgres").data_checks(plan)
    assert [c.sql for c in checks] == [
        'SELECT COUNT(*) FROM "item" c WHERE c."a" IS NOT NULL AND NOT EXISTS '
        '(SELECT 1 FROM "other" p WHERE p."id" = c."a")',
        'SELECT COUNT(*) FROM "item" WHERE NOT (a > 0)',
    ]
    assert all(isinstance(c.op, o.DropUnmodelled) for c in checks)


def test_models_keep_the_live_clauses_they_cannot_declare_and_say_so():
    rls = Unmodelled("table item", "ENABLE ROW LEVEL SECURITY")
    live = Schema("postgres", (item(unmodelled=(rls, TRIGGER)),))
    plan = diff(live, Schema("postgres", (item(B),)), DiffOptions(keep_live_clauses=True))
    assert [op.kind for op in plan.ops] == ["add_column"]
    assert plan.notes == (
        "table item: trigger item_touch: CREATE TRIGGER",
        "table item: ENABLE ROW LEVEL SECURITY",
    )


# --- MySQL/MariaDB ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clause", "sql"),
    [
        (IGNORED, "ALTER TABLE `item` ALTER INDEX `item_a` NOT IGNORED"),
        (
            Unmodelled("index item_a", "INVISIBLE"),
            "ALTER TABLE `item` ALTER INDEX `item_a` VISIBLE",
        ),
        (
            Unmodelled("index item_a", "COMMENT 'why'"),
            "ALTER TABLE `item` DROP INDEX `item_a`, ADD INDEX `item_a` (`a`)",
        ),
    ],
)
def test_mysql_removes_what_an_index_has_in_place(clause, sql):
    assert render(
        "mysql", item(indexes=(INDEX,), unmodelled=(clause,)), item(indexes=(INDEX,))
    ) == [sql]


def test_mysql_enforces_a_check_after_counting_the_rows_it_rejects():
    check = CheckConstraint("a > 0", name="item_a_positive")
    clause = Unmodelled("check item_a_positive", "NOT ENFORCED")
    plan = plan_of("mysql", item(checks=(check,), unmodelled=(clause,)), item(checks=(check,)))
    assert plan.safety == o.DATA_DEPENDENT
    renderer = get_renderer("mysql")
    assert [s.sql for s in renderer.render(plan)] == [
        "ALTER TABLE `item` ALTER CHECK `item_a_positive` ENFORCED"
    ]
    assert [c.sql for c in renderer.data_checks(plan)] == [
        "SELECT COUNT(*) FROM `item` WHERE NOT (a > 0)"
    ]


# --- a comment alone: said in place, nothing dropped or built again -------------------------


@pytest.mark.parametrize(("old", "new"), [(None, "why"), ("why", "because"), ("why", None)])
def test_postgres_index_comment_alone_is_a_comment(old, new):
    live = item(indexes=(replace(INDEX, comment=old),))
    plan = plan_of("postgres", live, item(indexes=(replace(INDEX, comment=new, name=None),)))
    assert [op.kind for op in plan.ops] == ["set_index_comment"]
    value = "NULL" if new is None else f"'{new}'"
    assert [s.sql for s in get_renderer("postgres").render(plan)] == [
        f'COMMENT ON INDEX "item_a" IS {value}'
    ]
    assert plan.ops[0].reverse() == o.SetIndexComment("item", live.indexes[0], new, old)


@pytest.mark.parametrize(
    ("field", "live", "what"),
    [
        ("uniques", UniqueConstraint(("a",), name="item_a_key"), "unique"),
        ("checks", CheckConstraint("a > 0", name="item_a_positive"), "check"),
        ("foreign_keys", ForeignKey(("a",), "item", ("id",), name="item_a_fk"), "foreign key"),
        (
            "exclusions",
            ExclusionConstraint("EXCLUDE USING gist (a WITH =)", name="item_ex"),
            "exclusion",
        ),
    ],
)
@pytest.mark.parametrize(("old", "new"), [(None, "why"), ("why", "because"), ("why", None)])
def test_postgres_constraint_comment_alone_is_a_comment(field, live, what, old, new):
    current = item(**{field: (replace(live, comment=old),)})
    desired = item(**{field: (replace(live, comment=new, name="other_name"),)})
    plan = plan_of("postgres", current, desired)
    assert [(op.kind, op.what) for op in plan.ops] == [("set_constraint_comment", what)]
    value = "NULL" if new is None else f"'{new}'"
    assert [s.sql for s in get_renderer("postgres").render(plan)] == [
        f'COMMENT ON CONSTRAINT "{live.name}" ON "item" IS {value}'
    ]


def test_postgres_primary_key_comment_alone_is_a_comment():
    current = Table("item", (ID,), PrimaryKey(("id",), name="item_pkey"))
    desired = Table("item", (ID,), PrimaryKey(("id",), comment="the key"))
    plan = plan_of("postgres", current, desired)
    assert [s.sql for s in get_renderer("postgres").render(plan)] == [
        'COMMENT ON CONSTRAINT "item_pkey" ON "item" IS \'the key\''
    ]


def test_a_comment_and_a_definition_changing_together_rebuild():
    plan = plan_of(
        "postgres",
        item(indexes=(INDEX,)),
        item(indexes=(replace(INDEX, comment="why", unique=True),)),
    )
    assert [op.kind for op in plan.ops] == ["drop_index", "create_index"]


def test_a_foreign_key_kept_around_a_column_change_keeps_its_comment_op():
    fk = ForeignKey(("a",), "item", ("id",), name="item_a_fk", comment="old")
    wide = Column("a", "bigint")
    plan = plan_of(
        "mysql",
        item(foreign_keys=(fk,)),
        Table("item", (ID, wide), PrimaryKey(("id",)), foreign_keys=(replace(fk, comment="new"),)),
    )
    assert [op.kind for op in plan.ops] == [
        "drop_foreign_key",
        "alter_column",
        "add_foreign_key",
        "set_constraint_comment",
    ]


def test_a_live_clause_goes_with_the_index_the_desired_side_drops():
    plan = plan_of("mysql", item(indexes=(INDEX,), unmodelled=(IGNORED,)), item())
    assert [op.kind for op in plan.ops] == ["drop_index"]
    assert plan.notes == ()


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_a_live_object_of_its_own_is_kept_and_said_in_the_plan(dialect):
    plan = plan_of(dialect, item(unmodelled=(TRIGGER,)), item())
    assert plan.is_empty
    assert plan.notes == ("table item: trigger item_touch: CREATE TRIGGER",)


def test_postgres_retyping_a_serial_retypes_its_sequence_too():
    """A serial's sequence keeps its type when the column's changes (an identity's follows):
    the plan retypes it as well, or the next run would find it narrower than its column."""
    serial = Column("id", "integer", nullable=False, autoincrement=True)
    live = Table("item", (serial,), primary_key=PrimaryKey(("id",)))
    desired = Table("item", (replace(serial, type="bigint"),), primary_key=PrimaryKey(("id",)))
    sql = [s.sql for s in get_renderer("postgres").render(plan_of("postgres", live, desired))]
    assert sql[0] == 'ALTER TABLE "item" ALTER COLUMN "id" TYPE BIGINT USING "id"::BIGINT'
    assert "EXECUTE format('ALTER SEQUENCE %s AS %s', s, (SELECT pg_catalog.format_type(" in sql[1]
    assert len(sql) == 2
    identity = replace(serial, identity="ALWAYS")
    live = Table("item", (identity,), primary_key=PrimaryKey(("id",)))
    desired = Table("item", (replace(identity, type="bigint"),), primary_key=PrimaryKey(("id",)))
    sql = [s.sql for s in get_renderer("postgres").render(plan_of("postgres", live, desired))]
    assert sql == ['ALTER TABLE "item" ALTER COLUMN "id" TYPE BIGINT USING "id"::BIGINT']
