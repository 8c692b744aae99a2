"""Turning model values into audit entries, written on the change's own connection."""

from __future__ import annotations

import base64
import enum
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from tortoise import fields, timezone
from tortoise.backends.base.client import BaseDBAsyncClient

from fastapp.contrib.audit.context import current_actor
from fastapp.errors import SettingsError
from fastapp.tortoise.units import deferred

_PLAIN = (str, int, float, bool, type(None))


def jsonable(value: Any) -> Any:
    """``value`` as a JSON value: dates and times in ISO 8601, decimals and UUIDs as text,
    enums by value, bytes in base64, models by pk."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    pk = getattr(getattr(value, "_meta", None), "pk_attr", None)
    if pk is not None:
        return jsonable(getattr(value, pk))
    return str(value)


def is_plain(value: Any) -> bool:
    """Whether ``value`` is a value (not an expression such as ``F("n") + 1``)."""
    return (
        isinstance(
            value,
            (*_PLAIN, enum.Enum, datetime, date, time, timedelta, Decimal, UUID, bytes, dict, list),
        )
        or getattr(getattr(value, "_meta", None), "pk_attr", None) is not None
    )


def audited_fields(model: type) -> tuple[str, ...]:
    """The field names recorded for ``model``: every column (foreign keys by their
    ``<name>_id``), sorted, less the model's ``audit_exclude``."""
    return tuple(name for name, _ in _recorded(model))


# Fields whose Python value is normalised on load (Decimal("0") -> Decimal("0.00"), naive ->
# aware datetimes): the values of a new instance go through the same conversion, so a create
# and a later load record the same text.
_NORMALISED = (fields.DecimalField, fields.DatetimeField)


def _recorded(model: type) -> tuple[tuple[str, Any], ...]:
    cached = model.__dict__.get("_audit_recorded")
    if cached is not None:
        return cached
    exclude = set(getattr(model, "audit_exclude", ()))
    fields_map = model._meta.fields_map
    found = tuple(
        (
            name,
            fields_map[name].to_python_value
            if isinstance(fields_map.get(name), _NORMALISED)
            else None,
        )
        for name in sorted(model._meta.fields_db_projection)
        if name not in exclude
    )
    model._audit_recorded = found
    return found


def normalised(model: type, name: str, value: Any) -> Any:
    """``value`` of ``model``'s field ``name`` as JSON, converted as a load would convert it."""
    convert = dict(_recorded(model)).get(name)
    if convert is not None and value is not None:
        try:
            value = convert(value)
        except (TypeError, ValueError, ArithmeticError):
            pass
    return jsonable(value)


def snapshot(obj: Any) -> dict[str, Any]:
    """The recorded fields of ``obj`` as JSON values."""
    values = {}
    for name, convert in _recorded(type(obj)):
        value = getattr(obj, name, None)
        if convert is not None and value is not None:
            try:
                value = convert(value)
            except (TypeError, ValueError, ArithmeticError):
                pass  # recorded as given; the database will refuse it anyway
        values[name] = jsonable(value)
    return values


def natural_key(model: type) -> tuple[str, str]:
    """``(app_label, model)``, as a content type names the model."""
    return model._meta.app, model.__name__.lower()


def entry(
    model: type, action: str, pk: Any, changes: dict, *, bulk: bool, at: Any = None
) -> dict[str, Any]:
    """One audit row's values by field name (a plain dict: a model instance per write costs
    more than the write's own SQL)."""
    from fastapp.contrib.audit.models import APP

    app_label, name = natural_key(model)
    return {
        "at": at or timezone.now(),
        "actor": current_actor(),
        "action": action,
        "app_label": app_label,
        "model": name,
        "object_pk": str(jsonable(pk)),
        "changes": changes,
        "bulk": bulk,
        "source": APP,
    }


async def write(conn: BaseDBAsyncClient, entries: Iterable[dict[str, Any]]) -> None:
    """Insert ``entries`` (from :func:`entry`) on ``conn``, with the INSERT Tortoise's executor
    has for :class:`AuditEntry`. A single entry's insert may wait for the unit's end
    (:func:`~fastapp.tortoise.units.deferred`): nothing reads its id."""
    from fastapp.contrib.audit.models import AuditEntry

    rows = list(entries)
    if not rows:
        return
    if not AuditEntry._meta._inited:
        raise SettingsError(
            f"{rows[0]['app_label']}.{rows[0]['model']} uses AuditMixin, but "
            "fastapp.contrib.audit is not in INSTALLED_APPS: add it there, then run migrate"
        )
    executor = conn.executor_class(model=AuditEntry, db=conn)
    fields_map = AuditEntry._meta.fields_map
    converters = [(name, fields_map[name].to_db_value) for name in executor.regular_columns]
    values = [[convert(row[name], AuditEntry) for name, convert in converters] for row in rows]
    if len(values) == 1:
        with deferred():
            await conn.execute_insert(executor.insert_query, values[0])
    else:
        await conn.execute_many(executor.insert_query, values)
