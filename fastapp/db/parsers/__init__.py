"""DDL readers: one per backend, found by dialect name like the dumpers.

``get_reader(dialect_name, source, server)`` returns a fresh
:class:`~fastapp.db.parsers.base.Reader` that collects a script's statements and predicts the
Schema that backend's dumper would read back (see :func:`fastapp.db.parsed.parse_schema`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fastapp.db.dialects import dialect_module

if TYPE_CHECKING:
    from fastapp.db.parsers.base import Reader, ServerHint


def get_reader(
    dialect_name: str, source: str, server: ServerHint | Mapping[str, Any] | None = None
) -> Reader:
    """A new reader for ``dialect_name``; ``source`` names the text in errors."""
    from fastapp.db.parsers.base import ServerHint

    hint = server if isinstance(server, ServerHint) else ServerHint.from_mapping(server or {})
    return dialect_module(__name__, dialect_name, "DDL reader").Reader(source, hint)
