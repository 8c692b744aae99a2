"""DDL renderers: Schema -> SQL text, one module per dialect, found through a registry.

``get_ddl("postgres").schema_script(schema)`` renders a whole schema (deterministic, in
foreign-key order, cycles broken with ``ALTER TABLE ... ADD CONSTRAINT``); the per-object
methods (``column_definition``, ``create_table``, ``create_index``, ``add_foreign_key``,
``drop_*``) return one statement each, without the trailing semicolon.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapp.dialects import dialect_module

if TYPE_CHECKING:
    from fastapp.sql.ddl.base import DDL

_cache: dict[str, DDL] = {}


def get_ddl(dialect_name: str) -> DDL:
    """The DDL renderer of ``dialect_name`` (``postgres``, ``mysql``, ``sqlite``)."""
    if dialect_name not in _cache:
        _cache[dialect_name] = dialect_module(__name__, dialect_name, "DDL renderer").ddl
    return _cache[dialect_name]
