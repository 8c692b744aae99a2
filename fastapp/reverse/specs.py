"""What reverse generation hands from the model builder to the source writer.

:mod:`fastapp.reverse.model` fills these values (what each class, field and Meta option will
say); :mod:`fastapp.reverse.source` only spells them as Python. Argument values are already
Python source text (:func:`python_literal`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from fastapp.schema.objects import Table


@dataclass
class FieldSpec:
    """One model attribute: ``name[: annotation] = fields.<call>(<args>)  # <comment>``."""

    name: str
    call: str
    args: list[str] = field(default_factory=list)
    kwargs: list[tuple[str, str]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    #: Relation type hint (``fields.ForeignKeyRelation["User"]``) for editors and type checkers.
    annotation: str | None = None


@dataclass
class EnumSpec:
    name: str
    members: list[tuple[str, str]]


@dataclass
class ModelSpec:
    name: str
    table: Table
    fields: list[FieldSpec] = field(default_factory=list)
    meta: list[tuple[str, str]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


@dataclass
class ModuleSpec:
    """Everything the renderer needs, plus what the caller reports."""

    dialect: str
    models: list[ModelSpec]
    enums: list[EnumSpec]
    imports: set[tuple[str, str]]
    #: Tables pulled in because a selected table references them.
    added: tuple[str, ...] = ()
    #: Join tables rendered as ``ManyToManyField`` instead of a model.
    join_tables: tuple[str, ...] = ()
    todos: int = 0
    #: One line per object whose clause the module does not carry (each also a TODO).
    warnings: tuple[str, ...] = ()


def python_literal(value: object) -> str:
    """A Python literal for ``value``; strings double-quoted (json.dumps is valid Python)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)
