"""The operations of a migration plan: small immutable values, each with a safety class.

An op says *what* changes, never *how* (no SQL here): the per-dialect renderers in
``fastapp.sql.plan`` turn ops into statements. Every op answers three questions:

* :meth:`Op.describe` - one readable line for prompts, ``--dry-run`` and errors;
* :attr:`Op.safety` - :data:`SAFE`, :data:`DATA_DEPENDENT` (may fail on the rows already
  stored: the executor counts offending rows first) or :data:`DESTRUCTIVE` (loses data);
* :meth:`Op.reverse` - the op undoing it, or ``None`` when data loss makes that impossible.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    EnumType,
    ExclusionConstraint,
    ForeignKey,
    Index,
    PrimaryKey,
    Table,
    UniqueConstraint,
    Unmodelled,
)

SAFE = "safe"
DATA_DEPENDENT = "data-dependent"
DESTRUCTIVE = "destructive"
#: Ordered from harmless to harmful, so ``max`` by rank gives a plan's overall class.
SAFETY_RANK = {SAFE: 0, DATA_DEPENDENT: 1, DESTRUCTIVE: 2}


def _cols(columns: tuple[str, ...]) -> str:
    return ", ".join(columns)


class Op:
    """Base of every op. Subclasses are frozen dataclasses with a ``table`` field."""

    #: Stable kind name, used by renderers for dispatch and by tests.
    kind: ClassVar[str] = "op"
    table: str

    @property
    def safety(self) -> str:
        return SAFE

    @property
    def destructive(self) -> bool:
        return self.safety == DESTRUCTIVE

    def describe(self) -> str:
        raise NotImplementedError

    def reverse(self) -> Op | None:
        return None

    def __str__(self) -> str:
        return self.describe()


# --- tables -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateTable(Op):
    """Create ``definition`` with its constraints and indexes (foreign keys deferred by the
    planner to :class:`AddForeignKey` ops when they would point at a table not yet created)."""

    kind: ClassVar[str] = "create_table"
    table: str
    definition: Table

    def describe(self) -> str:
        return f"create table {self.table} ({len(self.definition.columns)} columns)"

    def reverse(self) -> Op:
        return DropTable(self.table, self.definition)


@dataclass(frozen=True)
class DropTable(Op):
    kind: ClassVar[str] = "drop_table"
    table: str
    definition: Table

    @property
    def safety(self) -> str:
        return DESTRUCTIVE

    def describe(self) -> str:
        return f"drop table {self.table} (its rows are lost)"

    def reverse(self) -> Op:
        return CreateTable(self.table, self.definition)


@dataclass(frozen=True)
class RenameTable(Op):
    kind: ClassVar[str] = "rename_table"
    table: str
    new_name: str

    def describe(self) -> str:
        return f"rename table {self.table} to {self.new_name}"

    def reverse(self) -> Op:
        return RenameTable(self.new_name, self.table)


@dataclass(frozen=True)
class SetTableComment(Op):
    kind: ClassVar[str] = "set_table_comment"
    table: str
    old: str | None
    new: str | None

    def describe(self) -> str:
        if self.new is None:
            return f"remove the comment of table {self.table}"
        return f"set the comment of table {self.table} to {self.new!r}"

    def reverse(self) -> Op:
        return SetTableComment(self.table, self.new, self.old)


@dataclass(frozen=True)
class SetTableOptions(Op):
    """Backend table options (MySQL engine/charset/collation, SQLite WITHOUT ROWID)."""

    kind: ClassVar[str] = "set_table_options"
    table: str
    old: tuple[tuple[str, str], ...]
    new: tuple[tuple[str, str], ...]

    def describe(self) -> str:
        changed = ", ".join(f"{k}={v}" for k, v in self.new if (k, v) not in self.old)
        return f"change table options of {self.table}: {changed or 'defaults'}"

    def reverse(self) -> Op:
        return SetTableOptions(self.table, self.new, self.old)


@dataclass(frozen=True)
class DropUnmodelled(Op):
    """Remove from a live table a clause the Schema cannot carry (:class:`Unmodelled`) that
    the desired side lacks. Renderers perform it where their backend can (PostgreSQL ``SET
    LOGGED``, ``DISABLE ROW LEVEL SECURITY``, ``RESET (...)``...; MySQL ``REMOVE
    PARTITIONING``; a SQLite rebuild) and refuse it by name elsewhere.

    What it costs is the backend's fact (:class:`fastapp.dialects.base.ClauseRemoval`), copied
    here by the diff: ``risk`` (its safety class), ``effect`` (said in the plan) and
    ``rewrites`` (the table is copied under a lock that blocks reads and writes)."""

    kind: ClassVar[str] = "drop_unmodelled"
    table: str
    item: Unmodelled
    risk: str = SAFE
    effect: str = ""
    rewrites: bool = False

    @property
    def safety(self) -> str:
        return self.risk

    def describe(self) -> str:
        where = f"table {self.table}"
        if self.item.object != where:
            where = f"{self.item.object} of {where}"
        text = f"remove {self.item.clause} from {where}"
        return f"{text} ({self.effect})" if self.effect else text


@dataclass(frozen=True)
class SetIndexComment(Op):
    """Only the comment of an existing index changes (``index``: the live one, by its live
    name): said in place, not by dropping and building the index again."""

    kind: ClassVar[str] = "set_index_comment"
    table: str
    index: Index
    old: str | None
    new: str | None

    def describe(self) -> str:
        what = f"index {self.index.name or ', '.join(self.index.columns)} of {self.table}"
        if self.new is None:
            return f"remove the comment of {what}"
        return f"set the comment of {what} to {self.new!r}"

    def reverse(self) -> Op:
        return SetIndexComment(self.table, self.index, self.new, self.old)


@dataclass(frozen=True)
class SetConstraintComment(Op):
    """Only the comment of an existing constraint changes: ``what`` says which kind
    (``unique``, ``check``, ``foreign key``, ``primary key``, ``exclusion``), ``constraint``
    is the live one (its live name included)."""

    kind: ClassVar[str] = "set_constraint_comment"
    table: str
    what: str
    constraint: PrimaryKey | UniqueConstraint | ForeignKey | CheckConstraint | ExclusionConstraint
    old: str | None
    new: str | None

    @property
    def name(self) -> str | None:
        return self.constraint.name

    def describe(self) -> str:
        what = f"{self.what} constraint {self.name}" if self.name else self.what
        what = f"{what} of {self.table}"
        if self.new is None:
            return f"remove the comment of {what}"
        return f"set the comment of {what} to {self.new!r}"

    def reverse(self) -> Op:
        return SetConstraintComment(self.table, self.what, self.constraint, self.new, self.old)


# --- columns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddColumn(Op):
    kind: ClassVar[str] = "add_column"
    table: str
    column: Column

    @property
    def safety(self) -> str:
        c = self.column
        if not c.nullable and c.default is None and not c.autoincrement and c.generated is None:
            return DATA_DEPENDENT  # fails when the table already has rows
        return SAFE

    def describe(self) -> str:
        return f"add column {self.table}.{self.column.name} {_column_text(self.column)}"

    def reverse(self) -> Op:
        return DropColumn(self.table, self.column)


@dataclass(frozen=True)
class DropColumn(Op):
    kind: ClassVar[str] = "drop_column"
    table: str
    column: Column

    @property
    def safety(self) -> str:
        return DESTRUCTIVE

    def describe(self) -> str:
        return f"drop column {self.table}.{self.column.name} (its values are lost)"

    def reverse(self) -> Op:
        return AddColumn(self.table, self.column)


@dataclass(frozen=True)
class RenameColumn(Op):
    kind: ClassVar[str] = "rename_column"
    table: str
    old_name: str
    new_name: str

    def describe(self) -> str:
        return f"rename column {self.table}.{self.old_name} to {self.new_name}"

    def reverse(self) -> Op:
        return RenameColumn(self.table, self.new_name, self.old_name)


@dataclass(frozen=True)
class RenameIndex(Op):
    """A declared rename of an index whose definition stays (``-- @renamed from=old``)."""

    kind: ClassVar[str] = "rename_index"
    table: str
    old_name: str
    new_name: str
    index: Index

    def describe(self) -> str:
        return f"rename index {self.old_name} of {self.table} to {self.new_name}"

    def reverse(self) -> Op:
        return RenameIndex(self.table, self.new_name, self.old_name, self.index)


@dataclass(frozen=True)
class RenameConstraint(Op):
    """A declared rename of a constraint whose definition stays; ``what`` says which kind
    (``unique``, ``check``, ``foreign key``, ``primary key``)."""

    kind: ClassVar[str] = "rename_constraint"
    table: str
    old_name: str
    new_name: str
    what: str

    def describe(self) -> str:
        return f"rename {self.what} constraint {self.old_name} of {self.table} to {self.new_name}"

    def reverse(self) -> Op:
        return RenameConstraint(self.table, self.new_name, self.old_name, self.what)


#: Attributes of a column an :class:`AlterColumn` may change, in rendering order.
COLUMN_ASPECTS = (
    "type",
    "nullable",
    "default",
    "on_update",
    "autoincrement",
    "identity",
    "comment",
    "collation",
    "generated",
    "virtual",
)
#: What the canonical type is made of: equal on both sides, the values need no conversion.
_CANONICAL_TYPE_FIELDS = (
    "type", "length", "precision", "scale", "unsigned", "enum_values", "enum_name"
)  # fmt: skip
#: Plus the spelling where the backend keeps it (SQLite): a respelling is a type change too.
_TYPE_FIELDS = (*_CANONICAL_TYPE_FIELDS, "declared_type")


@dataclass(frozen=True)
class AlterColumn(Op):
    """Change one column in place; ``old`` and ``new`` have the same name."""

    kind: ClassVar[str] = "alter_column"
    table: str
    old: Column
    new: Column

    @property
    def column(self) -> str:
        return self.new.name

    @property
    def changes(self) -> tuple[str, ...]:
        """Which :data:`COLUMN_ASPECTS` differ, in that order."""
        found = []
        if any(getattr(self.old, f) != getattr(self.new, f) for f in _TYPE_FIELDS):
            found.append("type")
        found.extend(
            aspect
            for aspect in COLUMN_ASPECTS[1:]
            if getattr(self.old, aspect) != getattr(self.new, aspect)
        )
        return tuple(found)

    @property
    def type_change(self) -> str:
        """``safe``, ``data-dependent`` or ``destructive`` for the type part alone."""
        if "type" not in self.changes or self.respelled:
            return SAFE
        return classify_type_change(self.old, self.new)

    @property
    def respelled(self) -> bool:
        """The canonical type stays; at most its declared spelling changes (SQLite ``INT``
        -> ``INTEGER``): one affinity, and every value stays as it is."""
        return all(getattr(self.old, f) == getattr(self.new, f) for f in _CANONICAL_TYPE_FIELDS)

    @property
    def safety(self) -> str:
        levels = [self.type_change]
        if self.old.nullable and not self.new.nullable:
            levels.append(DATA_DEPENDENT)
        if self.old.generated != self.new.generated and self.new.generated is not None:
            levels.append(DESTRUCTIVE)  # stored values are replaced by computed ones
        return max(levels, key=SAFETY_RANK.__getitem__)

    def describe(self) -> str:
        parts = []
        for aspect in self.changes:
            if aspect == "type":
                if self.respelled:
                    old, new = self.old.declared_type, self.new.declared_type
                    parts.append(f"type {self.new.type_text} respelled {old!r} -> {new!r}")
                else:
                    parts.append(f"type {self.old.type_text} -> {self.new.type_text}")
            elif aspect == "nullable":
                parts.append("drop NOT NULL" if self.new.nullable else "set NOT NULL")
            elif aspect == "default":
                parts.append(
                    "drop default" if self.new.default is None else f"default {self.new.default}"
                )
            elif aspect == "on_update":
                parts.append(
                    "drop ON UPDATE"
                    if self.new.on_update is None
                    else f"ON UPDATE {self.new.on_update}"
                )
            elif aspect == "virtual":
                parts.append("VIRTUAL (computed when read)" if self.new.virtual else "STORED")
            elif aspect == "autoincrement":
                parts.append("auto-increment" if self.new.autoincrement else "no auto-increment")
            else:
                parts.append(f"{aspect} {getattr(self.new, aspect)!r}")
        return f"alter column {self.table}.{self.column}: {', '.join(parts)}"

    def reverse(self) -> Op | None:
        if self.safety == DESTRUCTIVE:
            return None
        return AlterColumn(self.table, self.new, self.old)


# --- keys, constraints and indexes --------------------------------------------------------


@dataclass(frozen=True)
class SetPrimaryKey(Op):
    """Replace the primary key (``None`` on either side: add or drop it)."""

    kind: ClassVar[str] = "set_primary_key"
    table: str
    old: PrimaryKey | None
    new: PrimaryKey | None

    @property
    def safety(self) -> str:
        return DATA_DEPENDENT if self.new is not None else SAFE

    def describe(self) -> str:
        if self.new is None:
            return f"drop the primary key of {self.table}"
        return f"set the primary key of {self.table} to ({_cols(self.new.columns)})"

    def reverse(self) -> Op:
        return SetPrimaryKey(self.table, self.new, self.old)


@dataclass(frozen=True)
class AddUnique(Op):
    kind: ClassVar[str] = "add_unique"
    table: str
    unique: UniqueConstraint

    @property
    def safety(self) -> str:
        return DATA_DEPENDENT

    def describe(self) -> str:
        return f"add unique constraint on {self.table} ({_cols(self.unique.columns)})"

    def reverse(self) -> Op:
        return DropUnique(self.table, self.unique)


@dataclass(frozen=True)
class DropUnique(Op):
    kind: ClassVar[str] = "drop_unique"
    table: str
    unique: UniqueConstraint

    def describe(self) -> str:
        return f"drop unique constraint on {self.table} ({_cols(self.unique.columns)})"

    def reverse(self) -> Op:
        return AddUnique(self.table, self.unique)


@dataclass(frozen=True)
class CreateIndex(Op):
    kind: ClassVar[str] = "create_index"
    table: str
    index: Index

    @property
    def safety(self) -> str:
        return DATA_DEPENDENT if self.index.unique else SAFE

    def describe(self) -> str:
        what = "unique index" if self.index.unique else "index"
        extra = f" using {self.index.method}" if self.index.method else ""
        where = f" where {self.index.where}" if self.index.where else ""
        return f"create {what} on {self.table} ({_cols(self.index.columns)}){extra}{where}"

    def reverse(self) -> Op:
        return DropIndex(self.table, self.index)


@dataclass(frozen=True)
class DropIndex(Op):
    kind: ClassVar[str] = "drop_index"
    table: str
    index: Index

    def describe(self) -> str:
        what = "unique index" if self.index.unique else "index"
        return f"drop {what} on {self.table} ({_cols(self.index.columns)})"

    def reverse(self) -> Op:
        return CreateIndex(self.table, self.index)


@dataclass(frozen=True)
class AddForeignKey(Op):
    kind: ClassVar[str] = "add_foreign_key"
    table: str
    foreign_key: ForeignKey

    @property
    def safety(self) -> str:
        return DATA_DEPENDENT  # existing rows may reference missing parents

    def describe(self) -> str:
        fk = self.foreign_key
        return (
            f"add foreign key {self.table} ({_cols(fk.columns)}) -> "
            f"{fk.ref_table} ({_cols(fk.ref_columns)}) on delete {fk.on_delete.lower()}"
        )

    def reverse(self) -> Op:
        return DropForeignKey(self.table, self.foreign_key)


@dataclass(frozen=True)
class DropForeignKey(Op):
    kind: ClassVar[str] = "drop_foreign_key"
    table: str
    foreign_key: ForeignKey

    def describe(self) -> str:
        fk = self.foreign_key
        return f"drop foreign key {self.table} ({_cols(fk.columns)}) -> {fk.ref_table}"

    def reverse(self) -> Op:
        return AddForeignKey(self.table, self.foreign_key)


@dataclass(frozen=True)
class AddCheck(Op):
    kind: ClassVar[str] = "add_check"
    table: str
    check: CheckConstraint

    @property
    def safety(self) -> str:
        return DATA_DEPENDENT

    def describe(self) -> str:
        return f"add check constraint on {self.table}: {self.check.expression}"

    def reverse(self) -> Op:
        return DropCheck(self.table, self.check)


@dataclass(frozen=True)
class DropCheck(Op):
    kind: ClassVar[str] = "drop_check"
    table: str
    check: CheckConstraint

    def describe(self) -> str:
        return f"drop check constraint on {self.table}: {self.check.expression}"

    def reverse(self) -> Op:
        return AddCheck(self.table, self.check)


@dataclass(frozen=True)
class AddExclusion(Op):
    """A PostgreSQL ``EXCLUDE`` constraint; fails on rows that conflict already."""

    kind: ClassVar[str] = "add_exclusion"
    table: str
    exclusion: ExclusionConstraint

    @property
    def safety(self) -> str:
        return DATA_DEPENDENT

    def describe(self) -> str:
        return f"add exclusion constraint on {self.table}: {self.exclusion.definition}"

    def reverse(self) -> Op:
        return DropExclusion(self.table, self.exclusion)


@dataclass(frozen=True)
class DropExclusion(Op):
    kind: ClassVar[str] = "drop_exclusion"
    table: str
    exclusion: ExclusionConstraint

    def describe(self) -> str:
        return f"drop exclusion constraint on {self.table}: {self.exclusion.definition}"

    def reverse(self) -> Op:
        return AddExclusion(self.table, self.exclusion)


# --- named types (PostgreSQL enums) -------------------------------------------------------


@dataclass(frozen=True)
class CreateEnumType(Op):
    kind: ClassVar[str] = "create_enum"
    table: str  # the type name; ops are keyed by "table" for ordering
    enum: EnumType

    def describe(self) -> str:
        return f"create enum type {self.enum.name} ({', '.join(self.enum.values)})"

    def reverse(self) -> Op:
        return DropEnumType(self.table, self.enum)


@dataclass(frozen=True)
class DropEnumType(Op):
    kind: ClassVar[str] = "drop_enum"
    table: str
    enum: EnumType

    def describe(self) -> str:
        return f"drop enum type {self.enum.name}"

    def reverse(self) -> Op:
        return CreateEnumType(self.table, self.enum)


@dataclass(frozen=True)
class AddEnumValues(Op):
    """Append labels to an enum type (the only enum change done in place)."""

    kind: ClassVar[str] = "add_enum_values"
    table: str
    enum: EnumType
    values: tuple[str, ...]

    def describe(self) -> str:
        return f"add values {', '.join(self.values)} to enum type {self.enum.name}"


# --- type changes -------------------------------------------------------------------------

_INTEGER_WIDTH = {"tinyint": 1, "smallint": 2, "mediumint": 3, "integer": 4, "bigint": 8}
_FLOAT_WIDTH = {"real": 4, "double": 8}
_TEXT_WIDTH = {"tinytext": 255, "text": 65535, "mediumtext": 16777215, "longtext": 4294967295}
_BLOB_WIDTH = {"tinyblob": 255, "blob": 65535, "mediumblob": 16777215, "longblob": 4294967295}
_STRINGS = {"char", "varchar", *_TEXT_WIDTH}
_BYTES = {"binary", "varbinary", *_BLOB_WIDTH}
#: Types whose text form converts back exactly, so turning them into text is safe.
_TEXTUAL_SOURCES = {
    *_INTEGER_WIDTH,
    "boolean",
    "decimal",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "datetime",
    "uuid",
    "json",
    "jsonb",
    "enum",
    "inet",
}
#: Lossy narrowing: the value survives but loses precision (silently, on most backends).
_LOSSY = {
    ("timestamp", "date"),
    ("timestamptz", "date"),
    ("datetime", "date"),
    ("timestamptz", "timestamp"),
    ("timestamp", "time"),
    ("datetime", "time"),
    ("double", "real"),
    ("double", "decimal"),
    ("real", "decimal"),
    ("jsonb", "json"),
}


def _string_width(column: Column) -> int | None:
    if column.type in _TEXT_WIDTH:
        return _TEXT_WIDTH[column.type]
    if column.type in _BLOB_WIDTH:
        return _BLOB_WIDTH[column.type]
    return column.length  # None: unbounded (PostgreSQL varchar without length)


def classify_type_change(old: Column, new: Column) -> str:
    """How risky it is to convert ``old``'s values to ``new``'s type.

    Widening (``integer`` -> ``bigint``, longer ``varchar``, anything -> ``text``) is safe;
    narrowing that either fits or fails per row (shorter strings, smaller integers, text ->
    number) is data-dependent and checked against the rows first; conversions that silently
    lose information (fewer decimal places, float -> integer, timestamp -> date) are destructive.
    """
    a, b = old.type, new.type
    if old.unsigned and not new.unsigned and a in _INTEGER_WIDTH:
        return DATA_DEPENDENT if _INTEGER_WIDTH.get(b, 0) <= _INTEGER_WIDTH[a] else SAFE
    if a in _INTEGER_WIDTH and b in _INTEGER_WIDTH:
        if new.unsigned and not old.unsigned:
            return DATA_DEPENDENT
        return SAFE if _INTEGER_WIDTH[b] >= _INTEGER_WIDTH[a] else DATA_DEPENDENT
    if a in _FLOAT_WIDTH and b in _FLOAT_WIDTH:
        return SAFE if _FLOAT_WIDTH[b] >= _FLOAT_WIDTH[a] else DESTRUCTIVE
    if a == b == "decimal":
        if (new.scale or 0) < (old.scale or 0):
            return DESTRUCTIVE
        whole_old = (old.precision or 0) - (old.scale or 0)
        whole_new = (new.precision or 0) - (new.scale or 0)
        if old.precision is None or (new.precision is not None and whole_new < whole_old):
            return DATA_DEPENDENT
        return SAFE
    if (a in _STRINGS and b in _STRINGS) or (a in _BYTES and b in _BYTES):
        wide_old, wide_new = _string_width(old), _string_width(new)
        if wide_new is None or (wide_old is not None and wide_new >= wide_old):
            return SAFE
        return DATA_DEPENDENT
    if a in _INTEGER_WIDTH and b in (*_FLOAT_WIDTH, "decimal"):
        return SAFE if b != "decimal" or new.precision is None else DATA_DEPENDENT
    if a in (*_FLOAT_WIDTH, "decimal") and b in _INTEGER_WIDTH:
        return DESTRUCTIVE  # fractions are rounded away
    if a in ("enum", "set") and b == a:
        return SAFE if set(old.enum_values) <= set(new.enum_values) else DATA_DEPENDENT
    if b in _STRINGS and a in _TEXTUAL_SOURCES:
        return SAFE if _string_width(new) is None or b in _TEXT_WIDTH else DATA_DEPENDENT
    if (a, b) in _LOSSY:
        return DESTRUCTIVE
    if a in ("date",) and b in ("timestamp", "timestamptz", "datetime"):
        return SAFE
    if (a, b) in {("timestamp", "timestamptz"), ("datetime", "timestamp"), ("json", "jsonb")}:
        return SAFE
    return DATA_DEPENDENT


def _column_text(column: Column) -> str:
    text = column.type_text
    if not column.nullable:
        text += " not null"
    if column.default is not None:
        text += f" default {column.default}"
    return text


def without_foreign_keys(table: Table, keep: tuple[ForeignKey, ...] = ()) -> Table:
    """``table`` keeping only the foreign keys in ``keep``."""
    return replace(table, foreign_keys=tuple(fk for fk in table.foreign_keys if fk in keep))
