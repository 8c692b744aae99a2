"""Scratch spaces: where the desired DDL is applied and read back with the live side's catalog reader
(Atlas's "dev database"), one strategy per backend, named by its hub (:mod:`fastapp.dialects`).

``get_scratch("postgres").read(cfg, ddl) -> Schema`` applies ``ddl`` (a
:class:`~fastapp.desired.ddl.DesiredDDL`) next to the database of ``cfg`` and leaves nothing
behind. Strategies: PostgreSQL temporary tables (a temporary schema for DDL that needs one),
a MySQL/MariaDB scratch database, an in-memory SQLite database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapp.dialects import dialect_part

if TYPE_CHECKING:
    from fastapp.desired.scratch.base import ScratchSpace


def get_scratch(dialect_name: str) -> ScratchSpace:
    """The scratch-space strategy of ``dialect_name``."""
    return dialect_part(dialect_name, "scratch", "scratch space")()
