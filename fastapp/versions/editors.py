"""Corrections to Tortoise 1.1.9's schema editors, one subclass per editor that needs one,
found through :data:`FIXED` (editor class -> corrected class).

* SQLite: changing a column rebuilds the table (create ``new__t``, copy, drop, rename), and
  Tortoise's rebuild forgets the table's indexes -- every ``db_index`` and ``Meta.indexes``
  index of the table is gone afterwards, and an ``AlterField`` that adds ``db_index=True``
  creates none. The corrected rebuild creates the indexes the model declares.
* Every backend: :class:`fastapp.models.LiveUnique` (unique among live rows) is not a plain
  index -- a WHERE clause, or a generated column in the key -- so the editors create, add and
  remove it through its own statements instead of Tortoise's plain-index template.
"""

from __future__ import annotations

from typing import Any

from tortoise.fields.relational import (
    BackwardFKRelation,
    BackwardOneToOneRelation,
    ManyToManyFieldInstance,
)
from tortoise.indexes import Index
from tortoise.migrations.schema_editor import (
    AsyncpgSchemaEditor,
    MySQLSchemaEditor,
    SqliteSchemaEditor,
)

from fastapp.models.indexes import LiveUnique

_NOT_COLUMNS = (ManyToManyFieldInstance, BackwardFKRelation, BackwardOneToOneRelation)


def _live_uniques(model: Any) -> list[LiveUnique]:
    return [i for i in model._meta.indexes or () if isinstance(i, LiveUnique)]


class LiveUniqueEditing:
    """Mixed into a Tortoise schema editor: LiveUnique indexes through their own statements."""

    client: Any
    _run_sql: Any  # the editor's

    def _get_model_sql_data(self, model: Any) -> Any:
        declared = model._meta.indexes
        model._meta.indexes = tuple(i for i in declared or () if not isinstance(i, LiveUnique))
        try:
            return super()._get_model_sql_data(model)  # type: ignore[misc]
        finally:
            model._meta.indexes = declared

    async def create_model(self, model: Any) -> None:
        await super().create_model(model)  # type: ignore[misc]
        for index in _live_uniques(model):
            for sql in index.add_statements(self.client, model):
                await self._run_sql(sql)

    def _index_name_for_model(self, model: Any, index: Index) -> str:
        if isinstance(index, LiveUnique):
            return index.live_name(model)
        return super()._index_name_for_model(model, index)  # type: ignore[misc]

    async def add_index(self, model: Any, index: Index) -> None:
        if not isinstance(index, LiveUnique):
            return await super().add_index(model, index)  # type: ignore[misc]
        for sql in index.add_statements(self.client, model):
            await self._run_sql(sql)

    async def remove_index(self, model: Any, index: Index) -> None:
        if not isinstance(index, LiveUnique):
            return await super().remove_index(model, index)  # type: ignore[misc]
        await self._keep_foreign_key_indexed(model, index.columns(model)[0])
        await self._run_sql(self._drop_index_sql(model, index.live_name(model)))  # type: ignore[attr-defined]
        if not [i for i in _live_uniques(model) if i != index]:
            for sql in index.drop_column_statements(self.client, model):
                await self._run_sql(sql)

    async def _keep_foreign_key_indexed(self, model: Any, column: str) -> None:
        """Before a key is dropped: where the backend needs every foreign key covered by an
        index, make sure one is left for ``column``."""


class PostgresLiveUnique(LiveUniqueEditing, AsyncpgSchemaEditor):
    """Tortoise's asyncpg editor, with LiveUnique."""


class MySQLLiveUnique(LiveUniqueEditing, MySQLSchemaEditor):
    """Tortoise's MySQL editor, with LiveUnique."""

    async def _keep_foreign_key_indexed(self, model: Any, column: str) -> None:
        # InnoDB refuses to drop the only index covering a foreign key (1553). The replacement
        # is named after the constraint, exactly the index InnoDB makes for a key without
        # one, so the schema afterwards is the one a fresh CREATE TABLE gives.
        table = model._meta.db_table
        _, rows = await self.client.execute_query(
            "SELECT k.constraint_name AS fk, "
            "(SELECT COUNT(*) FROM information_schema.statistics s WHERE s.table_schema = "
            "k.table_schema AND s.table_name = k.table_name AND s.column_name = k.column_name "
            "AND s.seq_in_index = 1) AS covering "
            "FROM information_schema.key_column_usage k WHERE k.table_schema = DATABASE() "
            "AND k.table_name = %s AND k.column_name = %s AND k.referenced_table_name IS NOT NULL",
            [table, column],
        )
        for row in rows:
            if int(row["covering"]) <= 1:
                await self._run_sql(
                    f"CREATE INDEX {self.quote(row['fk'])} ON {self.quote(table)} "
                    f"({self.quote(column)})"
                )


class SqliteRebuildKeepsIndexes(LiveUniqueEditing, SqliteSchemaEditor):
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
            if isinstance(index, LiveUnique):
                if all(c in columns for c in index.columns(model)):
                    statements.extend(index.add_statements(self.client, model))
                continue
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
FIXED: dict[type, type] = {
    SqliteSchemaEditor: SqliteRebuildKeepsIndexes,
    AsyncpgSchemaEditor: PostgresLiveUnique,
    MySQLSchemaEditor: MySQLLiveUnique,
}


def schema_editor(executor: Any, *, atomic: bool = True, collect_sql: bool = False) -> Any:
    """The schema editor Tortoise's executor would choose, corrected where :data:`FIXED`
    says so."""
    editor = executor._schema_editor(atomic=atomic, collect_sql=collect_sql)
    fixed = FIXED.get(type(editor))
    if fixed is None:
        return editor
    return fixed(editor.client, atomic=atomic, collect_sql=collect_sql)
