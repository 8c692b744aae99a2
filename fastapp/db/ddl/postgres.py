"""PostgreSQL DDL: serial types for auto-increment, enum types, COMMENT ON statements."""

from __future__ import annotations

from fastapp.db.ddl.base import DDL
from fastapp.db.schema import Column, Index, Schema, Table

_SERIALS = {"smallint": "SMALLSERIAL", "integer": "SERIAL", "bigint": "BIGSERIAL"}


class PostgresDDL(DDL):
    dialect_name = "postgres"
    max_identifier = 63
    type_names = {
        "integer": "INTEGER",
        "double": "DOUBLE PRECISION",
        "decimal": "NUMERIC",
        "blob": "BYTEA",
        "timestamptz": "TIMESTAMPTZ",
        "timetz": "TIMETZ",
        "varchar": "VARCHAR",
        "vector": "vector",
    }

    def quote_qualified(self, name: str) -> str:
        # Names outside the exported schema come from the dumper as "schema.name".
        schema, dot, rest = name.partition(".")
        if dot and rest:
            return f"{self.quote(schema)}.{self.quote(rest)}"
        return self.quote(name)

    def column_type(self, table: Table, column: Column) -> str:
        if column.autoincrement and column.type in _SERIALS:
            return _SERIALS[column.type]
        if column.type == "enum" and column.enum_name:
            return self.quote_qualified(column.enum_name)
        return super().column_type(table, column)

    def create_index(self, table: Table, index: Index) -> str:
        unique = "UNIQUE " if index.unique else ""
        using = f" USING {index.method}" if index.method else ""
        text = (
            f"CREATE {unique}INDEX {self.quote(self.index_name(table, index))} "
            f"ON {self.quote(table.name)}{using} ({self.index_columns(index)})"
        )
        if index.where:
            text += f" WHERE {index.where}"
        return text

    def comment_statements_for(self, table: Table) -> list[str]:
        statements = []
        if table.comment is not None:
            statements.append(
                f"COMMENT ON TABLE {self.quote(table.name)} IS {self.literal(table.comment)}"
            )
        for column in table.columns:
            if column.comment is not None:
                statements.append(
                    f"COMMENT ON COLUMN {self.quote(table.name)}.{self.quote(column.name)} "
                    f"IS {self.literal(column.comment)}"
                )
        return statements

    def preamble(self, schema: Schema) -> list[str]:
        statements = []
        if any(c.type == "vector" for t in schema.tables for c in t.columns):
            statements.append("CREATE EXTENSION IF NOT EXISTS vector")
        for enum in schema.enums:
            labels = ", ".join(self.literal(v) for v in enum.values)
            statements.append(f"CREATE TYPE {self.quote_qualified(enum.name)} AS ENUM ({labels})")
        return statements


ddl = PostgresDDL()
