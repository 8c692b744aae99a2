"""One small workaround for Tortoise 1.1.9's quadratic model import.

Tortoise's model metaclass reads ``#:`` field comments with ``inspect.getsource(cls)`` for
every model class. On Python 3.11 that walks the AST of the *whole module* for each class, so
a module of N models costs N parses (1,000 models in one module: minutes). :func:`install`
gives ``tortoise.models`` an ``inspect`` whose ``getsource`` finds a class's lines from one
cached parse per module file; the text returned, and so what the models mean, is unchanged.
Anything it cannot locate (classes defined in functions, no source file) goes to the real
``inspect.getsource``.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import sys
import types
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

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                name = f"{prefix}{child.name}"
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                found.setdefault(name, (first, child.end_lineno or child.lineno))
                visit(child, f"{name}.")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, f"{prefix}{child.name}.<locals>.")
            else:
                visit(child, prefix)

    if tree is not None:
        visit(tree, "")
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


class _Inspect(types.ModuleType):
    """``inspect`` with a cached ``getsource``; every other name is the real one."""

    def __getattr__(self, name: str) -> Any:
        return getattr(inspect, name)


_proxy = _Inspect("inspect")
_proxy.getsource = cached_getsource  # type: ignore[attr-defined]


def install() -> None:
    """Make ``tortoise.models`` use the cached ``getsource`` (idempotent)."""
    import tortoise.models

    tortoise.models.inspect = _proxy  # type: ignore[attr-defined]
