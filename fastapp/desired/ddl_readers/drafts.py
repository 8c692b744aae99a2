"""What the DDL readers collect from a script before building a Schema: one draft per table,
column, index and foreign key as written, plus :class:`ServerHint` (what the text cannot say
about the server it will run on).

Drafts are mutable on purpose: a later statement (``ALTER TABLE``, ``COMMENT ON``) or what
the server does on its own (``Reader.finish_table``) changes them before
:mod:`fastapp.desired.ddl_readers.build` turns them into Schema values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapp.schema.normalize import TypeSpec


@dataclass(frozen=True)
class ServerHint:
    """What a DDL text cannot say about the server it will run on.

    ``mariadb``: MariaDB rather than MySQL (inline ``REFERENCES`` create foreign keys, JSON
    is LONGTEXT with a check). ``charset``/``collation``: the database's defaults, which
    tables without their own inherit. ``charset_collations``: the default collation of each
    charset named in a table without COLLATE (overrides the built-in table of the server's
    defaults). ``engine``: the default storage engine.
    """

    mariadb: bool = True
    charset: str = "utf8mb4"
    collation: str | None = None
    charset_collations: Mapping[str, str] = field(default_factory=dict)
    engine: str = "InnoDB"

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ServerHint:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            from fastapp.errors import SchemaError

            raise SchemaError(
                f"unknown server hint {', '.join(unknown)}: use {', '.join(sorted(known))}"
            )
        return cls(**values)


@dataclass
class ColumnDraft:
    name: str
    type_text: str
    #: The type as one quoted identifier (a PostgreSQL enum type named "Status Kind").
    type_quoted: bool = False
    spec: TypeSpec | None = None
    nullable: bool = True
    default: str | None = None
    autoincrement: bool = False
    comment: str | None = None
    collation: str | None = None
    charset: str | None = None
    generated: str | None = None
    virtual: bool = False
    on_update: str | None = None
    enum_name: str | None = None
    #: PostgreSQL identity: ``ALWAYS`` or ``BY DEFAULT``.
    identity: str | None = None
    #: The spelling the server reports (SQLite; ``Column.declared_type``), None elsewhere.
    declared_type: str | None = None
    line: int | None = None


@dataclass
class IndexDraft:
    columns: list[str]
    unique: bool = False
    method: str | None = None
    where: str | None = None
    orders: list[str | None] = field(default_factory=list)
    expressions: list[bool] = field(default_factory=list)
    lengths: list[int | None] = field(default_factory=list)
    name: str | None = None
    #: ``NULLS FIRST``/``NULLS LAST`` where written against the order's default.
    nulls_order: list[str | None] = field(default_factory=list)


@dataclass
class ForeignKeyDraft:
    columns: list[str]
    ref_table: str
    ref_columns: list[str]
    on_delete: str | None = None
    on_update: str | None = None
    name: str | None = None
    line: int = 0


@dataclass
class TableDraft:
    name: str
    line: int
    columns: dict[str, ColumnDraft] = field(default_factory=dict)
    primary_key: list[str] | None = None
    primary_key_name: str | None = None
    uniques: list[tuple[list[str], str | None]] = field(default_factory=list)
    indexes: list[IndexDraft] = field(default_factory=list)
    foreign_keys: list[ForeignKeyDraft] = field(default_factory=list)
    checks: list[tuple[str, str | None]] = field(default_factory=list)
    comment: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    #: Table options as written (MySQL ENGINE/CHARSET/COLLATE, SQLite WITHOUT ROWID).
    written: dict[str, str] = field(default_factory=dict)
