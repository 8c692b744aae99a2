"""Names for the indexes and constraints a schema leaves unnamed: one rule for all SQL text.

The DDL writer (``export_schema``) and the plan renderer (``auto_migrate``) both name an
unnamed object here, so the same object gets the same name whichever path creates it.

The rule is PostgreSQL's own convention, ``<table>_<column>..._<kind>`` with the kinds
``idx`` (index, unique or not), ``key`` (unique constraint), ``fkey`` and ``check``:

* a part that is not an identifier (the expression of an expression index, a column named
  ``2fa``) is not spelled out; one 8-digit hash of those parts stands in for them, so two
  expression indexes of one table do not get the same name;
* a check constraint is named after a hash of its expression (``<table>_<hash>_check``);
* a name longer than the dialect's identifier limit (``Dialect.identifier_limit``: PostgreSQL
  63 bytes of UTF-8, MySQL 64 characters, SQLite none) is cut at a character boundary and
  ends with ``_`` and 8 hex digits of the SHA-1 of the whole name, so it fits, stays the
  same run to run, and differs from other long names with the same beginning.

The server would otherwise truncate (PostgreSQL, silently) or refuse (MySQL) a longer name,
and the statements of a plan would depend on names the server makes up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from fastapp.dialects import get_dialect

INDEX, UNIQUE, FOREIGN_KEY, CHECK = "idx", "key", "fkey", "check"
_DIGITS = 8


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:_DIGITS]


def fit(name: str, limit: tuple[int, str] | None) -> str:
    """``name`` cut to ``limit`` (``(size, "bytes" | "characters")``; None: no limit).

    A name within the limit is returned as it is; a longer one is cut and ends with ``_``
    and a hash of the whole name.
    """
    if limit is None:
        return name
    size, unit = limit
    if unit == "bytes":
        encoded = name.encode()
        if len(encoded) <= size:
            return name
        head = encoded[: size - _DIGITS - 1].decode(errors="ignore")
    else:
        if len(name) <= size:
            return name
        head = name[: size - _DIGITS - 1]
    return f"{head}_{_digest(name)}"


def generated_name(dialect_name: str, kind: str, table: str, parts: Sequence[str]) -> str:
    """The name of an unnamed ``kind`` object of ``table`` over ``parts`` (column names or
    index expressions), within ``dialect_name``'s identifier limit."""
    readable = [p for p in parts if p.isidentifier()]
    hidden = [p for p in parts if not p.isidentifier()]
    if hidden:
        readable.append(_digest("\n".join(hidden)))
    raw = "_".join([table, *readable, kind])
    return fit(raw, get_dialect(dialect_name).identifier_limit)


def object_name(
    dialect_name: str, kind: str, table: str, parts: Sequence[str], given: str | None
) -> str:
    """``given`` when the schema names the object, else :func:`generated_name`."""
    return given or generated_name(dialect_name, kind, table, parts)


def check_name(dialect_name: str, table: str, expression: str, given: str | None) -> str:
    """``given`` when the schema names the check, else ``<table>_<hash of expression>_check``
    within ``dialect_name``'s identifier limit."""
    if given:
        return given
    raw = f"{table}_{_digest(expression)}_{CHECK}"
    return fit(raw, get_dialect(dialect_name).identifier_limit)
