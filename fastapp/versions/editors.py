"""Corrections to Tortoise 1.1.9's schema editors, one subclass per editor that needs one,
found through :data:`FIXED` (editor class -> corrected class).

* SQLite: changing a column rebuilds the table (create ``new__t``, copy, drop, rename), and
  Tortoise's rebuild forgets the table's indexes -- every ``db_index`` and ``Meta.indexes``
  index of the table is gone afterwards, and an ``AlterField`` that adds ``db_index=True``
  creates none; its new table also lacks the ``unique_together`` constraints. The corrected
  rebuild writes them into the new table and creates the indexes the model declares.
* Every backend: an index given as a tuple (``Meta.indexes = (("owner", "label"),)``) is
  written into the migration as ``Index(fields=[...])``, and Tortoise's editors use an
  ``Index``'s field names as column names -- a foreign key ``owner`` becomes a column
  ``"owner"`` (an error on PostgreSQL and MySQL, an index on a string constant on SQLite)
  instead of ``owner_id``. The corrected editors resolve field names to columns, for the
  index and its generated name, as Tortoise's own table generator does for tuples.
* Every backend: :class:`fastapp.models.LiveUnique` (unique among live rows) is not a plain
  index -- a WHERE clause, or a generated column in the key -- so the editors create, add and
  remove it through its own statements instead of Tortoise's plain-index template; so is
  :class:`fastapp.models.DbIndex` (rendered by fastapp's DDL writer), which Tortoise's template
  would write as a plain index on its fields.
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
    BaseSchemaEditor,
    MySQLSchemaEditor,
    PsycopgSchemaEditor,
    SqliteSchemaEditor,
)
from tortoise.migrations.schema_editor.base_postgres import BasePostgresSchemaEditor

from fastapp.models.dbindex import DbIndex
from fastapp.models.indexes import LiveUnique

_NOT_COLUMNS = (ManyToManyFieldInstance, BackwardFKRelation, BackwardOneToOneRelation)


class IndexColumnsResolved:
    """Mixin: the columns (and generated name) of an ``Index`` come from its fields'
    columns, not their names."""

    def _get_index_sql(self, model: Any, field_names: list[str], *args: Any, **kwargs: Any):
        columns = self._resolve_fields_to_columns(model, list(field_names))  # type: ignore[attr-defined]
        return super()._get_index_sql(model, columns, *args, **kwargs)  # type: ignore[misc]

    def _index_name_for_model(self, model: Any, index: Index) -> str:
        if index.name:
            return index.name
        index.resolve_expressions(model)
        columns = self._resolve_fields_to_columns(model, list(index.field_names))  # type: ignore[attr-defined]
        return self._generate_index_name("idx", model, columns)  # type: ignore[attr-defined]


#: Indexes that write their own statements instead of Tortoise's plain-index template.
_OWN_STATEMENTS = (LiveUnique, DbIndex)


def _live_uniques(model: Any) -> list[LiveUnique]:
    return [i for i in model._meta.indexes or () if isinstance(i, LiveUnique)]


def _db_indexes(model: Any) -> list[DbIndex]:
    return [i for i in model._meta.indexes or () if isinstance(i, DbIndex)]


class OwnStatementIndexes:
    """Mixed into a Tortoise schema editor: LiveUnique and DbIndex indexes through their own
    statements."""

    client: Any
    _run_sql: Any  # the editor's

    def _get_model_sql_data(self, model: Any) -> Any:
        declared = model._meta.indexes
        model._meta.indexes = tuple(i for i in declared or () if not isinstance(i, _OWN_STATEMENTS))
        try:
            return super()._get_model_sql_data(model)  # type: ignore[misc]
        finally:
            model._meta.indexes = declared

    async def create_model(self, model: Any) -> None:
        await super().create_model(model)  # type: ignore[misc]
        for index in [*_live_uniques(model), *_db_indexes(model)]:
            for sql in index.add_statements(self.client, model):
                await self._run_sql(sql)

    def _index_name_for_model(self, model: Any, index: Index) -> str:
        if isinstance(index, LiveUnique):
            return index.live_name(model)
        if isinstance(index, DbIndex):
            return index.name_for(self.client, model)
        return super()._index_name_for_model(model, index)  # type: ignore[misc]

    async def add_index(self, model: Any, index: Index) -> None:
        if not isinstance(index, _OWN_STATEMENTS):
            return await super().add_index(model, index)  # type: ignore[misc]
        for sql in index.add_statements(self.client, model):
            await self._run_sql(sql)

    async def remove_index(self, model: Any, index: Index) -> None:
        if isinstance(index, DbIndex):
            return await self._remove_db_index(model, index)
        if not isinstance(index, LiveUnique):
            return await super().remove_index(model, index)  # type: ignore[misc]
        await self._keep_foreign_key_indexed(model, index.columns(model)[0])
        await self._run_sql(self._drop_index_sql(model, index.live_name(model)))  # type: ignore[attr-defined]
        if not [i for i in _live_uniques(model) if i != index]:
            for sql in index.drop_column_statements(self.client, model):
                await self._run_sql(sql)

    async def _remove_db_index(self, model: Any, index: DbIndex) -> None:
        if not index.applies_to(self.client.capabilities.dialect):
            return
        first = index.keys[0]
        if first in model._meta.fields_map:
            await self._keep_foreign_key_indexed(model, _column(model, first))
        await self._run_sql(self._drop_index_sql(model, index.name_for(self.client, model)))  # type: ignore[attr-defined]

    async def _keep_foreign_key_indexed(self, model: Any, column: str) -> None:
        """Before a key is dropped: where the backend needs every foreign key covered by an
        index, make sure one is left for ``column``."""


class FixedMySQLSchemaEditor(OwnStatementIndexes, IndexColumnsResolved, MySQLSchemaEditor):
    """Tortoise's MySQL editor, with LiveUnique and index columns resolved."""

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


