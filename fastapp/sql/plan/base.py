"""What every renderer shares: statements, dispatch on the op kind, names, data checks.

A renderer turns a :class:`~fastapp.diff.compare.Plan` into :class:`Statement` values for one
dialect. Each op is rendered by the method ``op_<kind>`` (``op_add_column`` ...), so adding an
op kind means adding one method per dialect, and a dialect lacking it fails loudly.
Dialect spellings are class data (type names, quote character, templates); methods are
overridden only where data cannot say it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from fastapp.diff import ops as o
from fastapp.diff.compare import UnsupportedChangeError
from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Table,
    UniqueConstraint,
)
from fastapp.sql import naming
from fastapp.sql.ddl import get_ddl

if TYPE_CHECKING:
    from fastapp.diff.compare import Plan
    from fastapp.sql.ddl.base import DDL

#: Where a statement runs relative to the plan's transaction.
BEFORE, INSIDE, AFTER = "before", "inside", "after"


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a rendered plan.

    ``phase`` says whether it runs before, inside or after the plan's transaction (SQLite's
    ``PRAGMA foreign_keys`` and PostgreSQL's ``CREATE INDEX CONCURRENTLY`` cannot run inside
    one). ``expect_empty`` marks a query whose rows mean failure (``PRAGMA foreign_key_check``).
    """

    sql: str
    op: o.Op | None = None
    phase: str = INSIDE
    expect_empty: bool = False
    #: Stands for the statements this query gives, run by the executor before anything
    #: changes (a SQLite rebuild: re-create the table's triggers, drop and re-create views).
    replay: str | None = None
    #: ``--online``: run before retrying the statement after it gave up waiting for a lock
    #: (an interrupted ``CREATE INDEX CONCURRENTLY`` leaves an invalid index behind).
    retry_cleanup: str | None = None
    #: A batch (of a backfill) run again and again until it reports 0 rows: the statement
    #: returns the count itself (``count_sql`` None) or ``count_sql`` reads it afterwards.
    repeat: bool = False
    count_sql: str | None = None

    @property
    def destructive(self) -> bool:
        return self.op is not None and self.op.safety == o.DESTRUCTIVE


@dataclass(frozen=True)
class DataCheck:
    """A query counting the rows that would make ``op`` fail, and what to say about them."""

    op: o.Op
    sql: str
    problem: str


@dataclass(frozen=True)
class RenderOptions:
    #: PostgreSQL: build new indexes with CONCURRENTLY, after (outside) the transaction.
    concurrently: bool = False
    #: Rewrite changes that would block writers into their online forms (the hub's
    #: :class:`~fastapp.dialects.base.OnlineFacts` say what this backend can do), or refuse.
    online: bool = False
    #: Rows per batch of a backfill.
    batch_size: int = 10000


