"""SQLite: ``ALTER TABLE`` where SQLite supports it, otherwise the documented table rebuild.

SQLite alters tables only by adding or renaming columns and renaming tables. Every other
change of a table is done by rebuilding it (https://www.sqlite.org/lang_altertable.html,
"Making Other Kinds Of Table Schema Changes"): with foreign keys off *outside* the
transaction, create the new table, copy the rows, drop the old table, rename the new one,
recreate its indexes and triggers, run ``PRAGMA foreign_key_check`` inside the transaction,
and turn foreign keys back on after it. All ops of a rebuilt table (its renames included)
collapse into that one rebuild from the current table to the desired one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from fastapp.diff import ops as o
from fastapp.schema.objects import Column
from fastapp.sql.plan.base import AFTER, BEFORE, INSIDE, Renderer, RenderOptions, Statement

if TYPE_CHECKING:
    from fastapp.diff.compare import Plan

#: Ops SQLite performs in place; anything else on an existing table means a rebuild.
_NATIVE = {
    "create_table",
    "drop_table",
    "rename_table",
    "rename_column",
    "rename_index",
    "create_index",
    "drop_index",
    "add_column",
}
REBUILD_PREFIX = "_fastapp_new_"
#: Every view, in creation order (a view may use an earlier one): its CREATE and DROP; then
#: the views' INSTEAD OF triggers, which their DROP took with them.
_VIEWS = (
    "SELECT sql FROM (SELECT sql, 0 AS k, rowid AS r FROM sqlite_master WHERE type = 'view' "
    "UNION ALL SELECT t.sql, 1, t.rowid FROM sqlite_master t WHERE t.type = 'trigger' "
    "AND t.tbl_name IN (SELECT name FROM sqlite_master WHERE type = 'view')) ORDER BY k, r"
)
_DROP_VIEWS = (
    "SELECT 'DROP VIEW ' || quote(name) FROM sqlite_master WHERE type = 'view' ORDER BY rowid DESC"
)


class SQLiteRenderer(Renderer):
    dialect_name = "sqlite"
    length_function = "LENGTH"

    # --- the plan -------------------------------------------------------------------------

    def render(self, plan: Plan, options: RenderOptions | None = None) -> list[Statement]:
        self.options = options or RenderOptions()
        self.plan = plan
        created = {op.table for op in plan.ops if isinstance(op, o.CreateTable)}
        dropped = {op.table for op in plan.ops if isinstance(op, o.DropTable)}
        rebuilt = (
            {
                op.table
                for op in plan.ops
                if op.kind not in _NATIVE
                or (isinstance(op, o.AddColumn) and not _addable(op.column))
            }
            - created
            - dropped
        )
        rebuilt = {t for t in rebuilt if plan.desired.table(t) is not None}
        out: list[Statement] = []
        done: set[str] = set()
        for op in plan.ops:
            target = op.new_name if isinstance(op, o.RenameTable) else op.table
            if target in rebuilt:
                if target not in done:
                    done.add(target)
                    out.extend(self.rebuild(plan, target, op))
                continue
            if target in created and not isinstance(op, o.CreateTable):
                continue  # deferred foreign keys are inline: SQLite checks them lazily
            if target in dropped and not isinstance(op, o.DropTable):
                continue
            if isinstance(op, o.CreateTable):
                full = plan.desired.table(op.table) or op.definition
                out.extend(self.render_op(o.CreateTable(op.table, full)))
                continue
            out.extend(self.render_op(op))
        if rebuilt:
            # SQLite checks every view when a table is renamed: views over a rebuilt table
            # (gone between its DROP and the RENAME) are dropped first and re-created after.
            first = next(i for i, s in enumerate(out) if isinstance(s.op, RebuildTable))
            last = max(i for i, s in enumerate(out) if isinstance(s.op, RebuildTable))
            out.insert(last + 1, Statement("-- re-create the views", out[last].op, replay=_VIEWS))
            out.insert(first, Statement("-- drop the views", out[first].op, replay=_DROP_VIEWS))
        if rebuilt or dropped:
            out.insert(0, Statement("PRAGMA foreign_keys = OFF", None, BEFORE))
            out.append(Statement("PRAGMA foreign_key_check", None, INSIDE, expect_empty=True))
            out.append(Statement("PRAGMA foreign_keys = ON", None, AFTER))
        return out

    def op_rename_table(self, op: o.RenameTable) -> list[Any]:
        if _ascii_folded(op.table) != _ascii_folded(op.new_name):
            return super().op_rename_table(op)
        # SQLite compares table names without ASCII case: "item" -> "Item" names the table
        # it already has, so the rename goes through a name of its own.
        step = f"{REBUILD_PREFIX}{op.new_name}"
        return [
            f"ALTER TABLE {self.q(op.table)} RENAME TO {self.q(step)}",
            f"ALTER TABLE {self.q(step)} RENAME TO {self.q(op.new_name)}",
        ]

    def op_rename_index(self, op: o.RenameIndex) -> list[Any]:
        # SQLite has no ALTER INDEX: the rename is done by re-creation (same definition).
        table = self.plan.desired.table(op.table) or self.table_of(op.table)
        said = RenameByRecreation(op.table, op.old_name, op.new_name)
        return [
            Statement(f"DROP INDEX {self.q(op.old_name)}", said),
            Statement(self.ddl.create_index(table, replace(op.index, name=op.new_name)), said),
        ]

    def rebuild(self, plan: Plan, name: str, first: o.Op) -> list[Statement]:
        """Move-and-copy ``name`` from its current definition to the desired one."""
        source_name = name
        column_source: dict[str, str] = {}
        for op in plan.ops:
            if isinstance(op, o.RenameTable) and op.new_name == name:
                source_name = op.table
            if isinstance(op, o.RenameColumn) and op.table == name:
                column_source[op.new_name] = column_source.pop(op.old_name, op.old_name)
        current = plan.current.table(source_name)
        desired = plan.desired.table(name)
        assert current is not None and desired is not None
        have = set(current.column_names)
        pairs = [
            (c.name, column_source.get(c.name, c.name))
            for c in desired.columns
            if c.generated is None and column_source.get(c.name, c.name) in have
        ]
        temp = f"{REBUILD_PREFIX}{name}"
        named = self.named(desired)
        # Refused under the table's own name, not the rebuild's; its triggers are replayed
        # below, so they do not stand in the way.
        named = replace(named, unmodelled=tuple(u for u in named.unmodelled if not u.standalone))
        self.ddl.refuse_unexpressible_table(named)
        steps: list[Any] = [
            self.ddl.create_table(replace(named, name=temp)),
            f"INSERT INTO {self.q(temp)} ({self.qs([n for n, _ in pairs])}) "
            f"SELECT {self.qs([s for _, s in pairs])} FROM {self.q(source_name)}",
            f"DROP TABLE {self.q(source_name)}",
            # Legacy: the rename leaves other tables' triggers alone; otherwise SQLite
            # re-checks each one, and fails on any whose body uses this table, gone until
            # the rename ends ("error in trigger t: no such table").
            "PRAGMA legacy_alter_table = ON",
            f"ALTER TABLE {self.q(temp)} RENAME TO {self.q(name)}",
            "PRAGMA legacy_alter_table = OFF",
            *(self.ddl.create_index(named, ix) for ix in named.indexes),
        ]
        op = RebuildTable(name, first.describe(), _worst(plan, name, source_name))
        statements = [Statement(s, op) for s in steps]
        triggers = (  # the table's CREATE TRIGGER statements, kept across the rebuild
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = "
            f"{self.literal(source_name)} ORDER BY name"
        )
        statements.append(
            Statement(f"-- recreate the triggers of {source_name}", op, replay=triggers)
        )
        return statements


def _ascii_folded(name: str) -> str:
    """A name as SQLite compares names: ASCII letters without case, nothing else folded."""
    return name.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _addable(column: Column) -> bool:
    """Whether ``ALTER TABLE ADD COLUMN`` can add ``column`` (SQLite's documented limits)."""
    if column.autoincrement or column.generated is not None:
        return False
    if column.default is not None and (
        column.default.upper() in {"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"}
        or not (
            column.default.startswith("'")
            or column.default.lstrip("-").replace(".", "", 1).isdigit()
            or column.default.upper() in {"TRUE", "FALSE"}
        )
    ):
        return False
    return column.nullable or column.default is not None


def _worst(plan: Plan, name: str, source: str) -> str:
    levels = [op.safety for op in plan.ops if op.table in (name, source)]
    return max(levels, key=o.SAFETY_RANK.__getitem__, default=o.SAFE)


@dataclass(frozen=True)
class RebuildTable(o.Op):
    """Stands for the ops of one table folded into a rebuild (for prompts and colouring)."""

    kind: ClassVar[str] = "rebuild_table"
    table: str
    reason: str
    level: str

    @property
    def safety(self) -> str:
        return self.level

    def describe(self) -> str:
        return f"rebuild table {self.table} to {self.reason}"


@dataclass(frozen=True)
class RenameByRecreation(o.Op):
    """An index rename as SQLite does it (for the plan: a rename, done by re-creation)."""

    kind: ClassVar[str] = "rename_index"
    table: str
    old_name: str
    new_name: str

    def describe(self) -> str:
        return (
            f"rename index {self.old_name} of {self.table} to {self.new_name} "
            "(by re-creation: SQLite has no ALTER INDEX)"
        )
