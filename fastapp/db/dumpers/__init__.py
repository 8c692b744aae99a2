"""Dumper registry: one catalog reader per backend, looked up by dialect name.

``get_dumper("postgres").dump(raw_connection, tables=None) -> Schema`` reads a live database
through an already-open raw driver connection (asyncpg, asyncmy, aiosqlite) with a constant
number of catalog queries, whatever the table count (``dumper.queries`` counts them).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fastapp.errors import DatabaseURLError

if TYPE_CHECKING:
    from fastapp.db.dumpers.base import Dumper

_MODULES = {
    "postgres": "fastapp.db.dumpers.postgres",
    "mysql": "fastapp.db.dumpers.mysql",
    "sqlite": "fastapp.db.dumpers.sqlite",
}


def get_dumper(dialect_name: str, **options: Any) -> Dumper:
    """A new dumper for ``dialect_name``.

    Options: ``namespace`` (the PostgreSQL schema to read, default ``public``; ignored where
    the database is the namespace), ``on_warning`` (called with each warning line, e.g. an
    unknown column type kept verbatim; warnings are also collected in ``dumper.warnings``).
    The dumper only reads, on the one connection it is given, so it also sees uncommitted
    work of that connection (a scratch schema created inside an open transaction).
    """
    if dialect_name not in _MODULES:
        raise DatabaseURLError(
            f"no schema dumper for backend {dialect_name!r}: use one of {', '.join(_MODULES)}"
        )
    return importlib.import_module(_MODULES[dialect_name]).Dumper(**options)
