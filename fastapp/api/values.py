"""Query-string values read by a model field's type, and the operators each type allows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

#: Operators by name -> the Tortoise lookup suffix ("" for equality).
OPERATORS = {
    "eq": "",
    "ne": "__not",
    "lt": "__lt",
    "lte": "__lte",
    "gt": "__gt",
    "gte": "__gte",
    "in": "__in",
    "contains": "__contains",
    "icontains": "__icontains",
    "startswith": "__startswith",
    "istartswith": "__istartswith",
    "endswith": "__endswith",
    "iendswith": "__iendswith",
    "isnull": "__isnull",
}
TEXT_OPERATORS = frozenset(
    {"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}
)
ORDERED_OPERATORS = frozenset({"lt", "lte", "gt", "gte"})
#: The longest text value accepted (a filter or a search term), and the most ``in`` values.
MAX_TEXT = 1000
MAX_IN_VALUES = 100


class BadValue(ValueError):
    """A query value that does not fit the field; the message says why."""


@dataclass(frozen=True)
class FieldKind:
    """What a filterable/sortable field holds, as far as query parameters are concerned."""

    name: str
    python_type: Any
    is_text: bool
    is_enum: bool
    nullable: bool
    ge: int | None = None
    le: int | None = None
    max_digits: int | None = None
    decimal_places: int | None = None

    def operators(self) -> frozenset[str]:
        allowed = {"eq", "ne", "in"}
        if not self.is_enum and self.python_type is not bool:
            allowed |= ORDERED_OPERATORS
        if self.is_text and not self.is_enum:
            allowed |= TEXT_OPERATORS
        if self.nullable:
            allowed.add("isnull")
        return frozenset(allowed)

    def parse(self, raw: str) -> Any:
        """``raw`` (one query value) as the field's Python value. Raises :class:`BadValue`."""
        if "\x00" in raw:
            raise BadValue("a NUL character is not allowed")
        if self.is_text and not self.is_enum:
            if len(raw) > MAX_TEXT:
                raise BadValue(f"longer than {MAX_TEXT} characters")
            return raw
        try:
            value = _adapter(self.python_type).validate_strings(raw.strip())
        except ValidationError as exc:
            raise BadValue(_reason(exc, self.python_type)) from None
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            if (self.ge is not None and value < self.ge) or (
                self.le is not None and value > self.le
            ):
                raise BadValue(f"out of range ({self.ge} to {self.le})")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise BadValue("must be a finite number")
        elif isinstance(value, Decimal):
            value = self._decimal(value)
        return value

    def _decimal(self, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise BadValue("must be a finite number")
        if self.max_digits is not None:
            integer_digits = self.max_digits - (self.decimal_places or 0)
            try:
                whole = abs(value).to_integral_value()
            except InvalidOperation:
                raise BadValue("out of range") from None
            if whole and whole.adjusted() + 1 > integer_digits:
                raise BadValue(f"out of range (at most {integer_digits} digits before the point)")
        if value.as_tuple().exponent < -30:  # type: ignore[operator]
            raise BadValue("too many decimal places")
        return value


def parse_bool(raw: str) -> bool:
    try:
        return _adapter(bool).validate_strings(raw.strip())
    except ValidationError:
        raise BadValue("must be true or false") from None


@cache
def _adapter(python_type: Any) -> TypeAdapter:
    return TypeAdapter(python_type)


def _reason(exc: ValidationError, python_type: Any) -> str:
    name = getattr(python_type, "__name__", str(python_type))
    if isinstance(python_type, type) and issubclass(python_type, Enum):
        choices = ", ".join(str(m.value) for m in python_type)
        return f"must be one of {choices}"
    first = exc.errors()[0].get("msg", "invalid") if exc.errors() else "invalid"
    return f"not a valid {name}: {first}"


def field_kind(model: Any, name: str) -> FieldKind | None:
    """The kind of ``model``'s column field ``name``; None when it is no such field (a
    relation, a JSON or binary field, or no field at all)."""
    field = model._meta.fields_map.get(name)
    if field is None or name not in model._meta.db_fields:
        return None
    enum_type = getattr(field, "enum_type", None)
    python_type = enum_type or getattr(field, "field_type", None)
    if (
        python_type is None
        or python_type in (dict, list, bytes)
        or not isinstance(python_type, type)
    ):
        return None
    constraints = getattr(field, "constraints", {}) or {}
    return FieldKind(
        name=name,
        python_type=python_type,
        is_text=issubclass(python_type, str),
        is_enum=enum_type is not None,
        nullable=bool(getattr(field, "null", False)),
        ge=constraints.get("ge"),
        le=constraints.get("le"),
        max_digits=getattr(field, "max_digits", None),
        decimal_places=getattr(field, "decimal_places", None),
    )
