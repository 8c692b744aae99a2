"""Python names from database names: classes, attributes, enum members, related names.

Every function here is pure and deterministic; :class:`NameSpace` hands out unique names so
two tables or columns that sanitize to the same name still get distinct ones.
"""

from __future__ import annotations

import keyword
import re

#: Attributes every Tortoise model already has: a field with one of these names would shadow
#: them (``pk``, ``filter``, ``save`` ...), so such columns get another name and ``source_field``.
MODEL_ATTRIBUTES = frozenset(
    {
        "Meta",
        "all",
        "annotate",
        "bulk_create",
        "bulk_update",
        "clone",
        "construct",
        "create",
        "delete",
        "describe",
        "earliest",
        "exclude",
        "exists",
        "fetch_for_list",
        "fetch_related",
        "filter",
        "first",
        "get",
        "get_or_create",
        "get_or_none",
        "get_table",
        "in_bulk",
        "last",
        "latest",
        "pk",
        "raw",
        "refresh_from_db",
        "register_listener",
        "save",
        "select_for_update",
        "update_from_dict",
        "update_or_create",
    }
)
#: Names the generated module itself binds at top level.
MODULE_NAMES = frozenset(
    {"Model", "fields", "Enum", "StrEnum", "Decimal", "Now", "SqlDefault", "Index"}
)

_NON_WORD = re.compile(r"\W+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _words(name: str) -> list[str]:
    return [w for w in _NON_WORD.sub(" ", _CAMEL_BOUNDARY.sub(" ", name)).replace("_", " ").split()]


def class_name(table: str) -> str:
    """``blog_post`` -> ``BlogPost``; ``2fa codes`` -> ``T2faCodes``."""
    name = "".join(w[:1].upper() + w[1:] for w in _words(table)) or "Table"
    if name[0].isdigit():
        name = "T" + name
    return name if name.isidentifier() and not keyword.iskeyword(name) else name + "_"


def snake(name: str) -> str:
    """``BlogPost`` -> ``blog_post``; ``Order Lines`` -> ``order_lines``."""
    result = "_".join(w.lower() for w in _words(name)) or "value"
    return "n_" + result if result[0].isdigit() else result


def attribute(column: str) -> str:
    """A valid, non-shadowing attribute name for ``column`` (itself when possible)."""
    if _usable(column):
        return column
    name = _NON_WORD.sub("_", column).strip("_").lower() or "field"
    if name[0].isdigit():
        name = "field_" + name
    while not _usable(name):
        name += "_"
    return name


def _usable(name: str) -> bool:
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith("_")
        and name not in MODEL_ATTRIBUTES
        and name not in MODULE_NAMES
    )


def strip_id(column: str) -> str:
    """The relation name of a foreign-key column: ``author_id`` -> ``author``."""
    for suffix in ("_id", "_ID", "Id", "ID"):
        if column.endswith(suffix) and len(column) > len(suffix):
            return column[: -len(suffix)].rstrip("_") or column
    return column


def plural(name: str) -> str:
    """English-ish plural for reverse names; a name that already looks plural is kept."""
    if name.endswith("s") and not name.endswith(("ss", "us", "is")):
        return name
    if name.endswith(("s", "x", "z", "ch", "sh")):
        return name + "es"
    if name.endswith("y") and len(name) > 1 and name[-2] not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


def enum_member(label: str) -> str:
    """An enum member name for ``label``: ``in progress`` -> ``IN_PROGRESS``."""
    name = _NON_WORD.sub("_", label).strip("_").upper()
    if not name:
        return "EMPTY" if label == "" else "VALUE"
    if name[0].isdigit():
        name = "V_" + name
    return name if name.isidentifier() else "VALUE"


class NameSpace:
    """Hands out names unique within one scope, in request order: ``x``, ``x_2``, ``x_3``."""

    def __init__(self, taken: set[str] | frozenset[str] = frozenset()) -> None:
        self.taken = set(taken)

    def claim(self, name: str, also: tuple[str, ...] = ()) -> str:
        """Reserve ``name`` (or the first free ``name_N``); ``also`` are suffixes that must be
        free as well (``_id`` for a foreign key, which adds that attribute too)."""
        candidate, n = name, 1
        while candidate in self.taken or any(candidate + s in self.taken for s in also):
            n += 1
            candidate = f"{name}_{n}"
        self.taken.add(candidate)
        self.taken.update(candidate + s for s in also)
        return candidate

    def __contains__(self, name: str) -> bool:
        return name in self.taken
