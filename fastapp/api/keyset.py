"""Keyset pagination: an opaque cursor over the sort keys and the primary key, and the
``WHERE`` that starts a page right after it (built from ``Q`` objects)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError
from tortoise.expressions import Q

from fastapp.api.values import BadValue, FieldKind

#: The longest cursor accepted (characters).
MAX_CURSOR = 4096


def encode_cursor(sort: Sequence[str], kinds: Sequence[FieldKind], row: Any) -> str:
    """The cursor of the page after ``row``: the sort it belongs to and ``row``'s values of
    the sort keys (last: the primary key)."""
    values = [
        TypeAdapter(kind.python_type).dump_python(getattr(row, kind.name), mode="json")
        for kind in kinds
    ]
    payload = json.dumps({"s": list(sort), "v": values}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sequence[str], kinds: Sequence[FieldKind]) -> list[Any]:
    """The key values ``cursor`` holds. Raises :class:`BadValue` when it is not one of ours
    or belongs to another sort."""
    if len(cursor) > MAX_CURSOR:
        raise BadValue("not a cursor of this listing (too long)")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise BadValue("not a cursor of this listing") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("v"), list):
        raise BadValue("not a cursor of this listing")
    if payload.get("s") != list(sort):
        raise BadValue("the cursor belongs to another sort: keep the sort of the first page")
    raw = payload["v"]
    if len(raw) != len(kinds):
        raise BadValue("not a cursor of this listing")
    values = []
    for kind, value in zip(kinds, raw, strict=True):
        if value is None:
            raise BadValue("not a cursor of this listing")
        try:
            parsed = TypeAdapter(kind.python_type).validate_python(value)
        except ValidationError:
            raise BadValue("not a cursor of this listing") from None
        if isinstance(parsed, str | int | float) and not isinstance(parsed, bool):
            parsed = kind.parse(str(parsed)) if not isinstance(parsed, str) else parsed
        values.append(parsed)
    return values


def after(keys: Sequence[tuple[str, bool]], values: Sequence[Any]) -> Q:
    """Rows after ``values`` in the order ``keys`` ((field, descending) pairs):
    ``k1 > v1 OR (k1 = v1 AND k2 > v2) OR ...``, each comparison flipped where descending.

    The OR alone hides the range from the planners (SQLite and MariaDB scan the index from
    its start); the redundant ``k1 >= v1`` in front gives them the range to seek to.
    """
    branches = []
    for i, (name, descending) in enumerate(keys):
        equal = {n: v for (n, _), v in zip(keys[:i], values[:i], strict=True)}
        step = {f"{name}__{'lt' if descending else 'gt'}": values[i]}
        branches.append(Q(**equal, **step))
    first, descending = keys[0]
    bound = Q(**{f"{first}__{'lte' if descending else 'gte'}": values[0]})
    return bound & Q(*branches, join_type="OR")
