"""``DbIndex``: an index a model declares with the whole vocabulary fastapp's Schema carries.

Tortoise's ``Index``/``PartialIndex`` and ``tortoise.contrib.postgres.indexes`` know fields,
expressions, a ``WHERE`` built from a dict and an access method. ``DbIndex`` adds what a
database reversed into models would otherwise lose: operator classes, per-key ``COLLATE``,
``ASC/DESC NULLS FIRST/LAST``, ``INCLUDE``, ``NULLS NOT DISTINCT``, storage parameters, raw SQL
predicates and expressions, and a comment.

It is rendered by fastapp's own DDL writer (:mod:`fastapp.sql.ddl`) -- the one rendering of an
index in the codebase -- from the :class:`fastapp.schema.objects.Index` value it stands for, so
the index it creates reads back as declared. Everything that writes a model's DDL writes it:
Tortoise's schema generator (``generate_schemas``, ``migrate``, the desired side of
``auto_migrate``) through :meth:`DbIndex.get_sql`, and the versioned migrations' schema editor
(:mod:`fastapp.versions.editors`) through :meth:`DbIndex.add_statements`. A clause the backend
cannot write is refused by name when the DDL is made; ``dialects=`` declares an index for some
backends only (one declaration per backend is how a per-backend variant is written).

Named ``DbIndex``, not ``Index``: a migration file imports Tortoise's ``Index`` for the
``Meta.indexes`` tuples, and the two would collide there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tortoise.exceptions import ConfigurationError
from tortoise.indexes import Index

from fastapp.errors import SchemaError, UnsupportedClauseError

if TYPE_CHECKING:
    from tortoise.models import Model

    from fastapp.schema.objects import Index as SchemaIndex
    from fastapp.sql.ddl.base import DDL

_ORDERS = {"ASC": None, "DESC": "DESC"}
#: Per order, the NULLS placement the server uses when none is written (it is then not said).
_DEFAULT_NULLS = {None: "NULLS LAST", "DESC": "NULLS FIRST"}
_PER_KEY = ("opclasses", "collations", "orders", "nulls", "lengths")


def _is_expression(key: str) -> bool:
    """A key in parentheses is SQL, as in ``CREATE INDEX``; anything else names a field."""
    return key.startswith("(") and key.endswith(")")


class DbIndex(Index):
    """``Meta.indexes = (DbIndex(fields=("email",), opclasses=("text_pattern_ops",)),)``.

    :param fields: the keys, in order: field names (a foreign key's name means its ``_id``
        column) or SQL expressions in parentheses, ``"(lower(email))"``.
    :param name: the index name; default the one fastapp gives an unnamed index
        (``<table>_<columns>_idx``).
    :param unique: a unique index.
    :param method: access method (``"gin"``, ``"brin"``; MySQL ``"hash"``, ``"fulltext"``).
    :param opclasses, collations, orders, nulls, lengths: one entry per key, ``None`` for
        the default: operator class, ``COLLATE``, ``"ASC"``/``"DESC"``,
        ``"FIRST"``/``"LAST"``, MySQL prefix length.
    :param include: fields stored in the index but not keys (``INCLUDE``).
    :param nulls_not_distinct: a unique index treating NULLs as equal.
    :param where: the predicate of a partial index, SQL over column names.
    :param storage: storage parameters, ``{"fillfactor": 70}``, in the order to write them.
    :param comment: the index's comment.
    :param dialects: backends the index exists on (``"postgres"``, ``"mysql"``,
        ``"sqlite"``); elsewhere the model has no such index. Default: every backend, and a
        clause one of them cannot write is refused there by name.
    :raises ConfigurationError: for a declaration that cannot be an index (no key, an entry
        list whose length is not the number of keys, an unknown order or backend).
    """

    def __init__(
        self,
        *,
        fields: Sequence[str],
        name: str | None = None,
        unique: bool = False,
        method: str | None = None,
        opclasses: Sequence[str | None] = (),
        collations: Sequence[str | None] = (),
        orders: Sequence[str | None] = (),
        nulls: Sequence[str | None] = (),
        lengths: Sequence[int | None] = (),
        include: Sequence[str] = (),
        nulls_not_distinct: bool = False,
        where: str | None = None,
        storage: Mapping[str, str | int | float | bool] | None = None,
        comment: str | None = None,
        dialects: Sequence[str] | None = None,
    ) -> None:
        keys = tuple(fields)
        if not keys or isinstance(fields, str):
            raise ConfigurationError("DbIndex needs fields=(...): a tuple of keys")
        self.keys = keys
        # What Tortoise reads off every Index: its model check looks for ``fields`` among the
        # model's fields, so only the field keys (and INCLUDE fields) are there.
        self.fields = [k for k in keys if not _is_expression(k)] + list(include)
        self.name = name
        self.expressions = ()
        self._expressions_resolved = True
        self.unique = bool(unique)
        self.method = method.lower() if method else None
        per_key = {
            "opclasses": _per_key("opclasses", opclasses, keys),
            "collations": _per_key("collations", collations, keys),
            "orders": _per_key("orders", [_order(o) for o in orders], keys),
            "nulls": _per_key("nulls", [_nulls(n) for n in nulls], keys),
            "lengths": _per_key("lengths", lengths, keys),
        }
        self.opclasses = per_key["opclasses"]
        self.collations = per_key["collations"]
        self.orders = per_key["orders"]
        self.nulls = per_key["nulls"]
        self.lengths = per_key["lengths"]
        self.include = tuple(include)
        if nulls_not_distinct and not unique:
            raise ConfigurationError(
                f"DbIndex(fields={keys!r}): nulls_not_distinct needs unique=True"
            )
        self.nulls_not_distinct = bool(nulls_not_distinct)
        self.where = where or None
        self.storage = tuple((str(k), _storage_value(v)) for k, v in (storage or {}).items())
        self.comment = comment
        self.dialects = _dialects(dialects)
        # Tortoise's migration autodetector tells indexes apart by (field_names, INDEX_TYPE,
        # extra): the whole definition goes into ``extra`` so a changed opclass or predicate
        # is a change, and a renamed index a new one (Tortoise's RenameIndex would turn it
        # into a plain Index). Nothing of fastapp's renders ``extra`` into SQL.
        self.extra = repr(self)

    # -- what Tortoise's migrations read ----------------------------------------------------
    @property
    def field_names(self) -> list[str]:
        return list(self.keys)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        """What ``makemigrations`` writes: ``DbIndex(fields=(...), ...)`` with the arguments
        that are not defaults, importing it from ``fastapp.models``."""
        return "fastapp.models.DbIndex", [], self._arguments()

    def _arguments(self) -> dict[str, Any]:
        values: dict[str, Any] = {"fields": self.keys}
        optional: tuple[tuple[str, Any], ...] = (
            ("name", self.name),
            ("unique", self.unique),
            ("method", self.method),
            ("opclasses", self.opclasses),
            ("collations", self.collations),
            ("orders", self.orders),
            ("nulls", self.nulls),
            ("lengths", self.lengths),
            ("include", self.include),
            ("nulls_not_distinct", self.nulls_not_distinct),
            ("where", self.where),
            ("storage", dict(self.storage)),
            ("comment", self.comment),
            ("dialects", self.dialects),
        )
        values.update((key, value) for key, value in optional if value)
        return values

    def describe(self) -> dict:
        return {**super().describe(), **self._arguments()}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple:
        return tuple(
            (k, tuple(sorted(v.items())) if isinstance(v, dict) else v)
            for k, v in self._arguments().items()
        )

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._arguments().items())
        return f"DbIndex({inner})"

    # -- the Schema value it stands for ---------------------------------------------------
    def applies_to(self, dialect_name: str) -> bool:
        """Whether the index exists on backend ``dialect_name`` (``dialects=``)."""
        return self.dialects is None or dialect_name in self.dialects

    def schema_index(self, model: type[Model], ddl: DDL) -> SchemaIndex:
        """The :class:`fastapp.schema.objects.Index` this declares on ``model``'s table, named
        (its own name, else the writer's name for it). Raises :class:`SchemaError` for a key
        or INCLUDE entry that is not a column field of the model, and
        :class:`UnsupportedClauseError` for a clause the backend of ``ddl`` cannot write."""
        from dataclasses import replace

        from fastapp.schema.objects import Index as SchemaIndex
        from fastapp.schema.objects import Table

        columns = tuple(k[1:-1] if _is_expression(k) else self._column(model, k) for k in self.keys)
        expressions = tuple(_is_expression(k) for k in self.keys)
        count = len(self.keys)
        pairs = zip(self.nulls or (None,) * count, self.orders or (None,) * count, strict=True)
        nulls = tuple(
            None if n is None or f"NULLS {n}" == _DEFAULT_NULLS[o] else f"NULLS {n}"
            for n, o in pairs
        )
        index = SchemaIndex(
            columns=columns,
            unique=self.unique,
            method=self.method,
            where=self.where,
            orders=self.orders,
            expressions=expressions if any(expressions) else (),
            lengths=self.lengths,
            include=tuple(self._column(model, f) for f in self.include),
            opclasses=self.opclasses,
            collations=self.collations,
            nulls_order=nulls if any(nulls) else (),
            nulls_not_distinct=self.nulls_not_distinct,
            storage=self.storage,
            comment=self.comment,
            name=self.name,
        )
        table = model._meta.db_table
        missing = ddl.unexpressible_clauses(index)
        if missing:
            raise UnsupportedClauseError(
                f"{_label(model)}: {self!r}: {', '.join(missing)} cannot be written in "
                f"{ddl.dialect_name}; remove the clause, or declare the index for the backends "
                f"that have it with dialects=(...)"
            )
        return replace(index, name=ddl.index_name(Table(name=table), index))

    def _column(self, model: type[Model], name: str) -> str:
        meta = model._meta
        field = meta.fields_map.get(name)
        column = getattr(field, "source_field", None) or meta.fields_db_projection.get(name)
        if field is None or column is None:
            raise SchemaError(
                f"{_label(model)}: {self!r} names {name!r}, which is not a column field of "
                "the model; use a field name, or an SQL expression in parentheses"
            )
        return column

    # -- rendering ------------------------------------------------------------------------
    def index_name(self, schema_generator: Any, model: type[Model]) -> str:
        return self.name_for(schema_generator.client, model)

    def name_for(self, client: Any, model: type[Model]) -> str:
        """The index's name on ``client``'s backend (the schema editor's)."""
        if self.name:
            return self.name
        return self.schema_index(model, _ddl(client)).name or ""

    def add_statements(self, client: Any, model: type[Model], *, safe: bool = False) -> list[str]:
        """The statements creating this index on ``model``'s existing table, with its
        comment; none on a backend ``dialects=`` leaves out. ``safe``: ``IF NOT EXISTS``."""
        from fastapp.schema.objects import Table

        ddl = _ddl(client)
        if not self.applies_to(ddl.dialect_name):
            return []
        index = self.schema_index(model, ddl)
        table = Table(name=model._meta.db_table, indexes=(index,))
        create = ddl.create_index(table, index)
        if safe:
            # The writer's statement starts "CREATE [UNIQUE ]INDEX ": the first "INDEX " is
            # the keyword. (Backends whose CREATE INDEX lacks IF NOT EXISTS write indexes
            # into CREATE TABLE instead, see get_sql.)
            create = create.replace("INDEX ", "INDEX IF NOT EXISTS ", 1)
        return [create, *ddl.comment_statements_for(table)]

    def get_sql(self, schema_generator: Any, model: type[Model], safe: bool) -> str:
        """For Tortoise's schema generator: the statements after CREATE TABLE; where the
        backend writes indexes inside CREATE TABLE (MySQL), the key goes there instead."""
        from fastapp.schema.objects import Table

        ddl = _ddl(schema_generator.client)
        if not self.applies_to(ddl.dialect_name):
            return ""
        index = self.schema_index(model, ddl)
        table = Table(name=model._meta.db_table, indexes=(index,))
        if not ddl.separate_indexes(table):
            schema_generator._field_indexes.extend(ddl.inline_indexes(table))
            return ""
        return "".join(
            s + ";\n" for s in self.add_statements(schema_generator.client, model, safe=safe)
        )


def _ddl(client: Any) -> DDL:
    from fastapp.sql.ddl import get_ddl

    return get_ddl(client.capabilities.dialect)


def _label(model: type[Model]) -> str:
    return f"model {model._meta.app}.{model.__name__} (table {model._meta.db_table})"


def _per_key(what: str, values: Sequence[Any], keys: tuple[str, ...]) -> tuple:
    """One entry per key, or empty when every entry is the default (None)."""
    values = tuple(values)
    if values and len(values) != len(keys):
        raise ConfigurationError(
            f"DbIndex(fields={keys!r}): {what} has {len(values)} entries for {len(keys)} keys; "
            "give one per key, None for the default"
        )
    return values if any(v is not None for v in values) else ()


def _order(value: str | None) -> str | None:
    if value is None:
        return None
    if value.upper() not in _ORDERS:
        raise ConfigurationError(f"DbIndex: order {value!r} is not 'ASC', 'DESC' or None")
    return _ORDERS[value.upper()]


def _nulls(value: str | None) -> str | None:
    if value is None:
        return None
    word = value.upper().removeprefix("NULLS ").strip()
    if word not in ("FIRST", "LAST"):
        raise ConfigurationError(f"DbIndex: nulls {value!r} is not 'FIRST', 'LAST' or None")
    return word


def _storage_value(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _dialects(names: Sequence[str] | None) -> tuple[str, ...] | None:
    if names is None:
        return None
    from fastapp.dialects import dialect_names

    chosen = (names,) if isinstance(names, str) else tuple(names)
    unknown = [n for n in chosen if n not in dialect_names()]
    if unknown or not chosen:
        raise ConfigurationError(
            f"DbIndex: dialects={chosen!r}: use backend names from {', '.join(dialect_names())}"
        )
    return tuple(sorted(chosen))
