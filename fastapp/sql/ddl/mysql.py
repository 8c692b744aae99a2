"""MySQL/MariaDB DDL: AUTO_INCREMENT, inline comments, table options, inline index keys."""

from __future__ import annotations

from fastapp.dialects.mysql import dialect as hub
from fastapp.schema.objects import Column, ForeignKey, Index, Table, UniqueConstraint
from fastapp.sql import naming
from fastapp.sql.ddl.base import DDL

#: Index methods MySQL writes as a keyword before INDEX rather than ``USING``.
_KIND_METHODS = {"fulltext": "FULLTEXT", "spatial": "SPATIAL"}
_OPTIONS = (("engine", "ENGINE={}"), ("charset", "DEFAULT CHARSET={}"), ("collation", "COLLATE={}"))


class MySQLDDL(DDL):
    dialect_name = "mysql"
    parenthesize_default_expressions = hub.parenthesized_expression_defaults
    clauses = frozenset({"USING (access method)", "prefix length"})
    clauses_for = {"PrimaryKey": frozenset({"COMMENT"})}
    type_names = {
        "integer": "INT",
        "boolean": "BOOL",
        "real": "FLOAT",
        "double": "DOUBLE",
    }

    def column_type(self, table: Table | None, column: Column) -> str:
        if column.known_type and column.type in ("enum", "set"):
            values = ",".join(self.literal(v) for v in column.enum_values)
            text = f"{column.type.upper()}({values})"
        else:
            text = super().column_type(table, column)
        return f"{text} UNSIGNED" if column.unsigned else text

    def collation_clause(self, collation: str) -> str:
        # MySQL collations are names, not quoted identifiers.
        return f"COLLATE {collation}"

    def null_clause(self, column: Column) -> str:
        if column.generated:
            return ""
        if column.nullable:
            # Without it, a TIMESTAMP column becomes NOT NULL DEFAULT CURRENT_TIMESTAMP where
            # explicit_defaults_for_timestamp is off (MySQL 5.7, MariaDB before 10.10).
            return "NULL" if column.type == "timestamp" else ""
        return "NOT NULL"

    def column_suffix(self, table: Table | None, column: Column) -> list[str]:
        parts = [f"ON UPDATE {column.on_update}"] if column.on_update else []
        if column.autoincrement:
            parts.append("AUTO_INCREMENT")
        if column.comment is not None:
            parts.append(f"COMMENT {self.literal(column.comment)}")
        return parts

    def primary_key_clause(self, table: Table) -> str | None:
        if table.primary_key is None:
            return None
        key = table.primary_key
        comment = f" COMMENT {self.literal(key.comment)}" if key.comment else ""
        return f"PRIMARY KEY ({self.columns_list(key.columns)}){comment}"

    def unique_clause(self, table: Table, unique: UniqueConstraint) -> str:
        name = naming.object_name(
            self.dialect_name, naming.UNIQUE, table.name, unique.columns, unique.name
        )
        return f"UNIQUE KEY {self.quote(name)} ({self.columns_list(unique.columns)})"

    def inline_indexes(self, table: Table) -> list[str]:
        return [self._key(table, index) for index in table.indexes]

    def separate_indexes(self, table: Table) -> tuple[Index, ...]:
        return ()

    def _key(self, table: Table, index: Index) -> str:
        kind = _KIND_METHODS.get(index.method or "", "UNIQUE " if index.unique else "")
        kind = f"{kind} " if kind and not kind.endswith(" ") else kind
        using = "" if index.method in (None, *_KIND_METHODS) else f" USING {index.method.upper()}"
        name = self.quote(self.index_name(table, index))
        return f"{kind}KEY {name} ({self.index_columns(index)}){using}"

    def create_index(self, table: Table, index: Index) -> str:
        kind = _KIND_METHODS.get(index.method or "", "UNIQUE" if index.unique else "")
        kind = f"{kind} " if kind else ""
        using = "" if index.method in (None, *_KIND_METHODS) else f" USING {index.method.upper()}"
        return (
            f"CREATE {kind}INDEX {self.quote(self.index_name(table, index))} "
            f"ON {self.quote(table.name)} ({self.index_columns(index)}){using}"
        )

    def drop_index(self, table: Table, index: Index) -> str:
        return f"DROP INDEX {self.quote(self.index_name(table, index))} ON {self.quote(table.name)}"

    def drop_foreign_key(self, table: Table, fk: ForeignKey) -> str:
        return f"ALTER TABLE {self.quote(table.name)} DROP FOREIGN KEY {self.quote(fk.name or '')}"

    def table_options(self, table: Table) -> str:
        options = dict(table.options)
        parts = [template.format(options[key]) for key, template in _OPTIONS if key in options]
        if table.comment is not None:
            parts.append(f"COMMENT={self.literal(table.comment)}")
        return (" " + " ".join(parts)) if parts else ""
