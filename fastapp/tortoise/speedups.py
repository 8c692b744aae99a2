"""Two small workarounds for Tortoise 1.1.9's start-up costs.

**Quadratic model import.**
Tortoise's model metaclass reads ``#:`` field comments with ``inspect.getsource(cls)`` for
every model class. On Python 3.11 that walks the AST of the *whole module* for each class, so
a module of N models costs N parses (1,000 models in one module: minutes). :func:`install`
gives ``tortoise.models`` an ``inspect`` whose ``getsource`` finds a class's lines from one
cached parse per module file; the text returned, and so what the models mean, is unchanged.
Anything it cannot locate (classes defined in functions, no source file) goes to the real
``inspect.getsource``; a module without any ``#:`` is not parsed at all, since the comment
scan could find nothing in it.

**Query set-up that schema work never reads.** ``Tortoise.init`` finishes every model by
building its filter table (an entry per field and lookup) and its base pypika queries: ~0.4 s
for 1,000 models. :func:`schema_only` skips those two steps while a command that only
generates DDL initialises Tortoise; everything else ``finalise_model`` does still runs, and
the next normal ``init`` builds them as usual. The model classes a schema-only ``init``
imports also put off the filters their metaclass builds for each field (~0.15 s for 1,000
models): the calls are recorded, and replayed, in the same order and under the same
keys, when a normal ``init`` first finishes the model (:class:`DeferredFilters`).
"""

from __future__ import annotations

import ast
import inspect
import linecache
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_spans: dict[tuple[str, int, int], dict[str, tuple[int, int]]] = {}


def class_spans(filename: str) -> dict[str, tuple[int, int]]:
    """``{qualified class name: (first line, last line)}`` of a source file, parsed once
    per file version (decorators included, as ``inspect`` does)."""
    lines = linecache.getlines(filename)
    # linecache hands out the same list while the file is cached; a reload is a new list.
    key = (filename, id(lines), len(lines))
    found = _spans.get(key)
    if found is not None:
        return found
    found = {}
    try:
        tree = ast.parse("".join(lines))
    except SyntaxError:
        tree = None

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

    if tree is not None:
        visit(tree.body, "")
    _spans[key] = found
    return found


def cached_getsource(obj: Any) -> str:
    """``inspect.getsource`` for classes from a per-module cache; the real one otherwise."""
    if isinstance(obj, type):
        module = sys.modules.get(obj.__module__)
        try:
            filename = inspect.getsourcefile(module) if module is not None else None
        except TypeError:
            filename = None
        if filename:
            span = class_spans(filename).get(obj.__qualname__)
            if span is not None:
                lines = linecache.getlines(filename)
                return "".join(lines[span[0] - 1 : span[1]])
    return inspect.getsource(obj)


_MARK = "#:"
_has_mark: dict[tuple[str, int, int], bool] = {}


def comment_source(obj: Any) -> str:
    """The source Tortoise scans for ``#:`` field comments: the class source, or ``""`` when
    the class's file has no ``#:`` at all (the scan would find nothing either way)."""
    if isinstance(obj, type):
        module = sys.modules.get(obj.__module__)
        try:
            filename = inspect.getsourcefile(module) if module is not None else None
        except TypeError:
            filename = None
        if filename:
            lines = linecache.getlines(filename)
            key = (filename, id(lines), len(lines))
            if key not in _has_mark:
                _has_mark[key] = any(_MARK in line for line in lines)
            if not _has_mark[key]:
                return ""
    return cached_getsource(obj)


class _Inspect(types.ModuleType):
    """``inspect`` with a cached ``getsource``; every other name is the real one."""

    def __getattr__(self, name: str) -> Any:
        return getattr(inspect, name)


_proxy = _Inspect("inspect")
_proxy.getsource = comment_source  # type: ignore[attr-defined]


class DeferredFilters(dict):
    """A model's filter table while its field filters are put off: what was added since
    (backward relations) is in the dict, the field filter calls in :attr:`pending`."""

    pending: list[dict[str, Any]]

    def built(self) -> dict[str, Any]:
        """The table as the metaclass would have left it, with the later additions."""
        from tortoise.filters import get_filters_for_field

        table: dict[str, Any] = {}
        for call in self.pending:
            table.update(get_filters_for_field(**call))
        table.update(self)
        return table


def _deferring_dispatch(real: Any) -> Any:
    """``ModelMeta._dispatch_fields`` recording its filter calls instead of making them."""
    import tortoise.models

    def dispatch(attrs: dict, fields_db_projection: dict, is_abstract: bool) -> tuple:
        calls: list[dict[str, Any]] = []
        building = tortoise.models.get_filters_for_field
        tortoise.models.get_filters_for_field = lambda **call: calls.append(call) or {}
        try:
            fields_map, filters, *rest = real(attrs, fields_db_projection, is_abstract)
        finally:
            tortoise.models.get_filters_for_field = building
        deferred = DeferredFilters(filters)
        deferred.pending = calls
        return (fields_map, deferred, *rest)

    return staticmethod(dispatch)


def _finishing(generate: Any) -> Any:
    """``MetaInfo._generate_filters`` that first builds put-off field filters."""
    if getattr(generate, "finishes_deferred", False):
        return generate

    def generate_filters(meta: Any) -> None:
        if isinstance(meta._filters, DeferredFilters):
            meta._filters = meta._filters.built()
        generate(meta)

    generate_filters.finishes_deferred = True  # type: ignore[attr-defined]
    return generate_filters


def install() -> None:
    """Make ``tortoise.models`` use the cached ``getsource``, and finish put-off filters
    wherever a model is finished for queries (idempotent)."""
    import tortoise.models

    tortoise.models.inspect = _proxy  # type: ignore[attr-defined]
    meta_info = tortoise.models.MetaInfo
    meta_info._generate_filters = _finishing(meta_info._generate_filters)  # type: ignore[method-assign]


@contextmanager
def schema_only() -> Iterator[None]:
    """While active, ``Tortoise.init`` prepares models for DDL generation only."""
    from tortoise.apps import Apps
    from tortoise.models import MetaInfo, ModelMeta

    def finalise_only(apps: Apps) -> None:
        for models in apps.apps.values():
            for model in models.values():
                model._meta.finalise_model()

    install()
    saved = Apps._build_initial_querysets, MetaInfo._generate_filters
    dispatch = ModelMeta.__dict__["_dispatch_fields"]
    Apps._build_initial_querysets = finalise_only  # type: ignore[method-assign]
    MetaInfo._generate_filters = lambda meta: None  # type: ignore[method-assign]
    ModelMeta._dispatch_fields = _deferring_dispatch(dispatch.__func__)  # type: ignore[method-assign]
    try:
        yield
    finally:
        Apps._build_initial_querysets, MetaInfo._generate_filters = saved  # type: ignore[method-assign]
        ModelMeta._dispatch_fields = dispatch  # type: ignore[method-assign]
