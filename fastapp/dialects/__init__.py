"""Dialect registry: one module per backend, looked up by name, URL scheme, ENGINE or client.

Shared code asks the registry for a :class:`~fastapp.dialects.base.Dialect` and uses its
capability flags and methods; it never branches on a backend's name itself.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

from fastapp.errors import DatabaseURLError

if TYPE_CHECKING:
    from fastapp.dialects.base import Dialect

_MODULES = {
    "postgres": "fastapp.dialects.postgres",
    "mysql": "fastapp.dialects.mysql",
    "sqlite": "fastapp.dialects.sqlite",
}
_cache: dict[str, Dialect] = {}


def dialect_names() -> tuple[str, ...]:
    """The registered dialect names, in a stable order."""
    return tuple(_MODULES)


def get_dialect(name: str) -> Dialect:
    """Return the dialect registered as ``name`` (``postgres``, ``mysql``, ``sqlite``)."""
    if name not in _cache:
        if name not in _MODULES:
            raise DatabaseURLError(
                f"unknown database backend {name!r}: use one of {', '.join(_MODULES)}"
            )
        _cache[name] = importlib.import_module(_MODULES[name]).dialect
    return _cache[name]


def dialect_for_scheme(scheme: str) -> Dialect:
    """Find the dialect for a URL scheme such as ``postgresql`` or ``mysql``."""
    scheme = scheme.lower()
    for name in _MODULES:
        dialect = get_dialect(name)
        if scheme in dialect.url_schemes:
            return dialect
    known = sorted(s for n in _MODULES for s in get_dialect(n).url_schemes)
    raise DatabaseURLError(f"unknown URL scheme {scheme!r}: use one of {', '.join(known)}")


def dialect_for_engine(engine: str) -> Dialect:
    """Find the dialect for a DATABASES ``ENGINE`` value (short name, Tortoise or Django path)."""
    key = engine.lower().rsplit(".", 1)[-1]
    for name in _MODULES:
        dialect = get_dialect(name)
        if key in dialect.engine_aliases:
            return dialect
    raise DatabaseURLError(
        f"unknown ENGINE {engine!r}: use 'postgres', 'mysql' or 'sqlite' (or a Tortoise backend path)"
    )


def dialect_module(package: str, dialect_name: str, what: str) -> ModuleType:
    """The ``package.<dialect_name>`` module of a per-dialect layer (ddl, render, catalog readers...).

    Every layer keeps one module per registered dialect under the same name, so adding a
    backend is adding its modules; ``what`` names the layer in the error for an unknown name.
    """
    if dialect_name not in _MODULES:
        raise DatabaseURLError(
            f"no {what} for backend {dialect_name!r}: use one of {', '.join(_MODULES)}"
        )
    return importlib.import_module(f"{package}.{dialect_name}")


def dialect_for_client(client: Any) -> Dialect:
    """The dialect of a connected Tortoise client."""
    return get_dialect(client.capabilities.dialect)
