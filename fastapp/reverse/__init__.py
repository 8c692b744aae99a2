"""Reverse generation: an existing database's tables -> one module of Tortoise models.

The input is the abstract :class:`~fastapp.schema.objects.Schema` (read by the SchemaExporter), so
the three backends share one generator; dialect differences live as data in
:mod:`fastapp.reverse.types`. :func:`generate_models` is pure; :func:`reverse_generation`
reads the live schema first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from fastapp.errors import SchemaError

if TYPE_CHECKING:
    from fastapp.connections.url import DatabaseConfig
    from fastapp.schema.objects import Schema

DEFAULT_APP = "models"


@dataclass(frozen=True)
class GeneratedModels:
    """The generated module and what the caller should tell the user about it."""

    source: str
    #: Tables rendered as model classes, in module order.
    models: tuple[str, ...]
    #: Join tables rendered as ManyToManyField instead of a class.
    join_tables: tuple[str, ...]
    #: Tables included only because a selected table references them.
    added: tuple[str, ...]
    #: Number of ``# TODO`` comments (things Tortoise cannot express).
    todos: int
    #: What the schema reader kept but could not represent (say, MySQL ``ON UPDATE``), then
    #: one line per object whose clause the module does not carry (``table: object: clause``,
    #: each also a ``# TODO`` in the source).
    warnings: tuple[str, ...] = ()


def select_tables(schema: Schema, patterns: Sequence[str]) -> list[str]:
    """Table names matching ``patterns`` by the one table-filter rule
    (:func:`fastapp.introspect.base.match_tables`), sorted; all tables when empty.

    Raises :class:`SchemaError` naming a pattern that matches nothing.
    """
    from fastapp.introspect.base import match_tables

    names = list(schema.table_names)
    chosen, unmatched = match_tables(names, patterns)
    if unmatched:
        known = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "") or "none"
        raise SchemaError(
            f"no table {unmatched[0]!r} in the database (tables: {known}); "
            "run `fastapp reverse_generation` without arguments to list them"
        )
    return chosen


def app_label_for(output: str | PurePath, installed_apps: Sequence[str] = ()) -> tuple[str, str]:
    """The app label for a module written to ``output``, and where it came from.

    The installed app whose models module the file is (``shop/models.py`` or
    ``src/proj/shop/models.py`` for ``proj.shop``; the most specific wins), else the folder
    holding it (``shop/models.py`` and ``shop/models/catalog.py`` give ``shop``), else
    Tortoise's default label ``models``. Returns ``(label, origin)`` with origin
    ``"INSTALLED_APPS"``, ``"the output path"`` or ``"the default"``.
    """
    parts = [p for p in PurePath(output).with_suffix("").parts if p not in ("/", "__init__")]
    found = [
        package for package in installed_apps if _contains([*package.split("."), "models"], parts)
    ]
    if found:
        return max(found, key=lambda p: p.count(".")).rsplit(".", 1)[-1], "INSTALLED_APPS"
    folders = parts[:-1]
    if "models" in folders:
        folders = folders[: folders.index("models")]
    if folders and folders[-1].isidentifier():
        return folders[-1], "the output path"
    return DEFAULT_APP, "the default"


def _contains(run: list[str], parts: list[str]) -> bool:
    return any(parts[i : i + len(run)] == run for i in range(len(parts) - len(run) + 1))


def check_db_schema(dialect: str, db_schema: str | None) -> None:
    """Raise :class:`SchemaError` when a schema name is given for a backend without schemas."""
    from fastapp.reverse.types import SCHEMA_DIALECTS

    if db_schema and dialect not in SCHEMA_DIALECTS:
        raise SchemaError(
            f"--schema {db_schema!r} does not apply to {dialect}: the database is the "
            "namespace there; drop --schema"
        )


def generate_models(
    schema: Schema,
    tables: Sequence[str] = (),
    *,
    app: str = DEFAULT_APP,
    header: str | None = None,
    db_schema: str | None = None,
) -> GeneratedModels:
    """Render model source for ``tables`` of ``schema`` (all tables when empty).

    Tables the selection references are added, so the module always imports. ``app`` is the
    label used in relation references (``"app.Model"``); ``db_schema`` (a PostgreSQL schema
    other than the default) goes into every model's ``Meta.schema``. Raises
    :class:`SchemaError` for an unknown table or an app label that is not an identifier; never
    for an unusual type.
    """
    from fastapp.reverse.model import build_module
    from fastapp.reverse.source import render_module
    from fastapp.reverse.tables import with_references

    check_db_schema(schema.dialect, db_schema)
    if not app.isidentifier():
        raise SchemaError(f"--app {app!r} is not a valid app label: use a Python identifier")
    names, added = with_references(schema, select_tables(schema, tables))
    module = build_module(schema, names, app, added, db_schema)
    title = header or f"Tortoise models for the {schema.dialect} tables of app {app!r}."
    return GeneratedModels(
        source=render_module(module, title),
        models=tuple(m.table.name for m in module.models),
        join_tables=module.join_tables,
        added=module.added,
        todos=module.todos,
        warnings=module.warnings,
    )


async def list_tables(cfg: DatabaseConfig, pg_schema: str | None = None) -> list[str]:
    """The tables of ``cfg``'s database (or of PostgreSQL schema ``pg_schema``), sorted."""
    from fastapp.connections.raw import raw_connection

    if pg_schema:
        from fastapp.introspect.exporter import read_schema

        return list((await read_schema(cfg, pg_schema=pg_schema)).table_names)

    async with raw_connection(cfg) as conn:
        return sorted(await cfg.dialect.fetch_scalar_list(conn, cfg.dialect.list_tables_sql))


async def reverse_generation(
    cfg: DatabaseConfig,
    tables: Sequence[str] = (),
    *,
    app: str = DEFAULT_APP,
    pg_schema: str | None = None,
) -> GeneratedModels:
    """Read ``cfg``'s schema (PostgreSQL: ``pg_schema``, default ``public``) and generate
    models for ``tables`` (all when empty).

    Raises :class:`DatabaseUnavailableError` when the database cannot be reached and
    :class:`SchemaError` for a table or schema that does not exist.
    """
    from dataclasses import replace

    from fastapp.introspect.exporter import read_schema

    warnings: list[str] = []
    schema = await read_schema(cfg, pg_schema=pg_schema or "public", on_warning=warnings.append)
    where = f"{cfg.url()}, schema {pg_schema}" if pg_schema else cfg.url()
    generated = generate_models(
        schema,
        tables,
        app=app,
        header=f"Tortoise models for {where} (app {app!r}).",
        db_schema=pg_schema,
    )
    shown = set(generated.models) | set(generated.join_tables)
    read = tuple(w for w in warnings if _about(w, shown, schema))
    # Views, functions...: no model is generated for them; said, not silently skipped.
    skipped = () if tables else tuple(f"{x.describe()}: no model generated" for x in schema.objects)
    return replace(generated, warnings=read + skipped + generated.warnings)


def _about(warning: str, shown: set[str], schema: Schema) -> bool:
    """Whether a reader warning concerns the generated tables (or no table in particular)."""
    subject = [t for t in schema.table_names if warning.startswith((f"{t}.", f"{t}:"))]
    return not subject or any(t in shown for t in subject)
