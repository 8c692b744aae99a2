"""``LiveUnique``: columns unique among the rows that are not soft-deleted.

A Tortoise :class:`~tortoise.indexes.Index`, so everything that renders a model's DDL through
Tortoise's schema generator (``generate_schemas``, fastapp's ``migrate`` and the desired side
of ``auto_migrate``) writes it; the versioned-migration schema editor is taught it in
:mod:`fastapp.versions.editors`. How it is written per backend is data on the dialect hub
(``live_unique_*``).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from tortoise.exceptions import ConfigurationError
from tortoise.indexes import Index

from fastapp.dialects import dialect_for_client

if TYPE_CHECKING:
    from tortoise.models import Model

#: The soft-delete column; kept here as a literal so this module needs no other fastapp one.
_DELETED_AT = "deleted_at"


class LiveUnique(Index):
    """``Meta.indexes = (LiveUnique(fields=("slug",)),)``: ``slug`` is unique among live rows;
    a soft-deleted row frees its value. The model must use ``SoftDeleteMixin``."""

    def __init__(self, *, fields: tuple[str, ...] | list[str], name: str | None = None) -> None:
        if not fields:
            raise ConfigurationError("LiveUnique needs at least one field")
        super().__init__(fields=tuple(fields), name=name)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        path, args, kwargs = super().deconstruct()
        return "fastapp.models.LiveUnique", args, kwargs

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and list(self.fields) == list(other.fields)  # type: ignore[attr-defined]
            and self.name == other.name  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self.fields), self.name))

    def __repr__(self) -> str:
        return f"LiveUnique(fields={tuple(self.fields)!r}, name={self.name!r})"

    # -- rendering ------------------------------------------------------------------------
    def live_name(self, model: type[Model]) -> str:
        """The index's name: ``name``, else ``luq_<table>_<hash of table and columns>``
        (the same for the schema generator and the migrations' schema editor)."""
        if self.name:
            return self.name
        table = model._meta.db_table
        digest = hashlib.sha256(f"{table};{','.join(self.columns(model))}".encode()).hexdigest()
        return f"luq_{table[:40]}_{digest[:8]}"

    def index_name(self, schema_generator: Any, model: type[Model]) -> str:
        return self.live_name(model)

    def columns(self, model: type[Model]) -> list[str]:
        """The indexed columns (a foreign key's field name is read as its ``_id`` column)."""
        meta = model._meta
        if _DELETED_AT not in meta.fields_map:
            raise ConfigurationError(
                f"{model.__name__}: LiveUnique needs SoftDeleteMixin (no {_DELETED_AT} field)"
            )
        columns = []
        for name in self.fields:
            field = meta.fields_map.get(name)
            if field is None:
                raise ConfigurationError(f"{model.__name__}: LiveUnique names no field {name!r}")
            source = getattr(field, "source_field", None) or meta.fields_db_projection.get(name)
            columns.append(source or name)
        return columns

    def _values(self, client: Any, model: type[Model], safe: bool, name: str) -> dict[str, str]:
        dialect = dialect_for_client(client)
        return {
            "exists": "IF NOT EXISTS " if safe else "",
            "name": dialect.quote(name),
            "table": dialect.quote(model._meta.db_table),
            "columns": ", ".join(dialect.quote(c) for c in self.columns(model)),
            "deleted": dialect.quote(_DELETED_AT),
            "live": dialect.quote(dialect.live_unique_column_name),
        }

    def get_sql(self, schema_generator: Any, model: type[Model], safe: bool) -> str:
        """A CREATE statement of its own where the backend has partial indexes; otherwise
        the generated column and the key go into the CREATE TABLE body (the generator's
        inline definitions, de-duplicated, so two LiveUniques share one column)."""
        dialect = dialect_for_client(schema_generator.client)
        name = self.live_name(model)
        values = self._values(schema_generator.client, model, safe, name)
        if dialect.live_unique_statement is not None:
            return dialect.live_unique_statement.format(**values) + ";"
        inline = schema_generator._field_indexes
        inline.append(dialect.live_unique_column.format(**values))
        inline.append(dialect.live_unique_key.format(**values))
        return ""

    def add_statements(self, client: Any, model: type[Model]) -> list[str]:
        """The statements adding this index to an existing table (the versioned migrations'
        schema editor)."""
        dialect = dialect_for_client(client)
        values = self._values(client, model, safe=False, name=self.live_name(model))
        if dialect.live_unique_statement is not None:
            return [dialect.live_unique_statement.format(**values)]
        values["column"] = dialect.live_unique_column.format(**values)
        values["key"] = dialect.live_unique_key.format(**values)
        return [template.format(**values) for template in dialect.live_unique_alter]

    def drop_column_statements(self, client: Any, model: type[Model]) -> list[str]:
        """Where the index needs a generated column: the statements dropping it, once the
        table's last LiveUnique is gone."""
        dialect = dialect_for_client(client)
        values = self._values(client, model, safe=False, name=self.live_name(model))
        return [template.format(**values) for template in dialect.live_unique_drop]
