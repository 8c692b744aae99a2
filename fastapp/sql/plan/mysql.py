"""MySQL/MariaDB: ``MODIFY COLUMN`` with the whole new definition, foreign keys dropped with
their implicit index and re-added around column changes (by the planner), no transactional
DDL (each statement commits; a re-run finishes an interrupted plan)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from fastapp.diff import ops as o
from fastapp.diff.compare import UnsupportedChangeError
from fastapp.schema.objects import Index, PrimaryKey, Table
from fastapp.sql import naming
from fastapp.sql.plan.base import DataCheck, Renderer, RenderOptions, Statement

if TYPE_CHECKING:
    from fastapp.diff.compare import Plan


class MySQLRenderer(Renderer):
    dialect_name = "mysql"
    #: Set by :meth:`render`: the ops said together by one statement (see _key_change).
    _key_groups: dict[int, list[o.Op]] = {}
    _folded: set[int] = set()

    def render(self, plan: Plan, options: RenderOptions | None = None) -> list[Statement]:
        self._key_groups, self._folded = _auto_increment_key_groups(plan)
        _refuse_versioned_changes(plan)
        return super().render(plan, options)

    def render_op(self, op: o.Op) -> list[Statement]:
        group = self._key_groups.get(id(op))
        if group is not None:
            for part in group:
                self.refuse_unwritable(part)
            return [Statement(self._key_change(group), op)]
        if id(op) in self._folded:
            return []  # said by its group's one ALTER TABLE
        return super().render_op(op)

    def _key_change(self, group: list[o.Op]) -> str:
        """One ``ALTER TABLE`` for a primary key change on a table with an AUTO_INCREMENT
        column: the server checks "the auto column must be a key" only at the statement's
        end, so dropping the old key, adding the new one (and a unique key the column moves
        to) and moving AUTO_INCREMENT can only go together."""
        table = group[0].table
        first: list[str] = []
        middle: list[str] = []
        last: list[str] = []
        for op in group:
            if isinstance(op, o.AlterColumn):
                clause = f"MODIFY COLUMN {self.column_definition(table, op.new)}"
                (first if op.old.autoincrement and not op.new.autoincrement else last).append(
                    clause
                )
            elif isinstance(op, o.SetPrimaryKey) and op.new is None:
                first.append("DROP PRIMARY KEY")
            elif isinstance(op, (o.DropUnique, o.DropIndex)):  # the key the column leaves
                name = op.unique.name if isinstance(op, o.DropUnique) else op.index.name
                first.append(f"DROP INDEX {self.q(self.live_name(name, op))}")
            elif isinstance(op, o.SetPrimaryKey):
                middle.append(self._add_primary_key(op))
            elif isinstance(op, o.AddUnique):
                name = self.name(naming.UNIQUE, table, op.unique.columns, op.unique.name)
                middle.append(
                    f"ADD CONSTRAINT {self.q(name)} UNIQUE ({self.qs(op.unique.columns)})"
                )
            elif isinstance(op, o.CreateIndex):
                text = self.create_index_sql(table, op.index)
                head, _, tail = text.partition(f" ON {self.q(table)} ")
                middle.append(head.replace("CREATE ", "ADD ", 1) + " " + tail)
        return f"ALTER TABLE {self.q(table)} " + ", ".join(first + middle + last)

    def _add_primary_key(self, op: o.SetPrimaryKey) -> str:
        assert op.new is not None
        comment = f" COMMENT {self.literal(op.new.comment)}" if op.new.comment else ""
        return f"ADD PRIMARY KEY ({self.qs(op.new.columns)}){comment}"

    def create_index_sql(self, table: str, index: Index) -> str:
        _no_partial(table, index)
        return super().create_index_sql(table, index)

    # --- ops ------------------------------------------------------------------------------

    def op_create_table(self, op: o.CreateTable) -> list[Any]:
        for index in op.definition.indexes:
            _no_partial(op.table, index)
        return super().op_create_table(op)

    def op_rename_table(self, op: o.RenameTable) -> list[Any]:
        return [f"RENAME TABLE {self.q(op.table)} TO {self.q(op.new_name)}"]

    def op_rename_column(self, op: o.RenameColumn) -> list[Any]:
        # The hidden index MySQL made for a foreign key is named after its first column;
        # it follows the column so the Schema keeps not showing it.
        out: list[Any] = [
            f"ALTER TABLE {self.q(op.table)} RENAME COLUMN {self.q(op.old_name)} "
            f"TO {self.q(op.new_name)}"
        ]
        table = self.plan.current.table(op.table)
        if table is not None:
            visible = _visible_indexes(table)
            fks = [fk for fk in table.foreign_keys if fk.columns[0] == op.old_name]
            if fks and op.old_name not in visible and op.new_name not in visible:
                rename = "RENAME INDEX {index} TO " + self.q(op.new_name)
                out.append(self._for_hidden_indexes(op, [op.old_name], rename))
        return out

    def op_alter_column(self, op: o.AlterColumn) -> list[Any]:
        if "virtual" in op.changes:
            return self._restore_generated(op)
        sql = f"ALTER TABLE {self.q(op.table)} MODIFY COLUMN {self.column_definition(op.table, op.new)}"
        if not self.online_for(op.table):
            return [sql]
        if "type" in op.changes and not _in_place(op, self.dialect_name):
            self._refuse(op, "changing this column's type")
        return [f"{sql}, {self._online_clause()}"]

    # --- --online: INSTANT or INPLACE with LOCK=NONE, or a refusal ---------------------------

    def _online_clause(self) -> str:
        from fastapp.dialects import get_dialect

        return get_dialect(self.dialect_name).online.online_alter_clause

    def _refuse(self, op: o.Op, what: str) -> None:
        raise UnsupportedChangeError(
            f"{op.describe()}: --online refuses it: {what} copies the whole table under a lock "
            "that blocks writes (ALGORITHM=COPY); run it without --online in a quiet window, "
            "or add a new column and backfill it"
        )

    def op_create_index(self, op: o.CreateIndex) -> list[Any]:
        sql = self.create_index_sql(op.table, op.index)
        if self.online_for(op.table):
            return [f"{sql} {self._online_clause().replace(',', '')}"]
        return [sql]

    def op_add_foreign_key(self, op: o.AddForeignKey) -> list[Any]:
        out = super().op_add_foreign_key(op)
        if not self.online_for(op.table):
            return out
        # With foreign_key_checks on, InnoDB copies the table; off, it adds the key in place.
        # The executor counted the orphan rows first (data checks), so nothing goes unchecked
        # but the rows written during the build.
        return [
            "SET SESSION foreign_key_checks = 0",
            f"{out[0]}, {self._online_clause()}",
            "SET SESSION foreign_key_checks = 1",
        ]

    def op_rename_index(self, op: o.RenameIndex) -> list[Any]:
        return [
            f"ALTER TABLE {self.q(op.table)} RENAME INDEX {self.q(op.old_name)} "
            f"TO {self.q(op.new_name)}"
        ]

    def op_rename_constraint(self, op: o.RenameConstraint) -> list[Any]:
        if op.what == "unique":  # a unique key is an index here
            return self.op_rename_index(
                o.RenameIndex(op.table, op.old_name, op.new_name, Index(()))
            )
        raise UnsupportedChangeError(
            f"{op.table}: MySQL/MariaDB cannot rename {op.what} constraint {op.old_name} "
            f"(to {op.new_name}); drop the @renamed mark to re-create it under the new name"
        )

    def _restore_generated(self, op: o.AlterColumn) -> list[Any]:
        """VIRTUAL <-> STORED: the servers refuse it in place ("not yet supported for generated
        columns"); the values are computed, so the column is dropped and added again, unless
        a key or index needs it (it would go with the column)."""
        table = self.plan.current.table(op.table)
        keyed = table is not None and any(
            op.column in k.columns
            for k in (*table.indexes, *table.uniques, *table.foreign_keys, table.primary_key)
            if k is not None
        )
        if keyed or op.old.generated is None or op.new.generated is None:
            raise UnsupportedChangeError(
                f"{op.table}.{op.column}: MySQL/MariaDB cannot change a generated column "
                "between VIRTUAL and STORED in place, and an index or key uses it; drop the "
                "index in the desired schema first, or drop and re-add the column"
            )
        t = self.q(op.table)
        return [
            f"ALTER TABLE {t} DROP COLUMN {self.q(op.column)}, "
            f"ADD COLUMN {self.column_definition(op.table, op.new)}"
        ]

    def op_add_check(self, op: o.AddCheck) -> list[Any]:
        if self.online_for(op.table):
            self._refuse(op, "adding a CHECK constraint")
        return super().op_add_check(op)

    def op_add_column(self, op: o.AddColumn) -> list[Any]:
        if not self.online_for(op.table):
            return super().op_add_column(op)
        from fastapp.dialects import get_dialect
        from fastapp.lint.rules import volatile_default

        column = op.column
        if not volatile_default(column.default, get_dialect(self.dialect_name)):
            out = super().op_add_column(op)
            return [f"{out[0]}, ALGORITHM=INSTANT", *out[1:]]
        bare = replace(column, default=None, nullable=True)
        t, c = self.q(op.table), self.q(column.name)
        out = super().op_add_column(o.AddColumn(op.table, bare))
        out[0] = f"{out[0]}, ALGORITHM=INSTANT"
        out.append(
            Statement(
                f"UPDATE {t} SET {c} = {column.default} WHERE {c} IS NULL "
                f"LIMIT {self.options.batch_size}",
                op,
                repeat=True,
                count_sql="SELECT ROW_COUNT()",
            )
        )
        out.append(
            f"ALTER TABLE {t} MODIFY COLUMN {self.column_definition(op.table, column)}, "
            f"{self._online_clause()}"
        )
        return out

    def op_drop_unique(self, op: o.DropUnique) -> list[Any]:
        return [
            f"ALTER TABLE {self.q(op.table)} DROP INDEX {self.q(self.live_name(op.unique.name, op))}"
        ]

    def op_drop_foreign_key(self, op: o.DropForeignKey) -> list[Any]:
        # MySQL created an index for the key (named after the key or its first column) that
        # the Schema does not show; it goes too, or a later read would find an index nobody
        # asked for. An index of that name the Schema does show is left alone.
        fk = op.foreign_key
        table = self.plan.current.table(op.table)
        visible = _visible_indexes(table) if table else set()
        name = self.fk_name(op.table, fk)
        out: list[Any] = [f"ALTER TABLE {self.q(op.table)} DROP FOREIGN KEY {self.q(name)}"]
        hidden = [n for n in dict.fromkeys((name, fk.columns[0])) if n not in visible]
        if hidden:
            out.append(self._for_hidden_indexes(op, hidden, "DROP INDEX {index}"))
        return out

    def _for_hidden_indexes(self, op: Any, names: list[str], action: str) -> Statement:
        """``ALTER TABLE ... <action>`` (``{index}`` standing for the index's name) for each of
        the indexes ``names`` that the table has,
        found when the plan starts (the Schema does not show the index MySQL made for a
        foreign key, and MySQL has no ``DROP/RENAME INDEX IF EXISTS``; MariaDB has)."""
        quoted = "CONCAT('`', REPLACE(index_name, '`', '``'), '`')"
        prefix = f"ALTER TABLE {self.q(op.table)} "
        head, _, tail = action.partition("{index}")
        query = (
            f"SELECT DISTINCT CONCAT({self.literal(prefix + head)}, {quoted}, "
            f"{self.literal(tail)}) FROM information_schema.statistics "
            f"WHERE table_schema = DATABASE() AND table_name = {self.literal(op.table)} "
            f"AND index_name IN ({', '.join(self.literal(n) for n in names)})"
        )
        what = head + " or ".join(self.q(n) for n in names) + tail
        return Statement(f"-- {prefix}{what}, where the table has it", op, replay=query)

    def op_drop_check(self, op: o.DropCheck) -> list[Any]:
        return [
            f"ALTER TABLE {self.q(op.table)} DROP CONSTRAINT {self.q(self.live_name(op.check.name, op))}"
        ]

    def op_set_primary_key(self, op: o.SetPrimaryKey) -> list[Any]:
        if op.new is None:
            return [f"ALTER TABLE {self.q(op.table)} DROP PRIMARY KEY"]
        return [f"ALTER TABLE {self.q(op.table)} {self._add_primary_key(op)}"]

    def op_set_table_comment(self, op: o.SetTableComment) -> list[Any]:
        return [f"ALTER TABLE {self.q(op.table)} COMMENT = {self.literal(op.new or '')}"]

    def op_set_table_options(self, op: o.SetTableOptions) -> list[Any]:
        new = dict(op.new)
        parts = []
        if "engine" in new and ("engine", new["engine"]) not in op.old:
            parts.append(f"ENGINE={new['engine']}")
        if "charset" in new:
            parts.append(f"DEFAULT CHARSET={new['charset']}")
        if "collation" in new:
            parts.append(f"COLLATE={new['collation']}")
        if parts:
            return [f"ALTER TABLE {self.q(op.table)} {', '.join(parts)}"]
        return []

    def op_set_constraint_comment(self, op: o.SetConstraintComment) -> list[Any]:
        """Only a primary key carries a comment here, and it has no statement of its own: the
        key is dropped and added again in one ALTER TABLE (which a foreign key pointing at it
        and an AUTO_INCREMENT column in it both accept)."""
        key = op.constraint
        if op.what != "primary key" or not isinstance(key, PrimaryKey):
            self.refuse(op)
        add = self._add_primary_key(o.SetPrimaryKey(op.table, None, replace(key, comment=op.new)))
        return [f"ALTER TABLE {self.q(op.table)} DROP PRIMARY KEY, {add}"]

    def op_drop_unmodelled(self, op: o.DropUnmodelled) -> list[Any]:
        item, t = op.item, self.q(op.table)
        kind, _, name = item.object.partition(" ")
        if item.object == "partitioning":
            return [f"ALTER TABLE {t} REMOVE PARTITIONING"]
        if item.object == f"table {op.table}":
            if item.clause == "WITH SYSTEM VERSIONING":
                return [f"ALTER TABLE {t} DROP SYSTEM VERSIONING"]
            from fastapp.dialects import get_dialect

            option = item.clause.partition("=")[0]
            reset = get_dialect(self.dialect_name).table_option_resets.get(option)
            if reset is not None:
                return [f"ALTER TABLE {t} {option}={reset}"]
        if kind == "index" and item.clause in _USED_AGAIN:
            return [f"ALTER TABLE {t} ALTER INDEX {self.q(name)} {_USED_AGAIN[item.clause]}"]
        if kind == "index" and item.clause.startswith("COMMENT "):
            # No statement changes an index comment: the index goes and comes back as it
            # is (minus the comment) in one ALTER TABLE, so no moment lacks it.
            index = self._live_index(op.table, name)
            if index is not None:
                head, _, tail = self.create_index_sql(op.table, index).partition(f" ON {t} ")
                add = head.replace("CREATE ", "ADD ", 1) + " " + tail
                return [f"ALTER TABLE {t} DROP INDEX {self.q(name)}, {add}"]
        if kind == "check" and item.clause == "NOT ENFORCED":
            return [f"ALTER TABLE {t} ALTER CHECK {self.q(name)} ENFORCED"]
        raise UnsupportedChangeError(
            f"cannot remove {item.clause} from {item.object} of table {op.table}: "
            "MySQL/MariaDB have no statement removing it in place; remove it by hand, or "
            "write it in the desired DDL too so it is kept"
        )

    def _live_index(self, table: str, name: str) -> Index | None:
        """The live index (or unique key, an index here) called ``name``."""
        live = self.plan.current.table(table)
        for index in live.indexes if live is not None else ():
            if index.name == name:
                return index
        for unique in live.uniques if live is not None else ():
            if unique.name == name:
                return Index(unique.columns, unique=True, name=name)
        return None

    def data_check(self, op: o.Op, plan: Plan) -> DataCheck | None:
        if not isinstance(op, o.DropUnmodelled) or op.item.clause != "NOT ENFORCED":
            return super().data_check(op, plan)
        # Enforcing a check: the rows breaking it, counted as when adding it.
        table = plan.current.table(op.table)
        name = op.item.object.partition(" ")[2]
        for check in table.checks if table is not None else ():
            if check.name == name:
                found = super().data_check(o.AddCheck(op.table, check), plan)
                return replace(found, op=op) if found is not None else None
        return None


#: How an index the optimizer ignores (MariaDB ``IGNORED``, MySQL ``INVISIBLE``) is used again.
_USED_AGAIN = {"IGNORED": "NOT IGNORED", "INVISIBLE": "VISIBLE"}


_VERSIONING = "WITH SYSTEM VERSIONING"


def _refuse_versioned_changes(plan: Plan) -> None:
    """MariaDB refuses ``ALTER TABLE`` on a system-versioned table (unless the session keeps
    the history as it is, ``system_versioning_alter_history=KEEP``, a choice about the
    history that is the user's): such a change is refused before anything runs, rather than
    failing halfway through a plan the server cannot roll back."""
    versioned = {
        t.name
        for t in plan.current.tables
        if any(item.clause == _VERSIONING for item in t.unmodelled)
    }
    for op in plan.ops:
        if op.table not in versioned or isinstance(op, (o.DropTable, o.RenameTable)):
            continue
        if isinstance(op, o.DropUnmodelled) and op.item.clause == _VERSIONING:
            continue
        raise UnsupportedChangeError(
            f"cannot {op.describe()}: table {op.table} is system-versioned, and MariaDB "
            "alters such a table only with SET SESSION system_versioning_alter_history = "
            "KEEP (the history keeps its old shape); run the change by hand that way, or "
            "remove the versioning first"
        )


def _auto_increment_key_groups(plan: Plan) -> tuple[dict[int, list[o.Op]], set[int]]:
    """Per table whose primary key changes while a column of it has AUTO_INCREMENT (before
    or after): the ops said together (the key ops, that column's changes, keys added on it
    or dropped from it),
    keyed by the last of them (``id``), and the others' ids."""
    groups: dict[int, list[o.Op]] = {}
    folded: set[int] = set()
    tables = {op.table for op in plan.ops if isinstance(op, o.SetPrimaryKey)}
    for name in sorted(tables):
        current, desired = plan.current.table(name), plan.desired.table(name)
        auto = {
            c.name
            for t in (current, desired)
            if t is not None
            for c in t.columns
            if c.autoincrement
        }
        if not auto or current is None or desired is None:
            continue
        group = [
            op
            for op in plan.ops
            if op.table == name
            and (
                isinstance(op, o.SetPrimaryKey)
                or (isinstance(op, o.AlterColumn) and op.column in auto)
                or (isinstance(op, o.AddUnique) and op.unique.columns[0] in auto)
                or (isinstance(op, o.CreateIndex) and op.index.columns[0] in auto)
                or (isinstance(op, o.DropUnique) and op.unique.columns[0] in auto)
                or (isinstance(op, o.DropIndex) and op.index.columns[0] in auto)
            )
        ]
        groups[id(group[-1])] = group
        folded.update(id(op) for op in group[:-1])
    return groups, folded


def _no_partial(table: str, index: Index) -> None:
    if index.where:
        raise UnsupportedChangeError(
            f"{table}: MySQL/MariaDB have no partial indexes (WHERE {index.where}); "
            "index the whole column or drop the condition from the desired schema"
        )


def _in_place(op: o.AlterColumn, dialect_name: str) -> bool:
    from fastapp.dialects import get_dialect
    from fastapp.lint.rules import in_place_type_change

    return in_place_type_change(op, get_dialect(dialect_name))


def _visible_indexes(table: Table) -> set[str | None]:
    return {ix.name for ix in table.indexes} | {u.name for u in table.uniques}
