"""One bulk reader/writer per backend, named by its hub (:mod:`fastapp.dialects`); shared code
never branches on the backend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapp.dialects import dialect_part

if TYPE_CHECKING:
    from fastapp.data.values import Timezones
    from fastapp.data.writers.base import BulkWriter


def writer_for(dialect_name: str, connection: Any, tz: Timezones) -> BulkWriter:
    """The bulk writer of ``dialect_name`` working on an open raw driver ``connection``."""
    return dialect_part(dialect_name, "bulk_writer", "bulk writer")(connection, tz)
