"""Who is changing data: a context variable, set by a request's dependency, by a job, or for
a whole command by the ``fastapp`` command line (``--actor`` / ``FASTAPP_AUDIT_ACTOR``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_actor: ContextVar[str | None] = ContextVar("fastapp_audit_actor", default=None)

#: The longest actor name the audit table stores (``AuditEntry.actor``).
ACTOR_MAX_LENGTH = 150


def current_actor() -> str | None:
    """The name recorded as ``actor`` for changes made now (``None``: nobody named)."""
    return _actor.get()


@contextmanager
def actor(name: str) -> Iterator[str]:
    """Record ``name`` as the actor of the changes made inside the block::

        with actor("nightly-job"):
            await Post.filter(stale=True).update(archived=True)

    Works in sync and async code (a context variable: each task sees its own); blocks nest,
    the innermost wins. Raises :class:`ValueError` for an empty name or one longer than
    :data:`ACTOR_MAX_LENGTH` (nothing is set).
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError("audit actor: give a non-empty name, e.g. actor('nightly-job')")
    if len(name) > ACTOR_MAX_LENGTH:
        raise ValueError(
            f"audit actor {name[:20]!r}... is {len(name)} characters long: the audit log "
            f"stores at most {ACTOR_MAX_LENGTH}; give a shorter name"
        )
    token = _actor.set(name)
    try:
        yield name
    finally:
        _actor.reset(token)


def set_actor(name: str | None) -> None:
    """Name the actor for the rest of the current context (a request's task)."""
    _actor.set(name)
