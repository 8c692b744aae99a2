"""Catalog readers: one per backend, named by its hub (:mod:`fastapp.dialects`).

``get_catalog_reader("postgres").read(raw_connection, tables=None) -> Schema`` reads a live database
through an already-open raw driver connection (asyncpg, asyncmy, aiosqlite) with a constant
number of catalog queries, whatever the table count (``reader.queries`` counts them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapp.dialects import dialect_part

if TYPE_CHECKING:
    from fastapp.introspect.base import CatalogReader


def get_catalog_reader(dialect_name: str, **options: Any) -> CatalogReader:
    """A new catalog reader for ``dialect_name``.

    Options: ``namespace`` (the PostgreSQL schema to read, default ``public``; ignored where
    the database is the namespace), ``on_warning`` (called with each warning line, e.g. an
    unknown column type kept verbatim; warnings are also collected in ``reader.warnings``).
    The catalog reader only reads, on the one connection it is given, so it also sees uncommitted
    work of that connection (a scratch schema created inside an open transaction).
    """
    return dialect_part(dialect_name, "catalog_reader", "schema reader")(**options)
