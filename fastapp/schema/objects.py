"""The abstract Schema: frozen dataclasses compared by value.

Everything that reads a database (the catalog readers) or a DDL script produces a :class:`Schema`;
the diff engine compares two of them; reverse generation and DDL export consume one.

Conventions that make two schemas comparable (applied by ``fastapp.schema.normalize``, the one
place where normalization rules live):

* Identifiers are kept exactly as the database stores them (case included).
* ``Column.type`` is a lowercase canonical name from :data:`CANONICAL_TYPES` when the type has
  a shared meaning, with length/precision/scale in their own fields (``varchar`` + ``length``,
  ``decimal`` + ``precision``/``scale``). A type outside that vocabulary is kept verbatim,
  lowercase, with its arguments (``vector(3)``, ``cidr``), and ``Column.known_type`` is False.
  SQLite reports the type as declared, so there ``Column.declared_type`` keeps that spelling
  too (``INT`` and ``INTEGER`` are one canonical type, two different SQLite columns).
* Defaults are normalized SQL expression text (``'abc'``, ``0``, ``CURRENT_TIMESTAMP``),
  ``None`` when there is no default. Sequence/identity defaults are not defaults: they set
  ``autoincrement``.
* Constraint and index names are carried for rendering and messages but excluded from
  comparison: objects are identified by their definition (columns, referenced table, actions).
* Collections are tuples in a canonical order (columns in table order; everything else sorted
  by definition), so equal schemas are ``==`` and serialize to identical text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

#: Shared type vocabulary. Dialect spellings map onto these in ``fastapp.schema.normalize``.
CANONICAL_TYPES = frozenset(
    {
        "smallint",
        "integer",
        "bigint",
        "tinyint",
        "mediumint",
        "boolean",
        "decimal",
        "real",
        "double",
        "char",
        "varchar",
        "text",
        "tinytext",
        "mediumtext",
        "longtext",
        "binary",
        "varbinary",
        "blob",
        "tinyblob",
        "mediumblob",
        "longblob",
        "date",
        "time",
        "timetz",
        "timestamp",
        "timestamptz",
        "datetime",
        "interval",
        "json",
        "jsonb",
        "uuid",
        "enum",
        "set",
        "year",
        "bit",
        "inet",
        "vector",
    }
)

#: Referential actions, normalized spelling. Databases report the default as NO ACTION.
FK_ACTIONS = ("NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT")


@dataclass(frozen=True, order=True)
class Column:
    """A table column. ``enum_values`` holds the labels of enum/set types, in order."""

    name: str
    type: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    nullable: bool = True
    default: str | None = None
    autoincrement: bool = False
    unsigned: bool = False
    comment: str | None = None
    collation: str | None = None
    enum_values: tuple[str, ...] = ()
    #: Name of a PostgreSQL enum type (``type`` is then ``enum``).
    enum_name: str | None = None
    #: Generated column expression (normalized text), stored or virtual.
    generated: str | None = None
    known_type: bool = True
    #: Expression the backend stores on every UPDATE of the row (normalized text; MySQL
    #: ``ON UPDATE CURRENT_TIMESTAMP``). None everywhere else.
    on_update: str | None = None
    #: A generated column computed when read (``VIRTUAL``), not stored; False for stored
    #: ones (PostgreSQL's only kind) and for ordinary columns.
    virtual: bool = False
    #: PostgreSQL identity column: ``ALWAYS`` or ``BY DEFAULT`` (``autoincrement`` is then
    #: True too); None for a serial column (a sequence default) and everywhere else.
    identity: str | None = None
    #: The type exactly as declared, whitespace-normalized (``DOUBLE PRECISION``, ``INT``):
    #: set only where the backend keeps the declared spelling and reports it (SQLite, whose
    #: ``PRAGMA table_info`` prints it; see ``declared_type`` on its hub). ``type`` and its
    #: arguments stay the canonical reading, which everything else uses; this one is compared
    #: and written back verbatim. None elsewhere: PostgreSQL and MySQL print types their own
    #: way (``format_type``, ``COLUMN_TYPE``), which the canonical reading already is.
    declared_type: str | None = None
    #: PostgreSQL: ``(part, text)`` for a part (``default``, ``generated``) stored otherwise
    #: when its printed text is written again: the text that reproduces it, from the desired DDL
    #: (:mod:`fastapp.desired.sources.postgres`). Written, not compared.
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    #: ``(part, text)``: each expression part exactly as the server printed it (PostgreSQL's
    #: catalog reader). Texts normalized alike may be stored differently: the diff compares
    #: these where both sides have them (:func:`fastapp.diff.compare.same_definition`).
    printed: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def type_text(self) -> str:
        """The type as one readable token: ``varchar(20)``, ``decimal(10,2)``, ``text``."""
        if self.length is not None:
            return f"{self.type}({self.length})"
        if self.precision is not None and self.scale is not None:
            return f"{self.type}({self.precision},{self.scale})"
        if self.precision is not None:
            return f"{self.type}({self.precision})"
        return self.type


@dataclass(frozen=True, order=True)
class PrimaryKey:
    """``deferrable``/``initially_deferred``: PostgreSQL's constraint timing (False elsewhere)."""

    columns: tuple[str, ...]
    name: str | None = field(default=None, compare=False)
    deferrable: bool = False
    initially_deferred: bool = False
    #: The key's own comment (MySQL/MariaDB ``PRIMARY KEY (...) COMMENT '...'``).
    comment: str | None = None


