"""What every DDL renderer shares: statement shapes, ordering, cycle breaking.

Dialect differences are data on the subclasses (type spellings, which clauses exist, where
comments go) plus a few overridden methods; nothing here asks which backend it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

from fastapp.dialects import get_dialect
from fastapp.errors import UnsupportedClauseError
from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    ExclusionConstraint,
    ForeignKey,
    Index,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)
from fastapp.schema.toposort import creation_order
from fastapp.sql import naming

if TYPE_CHECKING:
    from fastapp.dialects.base import Dialect

INDENT = "    "


class DDL:
    """Renders Schema objects as SQL for one dialect."""

    dialect_name: ClassVar[str]
    #: canonical type -> spelling; types absent here are rendered in upper case.
    type_names: ClassVar[dict[str, str]] = {}
    #: ``ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY`` exists; otherwise foreign keys are
    #: always inline (SQLite, which also accepts references to tables created later).
    supports_add_foreign_key: ClassVar[bool] = True
    generated_template: ClassVar[str] = "GENERATED ALWAYS AS ({}) STORED"
    #: DEFAULT needs parentheses around expressions other than literals and CURRENT_*.
    parenthesize_default_expressions: ClassVar[bool] = False
    #: Which optional clauses of keys, checks and indexes (:func:`clauses_of`) this dialect
    #: can write; a value using another one is refused by name before anything is changed.
    clauses: ClassVar[frozenset[str]] = frozenset()
    #: Clauses this dialect can write on one kind of value only, by the value's class name
    #: (MySQL: a primary key's ``COMMENT``).
    clauses_for: ClassVar[dict[str, frozenset[str]]] = {}
    #: ``Column.identity`` (``GENERATED ALWAYS|BY DEFAULT AS IDENTITY``) can be written. Where
    #: not, the backend's auto-increment is no faithful equivalent (ALWAYS refuses explicit
    #: values; and the column would read back without the identity, so never converge): a
    #: column with one is refused by name.
    writes_identity: ClassVar[bool] = False

    # -- what this dialect can say --------------------------------------------------------
    def unexpressible_clauses(self, value: object) -> list[str]:
        """The clauses of ``value`` (a key, check, index or exclusion constraint) this
        dialect cannot write, by their SQL words; empty when it can write all of them."""
        allowed = self.clauses | self.clauses_for.get(type(value).__name__, frozenset())
        return [c for c in clauses_of(value) if c not in allowed]

    def refuse_unexpressible(self, table: str, value: object) -> None:
        """Raise :class:`UnsupportedClauseError` when ``value`` (a key, check, index or
        exclusion constraint) uses a clause this dialect cannot write."""
        missing = self.unexpressible_clauses(value)
        if missing:
            raise UnsupportedClauseError(
                f"table {table}: {describe_object(value)}: {', '.join(missing)} cannot be "
                f"written in {self.dialect_name}; remove the clause from the desired schema "
                "(it comes from another backend's schema)"
            )

    def refuse_unexpressible_column(self, table: str, column: Column) -> None:
        """Raise :class:`UnsupportedClauseError` when ``column`` (created, added or changed)
        says something this dialect cannot write: an identity (:attr:`writes_identity`)."""
        if column.identity and not self.writes_identity:
            raise UnsupportedClauseError(
                f"table {table}: column {column.name}: GENERATED {column.identity} AS "
                f"IDENTITY cannot be written in {self.dialect_name}; remove the clause from "
                "the desired schema (it comes from another backend's schema)"
            )

    def refuse_unexpressible_table(self, table: Table) -> None:
        """:meth:`refuse_unexpressible_column` for every column, :meth:`refuse_unexpressible`
        for every key, check, index and exclusion of ``table``; and
        :class:`UnsupportedClauseError` for a clause the Schema cannot carry
        (:class:`~fastapp.schema.objects.Unmodelled`): (re)creating the table, as a rebuild
        does, would lose it."""
        for item in table.unmodelled:
            raise UnsupportedClauseError(
                f"{item.describe(table.name)} is not modelled by fastapp, so the table "
                "cannot be created or rebuilt without losing it; make that change by hand, "
                "or leave the clause out of the desired schema"
            )
        for column in table.columns:
            self.refuse_unexpressible_column(table.name, column)
        values: list[object] = [*table.uniques, *table.foreign_keys, *table.checks]
        values.extend(table.indexes)
        values.extend(table.exclusions)
        if table.primary_key is not None:
            values.append(table.primary_key)
        for value in values:
            self.refuse_unexpressible(table.name, value)

    # -- names and literals -------------------------------------------------------------
    def quote(self, identifier: str) -> str:
        """``identifier`` quoted as the dialect quotes it (:meth:`Dialect.quote`)."""
        return self._dialect.quote(identifier)

    @cached_property
    def _dialect(self) -> Dialect:
        return get_dialect(self.dialect_name)

    def quote_qualified(self, name: str) -> str:
        return self.quote(name)

    def literal(self, text: str) -> str:
        """``text`` as a string literal of this dialect."""
        if self._dialect.string_backslash_escapes:
            text = text.replace("\\", "\\\\")
        return "'" + text.replace("'", "''") + "'"

    def columns_list(self, columns: Iterable[str]) -> str:
        return ", ".join(self.quote(c) for c in columns)

    # -- columns --------------------------------------------------------------------------
    def column_type(self, table: Table | None, column: Column) -> str:
        """The type as written in a column definition."""
        if not column.known_type:
            return column.type
        name = self.type_names.get(column.type, column.type.upper())
        if column.length is not None:
            name = f"{name}({column.length})"
        elif column.precision is not None and column.scale is not None:
            name = f"{name}({column.precision},{column.scale})"
        elif column.precision is not None:
            name = f"{name}({column.precision})"
        return name

    #: The column text depends on the table too (SQLite's inline primary key); otherwise it
    #: is cached per Column value, which repeats a lot across tables.
    column_text_uses_table: ClassVar[bool] = False

    def column_definition(self, table: Table | None, column: Column) -> str:
        """``"name" TYPE [COLLATE] [GENERATED] [NOT NULL] [DEFAULT] ...`` for one column
        (``table`` None: a column added to or changed in an existing table)."""
        if self.column_text_uses_table:
            return self._column_definition(table, column)
        cache = self.__dict__.setdefault("_column_cache", {})
        text = cache.get(column)
        if text is None:
            if len(cache) > 100_000:
                cache.clear()
            text = cache[column] = self._column_definition(table, column)
        return text

    def _column_definition(self, table: Table | None, column: Column) -> str:
        parts = [self.quote(column.name), self.declared_type(table, column)]
        if column.collation:
            parts.append(self.collation_clause(column.collation))
        if column.generated:
            template = self.generated_template
            if column.virtual:
                template = template.replace(" STORED", " VIRTUAL")
            parts.append(template.format(column.generated))
        parts.append(self.null_clause(column))
        if column.default is not None and not column.generated:
            parts.append(f"DEFAULT {self.default_text(column)}")
        parts.extend(self.column_suffix(table, column))
        return " ".join(p for p in parts if p)

    def collation_clause(self, collation: str) -> str:
        return f"COLLATE {self.quote(collation)}"

    def declared_type(self, table: Table | None, column: Column) -> str:
        """The type in a column definition (PostgreSQL's serial types stand for a type plus
        a sequence there, but cannot be the target of ``ALTER COLUMN ... TYPE``)."""
        return self.column_type(table, column)

    def null_clause(self, column: Column) -> str:
        return "" if column.nullable else "NOT NULL"

    def default_text(self, column: Column) -> str:
        from fastapp.schema.normalize import is_simple_default

        text = column.default or ""
        if self.parenthesize_default_expressions and not is_simple_default(self.dialect_name, text):
            return f"({text})"
        return text

    def column_suffix(self, table: Table | None, column: Column) -> list[str]:
        """Clauses after the default (AUTO_INCREMENT, inline comments, ...)."""
        return []

    # -- tables ---------------------------------------------------------------------------
    def primary_key_clause(self, table: Table) -> str | None:
        if table.primary_key is None:
            return None
        return f"{self._name(table.primary_key.name)}PRIMARY KEY ({self.columns_list(table.primary_key.columns)})"

    def unique_clause(self, table: Table, unique: UniqueConstraint) -> str:
        return f"{self._name(unique.name)}UNIQUE ({self.columns_list(unique.columns)})"

    def foreign_key_clause(self, fk: ForeignKey) -> str:
        text = (
            f"{self._name(fk.name)}FOREIGN KEY ({self.columns_list(fk.columns)}) "
            f"REFERENCES {self.quote_qualified(fk.ref_table)} ({self.columns_list(fk.ref_columns)})"
        )
        if fk.on_delete != "NO ACTION":
            text += f" ON DELETE {fk.on_delete}"
        if fk.on_update != "NO ACTION":
            text += f" ON UPDATE {fk.on_update}"
        return text

    def check_clause(self, expression: str, name: str | None) -> str:
        return f"{self._name(name)}CHECK ({expression})"

    def check_constraint_clause(self, check: CheckConstraint) -> str:
        """A check constraint with its options (PostgreSQL ``NO INHERIT``)."""
        return self.check_clause(check.expression, check.name)

    def exclusion_clause(self, exclusion: ExclusionConstraint) -> str:
        return f"{self._name(exclusion.name)}{exclusion.definition}"

    def table_options(self, table: Table) -> str:
        """Text after the closing parenthesis of CREATE TABLE."""
        return ""

    def _name(self, name: str | None) -> str:
        return f"CONSTRAINT {self.quote(name)} " if name else ""

    def create_table(self, table: Table, deferred: Iterable[ForeignKey] = ()) -> str:
        """CREATE TABLE with columns and inline primary key, uniques, checks and foreign keys
        (those in ``deferred`` left out, to be added by :meth:`add_foreign_key`). Raises
        :class:`UnsupportedClauseError` for a table with a clause the Schema cannot carry (it
        would be created without it), or with a clause this dialect cannot write."""
        self.refuse_unexpressible_table(table)
        skip = set(deferred)
        lines = [self.column_definition(table, c) for c in table.columns]
        pk = self.primary_key_clause(table)
        if pk:
            lines.append(pk)
        lines.extend(self.unique_clause(table, u) for u in table.uniques)
        lines.extend(self.check_constraint_clause(c) for c in table.checks)
        lines.extend(self.foreign_key_clause(fk) for fk in table.foreign_keys if fk not in skip)
        lines.extend(self.exclusion_clause(x) for x in table.exclusions)
        lines.extend(self.inline_indexes(table))
        body = (",\n" + INDENT).join(lines)
        return (
            f"CREATE TABLE {self.quote(table.name)} (\n{INDENT}{body}\n){self.table_options(table)}"
        )

    def inline_indexes(self, table: Table) -> list[str]:
        return []

    def drop_table(self, table: Table) -> str:
        return f"DROP TABLE {self.quote(table.name)}"

    # -- indexes --------------------------------------------------------------------------
    def index_name(self, table: Table, index: Index) -> str:
        """The index's own name, else the one :mod:`fastapp.sql.naming` gives it."""
        return naming.object_name(
            self.dialect_name, naming.INDEX, table.name, index.columns, index.name
        )

    def index_column(self, index: Index, position: int) -> str:
        column = index.columns[position]
        is_expression = index.expressions and index.expressions[position]
        text = f"({column})" if is_expression else self.quote(column)
        if index.lengths and index.lengths[position]:
            text += f"({index.lengths[position]})"
        if index.orders and index.orders[position]:
            text += f" {index.orders[position]}"
        return text

    def index_columns(self, index: Index) -> str:
        return ", ".join(self.index_column(index, i) for i in range(len(index.columns)))

    def create_index(self, table: Table, index: Index) -> str:
        unique = "UNIQUE " if index.unique else ""
        text = (
            f"CREATE {unique}INDEX {self.quote(self.index_name(table, index))} "
            f"ON {self.quote(table.name)} ({self.index_columns(index)})"
        )
        if index.where:
            text += f" WHERE {index.where}"
        return text

    def drop_index(self, table: Table, index: Index) -> str:
        return f"DROP INDEX {self.quote(self.index_name(table, index))}"

    # -- foreign keys, comments -----------------------------------------------------------
    def add_foreign_key(self, table: Table, fk: ForeignKey) -> str:
        return f"ALTER TABLE {self.quote(table.name)} ADD {self.foreign_key_clause(fk)}"

    def drop_foreign_key(self, table: Table, fk: ForeignKey) -> str:
        return f"ALTER TABLE {self.quote(table.name)} DROP CONSTRAINT {self.quote(fk.name or '')}"

    def comment_statements_for(self, table: Table) -> list[str]:
        return []

    def table_statements(self, table: Table, deferred: Iterable[ForeignKey] = ()) -> list[str]:
        """CREATE TABLE, its indexes and comments."""
        statements = [self.create_table(table, deferred)]
        statements.extend(self.create_index(table, i) for i in self.separate_indexes(table))
        statements.extend(self.comment_statements_for(table))
        return statements

    def separate_indexes(self, table: Table) -> tuple[Index, ...]:
        return table.indexes

    def preamble(self, schema: Schema) -> list[str]:
        """Statements before the tables (extensions, enum types)."""
        return []

    # -- whole schema ---------------------------------------------------------------------
    def schema_script(self, schema: Schema) -> str:
        """The whole schema as a script: deterministic, in foreign-key order."""
        order, deferred = creation_order(schema.tables, self.supports_add_foreign_key)
        blocks = [f"-- fastapp export_schema: {schema.dialect}, {len(schema.tables)} table(s)"]
        preamble = self.preamble(schema)
        if preamble:
            blocks.append("\n".join(s + ";" for s in preamble))
        for table in order:
            statements = self.table_statements(table, deferred.get(table.name, ()))
            blocks.append("\n".join(s + ";" for s in statements))
        late = [
            self.add_foreign_key(table, fk)
            for table in order
            for fk in sorted(deferred.get(table.name, ()))
        ]
        if late:
            blocks.append("\n".join(s + ";" for s in late))
        return "\n\n".join(blocks) + "\n"


