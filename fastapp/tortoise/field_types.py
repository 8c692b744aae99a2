"""``Field.get_db_field_types`` without its per-call ``dir()``, for comparing model states.

Tortoise's migration autodetector compares fields by ``field.describe()``, and most of that
time is ``get_db_field_types``: a ``dir(field)`` (every attribute along the class hierarchy,
sorted) and a lookup per ``_db_<dialect>`` class found there, for every field of both states
(~70 % of a no-op ``makemigrations --check`` on 1,000 models). What ``dir`` finds, and the
dialect types that are plain class constants, depend only on the field's class; they are
worked out once per class here. Per field only what can differ remains: ``SQL_TYPE`` itself
and the dialect types that are properties of the field (``CharField``'s ``VARCHAR(n)``).

The result is the same dictionary, in the same order. A class this cannot reason about (its
own ``__dir__``, a ``_db_*`` that is not a plain class, a dialect type that is neither a
string nor a property) and a field with ``_db_*`` attributes of its own go to Tortoise's
method. :func:`fast_field_types` puts the replacement on ``Field`` while open (nested opens
allowed); subclasses that override the method keep theirs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_PREFIX = "_db_"
_MARK = "\0" + _PREFIX
_lock = threading.Lock()
_depth = 0
_original: Any = None
#: class -> ((dialect, constant SQL_TYPE | None, dialect class | None), ...) or None
_plans: dict[type, tuple[tuple[str, Any, Any], ...] | None] = {}


def _plan(cls: type) -> tuple[tuple[str, Any, Any], ...] | None:
    """Per ``_db_`` dialect of ``cls`` (in ``dir`` order): its constant type, or the dialect
    class whose ``SQL_TYPE`` property needs the field; ``None``: use Tortoise's method."""
    if cls in _plans:
        return _plans[cls]
    plan: list[tuple[str, Any, Any]] | None = []
    if cls.__dir__ is not object.__dir__:
        plan = None
    else:
        for key in dir(cls):
            if not key.startswith(_PREFIX):
                continue
            holder = getattr(cls, key)
            if not isinstance(holder, type):
                plan = None
                break
            value = getattr(holder, "SQL_TYPE", _PREFIX)  # the prefix: "not there"
            if value is _PREFIX:
                continue  # falls back to the field's own SQL_TYPE: equal to the default
            if isinstance(value, property):
                plan.append((key[len(_PREFIX) :], None, holder))
            elif isinstance(value, str):
                plan.append((key[len(_PREFIX) :], value, None))
            else:
                plan = None
                break
    _plans[cls] = tuple(plan) if plan is not None else None
    return _plans[cls]


def _get_db_field_types(self: Any) -> dict[str, str] | None:
    plan = _plan(type(self))
    # One C-level join and search: a Python loop over the instance's keys cost as much as
    # the dir() this replaces.
    if plan is None or _MARK in "\0" + "\0".join(getattr(self, "__dict__", ())):
        return _original(self)
    if not self.has_db_field:  # pragma: no cover - as Tortoise's
        return None
    default = self.SQL_TYPE
    types = {"": default}
    for dialect, constant, holder in plan:
        value = constant if holder is None else holder(self).SQL_TYPE
        if value != default:
            types[dialect] = value
    return types


@contextmanager
def fast_field_types() -> Iterator[None]:
    """While open, ``Field.get_db_field_types`` is the per-class version above."""
    global _depth, _original
    from tortoise.fields.base import Field

    with _lock:
        if _depth == 0:
            _original = Field.__dict__["get_db_field_types"]
            Field.get_db_field_types = _get_db_field_types  # type: ignore[method-assign]
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                Field.get_db_field_types = _original  # type: ignore[method-assign]
                _original = None
                _plans.clear()