@dataclass(frozen=True, order=True)
class UniqueConstraint:
    """``nulls_not_distinct``: PostgreSQL 15's ``UNIQUE NULLS NOT DISTINCT``."""

    columns: tuple[str, ...]
    name: str | None = field(default=None, compare=False)
    deferrable: bool = False
    initially_deferred: bool = False
    nulls_not_distinct: bool = False
    comment: str | None = None


@dataclass(frozen=True, order=True)
class Index:
    """An index. ``columns`` are column names or, for expression indexes, normalized
    expression text; ``orders`` holds ``DESC`` markers per column where not ascending."""

    columns: tuple[str, ...]
    unique: bool = False
    method: str | None = None
    where: str | None = None
    orders: tuple[str | None, ...] = ()
    expressions: tuple[bool, ...] = ()
    #: Prefix length per column where only a prefix is indexed (MySQL ``col(10)``); empty
    #: when no column has one.
    lengths: tuple[int | None, ...] = ()
    name: str | None = field(default=None, compare=False)
    #: Non-key columns stored in the index (PostgreSQL ``INCLUDE (...)``).
    include: tuple[str, ...] = ()
    #: Operator class per key column where not the type's default (``text_pattern_ops``);
    #: empty when every key uses its default.
    opclasses: tuple[str | None, ...] = ()
    #: Collation per key column where it differs from the column's own; empty when none does.
    collations: tuple[str | None, ...] = ()
    #: ``NULLS FIRST``/``NULLS LAST`` per key column where not the default for its order
    #: (ascending: last, descending: first); empty when every key uses the default.
    nulls_order: tuple[str | None, ...] = ()
    nulls_not_distinct: bool = False
    #: Storage parameters (``WITH (fillfactor=70)``) as ``(name, value)`` pairs in the order
    #: the server keeps them (``pg_get_indexdef`` prints that order: it is part of the
    #: definition the server reports).
    storage: tuple[tuple[str, str], ...] = ()
    comment: str | None = None
    #: Build it outside the transaction, without blocking writes (PostgreSQL
    #: ``CREATE INDEX CONCURRENTLY`` as written in a desired file). How, not what: not compared.
    concurrently: bool = field(default=False, compare=False)
    #: PostgreSQL: ``(part, text)`` for a part (``where``, ``columns.N``: key N, an expression)
    #: stored otherwise when its printed text is written again: the text that reproduces it,
    #: from the desired DDL (:mod:`fastapp.desired.sources.postgres`). Written, not compared.
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    #: ``(part, text)``: each expression part exactly as the server printed it (PostgreSQL's
    #: catalog reader). Texts normalized alike may be stored differently: the diff compares
    #: these where both sides have them (:func:`fastapp.diff.compare.same_definition`).
    printed: tuple[tuple[str, str], ...] = field(default=(), compare=False)


