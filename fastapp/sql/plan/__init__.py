"""Plan renderers: ops -> SQL, one per backend, named by its hub (:mod:`fastapp.dialects`).

``get_renderer("postgres").render(plan, RenderOptions(concurrently=True))`` returns the
:class:`~fastapp.sql.plan.base.Statement` list of a plan; ``data_checks(plan)`` the counting
queries run before a data-dependent plan is applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapp.dialects import dialect_part

if TYPE_CHECKING:
    from fastapp.sql.plan.base import Renderer


def get_renderer(dialect_name: str) -> Renderer:
    """The renderer of ``dialect_name`` (a fresh instance: renderers keep per-plan state)."""
    return dialect_part(dialect_name, "plan_renderer", "SQL renderer")()
