"""Small workarounds for Tortoise 1.1.9's start-up costs, active only inside fastapp's own init.

**Quadratic model import.**
Tortoise's model metaclass reads ``#:`` field comments with ``inspect.getsource(cls)`` for
every model class. On Python 3.11 that walks the AST of the *whole module* for each class, so
a module of N models costs N parses (1,000 models in one module: minutes). Inside a
:func:`scope`, ``tortoise.models`` sees an ``inspect`` whose ``getsource`` finds a class's
lines from one parse per module file version (path, modification time and size: an edited
file is read again); the text returned, and so what the models mean, is unchanged. Anything
it cannot locate (classes defined in functions, no source file) goes to the real
``inspect.getsource``; a module without any ``#:`` is not parsed at all, since the comment
scan could find nothing in it.

**Query set-up that schema work never reads.** ``Tortoise.init`` finishes every model by
building its filter table (an entry per field and lookup) and its base pypika queries: ~0.4 s
for 1,000 models. A ``scope(schema_only=True)`` skips those two steps; everything else
``finalise_model`` does still runs, and the next normal ``init`` builds them as usual. The
model classes imported in such a scope also put off the filters their metaclass builds for
each field (~0.15 s for 1,000 models): the calls are recorded and made, in the same order and
under the same keys, the first time the table is read (:class:`DeferredFilters`), so a model
imported by fastapp works in any later init, fastapp's or the application's.

**Scoped.** The patched Tortoise names only change behaviour for code running in the
context (thread, asyncio task) that opened a :func:`scope`; any other init in the process,
even one interleaved with fastapp's in the same event loop, gets Tortoise unchanged. The
patches are put in place when the first scope opens and removed, with the source caches,
when the last one closes: outside fastapp's inits the process holds Tortoise as imported.

**Pinned and checked.** The workarounds (and the linear schema generator of
:mod:`fastapp.tortoise.generated`) touch private Tortoise names, verified against
:data:`VERIFIED_TORTOISE`; :func:`check` confirms, once per process, that they still exist
with the shape relied upon, and raises :class:`~fastapp.errors.UnsupportedTortoiseError`
naming the missing one otherwise.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import os
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from fastapp.errors import UnsupportedTortoiseError

#: The Tortoise range pyproject.toml pins: the workarounds were verified on 1.1.9; later
#: 1.1 patch releases are allowed, guarded by :func:`check`.
VERIFIED_TORTOISE = ">=1.1.9,<1.2"

_FULL, _SCHEMA_ONLY = "full", "schema-only"
#: The workaround mode of the current context: ``None`` outside every scope.
_mode: ContextVar[str | None] = ContextVar("fastapp_tortoise_init", default=None)
#: Where the metaclass's field-filter calls go while a schema-only import records them.
_recording: ContextVar[list | None] = ContextVar("fastapp_filter_calls", default=None)

_lock = threading.Lock()
_open_scopes = 0
_saved: dict[str, Any] = {}


# --- source lookup, one parse per file version ----------------------------------------------


class _SourceFile:
    __slots__ = ("lines", "has_mark", "spans")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.has_mark = any(_MARK in line for line in lines)
        self.spans: dict[str, tuple[int, int]] | None = None


_MARK = "#:"
_files: dict[tuple[str, int, int], _SourceFile] = {}


def _source_file(filename: str) -> _SourceFile | None:
    """The lines of ``filename`` as they are on disk now (``None``: not a readable file)."""
    try:
        stat = os.stat(filename)
    except OSError:
        return None
    key = (filename, stat.st_mtime_ns, stat.st_size)
    found = _files.get(key)
    if found is None:
        linecache.checkcache(filename)  # what inspect does: never hand out an old version
        lines = linecache.getlines(filename)
        if not lines:
            return None
        found = _files[key] = _SourceFile(lines)
    return found


def class_spans(filename: str) -> dict[str, tuple[int, int]]:
    """``{qualified class name: (first line, last line)}`` of a source file, parsed once
    per file version (decorators included, as ``inspect`` does)."""
    source = _source_file(filename)
    if source is None:
        return {}
    if source.spans is None:
        source.spans = _spans_of(source.lines)
    return source.spans


def _spans_of(lines: list[str]) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    try:
        tree = ast.parse("".join(lines))
    except SyntaxError:
        return found

    def visit(body: list, prefix: str) -> None:
        # Classes live in statement bodies; expressions never hold one.
        for child in body:
            if isinstance(child, ast.ClassDef):
                name = f"{prefix}{child.name}"
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                found.setdefault(name, (first, child.end_lineno or child.lineno))
                visit(child.body, f"{name}.")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child.body, f"{prefix}{child.name}.<locals>.")
            else:
                for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                    inner = getattr(child, field, None)
                    if isinstance(inner, list):
                        visit(inner, prefix)

    visit(tree.body, "")
    return found


def _class_file(obj: Any) -> str | None:
    if not isinstance(obj, type):
        return None
    module = sys.modules.get(obj.__module__)
    try:
        return inspect.getsourcefile(module) if module is not None else None
    except TypeError:
        return None


def cached_getsource(obj: Any) -> str:
    """``inspect.getsource`` for classes from a per-file-version cache; the real one otherwise."""
    filename = _class_file(obj)
    if filename:
        source = _source_file(filename)
        if source is not None:
            span = class_spans(filename).get(obj.__qualname__)
            if span is not None:
                return "".join(source.lines[span[0] - 1 : span[1]])
    return inspect.getsource(obj)


def comment_source(obj: Any) -> str:
    """The source Tortoise scans for ``#:`` field comments: the class source, or ``""`` when
    the class's file has no ``#:`` at all (the scan would find nothing either way)."""
    filename = _class_file(obj)
    if filename:
        source = _source_file(filename)
        if source is not None and not source.has_mark:
            return ""
    return cached_getsource(obj)


