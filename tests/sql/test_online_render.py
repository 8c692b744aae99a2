"""``--online`` rendering per dialect (pure: no database)."""

from __future__ import annotations

import pytest

from fastapp.diff.compare import DiffOptions, UnsupportedChangeError, diff
from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    PrimaryKey,
    Schema,
    Table,
)
from fastapp.sql.plan import get_renderer
from fastapp.sql.plan.base import AFTER, INSIDE, RenderOptions

ID = Column("id", "integer", nullable=False, autoincrement=True)
PARENT = Table("parent", (ID,), PrimaryKey(("id",), name="parent_pkey"))
REF = Column("parent_id", "integer")
FK = ForeignKey(("parent_id",), "parent", ("id",), name="child_parent_fk")


def child(*columns, **kw) -> Table:
    return Table("child", (ID, *columns), PrimaryKey(("id",), name="child_pkey"), **kw)


def render(dialect, current, desired, online=True):
    plan = diff(Schema(dialect, tuple(current)), Schema(dialect, tuple(desired)), DiffOptions())
    return get_renderer(dialect).render(plan, RenderOptions(online=online))


def test_postgres_index_concurrently_after_the_transaction_with_leftover_cleanup():
    out = render(
        "postgres", [child(REF)], [child(REF, indexes=(Index(("parent_id",), name="ix"),))]
    )
    assert [s.phase for s in out] == [AFTER, AFTER]
    assert out[0].replay is not None and "indisvalid" in out[0].replay
    assert out[1].sql == 'CREATE INDEX CONCURRENTLY "ix" ON "child" ("parent_id")'
    assert out[1].retry_cleanup == 'DROP INDEX CONCURRENTLY IF EXISTS "ix"'


def test_postgres_constraints_not_valid_then_validated_outside():
    check = CheckConstraint("parent_id > 0", name="positive")
    out = render(
        "postgres", [PARENT, child(REF)], [PARENT, child(REF, foreign_keys=(FK,), checks=(check,))]
    )
    texts = [(s.phase, s.sql) for s in out]
    assert (
        INSIDE,
        'ALTER TABLE "child" ADD CONSTRAINT "positive" CHECK (parent_id > 0) NOT VALID',
    ) in texts
    assert (AFTER, 'ALTER TABLE "child" VALIDATE CONSTRAINT "positive"') in texts
    assert (AFTER, 'ALTER TABLE "child" VALIDATE CONSTRAINT "child_parent_fk"') in texts
    fk = [sql for phase, sql in texts if "FOREIGN KEY" in sql]
    assert len(fk) == 1 and fk[0].endswith(" NOT VALID")


def test_postgres_set_not_null_through_a_validated_check():
    out = render("postgres", [child(REF)], [child(Column("parent_id", "integer", nullable=False))])
    sqls = [s.sql for s in out]
    assert 'CHECK ("parent_id" IS NOT NULL) NOT VALID' in sqls[0]
    assert [s.phase for s in out] == [INSIDE, AFTER, AFTER, AFTER]
    assert "VALIDATE CONSTRAINT" in sqls[1]
    assert sqls[2] == 'ALTER TABLE "child" ALTER COLUMN "parent_id" SET NOT NULL'
    assert "DROP CONSTRAINT" in sqls[3]


def test_postgres_volatile_default_is_backfilled_in_batches():
    token = Column("token", "double", nullable=False, default="random()")
    out = render("postgres", [child()], [child(token)])
    assert out[0].sql == 'ALTER TABLE "child" ADD COLUMN "token" DOUBLE PRECISION'
    assert out[1].sql == 'ALTER TABLE "child" ALTER COLUMN "token" SET DEFAULT random()'
    batch = out[2]
    assert batch.repeat and batch.phase == AFTER and "LIMIT 10000" in batch.sql
    assert out[-2].sql.endswith("SET NOT NULL")


def test_postgres_without_online_and_on_new_tables_nothing_changes():
    desired = [child(REF, indexes=(Index(("parent_id",), name="ix"),))]
    assert [s.sql for s in render("postgres", [child(REF)], desired, online=False)] == [
        'CREATE INDEX "ix" ON "child" ("parent_id")'
    ]
    assert all(s.phase == INSIDE for s in render("postgres", [], desired))


def test_mysql_inplace_lock_none_and_instant():
    out = render(
        "mysql",
        [PARENT, child(REF)],
        [
            PARENT,
            child(
                REF,
                Column("n", "integer", nullable=False, default="0"),
                foreign_keys=(FK,),
                indexes=(Index(("n",), name="ix"),),
            ),
        ],
    )
    sqls = [s.sql for s in out]
    assert any(s.endswith("ALGORITHM=INSTANT") and "ADD COLUMN" in s for s in sqls)
    assert "CREATE INDEX `ix` ON `child` (`n`) ALGORITHM=INPLACE LOCK=NONE" in sqls
    i = sqls.index("SET SESSION foreign_key_checks = 0")
    assert "FOREIGN KEY" in sqls[i + 1] and sqls[i + 1].endswith("ALGORITHM=INPLACE, LOCK=NONE")
    assert sqls[i + 2] == "SET SESSION foreign_key_checks = 1"


def test_mysql_refuses_what_would_copy_the_table():
    with pytest.raises(UnsupportedChangeError, match="child.n.*ALGORITHM=COPY"):
        render("mysql", [child(Column("n", "varchar", length=10))], [child(Column("n", "integer"))])
    with pytest.raises(UnsupportedChangeError, match="CHECK constraint"):
        render(
            "mysql",
            [child(REF)],
            [child(REF, checks=(CheckConstraint("parent_id > 0", name="c"),))],
        )
