"""Dumper registry: one catalog reader per backend, looked up by dialect name.

``get_dumper("postgres").dump(raw_connection, tables=None) -> Schema`` reads a live database
through an already-open raw driver connection (asyncpg, asyncmy, aiosqlite) with a constant
number of catalog queries, whatever the table count (``dumper.queries`` counts them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapp.db.dialects import dialect_module

if TYPE_CHECKING:
    from fastapp.db.dumpers.base import Dumper


def get_dumper(dialect_name: str, **options: Any) -> Dumper:
    """A new dumper for ``dialect_name``.

    Options: ``namespace`` (the PostgreSQL schema to read, default ``public``; ignored where
    the database is the namespace), ``on_warning`` (called with each warning line, e.g. an
    unknown column type kept verbatim; warnings are also collected in ``dumper.warnings``).
    The dumper only reads, on the one connection it is given, so it also sees uncommitted
    work of that connection (a scratch schema created inside an open transaction).
    """
    return dialect_module(__name__, dialect_name, "schema dumper").Dumper(**options)
