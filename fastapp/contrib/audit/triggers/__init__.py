"""The trigger mode: the database itself records every change of a model that sets
``audit_triggers = True`` (raw SQL, other programs, ``bulk_create`` included).

A backend has the mode when this package has a module named after its dialect
(``triggers/<dialect>.py``) defining ``install(connection, tables)`` (the post-migrate hook
calls it with every trigger-mode table of the connection; it also removes the triggers of
tables no longer listed), ``name_actor(connection, actor)`` (run before each audited write,
so the row the trigger writes names the actor) and ``installed(connection, table)``. Elsewhere a trigger-mode model is
recorded by the application, as any audited model.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from fastapp.errors import SettingsError

_modules: dict[str, ModuleType | None] = {}


@dataclass(frozen=True)
class TriggerTable:
    """What a trigger needs to know of one table."""

    table: str
    app_label: str
    model: str
    pk_column: str
    soft_delete_column: str  # "" for none
    excluded_columns: tuple[str, ...]


_checked: set[tuple[str, str]] = set()


def backend_of(connection: Any) -> ModuleType | None:
    """The trigger module of ``connection``'s backend, or ``None`` when it has none."""
    name = connection.capabilities.dialect
    if name not in _modules:
        module = f"{__name__}.{name}"
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        _modules[name] = importlib.import_module(module) if found else None
    return _modules[name]


def wants_triggers(model: type) -> bool:
    return bool(getattr(model, "audit_triggers", False))


def by_trigger(model: type, connection: Any) -> ModuleType | None:
    """The trigger module recording ``model``'s changes on ``connection``, if any."""
    return backend_of(connection) if wants_triggers(model) else None


async def before_write(module: ModuleType, model: type, connection: Any, actor: str | None) -> None:
    """Make sure ``model``'s table has its trigger (once per process and table: a missing
    one would lose the log silently), then name ``actor`` for the trigger's rows."""
    key = (connection.connection_name, model._meta.db_table)
    if key not in _checked:
        if not await module.installed(connection, model._meta.db_table):
            raise SettingsError(
                f"{model._meta.app}.{model.__name__} has audit_triggers = True but its table "
                f"{model._meta.db_table} has no audit trigger: run fastapp migrate (or upgrade) "
                "with fastapp.contrib.audit installed"
            )
        _checked.add(key)
    await module.name_actor(connection, actor)
