"""Column defaults -> Tortoise field arguments: a Python literal for ``default`` and
``db_default``, ``Now()`` for the current time, else the database's own SQL kept as
``SqlDefault``. Which imports that needs is added to ``imports``.
"""

from __future__ import annotations

import re

from fastapp.reverse.specs import EnumSpec
from fastapp.reverse.specs import python_literal as _py
from fastapp.reverse.types import INTEGER_FIELDS, PARENTHESIZED_DEFAULTS, TEXT_FIELDS
from fastapp.schema.objects import Column

#: The current time as a default or ON UPDATE value.
NOW = re.compile(
    r"(CURRENT_TIMESTAMP|NOW|LOCALTIMESTAMP|GETDATE)\s*(\(\s*\d*\s*\))?", re.IGNORECASE
)
_NUMBER = re.compile(r"-?\d+(\.\d*)?([eE][-+]?\d+)?")
_TRUE = frozenset({"TRUE", "1", "'1'", "'T'", "'TRUE'", "B'1'"})
_FALSE = frozenset({"FALSE", "0", "'0'", "'F'", "'FALSE'", "B'0'"})
_SIMPLE_DEFAULT = re.compile(r"-?\d+(\.\d*)?|'(?:[^']|'')*'|[A-Za-z_]+")


def _string_literal(text: str) -> str | None:
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        body = text[1:-1]
        if body.replace("''", "").find("'") < 0:
            return body.replace("''", "'")
    return None


def field_default(
    column: Column,
    field: str,
    dialect: str,
    imports: set[tuple[str, str]],
    enum: EnumSpec | None = None,
) -> list[tuple[str, str]]:
    """The ``default``/``db_default``/``auto_now_add`` arguments of ``column``'s field of
    class ``field`` on ``dialect`` (none without a default); ``enum`` is the field's enum
    class. The imports the arguments need are added to ``imports``."""
    text = column.default
    if text is None:
        return []
    if field == "DatetimeField" and NOW.fullmatch(text.strip()):
        imports.add(("tortoise.fields", "Now"))
        return [("auto_now_add", "True"), ("db_default", "Now()")]
    value = _literal(text, field, column, imports, enum)
    keep_sql = (field == "FloatField" and value != text.strip()) or (
        # Tortoise escapes string defaults the MySQL way ('it\'s'), which other backends
        # reject: keep the database's own spelling of such literals.
        _string_literal(text.strip()) is not None and ("'" in text.strip()[1:-1] or "\\" in text)
    )
    if value is not None and not keep_sql:
        return [("default", value), ("db_default", value)]
    imports.add(("tortoise.fields", "SqlDefault"))
    sql = _py(_default_sql(dialect, text.strip()))
    if value is not None:
        return [("default", value), ("db_default", f"SqlDefault({sql})")]
    return [("db_default", f"SqlDefault({sql})")]


def _default_sql(dialect: str, text: str) -> str:
    """``text`` as Tortoise must write it after DEFAULT on this backend."""
    if dialect in PARENTHESIZED_DEFAULTS and not _SIMPLE_DEFAULT.fullmatch(text):
        return f"({text})"
    return text


def _literal(
    text: str, field: str, column: Column, imports: set[tuple[str, str]], enum: EnumSpec | None
) -> str | None:
    """The Python literal for a literal default, or None when it is an expression."""
    text = text.strip()
    string = _string_literal(text)
    if field == "BooleanField":
        upper = text.upper()
        return "True" if upper in _TRUE else "False" if upper in _FALSE else None
    if field in INTEGER_FIELDS or field == "ForeignKeyField":
        number = string if string is not None else text
        return str(int(number)) if re.fullmatch(r"-?\d+", number) else None
    if field == "FloatField":
        number = string if string is not None else text
        return repr(float(number)) if _NUMBER.fullmatch(number) else None
    if field == "DecimalField":
        number = string if string is not None else text
        if _NUMBER.fullmatch(number):
            imports.add(("decimal", "Decimal"))
            return f"Decimal({_py(number)})"
        return None
    if field in TEXT_FIELDS and string is not None:
        return _py(string)
    if enum is not None and string is not None and string in column.enum_values:
        return f"{enum.name}.{next(m for m, v in enum.members if v == string)}"
    return None
