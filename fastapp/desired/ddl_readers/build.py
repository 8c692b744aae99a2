"""Drafts -> Schema values: the one place a parsed script's tables become the Schema that the
diff compares, normalized the way a catalog reader normalizes what the server reports
(:mod:`fastapp.schema.normalize`), so both sides of a diff speak alike.

Pure functions of the drafts; what the server does on its own was applied to the drafts
before (``Reader.finish_table``).
"""

from __future__ import annotations

from fastapp.desired.ddl_readers.drafts import ColumnDraft, IndexDraft, TableDraft
from fastapp.schema.normalize import (
    index_shape,
    normalize_comment,
    normalize_default,
    normalize_fk_action,
    normalize_index_method,
    normalize_type,
)
from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    PrimaryKey,
    Table,
    UniqueConstraint,
)


def build_table(dialect_name: str, draft: TableDraft) -> Table:
    """The Table of ``draft`` (its foreign keys' referenced columns already known)."""
    return Table(
        name=draft.name,
        columns=tuple(build_column(dialect_name, c) for c in draft.columns.values()),
        primary_key=PrimaryKey(tuple(draft.primary_key), name=draft.primary_key_name)
        if draft.primary_key
        else None,
        uniques=tuple(UniqueConstraint(tuple(c), name=n) for c, n in draft.uniques),
        indexes=tuple(build_index(i) for i in draft.indexes),
        foreign_keys=tuple(
            ForeignKey(
                tuple(fk.columns),
                fk.ref_table,
                tuple(fk.ref_columns),
                on_delete=normalize_fk_action(fk.on_delete, dialect_name),
                on_update=normalize_fk_action(fk.on_update, dialect_name),
                name=fk.name,
            )
            for fk in draft.foreign_keys
        ),
        checks=tuple(CheckConstraint(e, name=n) for e, n in draft.checks),
        comment=normalize_comment(draft.comment),
        options=tuple(draft.options.items()),
    )


def build_column(dialect_name: str, column: ColumnDraft) -> Column:
    """The Column of ``column``: type, default and comment normalized for ``dialect_name``."""
    spec = column.spec or normalize_type(dialect_name, column.type_text)
    return Column(
        name=column.name,
        type=spec.type,
        length=spec.length,
        precision=spec.precision,
        scale=spec.scale,
        nullable=column.nullable,
        default=None
        if column.generated is not None
        else normalize_default(dialect_name, column.default),
        autoincrement=column.autoincrement,
        identity=column.identity,
        unsigned=spec.unsigned,
        comment=normalize_comment(column.comment),
        collation=column.collation,
        enum_values=spec.enum_values,
        enum_name=column.enum_name,
        generated=column.generated,
        virtual=column.generated is not None and column.virtual,
        known_type=spec.known,
        on_update=normalize_default(dialect_name, column.on_update),
        declared_type=column.declared_type,
    )


def build_index(draft: IndexDraft) -> Index:
    """The Index of ``draft`` (orders and expression flags only where any is set)."""
    orders, expressions = index_shape(draft.orders, draft.expressions)
    lengths = tuple(draft.lengths) if any(n is not None for n in draft.lengths) else ()
    return Index(
        tuple(draft.columns),
        unique=draft.unique,
        method=normalize_index_method(draft.method),
        where=draft.where,
        orders=orders,
        expressions=expressions,
        lengths=lengths,
        name=draft.name,
        nulls_order=tuple(draft.nulls_order) if any(draft.nulls_order) else (),
    )