def _getsource(obj: Any) -> str:
    return comment_source(obj) if _mode.get() is not None else inspect.getsource(obj)


class _Inspect(types.ModuleType):
    """``inspect`` with a scoped ``getsource``; every other name is the real one."""

    def __getattr__(self, name: str) -> Any:
        return getattr(inspect, name)


_proxy = _Inspect("inspect")
_proxy.getsource = _getsource  # type: ignore[attr-defined]


# --- filters put off by a schema-only import -------------------------------------------------


class DeferredFilters(dict):
    """A model's filter table while its field filters are put off: what was added since
    (backward relations) is in the dict, the field filter calls in :attr:`pending`. The first
    read makes the calls and leaves the table as the metaclass would have built it, plus the
    later additions; writes (``update``, which Tortoise's ``add_field`` uses) need no calls."""

    def __init__(self, table: dict[str, Any], pending: list[dict[str, Any]]) -> None:
        super().__init__(table)
        self.pending = pending

    def finish(self) -> None:
        """Make the put-off calls (once)."""
        if not self.pending:
            return
        from tortoise.filters import get_filters_for_field

        later = dict(super().items())
        pending, self.pending = self.pending, []
        super().clear()
        for call in pending:
            super().update(get_filters_for_field(**call))
        super().update(later)


def _reading(name: str) -> Any:
    real = getattr(dict, name)

    def method(self: DeferredFilters, *args: Any, **kwargs: Any) -> Any:
        self.finish()
        return real(self, *args, **kwargs)

    method.__name__ = name
    return method


for _name in (
    "__getitem__", "__iter__", "__len__", "__contains__", "__eq__", "__ne__", "__repr__",
    "__or__", "__reversed__", "__reduce_ex__", "get", "items", "keys", "values", "copy",
    "pop", "popitem", "setdefault",
):  # fmt: skip
    setattr(DeferredFilters, _name, _reading(_name))
del _name


def _scoped_filters_call(**call: Any) -> Any:
    calls = _recording.get()
    if calls is not None:
        calls.append(call)
        return {}
    return _saved["get_filters_for_field"](**call)


def _scoped_dispatch(attrs: dict, fields_db_projection: dict, is_abstract: bool) -> tuple:
    real = _saved["_dispatch_fields"].__func__
    if _mode.get() != _SCHEMA_ONLY:
        return real(attrs, fields_db_projection, is_abstract)
    calls: list[dict[str, Any]] = []
    token = _recording.set(calls)
    try:
        fields_map, filters, *rest = real(attrs, fields_db_projection, is_abstract)
    finally:
        _recording.reset(token)
    return (fields_map, DeferredFilters(filters, calls), *rest)


def _scoped_generate_filters(meta: Any) -> None:
    if _mode.get() != _SCHEMA_ONLY:
        _saved["_generate_filters"](meta)


def _scoped_querysets(apps: Any) -> None:
    if _mode.get() != _SCHEMA_ONLY:
        _saved["_build_initial_querysets"](apps)
        return
    for models in apps.apps.values():
        for model in models.values():
            model._meta.finalise_model()


# --- the private names touched, checked once ------------------------------------------------


