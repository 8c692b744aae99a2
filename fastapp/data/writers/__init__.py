"""One bulk reader/writer per dialect, found by dialect name; shared code never branches on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapp.dialects import dialect_module

if TYPE_CHECKING:
    from fastapp.data.values import Timezones
    from fastapp.data.writers.base import BulkWriter


def writer_for(dialect_name: str, connection: Any, tz: Timezones) -> BulkWriter:
    """The bulk writer of ``dialect_name`` working on an open raw driver ``connection``."""
    return dialect_module(__name__, dialect_name, "bulk writer").Writer(connection, tz)
