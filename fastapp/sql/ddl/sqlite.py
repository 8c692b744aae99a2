"""SQLite DDL: each column's type as declared (``Column.declared_type``, when read from
SQLite), AUTOINCREMENT on the integer primary key, inline foreign keys (SQLite accepts
references to tables created later and has no ADD CONSTRAINT), WITHOUT ROWID / STRICT."""

from __future__ import annotations

from fastapp.dialects.sqlite import dialect as hub
from fastapp.schema.objects import Column, ForeignKey, Table
from fastapp.sql.ddl.base import DDL

_OPTIONS = (("strict", "STRICT"), ("without_rowid", "WITHOUT ROWID"))
#: Words that end a column's type in SQLite's grammar (a column constraint starts).
_CONSTRAINT_WORDS = frozenset(
    {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE",
     "REFERENCES", "GENERATED", "AS", "ON"}
)  # fmt: skip


def _plain_arguments(text: str) -> bool:
    """``10)`` or `` 10 , -2 )``: signed numbers up to the closing parenthesis, nothing after."""
    inner, close, rest = text.partition(")")
    numbers = [n.strip().lstrip("+-").strip() for n in inner.split(",")]
    return (
        bool(close)
        and not rest.strip()
        and len(numbers) <= 2
        and all(n.isascii() and n.isdigit() for n in numbers)
    )


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
        if column.declared_type is not None:
            return self.spelled_type(column.declared_type)
        if column.type == "" and not column.known_type:
            return ""
        return super().column_type(table, column)

    def spelled_type(self, declared: str) -> str:
        """``declared`` written so that SQLite reports it back unchanged: as it is when it
        is names with an optional argument list, else as one quoted name (SQLite keeps a
        one-word quoted type without its quotes), so a word such as NOT cannot end it."""
        name, paren, arguments = declared.partition("(")
        words = name.split()
        plain = (
            bool(words)
            and all(w.isascii() and w.replace("_", "a").isalnum() for w in words)
            and not {w.upper() for w in words} & _CONSTRAINT_WORDS
            and (not paren or _plain_arguments(arguments))
        )
        return declared if plain or not declared else self.quote(declared)

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
