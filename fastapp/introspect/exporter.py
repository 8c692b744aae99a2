"""SchemaExporter: read a live database into a Schema, and render it as DDL or JSON.

The public entry points others build on:

* :func:`read_schema` -- ``await read_schema(cfg, tables=None, pg_schema="public") -> Schema``
  for a :class:`~fastapp.connections.url.DatabaseConfig` (opens and closes its own raw connection);
* ``fastapp.introspect.get_catalog_reader(dialect).read(raw_connection, tables=None)`` for an
  already-open driver connection (scratch "dev databases");
* :class:`SchemaExporter` for ``fastapp export_schema``: the same read, then text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fastapp.errors import FastappError

if TYPE_CHECKING:
    from fastapp.connections.url import DatabaseConfig
    from fastapp.schema.objects import Schema

FORMATS = ("sql", "json")


async def read_schema(
    cfg: DatabaseConfig,
    tables: Sequence[str] | None = None,
    *,
    pg_schema: str = "public",
    on_warning: Callable[[str], None] | None = None,
) -> Schema:
    """The normalized Schema of ``cfg``'s database (or PostgreSQL schema ``pg_schema``).

    ``tables`` keeps only these exact names or glob patterns. Unknown column types are kept
    verbatim (``known_type=False``) and reported through ``on_warning``.

    Raises :class:`~fastapp.errors.DatabaseUnavailableError` when the server cannot be reached
    or the database does not exist, :class:`~fastapp.errors.SchemaError` when a table pattern
    matches nothing or the PostgreSQL schema does not exist.
    """
    exporter = SchemaExporter(cfg, tables=tables, pg_schema=pg_schema, on_warning=on_warning)
    return await exporter.read()


@dataclass
class SchemaExporter:
    """Reads ``cfg``'s schema with the catalog reader of its backend and renders it.

    After :meth:`read` (or :meth:`export`), ``queries`` holds the number of catalog queries
    run and ``warnings`` what was kept but not understood.
    """

    cfg: DatabaseConfig
    tables: Sequence[str] | None = None
    format: str = "sql"
    pg_schema: str = "public"
    on_warning: Callable[[str], None] | None = None
    queries: int = field(default=0, init=False)
    warnings: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise FastappError(
                f"unknown export format {self.format!r}: use one of {', '.join(FORMATS)}"
            )

    async def read(self) -> Schema:
        """Connect, run the catalog reader, close; return the Schema."""
        from fastapp.connections.raw import raw_connection
        from fastapp.introspect import get_catalog_reader

        reader = get_catalog_reader(
            self.cfg.dialect_name, namespace=self.pg_schema, on_warning=self.on_warning
        )
        try:
            async with raw_connection(self.cfg) as connection:
                schema = await reader.read(connection, self.tables or None)
        finally:
            self.queries = reader.queries
            self.warnings = list(reader.warnings)
        return schema

    def render(self, schema: Schema) -> str:
        """``schema`` as text in this exporter's format (deterministic, newline-terminated).
        The DDL script has no views, functions... (:attr:`Schema.objects`): each one left out
        is said through ``on_warning`` rather than silently omitted."""
        if self.format == "sql":
            for item in schema.objects:
                message = (
                    f"{item.describe()}: not exported (fastapp does not write "
                    f"{item.kind}s); the JSON export has its definition"
                )
                self.warnings.append(message)
                if self.on_warning is not None:
                    self.on_warning(message)
        return render(schema, self.format)

    async def export(self) -> str:
        """Read the schema and return it as text."""
        return self.render(await self.read())

    async def export_file(self, path: str | Path) -> Schema:
        """Read the schema and write it to ``path`` (only once it was read completely)."""
        schema = await self.read()
        text = self.render(schema)
        target = Path(path)
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise FastappError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from exc
        return schema


def render(schema: Schema, format: str = "sql") -> str:
    """Schema -> DDL script (``sql``) or JSON (``json``)."""
    if format == "json":
        return json.dumps(schema.to_dict(), indent=2, ensure_ascii=False) + "\n"
    from fastapp.sql.ddl import get_ddl

    return get_ddl(schema.dialect).schema_script(schema)
