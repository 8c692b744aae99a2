"""MySQL/MariaDB: ``MODIFY COLUMN`` with the whole new definition, foreign keys dropped with
their implicit index and re-added around column changes (by the planner), no transactional
DDL (each statement commits; a re-run finishes an interrupted plan)."""

from __future__ import annotations

from typing import Any

from fastapp.db import ops as o
from fastapp.db.migrate import UnsupportedChangeError
from fastapp.db.render.base import Renderer
from fastapp.db.schema import Column, Index, Table


class MySQLRenderer(Renderer):
    dialect_name = "mysql"
    quote_char = "`"
    max_identifier = 64
    name_primary_key = False
    type_names = {
        "tinyint": "TINYINT",
        "smallint": "SMALLINT",
        "mediumint": "MEDIUMINT",
        "integer": "INT",
        "bigint": "BIGINT",
        "boolean": "BOOL",
        "decimal": "DECIMAL",
        "real": "FLOAT",
        "double": "DOUBLE",
        "char": "CHAR",
        "varchar": "VARCHAR",
        "binary": "BINARY",
        "varbinary": "VARBINARY",
        "tinytext": "TINYTEXT",
        "text": "TEXT",
        "mediumtext": "MEDIUMTEXT",
        "longtext": "LONGTEXT",
        "tinyblob": "TINYBLOB",
        "blob": "BLOB",
        "mediumblob": "MEDIUMBLOB",
        "longblob": "LONGBLOB",
        "date": "DATE",
        "time": "TIME",
        "datetime": "DATETIME",
        "timestamp": "TIMESTAMP",
        "year": "YEAR",
        "json": "JSON",
        "enum": "ENUM",
        "set": "SET",
        "bit": "BIT",
        "uuid": "UUID",
    }

    def column_type(self, column: Column) -> str:
        text = super().column_type(column)
        if column.unsigned:
            text += " UNSIGNED"
        if column.collation:
            text += f" COLLATE {column.collation}"
        return text

    def column_definition(self, table: Table | None, column: Column) -> str:
        text = f"{self.q(column.name)} {self.column_type(column)}"
        if column.generated is not None:
            text += f" GENERATED ALWAYS AS ({column.generated}) STORED"
        else:
            text += " NULL" if column.nullable else " NOT NULL"
        if column.default is not None:
            text += f" DEFAULT {column.default}"
        if column.autoincrement:
            text += " AUTO_INCREMENT"
        if column.comment is not None:
            text += f" COMMENT {self.literal(column.comment)}"
        return text

    def literal(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"

    def table_suffix(self, table: Table) -> str:
        options = dict(table.options)
        parts = []
        if "engine" in options:
            parts.append(f"ENGINE={options['engine']}")
        if "charset" in options:
            parts.append(f"DEFAULT CHARSET={options['charset']}")
        if "collation" in options:
            parts.append(f"COLLATE={options['collation']}")
        if table.comment is not None:
            parts.append(f"COMMENT={self.literal(table.comment)}")
        return (" " + " ".join(parts)) if parts else ""

    def create_index_sql(self, table: str, index: Index) -> str:
        if index.where:
            raise UnsupportedChangeError(
                f"{table}: MySQL/MariaDB have no partial indexes (WHERE {index.where}); "
                "index the whole column or drop the condition from the desired schema"
            )
        name = self.name("idx", table, index.columns, index.name)
        unique = "UNIQUE " if index.unique else ""
        using = f" USING {index.method.upper()}" if index.method else ""
        return f"CREATE {unique}INDEX {self.q(name)} ON {self.q(table)} ({self.index_columns(index)}){using}"

    # --- ops ------------------------------------------------------------------------------

    def op_create_table(self, op: o.CreateTable) -> list[Any]:
        # Table and column comments live inside CREATE TABLE here.
        out: list[Any] = [self.create_table_sql(op.definition)]
        out.extend(self.create_index_sql(op.table, ix) for ix in op.definition.indexes)
        return out

    def op_rename_table(self, op: o.RenameTable) -> list[Any]:
        return [f"RENAME TABLE {self.q(op.table)} TO {self.q(op.new_name)}"]

    def op_rename_column(self, op: o.RenameColumn) -> list[Any]:
        # The hidden index MySQL made for a foreign key is named after its first column;
        # it follows the column so the Schema keeps not showing it.
        parts = [f"RENAME COLUMN {self.q(op.old_name)} TO {self.q(op.new_name)}"]
        table = self.plan.current.table(op.table)
        if table is not None:
            visible = {ix.name for ix in table.indexes} | {u.name for u in table.uniques}
            fks = [fk for fk in table.foreign_keys if fk.columns[0] == op.old_name]
            if fks and op.old_name not in visible and op.new_name not in visible:
                parts.append(
                    f"RENAME INDEX IF EXISTS {self.q(op.old_name)} TO {self.q(op.new_name)}"
                )
        return [f"ALTER TABLE {self.q(op.table)} {', '.join(parts)}"]

    def op_alter_column(self, op: o.AlterColumn) -> list[Any]:
        return [
            f"ALTER TABLE {self.q(op.table)} MODIFY COLUMN {self.column_definition(None, op.new)}"
        ]

    def op_drop_index(self, op: o.DropIndex) -> list[Any]:
        return [f"DROP INDEX {self.q(self._named(op.index.name, op))} ON {self.q(op.table)}"]

    def op_drop_unique(self, op: o.DropUnique) -> list[Any]:
        return [
            f"ALTER TABLE {self.q(op.table)} DROP INDEX {self.q(self._named(op.unique.name, op))}"
        ]

    def op_drop_foreign_key(self, op: o.DropForeignKey) -> list[Any]:
        # MySQL created an index for the key (named after the key or its first column) that
        # the Schema does not show; it goes too, or a later read would find an index nobody
        # asked for. An index of that name the Schema does show is left alone.
        fk = op.foreign_key
        table = self.plan.current.table(op.table)
        visible = (
            {ix.name for ix in table.indexes} | {u.name for u in table.uniques} if table else set()
        )
        name = self.fk_name(op.table, fk)
        parts = [f"DROP FOREIGN KEY {self.q(name)}"]
        for implicit in dict.fromkeys((name, fk.columns[0])):
            if implicit not in visible:
                parts.append(f"DROP INDEX IF EXISTS {self.q(implicit)}")
        return [f"ALTER TABLE {self.q(op.table)} {', '.join(parts)}"]

    def op_drop_check(self, op: o.DropCheck) -> list[Any]:
        return [
            f"ALTER TABLE {self.q(op.table)} DROP CONSTRAINT {self.q(self._named(op.check.name, op))}"
        ]

    def op_set_primary_key(self, op: o.SetPrimaryKey) -> list[Any]:
        if op.new is None:
            return [f"ALTER TABLE {self.q(op.table)} DROP PRIMARY KEY"]
        return [f"ALTER TABLE {self.q(op.table)} ADD PRIMARY KEY ({self.qs(op.new.columns)})"]

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
        return [f"ALTER TABLE {self.q(op.table)} {', '.join(parts)}"] if parts else []

    def _named(self, name: str | None, op: o.Op) -> str:
        if not name:
            raise UnsupportedChangeError(
                f"cannot {op.describe()}: its name is unknown (read the current schema from "
                "the database, not from a file)"
            )
        return name


renderer = MySQLRenderer()
