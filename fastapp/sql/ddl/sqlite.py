"""SQLite DDL: AUTOINCREMENT on the integer primary key, inline foreign keys (SQLite accepts
references to tables created later and has no ADD CONSTRAINT), WITHOUT ROWID / STRICT."""

from __future__ import annotations

from fastapp.dialects.sqlite import dialect as hub
from fastapp.schema.objects import Column, ForeignKey, Table
from fastapp.sql.ddl.base import DDL

_OPTIONS = (("strict", "STRICT"), ("without_rowid", "WITHOUT ROWID"))


class SQLiteDDL(DDL):
    dialect_name = "sqlite"
    parenthesize_default_expressions = hub.parenthesized_expression_defaults
    supports_add_foreign_key = False
    clauses = frozenset({"WHERE (partial index)"})
    column_text_uses_table = True

    def _rowid_alias(self, table: Table | None, column: Column) -> bool:
        return (
            column.autoincrement
            and table is not None
            and table.primary_key is not None
            and table.primary_key.columns == (column.name,)
        )

    def column_type(self, table: Table | None, column: Column) -> str:
        if column.type == "" and not column.known_type:
            return ""
        return super().column_type(table, column)

    def column_suffix(self, table: Table | None, column: Column) -> list[str]:
        return ["PRIMARY KEY AUTOINCREMENT"] if self._rowid_alias(table, column) else []

    def primary_key_clause(self, table: Table) -> str | None:
        if table.primary_key is None:
            return None
        if any(self._rowid_alias(table, c) for c in table.columns):
            return None
        return super().primary_key_clause(table)

    def add_foreign_key(self, table: Table, fk: ForeignKey) -> str:
        from fastapp.errors import SchemaError

        raise SchemaError(
            f"SQLite cannot add foreign key {fk.columns} -> {fk.ref_table} to existing table "
            f"{table.name!r}: recreate the table with the key inline"
        )

    def drop_foreign_key(self, table: Table, fk: ForeignKey) -> str:
        from fastapp.errors import SchemaError

        raise SchemaError(
            f"SQLite cannot drop foreign key {fk.columns} -> {fk.ref_table} of table "
            f"{table.name!r}: recreate the table without it"
        )

    def table_options(self, table: Table) -> str:
        options = dict(table.options)
        words = [
            text
            for key, text in _OPTIONS
            if str(options.get(key, "")).lower() in ("1", "true", "yes")
        ]
        return (" " + ", ".join(words)) if words else ""
