"""Renderer registry: ops -> SQL, one module per dialect, looked up by dialect name.

``get_renderer("postgres").render(plan, RenderOptions(concurrently=True))`` returns the
:class:`~fastapp.db.render.base.Statement` list of a plan; ``data_checks(plan)`` the counting
queries run before a data-dependent plan is applied.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from fastapp.errors import DatabaseURLError

if TYPE_CHECKING:
    from fastapp.db.render.base import Renderer

_MODULES = {
    "postgres": "fastapp.db.render.postgres",
    "mysql": "fastapp.db.render.mysql",
    "sqlite": "fastapp.db.render.sqlite",
}


def get_renderer(dialect_name: str) -> Renderer:
    """The renderer of ``dialect_name`` (a fresh instance: renderers keep per-plan state)."""
    if dialect_name not in _MODULES:
        raise DatabaseURLError(
            f"no SQL renderer for backend {dialect_name!r}: use one of {', '.join(_MODULES)}"
        )
    return type(importlib.import_module(_MODULES[dialect_name]).renderer)()