class SqliteRebuildKeepsIndexes(OwnStatementIndexes, IndexColumnsResolved, SqliteSchemaEditor):
    """Tortoise's SQLite editor whose table rebuild keeps the model's indexes and its
    ``unique_together`` constraints (written inside the new table, as creating the model
    writes them)."""

    async def _remake_table(
        self, model: Any, create_field: Any = None, delete_field: Any = None, alter_fields=None
    ) -> None:
        alter_fields = alter_fields or []
        columns = _new_columns(model, create_field, delete_field, alter_fields)
        uniques = [
            self._get_unique_constraint_sql(model, names)
            for names in _unique_together(model)
            if all(n in columns for n in names)
        ]
        new_table = self._qualify_table_name(f"new__{model._meta.db_table}", model._meta.schema)
        prefix = f"CREATE TABLE {new_table} ("
        run_sql = self._run_sql  # maybe an instance attribute already (statement tracking)

        async def with_uniques(sql: str) -> None:
            text = sql.rstrip()
            if uniques and text.startswith(prefix) and text.endswith(")"):
                sql = f"{text[:-1]}, {', '.join(uniques)})"
            await run_sql(sql)

        self._run_sql = with_uniques  # type: ignore[method-assign]
        try:
            await super()._remake_table(model, create_field, delete_field, alter_fields)
        finally:
            self._run_sql = run_sql  # type: ignore[method-assign]
        for sql in self._declared_indexes(model, columns):
            await self._run_sql(sql)

    def _declared_indexes(self, model: Any, columns: dict[str, Any]) -> list[str]:
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
            if isinstance(index, DbIndex):
                if all(_column(model, n) in columns for n in index.fields):
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


def _new_columns(
    model: Any, create_field: Any, delete_field: Any, alter_fields: list
) -> dict[str, Any]:
    """Column -> field of the table after the rebuild."""
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
    return columns


def _unique_together(model: Any) -> list[list[str]]:
    return [[_column(model, n) for n in names] for names in model._meta.unique_together or ()]


def _column(model: Any, field_name: str) -> str:
    field = model._meta.fields_map.get(field_name)
    return (field.source_field or field_name) if field is not None else field_name


def _resolved(editor: type) -> type:
    return type(f"Fixed{editor.__name__}", (OwnStatementIndexes, IndexColumnsResolved, editor), {})


#: Tortoise editor class -> the corrected one fastapp runs instead.
FIXED: dict[type, type] = {
    SqliteSchemaEditor: SqliteRebuildKeepsIndexes,
    MySQLSchemaEditor: FixedMySQLSchemaEditor,
    **{
        editor: _resolved(editor)
        for editor in (
            AsyncpgSchemaEditor,
            PsycopgSchemaEditor,
            BasePostgresSchemaEditor,
            BaseSchemaEditor,
        )
    },
}


def schema_editor(executor: Any, *, atomic: bool = True, collect_sql: bool = False) -> Any:
    """The schema editor Tortoise's executor would choose, corrected where :data:`FIXED`
    says so."""
    editor = executor._schema_editor(atomic=atomic, collect_sql=collect_sql)
    fixed = FIXED.get(type(editor))
    if fixed is None:
        return editor
    return fixed(editor.client, atomic=atomic, collect_sql=collect_sql)
