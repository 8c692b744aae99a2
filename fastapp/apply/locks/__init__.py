"""Lock sessions: the migration lock and the plan's transaction, one per backend, named by the
backend's hub (:mod:`fastapp.dialects`). PostgreSQL takes an advisory lock, MySQL ``GET_LOCK``,
SQLite ``BEGIN IMMEDIATE``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapp.dialects import dialect_part

if TYPE_CHECKING:
    from fastapp.apply.locks.base import LockSession
    from fastapp.connections.url import DatabaseConfig


def lock_session(cfg: DatabaseConfig, conn: Any) -> LockSession:
    """The lock session of ``cfg``'s backend on the open raw driver connection ``conn``.

    Raises :class:`~fastapp.errors.DatabaseURLError` for an unknown backend.
    """
    return dialect_part(cfg.dialect_name, "lock_session", "lock session")(cfg, conn)
