"""The DDL Tortoise generates for a set of models, table by table.

Tortoise 1.1's schema generator re-collects and re-checks every model of the connection for
each table it renders (``_get_models_to_create`` inside ``_get_table_sql``), then lists their
tables, only to ask ``_get_m2m_tables`` whether a through table is a model's: schema generation
quadratic in the number of models. :func:`generated_tables` hands a generator subclass no
models to list and that set of tables, computed once, so the output is the same and the cost
linear.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapp.errors import SchemaError
from fastapp.schema.sqltext import split_statements
from fastapp.schema.toposort import toposort

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.models import Model


@dataclass(frozen=True)
class GeneratedTable:
    """One table as Tortoise would create it: CREATE TABLE first, then its indexes."""

    table: str
    statements: tuple[str, ...]
    references: frozenset[str]
    app: str | None = None
    model: str | None = None
    #: For a many-to-many through table: the table of the model declaring the field.
    through_of: str | None = None

    @property
    def label(self) -> str:
        if self.model:
            return f"{self.app}.{self.model}"
        return f"many-to-many table of {self.through_of}"


def _generator_for(client: BaseDBAsyncClient, models: list[type[Model]]) -> Any:
    base = client.schema_generator
    tables = frozenset(m._meta.db_table for m in models)

    def m2m_tables(self: Any, model: type[Model], db_table: str, safe: bool, _: Any) -> Any:
        return base._get_m2m_tables(self, model, db_table, safe, tables)

    linear = type(
        f"Linear{base.__name__}",
        (base,),
        {"_get_models_to_create": lambda self: [], "_get_m2m_tables": m2m_tables},
    )
    return linear(client)


def connection_models(client: BaseDBAsyncClient, apps: Any) -> list[type[Model]]:
    """Every model stored on ``client``, checked once, in registry order."""
    models = []
    for model in apps.get_models_iterable():
        if model._meta.db is client:
            model._check()
            models.append(model)
    return models


def generated_tables(
    client: BaseDBAsyncClient,
    all_models: Sequence[type[Model]],
    selected: Iterable[type[Model]] | None = None,
    *,
    safe: bool = True,
) -> list[GeneratedTable]:
    """Tables (model tables and many-to-many through tables) for ``selected`` models.

    ``all_models`` are all models on ``client`` (through tables that are themselves models are
    left to those models, as Tortoise does). ``safe`` adds ``IF NOT EXISTS``.
    """
    generator = _generator_for(client, list(all_models))
    dialect = client.capabilities.dialect
    model_tables = {m._meta.db_table for m in all_models}
    tables: list[GeneratedTable] = []
    for model in selected if selected is not None else all_models:
        meta = model._meta
        rendered = generator._get_table_sql(model, safe)
        references = frozenset(rendered["references"]) - {meta.db_table}
        tables.append(
            GeneratedTable(
                table=meta.db_table,
                statements=tuple(split_statements(rendered["table_creation_string"], dialect)),
                references=references,
                app=meta.app,
                model=model.__name__,
            )
        )
        through_fields = [
            meta.fields_map[name]
            for name in meta.m2m_fields
            if not meta.fields_map[name]._generated
            and meta.fields_map[name].through not in model_tables
        ]
        for field, sql in zip(through_fields, rendered["m2m_tables"], strict=True):
            ends = {meta.db_table, field.related_model._meta.db_table}
            tables.append(
                GeneratedTable(
                    table=field.through,
                    statements=tuple(split_statements(sql, dialect)),
                    references=frozenset(ends) if field.db_constraint else frozenset(),
                    through_of=meta.db_table,
                )
            )
    return tables


def creation_order(tables: Sequence[GeneratedTable]) -> list[GeneratedTable]:
    """Order tables so each comes after the tables it references (ties by name).

    References to tables outside ``tables`` are taken as already existing. A cycle raises
    :class:`SchemaError` naming its tables.
    """
    by_name = {t.table: t for t in tables}
    result = toposort(by_name, lambda name: by_name[name].references)
    if result.cyclic:
        raise SchemaError(
            f"foreign keys form a cycle between tables {', '.join(result.cyclic)}: make one of "
            "them nullable and add it in a later step, or create these tables with auto_migrate"
        )
    return [by_name[name] for name in result.order]


def schema_sql(tables: Sequence[GeneratedTable]) -> str:
    """The whole DDL script for ``tables``, in creation order."""
    return "\n".join(f"{s};" for t in creation_order(tables) for s in t.statements)