@dataclass(frozen=True, order=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"
    name: str | None = field(default=None, compare=False)
    #: ``MATCH FULL`` (``FULL``); None is the default, MATCH SIMPLE.
    match: str | None = None
    deferrable: bool = False
    initially_deferred: bool = False
    comment: str | None = None


@dataclass(frozen=True, order=True)
class CheckConstraint:
    """``no_inherit``: PostgreSQL ``CHECK (...) NO INHERIT``."""

    expression: str
    name: str | None = field(default=None, compare=False)
    no_inherit: bool = False
    comment: str | None = None
    #: PostgreSQL: ``(part, text)`` for a part (``expression``) stored otherwise when its
    #: printed text is written again: the text that reproduces it, from the desired DDL
    #: (:mod:`fastapp.desired.sources.postgres`). Written, not compared.
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    #: ``(part, text)``: each expression part exactly as the server printed it (PostgreSQL's
    #: catalog reader). Texts normalized alike may be stored differently: the diff compares
    #: these where both sides have them (:func:`fastapp.diff.compare.same_definition`).
    printed: tuple[tuple[str, str], ...] = field(default=(), compare=False)


@dataclass(frozen=True, order=True)
class ExclusionConstraint:
    """A PostgreSQL ``EXCLUDE`` constraint. ``definition`` is the server's own text of it
    (``pg_get_constraintdef``: ``EXCLUDE USING gist (room WITH =, during WITH &&)``, with its
    ``WHERE`` and timing clauses): both sides of a comparison are read back from a PostgreSQL
    server, which prints one definition one way."""

    definition: str
    name: str | None = field(default=None, compare=False)
    comment: str | None = None
    #: PostgreSQL: ``(part, text)`` for a part (``definition``) stored otherwise when its
    #: printed text is written again: the text that reproduces it, from the desired DDL
    #: (:mod:`fastapp.desired.sources.postgres`). Written, not compared.
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)


@dataclass(frozen=True, order=True)
class Unmodelled:
    """Something a catalog reports on a table that the Schema cannot carry (an inheritance
    parent, a trigger, an IGNORED index, a DEFERRABLE SQLite key, MySQL partitioning...):
    ``object`` names it as ``kind name`` (``table t``, ``index t_idx``, ``constraint c``,
    ``column c``, ``trigger t``; ``partitioning``, or the bare kind where the backend gives
    no name), ``clause`` says what it has. The one mechanism for it (issue 14):

    * the diff refuses, by name and before anything runs, a desired table with one the live
      table lacks (:class:`fastapp.diff.compare.UnmodelledClauseError`);
    * one both sides have is kept as it is; a DDL writer refuses to (re)create a table with
      one, since the new table would lack it (:meth:`fastapp.sql.ddl.base.DDL.refuse_unexpressible_table`);
    * a live :attr:`standalone` object the desired side does not mention is said in
      :attr:`Plan.notes` and kept;
    * a live clause the desired side lacks on an object it keeps is a
      :class:`~fastapp.diff.ops.DropUnmodelled` op, which a renderer performs where its
      backend can (PostgreSQL ``SET LOGGED``, ``RESET (...)``, ``NO INHERIT``..., MySQL
      ``REMOVE PARTITIONING``, ``NOT IGNORED``..., a SQLite rebuild; the cost of each is
      data on the dialect hub, ``ClauseRemoval``) and refuses by name elsewhere; when the
      desired side cannot declare such clauses (models), the diff keeps them instead
      (``DiffOptions.keep_live_clauses``).
    """

    object: str
    clause: str
    #: The table this one inherits from (PostgreSQL ``INHERITS``): it must outlive this one.
    parent: str | None = None
    #: What a standalone object does (a trigger's timing, events and body), normalized and
    #: free of the schema's name: compared, so a changed body is a difference, not a match.
    definition: str = ""

    @property
    def standalone(self) -> bool:
        """An object of its own, not a clause of a column, key, index or the table: its
        clause is the statement that makes it (``CREATE TRIGGER``, ``CREATE POLICY``...)."""
        return self.clause.startswith("CREATE ")

    def describe(self, table: str) -> str:
        if self.object == f"table {table}":  # a clause of the table itself
            return f"table {table}: {self.clause}"
        return f"table {table}: {self.object}: {self.clause}"


