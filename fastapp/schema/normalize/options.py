"""What "nothing said" looks like for the options of keys, indexes and comments: the default
foreign-key action, the default index method, all-ascending plain-column indexes, no comment.
How a backend's catalog spells actions, and which it treats as the same, are its facts
(``fk_action_codes`` and ``fk_action_equivalents`` on its hub in :mod:`fastapp.dialects`)."""

from __future__ import annotations

from fastapp.schema.objects import FK_ACTIONS

#: Index methods that are the backend default and therefore not worth distinguishing.
_DEFAULT_INDEX_METHODS = frozenset({"btree"})


def normalize_fk_action(action: str | None, dialect: str | None = None) -> str:
    """``ON DELETE``/``ON UPDATE`` action in the spelling of :data:`FK_ACTIONS`.

    Accepts words in any case and spacing (``set null``, ``SET_NULL``) and the codes of
    ``dialect``'s catalog (PostgreSQL's one letter); nothing means ``NO ACTION``; actions
    ``dialect`` treats as equivalent collapse onto one spelling.
    """
    if not action:
        return "NO ACTION"
    facts = None
    if dialect:
        from fastapp.dialects import get_dialect

        facts = get_dialect(dialect)
    words = facts.fk_action_codes.get(action) if facts else None
    if words is None:
        words = " ".join(action.replace("_", " ").upper().split())
    if facts:
        words = facts.fk_action_equivalents.get(words, words)
    return words if words in FK_ACTIONS else "NO ACTION"


def normalize_index_method(method: str | None) -> str | None:
    """Index method, lowercase; the default (btree) is ``None`` so it compares equal to unsaid."""
    if not method:
        return None
    method = method.lower()
    return None if method in _DEFAULT_INDEX_METHODS else method


def index_shape(
    orders: list[str | None] | tuple[str | None, ...],
    expressions: list[bool] | tuple[bool, ...],
) -> tuple[tuple[str | None, ...], tuple[bool, ...]]:
    """``Index.orders`` and ``Index.expressions``: empty when all ascending / all plain columns."""
    normalized = tuple("DESC" if o and o.upper().startswith("DESC") else None for o in orders)
    flags = tuple(bool(e) for e in expressions)
    return (normalized if any(normalized) else (), flags if any(flags) else ())


def normalize_comment(comment: str | None) -> str | None:
    """Comments: empty means none (MySQL reports ``''`` for no comment)."""
    return comment or None