class Renderer:
    """Base class of the per-dialect renderers, found by :func:`fastapp.sql.plan.get_renderer`.

    How a table, column, index or foreign key is written is the DDL layer's
    (:mod:`fastapp.sql.ddl`): ops that create things delegate to it, so ``export_schema`` and
    ``auto_migrate`` spell objects the same way. What stays here is what only a change needs:
    ALTER statements, names for objects the desired schema left unnamed, data checks.
    """

    dialect_name: ClassVar[str]
    #: Function giving a string's length in characters.
    length_function: ClassVar[str] = "CHAR_LENGTH"

    @property
    def ddl(self) -> DDL:
        return get_ddl(self.dialect_name)

    # --- public API -----------------------------------------------------------------------

    def render(self, plan: Plan, options: RenderOptions | None = None) -> list[Statement]:
        """The statements of ``plan``, in order. Raises :class:`UnsupportedChangeError` for an
        op this dialect cannot perform, naming it and the workaround."""
        self.options = options or RenderOptions()
        self.plan = plan
        out: list[Statement] = []
        for op in plan.ops:
            out.extend(self.render_op(op))
        return out

    def refuse(self, op: o.Op) -> NoReturn:
        """Raise :class:`UnsupportedChangeError` naming ``op``: this backend cannot do it."""
        raise UnsupportedChangeError(
            f"{self.dialect_name}: cannot {op.describe()}: this backend has no such "
            "operation; change the schema by hand or adjust the desired schema"
        )

    def refuse_unwritable(self, op: o.Op) -> None:
        """Raise :class:`~fastapp.errors.UnsupportedClauseError` when ``op`` writes a key,
        check, index or column with a clause this dialect cannot write."""
        for value in _values_of(op):
            self.ddl.refuse_unexpressible(op.table, value)
        written = _WRITTEN_COLUMNS.get(op.kind)
        if written is not None:
            self.ddl.refuse_unexpressible_column(op.table, getattr(op, written))

    def render_op(self, op: o.Op) -> list[Statement]:
        self.refuse_unwritable(op)
        method = getattr(self, f"op_{op.kind}", None)
        if method is None:
            self.refuse(op)
        return [s if isinstance(s, Statement) else Statement(s, op) for s in method(op)]

    def data_checks(self, plan: Plan) -> list[DataCheck]:
        """Counting queries for the data-dependent ops whose tables and columns exist now."""
        found = []
        for op in plan.ops:
            if op.safety != o.DATA_DEPENDENT:
                continue
            check = self.data_check(op, plan)
            if check is not None:
                found.append(check)
        return found

    def existing(self, table: str) -> bool:
        """``table`` exists before the plan (an op on a table the plan creates is no hazard)."""
        plan = getattr(self, "plan", None)
        return plan is not None and plan.current.table(table) is not None

    def online_for(self, table: str) -> bool:
        return self.options.online and self.existing(table)

    # --- SQL pieces -----------------------------------------------------------------------

    def q(self, name: str) -> str:
        return self.ddl.quote(name)

    def qs(self, names: Sequence[str]) -> str:
        return self.ddl.columns_list(names)

    def literal(self, text: str) -> str:
        return self.ddl.literal(text)

    def name(self, kind: str, table: str, columns: Sequence[str], given: str | None) -> str:
        """``given`` when known, else the name :mod:`fastapp.sql.naming` gives the object."""
        return naming.object_name(self.dialect_name, kind, table, columns, given)

    def fk_name(self, table: str, fk: ForeignKey) -> str:
        return self.name(naming.FOREIGN_KEY, table, fk.columns, fk.name)

    def check_name(self, table: str, expression: str, given: str | None) -> str:
        return naming.check_name(self.dialect_name, table, expression, given)

    # Names for objects the desired schema leaves unnamed (a schema parsed from a file), so
    # the statements of a plan do not depend on names the server would make up.

    def named_index(self, table: str, index: Index) -> Index:
        return (
            index
            if index.name
            else replace(index, name=self.name(naming.INDEX, table, index.columns, None))
        )

    def named_foreign_key(self, table: str, fk: ForeignKey) -> ForeignKey:
        return fk if fk.name else replace(fk, name=self.fk_name(table, fk))

    def named_unique(self, table: str, unique: UniqueConstraint) -> UniqueConstraint:
        if unique.name:
            return unique
        return replace(unique, name=self.name(naming.UNIQUE, table, unique.columns, None))

    def named_check(self, table: str, check: CheckConstraint) -> CheckConstraint:
        if check.name:
            return check
        return replace(check, name=self.check_name(table, check.expression, None))

    def named(self, table: Table) -> Table:
        """``table`` with every constraint and index named."""
        n = table.name
        return replace(
            table,
            uniques=tuple(self.named_unique(n, u) for u in table.uniques),
            foreign_keys=tuple(self.named_foreign_key(n, fk) for fk in table.foreign_keys),
            checks=tuple(self.named_check(n, c) for c in table.checks),
            indexes=tuple(self.named_index(n, ix) for ix in table.indexes),
        )

    def table_of(self, name: str) -> Table:
        """The desired definition of ``name`` (the DDL layer takes tables, not names)."""
        plan = getattr(self, "plan", None)
        table = plan.desired.table(name) if plan is not None else None
        return table if table is not None else Table(name)

    def column_definition(self, table: str, column: Column) -> str:
        """A column added to or changed in the existing table ``table``."""
        return self.ddl.column_definition(None, column)

    def create_index_sql(self, table: str, index: Index) -> str:
        return self.ddl.create_index(self.table_of(table), self.named_index(table, index))

    # --- ops that create things: the DDL layer's statements ---------------------------------

    def op_create_table(self, op: o.CreateTable) -> list[Any]:
        return list(self.ddl.table_statements(self.named(op.definition)))

    def op_create_index(self, op: o.CreateIndex) -> list[Any]:
        return [self.create_index_sql(op.table, op.index)]

    def op_add_foreign_key(self, op: o.AddForeignKey) -> list[Any]:
        fk = self.named_foreign_key(op.table, op.foreign_key)
        return [self.ddl.add_foreign_key(self.table_of(op.table), fk)]

    def op_add_column(self, op: o.AddColumn) -> list[Any]:
        out: list[Any] = [
            f"ALTER TABLE {self.q(op.table)} ADD COLUMN {self.column_definition(op.table, op.column)}"
        ]
        out.extend(self.column_comment_sql(op.table, op.column, created=True))
        return out

    # --- ops every dialect spells the same ------------------------------------------------

    def op_drop_table(self, op: o.DropTable) -> list[Any]:
        return [self.ddl.drop_table(Table(op.table))]

    def op_drop_index(self, op: o.DropIndex) -> list[Any]:
        index = replace(op.index, name=self.live_name(op.index.name, op))
        return [self.ddl.drop_index(Table(op.table), index)]

    def live_name(self, name: str | None, op: o.Op) -> str:
        """The name of an existing object ``op`` drops: it comes from the database."""
        if not name:
            raise UnsupportedChangeError(
                f"cannot {op.describe()}: its name is unknown (read the current schema from "
                "the database, not from a file)"
            )
        return name

    def op_rename_table(self, op: o.RenameTable) -> list[Any]:
        return [f"ALTER TABLE {self.q(op.table)} RENAME TO {self.q(op.new_name)}"]

    def op_rename_index(self, op: o.RenameIndex) -> list[Any]:
        return [f"ALTER INDEX {self.q(op.old_name)} RENAME TO {self.q(op.new_name)}"]

    def op_rename_constraint(self, op: o.RenameConstraint) -> list[Any]:
        return [
            f"ALTER TABLE {self.q(op.table)} RENAME CONSTRAINT {self.q(op.old_name)} "
            f"TO {self.q(op.new_name)}"
        ]

    def op_rename_column(self, op: o.RenameColumn) -> list[Any]:
        return [
            f"ALTER TABLE {self.q(op.table)} RENAME COLUMN {self.q(op.old_name)} TO {self.q(op.new_name)}"
        ]

    def op_drop_column(self, op: o.DropColumn) -> list[Any]:
        return [f"ALTER TABLE {self.q(op.table)} DROP COLUMN {self.q(op.column.name)}"]

    def op_add_unique(self, op: o.AddUnique) -> list[Any]:
        name = self.name(naming.UNIQUE, op.table, op.unique.columns, op.unique.name)
        return [
            f"ALTER TABLE {self.q(op.table)} ADD CONSTRAINT {self.q(name)} UNIQUE ({self.qs(op.unique.columns)})"
        ]

    def op_add_check(self, op: o.AddCheck) -> list[Any]:
        name = self.check_name(op.table, op.check.expression, op.check.name)
        return [
            f"ALTER TABLE {self.q(op.table)} ADD CONSTRAINT {self.q(name)} CHECK ({op.check.expression})"
        ]

    def op_set_table_comment(self, op: o.SetTableComment) -> list[Any]:
        return self.table_comment_sql(op.table, op.new, created=False)

    def table_comment_sql(self, table: str, comment: str | None, *, created: bool) -> list[str]:
        return []

    def column_comment_sql(self, table: str, column: Column, *, created: bool) -> list[str]:
        return []

    # --- data checks ----------------------------------------------------------------------

    def data_check(self, op: o.Op, plan: Plan) -> DataCheck | None:
        """A counting query for ``op`` when the rows it depends on exist before the plan."""
        table = plan.current.table(op.table)
        if table is None:
            return None
        t = self.q(op.table)
        have = set(table.column_names)

        def known(columns: Sequence[str]) -> bool:
            return bool(columns) and set(columns) <= have

        if isinstance(op, o.AddColumn):
            return DataCheck(
                op,
                f"SELECT COUNT(*) FROM {t}",
                "row(s) exist; a NOT NULL column without a default cannot be filled: give it a "
                "default or make it nullable",
            )
        if isinstance(op, o.AlterColumn) and known([op.column]):
            return self.alter_check(op, t)
        if isinstance(op, (o.AddUnique, o.CreateIndex, o.SetPrimaryKey)):
            target = getattr(op, "unique", None) or getattr(op, "index", None) or op.new
            columns = target.columns
            if getattr(target, "expressions", ()) or not known(columns):
                return None
            cols = self.qs(columns)
            not_null = " AND ".join(f"{self.q(c)} IS NOT NULL" for c in columns)
            where = f" WHERE {not_null}"
            if isinstance(op, o.CreateIndex) and op.index.where:
                where += f" AND ({op.index.where})"
            return DataCheck(
                op,
                f"SELECT COUNT(*) FROM (SELECT {cols} FROM {t}{where} GROUP BY {cols} "
                "HAVING COUNT(*) > 1) dup",
                f"group(s) of duplicate values in ({', '.join(columns)}); remove the duplicates first",
            )
        if isinstance(op, o.AddForeignKey):
            fk = op.foreign_key
            ref = plan.current.table(fk.ref_table)
            if (
                not known(fk.columns)
                or ref is None
                or not set(fk.ref_columns) <= set(ref.column_names)
            ):
                return None
            match = " AND ".join(
                f"p.{self.q(r)} = c.{self.q(c)}"
                for c, r in zip(fk.columns, fk.ref_columns, strict=True)
            )
            present = " AND ".join(f"c.{self.q(c)} IS NOT NULL" for c in fk.columns)
            return DataCheck(
                op,
                f"SELECT COUNT(*) FROM {t} c WHERE {present} AND NOT EXISTS "
                f"(SELECT 1 FROM {self.q(fk.ref_table)} p WHERE {match})",
                f"row(s) reference missing {fk.ref_table} rows; delete or fix them first",
            )
        if isinstance(op, o.AddCheck):
            return DataCheck(
                op,
                f"SELECT COUNT(*) FROM {t} WHERE NOT ({op.check.expression})",
                "row(s) violate the check; fix them first",
            )
        return None

    def alter_check(self, op: o.AlterColumn, t: str) -> DataCheck | None:
        c = self.q(op.column)
        conditions = []
        problems = []
        if op.old.nullable and not op.new.nullable:
            conditions.append(f"{c} IS NULL")
            problems.append("NULL")
        if op.type_change == o.DATA_DEPENDENT:
            width = op.new.length
            if op.new.type in ("varchar", "char") and width is not None:
                conditions.append(f"{self.length_function}({c}) > {width}")
                problems.append(f"longer than {width} characters")
            bounds = _INTEGER_BOUNDS.get((op.new.type, op.new.unsigned))
            if bounds is not None and op.old.type in _NUMERIC:
                conditions.append(f"({c} < {bounds[0]} OR {c} > {bounds[1]})")
                problems.append(f"outside {bounds[0]}..{bounds[1]}")
        if not conditions:
            return None
        return DataCheck(
            op,
            f"SELECT COUNT(*) FROM {t} WHERE {' OR '.join(conditions)}",
            f"row(s) hold values {' or '.join(problems)} in {op.table}.{op.column}; fix them first",
        )


_NUMERIC = {"tinyint", "smallint", "mediumint", "integer", "bigint", "decimal", "real", "double"}
_INTEGER_BOUNDS = {
    ("tinyint", False): (-128, 127),
    ("smallint", False): (-32768, 32767),
    ("mediumint", False): (-8388608, 8388607),
    ("integer", False): (-2147483648, 2147483647),
    ("bigint", False): (-9223372036854775808, 9223372036854775807),
    ("tinyint", True): (0, 255),
    ("smallint", True): (0, 65535),
    ("mediumint", True): (0, 16777215),
    ("integer", True): (0, 4294967295),
    ("bigint", True): (0, 18446744073709551615),
}


#: The op fields holding a key, check, index or exclusion the DDL layer may not be able to say.
_VALUE_FIELDS = ("index", "unique", "foreign_key", "check", "exclusion", "new")


#: Op kind -> the field holding the column it writes (added, or changed into).
_WRITTEN_COLUMNS = {"add_column": "column", "alter_column": "new"}


def _values_of(op: o.Op) -> list[object]:
    found = [getattr(op, name, None) for name in _VALUE_FIELDS]
    return [v for v in found if v is not None and not isinstance(v, (str, Column))]
