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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from fastapp.db import ops as o
from fastapp.db.migrate import UnsupportedChangeError
from fastapp.db.render.base import AFTER, BEFORE, INSIDE, Renderer, RenderOptions, Statement
from fastapp.db.schema import Column, Table

if TYPE_CHECKING:
    from fastapp.db.migrate import Plan

#: Defaults SQLite accepts without parentheses.
_BARE_DEFAULTS = {"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "TRUE", "FALSE", "NULL"}
#: Ops SQLite performs in place; anything else on an existing table means a rebuild.
_NATIVE = {
    "create_table",
    "drop_table",
    "rename_table",
    "rename_column",
    "create_index",
    "drop_index",
    "add_column",
}
REBUILD_PREFIX = "_fastapp_new_"


class SQLiteRenderer(Renderer):
    dialect_name = "sqlite"
    length_function = "LENGTH"
    type_names = {"double": "DOUBLE", "boolean": "BOOLEAN"}

    def column_definition(self, table: Table | None, column: Column) -> str:
        text = f"{self.q(column.name)} {self.column_type(column)}"
        if (
            table is not None
            and self.inline_primary_key(table)
            and table.primary_key.columns == (column.name,)
        ):
            text += " PRIMARY KEY AUTOINCREMENT"
        if not column.nullable:
            text += " NOT NULL"
        if column.default is not None:
            text += f" DEFAULT {self.default_sql(column.default)}"
        if column.collation:
            text += f" COLLATE {column.collation}"
        if column.generated is not None:
            text += f" GENERATED ALWAYS AS ({column.generated}) STORED"
        return text

    def default_sql(self, default: str) -> str:
        bare = (
            default.upper() in _BARE_DEFAULTS
            or default.startswith("'")
            or default.lstrip("-").replace(".", "", 1).isdigit()
        )
        return default if bare else f"({default})"

    def inline_primary_key(self, table: Table) -> bool:
        pk = table.primary_key
        if pk is None or len(pk.columns) != 1:
            return False
        column = table.column(pk.columns[0])
        return column is not None and column.autoincrement

    def table_suffix(self, table: Table) -> str:
        options = dict(table.options)
        flags = [
            words
            for key, words in (("without_rowid", "WITHOUT ROWID"), ("strict", "STRICT"))
            if str(options.get(key, "")).lower() in ("1", "true", "yes")
        ]
        return (" " + ", ".join(flags)) if flags else ""

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
        if rebuilt or dropped:
            out.insert(0, Statement("PRAGMA foreign_keys = OFF", None, BEFORE))
            out.append(Statement("PRAGMA foreign_key_check", None, INSIDE, expect_empty=True))
            out.append(Statement("PRAGMA foreign_keys = ON", None, AFTER))
        return out

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
        steps: list[Any] = [
            f"CREATE TABLE {self.q(temp)} (\n    "
            + ",\n    ".join(self.table_body(desired))
            + f"\n){self.table_suffix(desired)}",
            f"INSERT INTO {self.q(temp)} ({self.qs([n for n, _ in pairs])}) "
            f"SELECT {self.qs([s for _, s in pairs])} FROM {self.q(source_name)}",
            f"DROP TABLE {self.q(source_name)}",
            f"ALTER TABLE {self.q(temp)} RENAME TO {self.q(name)}",
            *(self.create_index_sql(name, ix) for ix in desired.indexes),
        ]
        op = RebuildTable(name, first.describe(), _worst(plan, name, source_name))
        statements = [Statement(s, op) for s in steps]
        statements.append(
            Statement(f"-- recreate the triggers of {source_name}", op, triggers_of=source_name)
        )
        return statements

    def triggers_query(self, table: str) -> str:
        """Query giving the CREATE TRIGGER statements of ``table`` (kept across a rebuild)."""
        return (
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = "
            f"{self.literal(table)} ORDER BY name"
        )

    # --- native ops -----------------------------------------------------------------------

    def op_rename_table(self, op: o.RenameTable) -> list[Any]:
        return [f"ALTER TABLE {self.q(op.table)} RENAME TO {self.q(op.new_name)}"]

    def op_drop_index(self, op: o.DropIndex) -> list[Any]:
        if not op.index.name:
            raise UnsupportedChangeError(
                f"cannot {op.describe()}: its name is unknown (read the current schema from "
                "the database, not from a file)"
            )
        return [f"DROP INDEX {self.q(op.index.name)}"]


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


renderer = SQLiteRenderer()
