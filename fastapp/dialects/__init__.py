"""Dialect registry: one hub per backend, looked up by name, URL scheme, ENGINE or client.

A hub (``fastapp/dialects/<backend>.py``) is a :class:`~fastapp.dialects.base.Dialect` whose
``parts`` name every part of the backend (:data:`~fastapp.dialects.base.PARTS`: catalog
reader, DDL reader, scratch space, DDL writer, plan renderer, lock session, bulk writer) as
``"module:attribute"``. Each layer's registry builds its part the same way,
``dialect_part(name, key, what)(...)``. A hub that misses a part, or names a module that does
not exist, is refused when it is registered -- not halfway through a migration.

Shared code asks the registry for a dialect and uses its capability flags, facts and parts;
it never branches on a backend's name itself.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from fastapp.dialects.base import PARTS, Dialect
from fastapp.errors import DatabaseURLError, IncompleteBackendError

#: The backends fastapp ships; their hubs are registered together on the first look-up.
BUILTIN_HUBS = {
    "postgres": "fastapp.dialects.postgres",
    "mysql": "fastapp.dialects.mysql",
    "sqlite": "fastapp.dialects.sqlite",
}
_registered: dict[str, Dialect] = {}


def register_dialect(dialect: Dialect) -> Dialect:
    """Add ``dialect`` (a hub instance) to the registry under ``dialect.name``; returns it.

    Checks, without importing them (so no driver or parser is loaded), that its ``parts``
    name every part and that each named module exists. Raises
    :class:`~fastapp.errors.IncompleteBackendError` naming the backend and the part.
    """
    hub = f"backend {dialect.name!r} ({type(dialect).__module__})"
    parts = getattr(dialect, "parts", None) or {}
    for key, what in PARTS.items():
        spec = parts.get(key)
        if spec is None:
            raise IncompleteBackendError(
                f"{hub} names no {what}: add parts[{key!r}] = 'module:Class' to its hub"
            )
        module, sep, attribute = spec.partition(":")
        if not (sep and module and attribute.isidentifier()):
            raise IncompleteBackendError(
                f"{hub}: parts[{key!r}] = {spec!r} is not 'module:Class'; fix it in its hub"
            )
        if not _module_exists(module):
            raise IncompleteBackendError(
                f"{hub}: its {what} module {module!r} does not exist; "
                f"add it or fix parts[{key!r}] in its hub"
            )
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise IncompleteBackendError(
            f"{hub} names unknown parts {', '.join(unknown)}: use {', '.join(PARTS)}"
        )
    _registered[dialect.name] = dialect
    return dialect


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _registry() -> dict[str, Dialect]:
    for name, hub in BUILTIN_HUBS.items():
        if name not in _registered:
            register_dialect(importlib.import_module(hub).dialect)
    return _registered


def dialect_names() -> tuple[str, ...]:
    """The registered dialect names, in a stable order (the built-in ones first)."""
    return tuple(_registry())


def get_dialect(name: str) -> Dialect:
    """Return the dialect registered as ``name`` (``postgres``, ``mysql``, ``sqlite``).

    Raises :class:`~fastapp.errors.DatabaseURLError` for an unknown name.
    """
    registry = _registry()
    if name not in registry:
        raise DatabaseURLError(
            f"unknown database backend {name!r}: use one of {', '.join(registry)}"
        )
    return registry[name]


def dialect_part(dialect_name: str, key: str, what: str) -> Any:
    """The class (or factory) of ``dialect_name``'s ``key`` part, one of
    :data:`~fastapp.dialects.base.PARTS`: how every layer's registry finds its part.

    ``what`` names the layer's part in the error for an unknown backend
    (:class:`~fastapp.errors.DatabaseURLError`).
    """
    registry = _registry()
    if dialect_name not in registry:
        raise DatabaseURLError(
            f"no {what} for backend {dialect_name!r}: use one of {', '.join(registry)}"
        )
    return registry[dialect_name].part(key)


def dialect_for_scheme(scheme: str) -> Dialect:
    """Find the dialect for a URL scheme such as ``postgresql`` or ``mysql``."""
    scheme = scheme.lower()
    registry = _registry()
    for dialect in registry.values():
        if scheme in dialect.url_schemes:
            return dialect
    known = sorted(s for d in registry.values() for s in d.url_schemes)
    raise DatabaseURLError(f"unknown URL scheme {scheme!r}: use one of {', '.join(known)}")


def dialect_for_engine(engine: str) -> Dialect:
    """Find the dialect for a DATABASES ``ENGINE`` value (short name, Tortoise or Django path)."""
    key = engine.lower().rsplit(".", 1)[-1]
    for dialect in _registry().values():
        if key in dialect.engine_aliases:
            return dialect
    raise DatabaseURLError(
        f"unknown ENGINE {engine!r}: use 'postgres', 'mysql' or 'sqlite' (or a Tortoise backend path)"
    )


def dialect_for_client(client: Any) -> Dialect:
    """The dialect of a connected Tortoise client."""
    return get_dialect(client.capabilities.dialect)
