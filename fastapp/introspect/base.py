"""What every catalog reader shares: query counting, warnings, the table filter, column building.

A reader reads the whole catalog of one database (or PostgreSQL schema) in a fixed number of
queries (:meth:`CatalogReader.fetch_catalog`), then builds the selected tables from those rows in
Python (:meth:`CatalogReader.build`). Rules for turning reported values into Schema values live in
:mod:`fastapp.schema.normalize`, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from fnmatch import fnmatchcase
from typing import Any, ClassVar

from fastapp.errors import SchemaError
from fastapp.schema.normalize import TypeSpec, normalize_comment, normalize_default, normalize_type
from fastapp.schema.objects import Column, Schema

Warn = Callable[[str], None]
_GLOB_CHARS = frozenset("*?[")


def match_tables(
    names: Iterable[str], patterns: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """The one table-filter rule (``export_schema --tables``, catalog readers, reverse
    generation): the names matching any of ``patterns``, sorted, and the patterns that
    matched nothing.

    A pattern selects the table of exactly its name and, when it holds ``*``, ``?`` or
    ``[``, every name it matches as a case-sensitive glob (so ``a[1]`` selects both a table
    ``a[1]`` and ``a1``). ``None`` or no patterns select every table.
    """
    names = sorted(names)
    if not patterns:
        return names, []
    chosen: set[str] = set()
    unmatched: list[str] = []
    for pattern in patterns:
        if _GLOB_CHARS & set(pattern):
            hits = [n for n in names if fnmatchcase(n, pattern) or n == pattern]
        else:
            hits = [n for n in names if n == pattern]
        if not hits:
            unmatched.append(pattern)
        chosen.update(hits)
    return sorted(chosen), unmatched


def select_tables(names: Iterable[str], patterns: Sequence[str] | None) -> list[str]:
    """The table names matching any of ``patterns`` (:func:`match_tables`), sorted.

    ``None`` (or empty) selects every table. Raises :class:`SchemaError` for a pattern that
    matches no table, naming it and a few tables that exist.
    """
    names = sorted(names)
    chosen, unmatched = match_tables(names, patterns)
    if unmatched:
        sample = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise SchemaError(
            f"table filter {unmatched[0]!r} matches no table "
            f"(tables: {sample or 'none, the database is empty'}); "
            "give exact names or glob patterns such as 'blog_*'"
        )
    return chosen


class CatalogReader:
    """Reads one backend's catalog into a :class:`Schema`.

    ``queries`` counts the catalog queries of the last :meth:`dump` (constant whatever the
    number of tables); ``warnings`` collects what was kept but not understood.
    """

    dialect_name: ClassVar[str]

    def __init__(self, *, namespace: str | None = None, on_warning: Warn | None = None) -> None:
        self.namespace = namespace
        self.on_warning = on_warning
        self.queries = 0
        self.warnings: list[str] = []
        # Columns are immutable values: identical definitions (common across tables) are
        # normalized once and shared.
        self._columns: dict[tuple, Column] = {}

    async def read(self, connection: Any, tables: Sequence[str] | None = None) -> Schema:
        """Read the schema through an open raw driver ``connection``.

        ``tables`` restricts the result to these exact names or glob patterns; a pattern
        matching nothing raises :class:`SchemaError`.
        """
        self.queries = 0
        self.warnings = []
        catalog = await self.fetch_catalog(connection)
        selected = select_tables(catalog.table_names, tables)
        return self.build(catalog, selected)

    async def fetch_catalog(self, connection: Any) -> Any:
        """Run the catalog queries; return an object with ``table_names``."""
        raise NotImplementedError

    def build(self, catalog: Any, tables: list[str]) -> Schema:
        """Build the Schema of ``tables`` from the fetched catalog rows."""
        raise NotImplementedError

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        if self.on_warning is not None:
            self.on_warning(message)

    def column(
        self,
        table: str,
        name: str,
        type_text: str,
        *,
        nullable: bool,
        default: str | None = None,
        spec: TypeSpec | None = None,
        **values: Any,
    ) -> Column:
        """A Column from reported values: type and default normalized, unknown types kept
        verbatim with a warning. ``spec`` overrides type normalization (enum types)."""
        key = (name, type_text, nullable, default, spec, tuple(values.items()))
        column = self._columns.get(key)
        if column is None:
            column = self._columns[key] = self._new_column(
                name, type_text, nullable, default, spec, dict(values)
            )
        if not column.known_type:
            self.warn(
                f"{table}.{name}: column type {type_text!r} is not in the shared vocabulary; "
                "kept verbatim"
            )
        return column

    def normalize_default(self, text: str | None) -> str | None:
        """A reported default as the Schema carries it (:func:`normalize_default`)."""
        return normalize_default(self.dialect_name, text)

    def _new_column(
        self,
        name: str,
        type_text: str,
        nullable: bool,
        default: str | None,
        spec: TypeSpec | None,
        values: dict[str, Any],
    ) -> Column:
        spec = spec or normalize_type(self.dialect_name, type_text)
        values["comment"] = normalize_comment(values.get("comment"))
        unsigned = values.pop("unsigned", False)
        enum_values = values.pop("enum_values", ())
        return Column(
            name=name,
            type=spec.type,
            length=spec.length,
            precision=spec.precision,
            scale=spec.scale,
            unsigned=spec.unsigned or unsigned,
            enum_values=spec.enum_values or tuple(enum_values),
            nullable=nullable,
            default=self.normalize_default(default),
            known_type=spec.known,
            **values,
        )
