"""Corrections to Tortoise 1.1.9's schema editors, one subclass per editor that needs one,
found through :data:`FIXED` (editor class -> corrected class).

* SQLite: changing a column rebuilds the table (create ``new__t``, copy, drop, rename), and
  Tortoise's rebuild forgets the table's indexes -- every ``db_index`` and ``Meta.indexes``
  index of the table is gone afterwards, and an ``AlterField`` that adds ``db_index=True``
  creates none. The corrected rebuild creates the indexes the model declares.
"""

from __future__ import annotations

from typing import Any

from tortoise.fields.relational import (
    BackwardFKRelation,
    BackwardOneToOneRelation,
    ManyToManyFieldInstance,
)
from tortoise.indexes import Index
from tortoise.migrations.schema_editor import SqliteSchemaEditor

_NOT_COLUMNS = (ManyToManyFieldInstance, BackwardFKRelation, BackwardOneToOneRelation)


class SqliteRebuildKeepsIndexes(SqliteSchemaEditor):
    """Tortoise's SQLite editor whose table rebuild re-creates the model's indexes."""

    async def _remake_table(
        self, model: Any, create_field: Any = None, delete_field: Any = None, alter_fields=None
    ) -> None:
        await super()._remake_table(model, create_field, delete_field, alter_fields)
        for sql in self._declared_indexes(model, create_field, delete_field, alter_fields or []):
            await self._run_sql(sql)

    def _declared_indexes(
        self, model: Any, create_field: Any, delete_field: Any, alter_fields: list
    ) -> list[str]:
        replaced = {old.model_field_name: new for old, new in alter_fields}
        columns: dict[str, Any] = {}
        for field in model._meta.fields_map.values():
            if isinstance(field, _NOT_COLUMNS) or not hasattr(field, "get_for_dialect"):
                continue
            if delete_field is not None and field.model_field_name == delete_field.model_field_name:
                continue
            actual = replaced.get(field.model_field_name, field)
            columns[actual.source_field or actual.model_field_name] = actual
        if create_field is not None and not isinstance(create_field, _NOT_COLUMNS):
            columns[create_field.source_field or create_field.model_field_name] = create_field
        statements = [
            self._get_index_sql(model, [column])
            for column, field in columns.items()
            if field.index and not field.pk
        ]
        for index in model._meta.indexes or ():
            if isinstance(index, Index):
                names = list(index.field_names)
                sql = (
                    self._get_index_sql(
                        model,
                        names,
                        index_name=index.name,
                        index_type=index.INDEX_TYPE,
                        extra=index.extra,
                    )
                    if all(_column(model, n) in columns for n in names)
                    else ""
                )
            else:
                names = [_column(model, n) for n in index]
                sql = self._get_index_sql(model, names) if all(n in columns for n in names) else ""
            statements.append(sql)
        return [s for s in dict.fromkeys(statements) if s]


def _column(model: Any, field_name: str) -> str:
    field = model._meta.fields_map.get(field_name)
    return (field.source_field or field_name) if field is not None else field_name


#: Tortoise editor class -> the corrected one fastapp runs instead.
FIXED: dict[type, type] = {SqliteSchemaEditor: SqliteRebuildKeepsIndexes}


def schema_editor(executor: Any, *, atomic: bool = True, collect_sql: bool = False) -> Any:
    """The schema editor Tortoise's executor would choose, corrected where :data:`FIXED`
    says so."""
    editor = executor._schema_editor(atomic=atomic, collect_sql=collect_sql)
    fixed = FIXED.get(type(editor))
    if fixed is None:
        return editor
    return fixed(editor.client, atomic=atomic, collect_sql=collect_sql)