def _targets() -> dict[str, tuple[Any, str]]:
    """``{name: (owner, attribute)}`` of what :func:`scope` replaces."""
    import tortoise.apps
    import tortoise.models

    return {
        "inspect": (tortoise.models, "inspect"),
        "get_filters_for_field": (tortoise.models, "get_filters_for_field"),
        "_dispatch_fields": (tortoise.models.ModelMeta, "_dispatch_fields"),
        "_generate_filters": (tortoise.models.MetaInfo, "_generate_filters"),
        "_build_initial_querysets": (tortoise.apps.Apps, "_build_initial_querysets"),
    }


#: ``(dotted owner, name, parameters it must take)``: what the workarounds rely on.
_RELIED_UPON = (
    ("tortoise.models", "inspect", None),
    ("tortoise.models", "get_filters_for_field", ("field_name", "field", "source_field")),
    ("tortoise.models.ModelMeta", "_dispatch_fields", ("attrs", "fields_db_projection", "is_abstract")),
    ("tortoise.models.MetaInfo", "_generate_filters", ("self",)),
    ("tortoise.models.MetaInfo", "finalise_model", ("self",)),
    ("tortoise.models.MetaInfo", "_filters", None),
    ("tortoise.apps.Apps", "_build_initial_querysets", ("self",)),
    ("tortoise.filters", "get_filters_for_field", ("field_name", "field", "source_field")),
    ("tortoise.backends.base.schema_generator.BaseSchemaGenerator", "_get_models_to_create", ("self",)),
    ("tortoise.backends.base.schema_generator.BaseSchemaGenerator", "_get_table_sql", ("self", "model", "safe")),
    ("tortoise.backends.base.schema_generator.BaseSchemaGenerator", "_get_m2m_tables", ("self", "model", "db_table", "safe", "models_tables")),
)  # fmt: skip


@cache
def check() -> None:
    """Confirm the private Tortoise names the workarounds touch are there, taking the
    parameters relied upon (once per process: a few attribute lookups).

    Raises :class:`~fastapp.errors.UnsupportedTortoiseError` naming the first one missing.
    """
    import importlib

    for owner_path, name, parameters in _RELIED_UPON:
        try:
            owner = _resolve(importlib, owner_path)
            if name == "_filters":  # an instance attribute: listed in the slots
                found = name in getattr(owner, "__slots__", ())
                value = None
            else:
                value = inspect.getattr_static(owner, name)
                found = True
        except (ImportError, AttributeError):
            found, value = False, None
        if found and parameters is not None:
            func = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
            try:
                taken = tuple(inspect.signature(func).parameters)
            except (TypeError, ValueError):
                taken = ()
            found = taken[: len(parameters)] == parameters
        if not found:
            raise UnsupportedTortoiseError(
                f"the installed tortoise-orm {_tortoise_version()} has no {owner_path}.{name} "
                f"as fastapp relies on: install tortoise-orm{VERIFIED_TORTOISE} "
                "(the releases fastapp's start-up workarounds were verified against)"
            )


def _resolve(importlib: Any, dotted: str) -> Any:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            owner = getattr(owner, attribute)
        return owner
    raise ImportError(dotted)


def _tortoise_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tortoise-orm")
    except PackageNotFoundError:
        return "(unknown version)"


# --- the scope ---------------------------------------------------------------------------------


def _install() -> None:
    targets = _targets()
    for key, (owner, attribute) in targets.items():
        _saved[key] = inspect.getattr_static(owner, attribute)
    replacements = {
        "inspect": _proxy,
        "get_filters_for_field": _scoped_filters_call,
        "_dispatch_fields": staticmethod(_scoped_dispatch),
        "_generate_filters": _scoped_generate_filters,
        "_build_initial_querysets": _scoped_querysets,
    }
    for key, (owner, attribute) in targets.items():
        setattr(owner, attribute, replacements[key])


def _uninstall() -> None:
    for key, (owner, attribute) in _targets().items():
        setattr(owner, attribute, _saved.pop(key))
    _files.clear()


@contextmanager
def scope(*, schema_only: bool = False) -> Iterator[None]:
    """While open, a Tortoise init in this context (thread or asyncio task) uses the
    workarounds; ``schema_only`` prepares models for DDL generation only.

    Scopes may nest and overlap in any order (two commands' inits in one event loop): the
    patches stay while any scope is open and go with the last. Raises
    :class:`~fastapp.errors.UnsupportedTortoiseError` when :func:`check` fails.
    """
    global _open_scopes

    check()
    with _lock:
        if _open_scopes == 0:
            _install()
        _open_scopes += 1
    token = _mode.set(_SCHEMA_ONLY if schema_only else _FULL)
    try:
        yield
    finally:
        _mode.reset(token)
        with _lock:
            _open_scopes -= 1
            if _open_scopes == 0:
                _uninstall()