@dataclass(frozen=True)
class SchemaObject:
    """An object of the schema that is no table's and that fastapp does not create or change:
    a view, a materialized view, a function or procedure, a standalone sequence, a domain...
    (issue 14). Compared by ``definition``, the object's text as its catalog reader
    normalizes it (whitespace, and free of the schema's own name, so a desired file applied in
    a scratch schema reads the same). The diff refuses, by name, a desired one the live
    database lacks or has with another definition; a live one the desired side does not
    mention is kept and said in :attr:`Plan.notes`.

    ``kind`` is lowercase words (``view``, ``materialized view``, ``function``, ``procedure``,
    ``sequence``, ``domain``); ``name`` is unique within its kind (a function's includes its
    argument types: ``slugify(text)``).
    """

    kind: str
    name: str
    definition: str

    def describe(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Table:
    """A table. ``options`` holds backend table options that matter for equality
    (MySQL ``engine``/``charset``/``collation``, SQLite ``without_rowid``), sorted by key."""

    name: str
    columns: tuple[Column, ...] = ()
    primary_key: PrimaryKey | None = None
    uniques: tuple[UniqueConstraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    comment: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    exclusions: tuple[ExclusionConstraint, ...] = ()
    #: What the catalog reports that the Schema cannot carry; not compared (the diff refuses
    #: or reports it, see :class:`Unmodelled`).
    unmodelled: tuple[Unmodelled, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        # Canonical order for everything but columns, so equality means same definition.
        object.__setattr__(self, "uniques", _canonical(self.uniques, _key))
        object.__setattr__(self, "indexes", _canonical(self.indexes, _index_key))
        object.__setattr__(self, "foreign_keys", _canonical(self.foreign_keys, _key))
        object.__setattr__(self, "checks", _canonical(self.checks, _key))
        object.__setattr__(self, "options", tuple(sorted(self.options)))
        object.__setattr__(self, "exclusions", _canonical(self.exclusions, _key))
        object.__setattr__(self, "unmodelled", _canonical(self.unmodelled, None))

    def column(self, name: str) -> Column | None:
        for column in self.columns:
            if column.name == name:
                return column
        return None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def references(self) -> frozenset[str]:
        """Tables this table's foreign keys point at (itself excluded)."""
        return frozenset(fk.ref_table for fk in self.foreign_keys) - {self.name}

    @property
    def parents(self) -> frozenset[str]:
        """Tables this table inherits from (PostgreSQL ``INHERITS``, read as unmodelled)."""
        return frozenset(u.parent for u in self.unmodelled if u.parent is not None)


def source_text(value: Any, part: str, printed: str | None) -> str | None:
    """The text to write for ``part`` of ``value``: its :attr:`sources` entry, else
    ``printed`` (the compared text)."""
    for name, text in getattr(value, "sources", ()):
        if name == part:
            return text
    return printed


def _index_key(index: Index) -> tuple:
    return (
        index.columns,
        index.unique,
        index.method or "",
        index.where or "",
        tuple(o or "" for o in index.orders),
        index.expressions,
        tuple(n or 0 for n in index.lengths),
        index.include,
        tuple(o or "" for o in index.opclasses),
        tuple(c or "" for c in index.collations),
        tuple(n or "" for n in index.nulls_order),
        index.nulls_not_distinct,
        index.storage,
        index.comment or "",
    )


def _canonical(values: Iterable[Any], key: Callable[[Any], Any] | None) -> tuple:
    """``values`` without repeats, sorted by ``key``. Most tables have one value of a kind
    or none, and a table is built three times per run (cache, catalog, renames): those skip
    the hashing and sorting."""
    values = tuple(values)
    if len(values) < 2:
        return values
    return tuple(sorted(set(values), key=key))


def _key(value: Any) -> tuple:
    """A sort key for a constraint value whose optional fields may be None."""
    return tuple(
        ("" if v is None else v)
        for f in _compared_fields(type(value))
        for v in (getattr(value, f),)
    )


def _compared_fields(kind: type) -> tuple[str, ...]:
    names = _COMPARED.get(kind)
    if names is None:
        names = _COMPARED[kind] = tuple(f.name for f in fields(kind) if f.compare)
    return names


_COMPARED: dict[type, tuple[str, ...]] = {}


@dataclass(frozen=True)
class EnumType:
    """A named enum type (PostgreSQL ``CREATE TYPE ... AS ENUM``)."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Schema:
    """A whole database schema of one dialect. Tables and enum types are sorted by name."""

    dialect: str
    tables: tuple[Table, ...] = ()
    enums: tuple[EnumType, ...] = ()
    #: Extensions or features present that affect types (``vector``), sorted.
    extensions: tuple[str, ...] = field(default=(), compare=False)
    #: The schema's objects that are no table's (views, functions...), by kind and name.
    objects: tuple[SchemaObject, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", tuple(sorted(self.tables, key=lambda t: t.name)))
        object.__setattr__(self, "enums", tuple(sorted(self.enums, key=lambda e: e.name)))
        object.__setattr__(self, "extensions", tuple(sorted(self.extensions)))
        object.__setattr__(
            self, "objects", tuple(sorted(self.objects, key=lambda x: (x.kind, x.name)))
        )

    def table(self, name: str) -> Table | None:
        for table in self.tables:
            if table.name == name:
                return table
        return None

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)

    def only(self, names: Iterable[str]) -> Schema:
        """The same schema restricted to ``names``."""
        wanted = set(names)
        return replace(self, tables=tuple(t for t in self.tables if t.name in wanted))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (names included), stable for ``--format json``: what the schema
        is, without how a reader printed or a writer must write its expressions."""
        return asdict(self, dict_factory=_exported)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        """Inverse of :meth:`to_dict`."""
        return cls(
            dialect=data["dialect"],
            tables=tuple(_table_from_dict(t) for t in data.get("tables", ())),
            enums=tuple(EnumType(e["name"], tuple(e["values"])) for e in data.get("enums", ())),
            extensions=tuple(data.get("extensions", ())),
            objects=tuple(_build(SchemaObject, x) for x in data.get("objects", ())),
        )


#: Fields that say how an expression was printed or must be written, not what it is.
_WRITING_AIDS = frozenset({"sources", "printed"})


def _exported(items: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: value for key, value in items if key not in _WRITING_AIDS}


def _build(kind: type, data: Mapping[str, Any]) -> Any:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind))
    values = {}
    for name in names:
        if name in data:
            value = data[name]
            values[name] = tuple(value) if isinstance(value, list) else value
    for pairs in ("storage", "sources", "printed"):
        if values.get(pairs):
            values[pairs] = tuple(tuple(pair) for pair in values[pairs])
    return kind(**values)


#: Field names per dataclass: ``fields()`` is slow, and the desired-schema cache builds
#: thousands of values per load.
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _table_from_dict(data: Mapping[str, Any]) -> Table:
    pk = data.get("primary_key")
    return Table(
        name=data["name"],
        columns=tuple(_build(Column, c) for c in data.get("columns", ())),
        primary_key=_build(PrimaryKey, pk) if pk else None,
        uniques=tuple(_build(UniqueConstraint, u) for u in data.get("uniques", ())),
        indexes=tuple(_build(Index, i) for i in data.get("indexes", ())),
        foreign_keys=tuple(_build(ForeignKey, f) for f in data.get("foreign_keys", ())),
        checks=tuple(_build(CheckConstraint, c) for c in data.get("checks", ())),
        comment=data.get("comment"),
        options=tuple(tuple(o) for o in data.get("options", ())),
        exclusions=tuple(_build(ExclusionConstraint, x) for x in data.get("exclusions", ())),
        unmodelled=tuple(_build(Unmodelled, u) for u in data.get("unmodelled", ())),
    )