#: Field of a key/check/index value -> the clause it stands for, when set.
CLAUSES: tuple[tuple[str, str], ...] = (
    ("deferrable", "DEFERRABLE"),
    ("initially_deferred", "INITIALLY DEFERRED"),
    ("nulls_not_distinct", "NULLS NOT DISTINCT"),
    ("match", "MATCH FULL"),
    ("no_inherit", "NO INHERIT"),
    ("include", "INCLUDE"),
    ("opclasses", "operator class"),
    ("collations", "COLLATE"),
    ("nulls_order", "NULLS FIRST/LAST"),
    ("storage", "WITH (storage parameters)"),
    ("comment", "COMMENT"),
    ("method", "USING (access method)"),
    ("where", "WHERE (partial index)"),
    ("lengths", "prefix length"),
)


def clauses_of(value: object) -> list[str]:
    """The optional clauses ``value`` uses, by their SQL words (``DEFERRABLE``, ``INCLUDE``)."""
    found = ["EXCLUDE"] if isinstance(value, ExclusionConstraint) else []
    for attribute, clause in CLAUSES:
        if getattr(value, attribute, None):
            found.append(clause)
    return found


def describe_object(value: object) -> str:
    """``index t_a_idx (a)``, ``unique (a, b)``, ``check (a > 0)``: for messages."""
    name = getattr(value, "name", None)
    label = f" {name}" if name else ""
    if isinstance(value, Index):
        return f"index{label} ({', '.join(value.columns)})"
    if isinstance(value, UniqueConstraint):
        return f"unique constraint{label} ({', '.join(value.columns)})"
    if isinstance(value, PrimaryKey):
        return f"primary key{label} ({', '.join(value.columns)})"
    if isinstance(value, ForeignKey):
        return f"foreign key{label} ({', '.join(value.columns)}) -> {value.ref_table}"
    if isinstance(value, CheckConstraint):
        return f"check constraint{label} ({value.expression})"
    if isinstance(value, ExclusionConstraint):
        return f"exclusion constraint{label} ({value.definition})"
    return type(value).__name__
