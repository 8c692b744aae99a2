"""DDL writers: Schema -> SQL text, one per backend, named by its hub (:mod:`fastapp.dialects`).

``get_ddl("postgres").schema_script(schema)`` renders a whole schema (deterministic, in
foreign-key order, cycles broken with ``ALTER TABLE ... ADD CONSTRAINT``); the per-object
methods (``column_definition``, ``create_table``, ``create_index``, ``add_foreign_key``,
``drop_*``) return one statement each, without the trailing semicolon.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapp.dialects import dialect_part

if TYPE_CHECKING:
    from fastapp.sql.ddl.base import DDL

_cache: dict[str, DDL] = {}


def get_ddl(dialect_name: str) -> DDL:
    """The DDL writer of ``dialect_name`` (``postgres``, ``mysql``, ``sqlite``); one shared
    instance per backend (DDL writers keep no state)."""
    if dialect_name not in _cache:
        _cache[dialect_name] = dialect_part(dialect_name, "ddl_writer", "DDL renderer")()
    return _cache[dialect_name]
