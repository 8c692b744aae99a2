"""The diff engine: ``diff(current, desired, options) -> Plan``, pure and deterministic.

Two :class:`~fastapp.schema.objects.Schema` values of the same dialect go in; an ordered tuple of
immutable ops (:mod:`fastapp.diff.ops`) comes out. No connections, no SQL text: the renderers
turn the plan into statements, the executor runs them.

Renames are never guessed silently. They are declared (``DiffOptions.table_renames`` and
``column_renames``); :attr:`Plan.proposals` lists dropped+added pairs that *could* be renames
so a guided session can ask, and re-diff with the answer.

Ordering is by phase, then by a stable key inside each phase (tables being created come in
foreign-key order, cycles broken by deferring foreign keys to ``AddForeignKey`` ops)::

    renames; drop foreign keys; drop indexes/uniques/checks/primary keys; enum types;
    add columns; alter columns; add primary keys; add uniques/indexes/checks; create tables;
    add foreign keys; drop columns; drop tables; drop enum types; comments (of tables, and of
    indexes and constraints whose definition stays) and table options; removal of live
    clauses the Schema cannot carry (:class:`~fastapp.diff.ops.DropUnmodelled`)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Any

from fastapp.diff import ops as o
from fastapp.errors import SchemaError, UnsupportedClauseError
from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
    Unmodelled,
)
from fastapp.schema.toposort import creation_order, toposort

#: Values that may keep the server's own text of their expressions (``printed``).
WithPrinted = Index | CheckConstraint | Column


class RenameError(SchemaError):
    """A declared rename that does not match the two schemas, or cannot be parsed."""


class UnsupportedChangeError(SchemaError):
    """A difference the engine cannot turn into ops; the message names it and the workaround."""


class UnmodelledClauseError(UnsupportedChangeError, UnsupportedClauseError):
    """The desired schema has something fastapp cannot carry (:class:`Unmodelled`): refused
    before anything changes, naming the table, the object and the clause."""


@dataclass(frozen=True)
class DiffOptions:
    """What the caller tells the engine beyond the two schemas.

    ``table_renames``: ``(old, new)`` pairs. ``column_renames``: ``(table, old, new)`` where
    ``table`` is the table's current or desired name. ``drop_tables``: whether tables of the
    current schema that the desired one lacks are dropped (off when the desired side covers
    only some apps). ``propose_renames``: fill :attr:`Plan.proposals` for guided sessions.
    ``keep_on_update``: the desired side cannot declare MySQL's ``ON UPDATE`` (Tortoise
    models): a live column's clause is kept, not removed behind the user's back.
    ``kept_tables``: live tables never dropped though the desired side lacks them (the
    migration tools' own records). ``keep_live_clauses``: the desired side cannot declare
    what the Schema cannot carry (Tortoise models): a live table's such clauses (``UNLOGGED``,
    row-level security, partitioning...) are kept and said in :attr:`Plan.notes`, not removed
    behind the user's back; a desired DDL file can say them, so without this they go.
    """

    table_renames: tuple[tuple[str, str], ...] = ()
    column_renames: tuple[tuple[str, str, str], ...] = ()
    drop_tables: bool = True
    propose_renames: bool = False
    keep_on_update: bool = False
    kept_tables: frozenset[str] = frozenset()
    #: ``(table, old, new)``: an index or constraint renamed (``-- @renamed from=old`` on its
    #: line); ``table`` is the desired table's name.
    object_renames: tuple[tuple[str, str, str], ...] = ()
    keep_live_clauses: bool = False


@dataclass(frozen=True, order=True)
class RenameProposal:
    """A dropped+added pair of compatible definition that may be one renamed object."""

    table: str
    old: str
    new: str
    #: ``column`` (``table.old`` -> ``table.new``) or ``table`` (``old`` -> ``new``).
    kind: str = "column"

    def describe(self) -> str:
        if self.kind == "table":
            return f"table {self.old} -> {self.new}"
        return f"column {self.table}.{self.old} -> {self.table}.{self.new}"


@dataclass(frozen=True)
class Plan:
    """The ordered ops turning ``current`` into ``desired``."""

    dialect: str
    ops: tuple[o.Op, ...]
    current: Schema = field(compare=False, repr=False)
    desired: Schema = field(compare=False, repr=False)
    proposals: tuple[RenameProposal, ...] = ()
    #: Objects of their own the live database has and the desired side does not mention,
    #: on tables the plan keeps (triggers, policies, rules:
    #: :attr:`~fastapp.schema.objects.Unmodelled.standalone`) or of the schema itself (views,
    #: functions: :class:`~fastapp.schema.objects.SchemaObject`): left as they are, and said
    #: (``describe``) rather than silently ignored.
    notes: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.ops

    @property
    def destructive_ops(self) -> tuple[o.Op, ...]:
        return tuple(op for op in self.ops if op.safety == o.DESTRUCTIVE)

    @property
    def data_dependent_ops(self) -> tuple[o.Op, ...]:
        return tuple(op for op in self.ops if op.safety == o.DATA_DEPENDENT)

    @property
    def safety(self) -> str:
        """The worst safety class among the ops (``safe`` for an empty plan)."""
        return max((op.safety for op in self.ops), key=o.SAFETY_RANK.__getitem__, default=o.SAFE)

    def describe(self) -> list[str]:
        lines = [f"[{op.safety}] {op.describe()}" for op in self.ops]
        return lines + [f"[kept, not modelled] {note}" for note in self.notes]


# --- rename declarations ------------------------------------------------------------------


def parse_column_renames(specs: Iterable[str]) -> tuple[tuple[str, str, str], ...]:
    """``["users.name=full_name"]`` -> ``(("users", "name", "full_name"),)``.

    A name may be quoted (``"..."`` or backquotes, a doubled quote inside) to hold dots,
    ``=`` or a reserved word: ``users."user"=username``, ``"a.b"."c.d"=e``.
    """
    parsed = []
    for spec in specs:
        try:
            parts = _name_parts(spec)
        except ValueError as exc:
            why, parts = f"{exc}; ", []
        else:
            why = ""
        if len(parts) != 2 or len(parts[0]) != 2 or len(parts[1]) != 1:
            raise RenameError(
                f"cannot read --rename {spec!r}: {why}write TABLE.OLD_COLUMN=NEW_COLUMN, "
                'e.g. --rename users_user.name=full_name (quote names holding dots: "a.b")'
            )
        (table, old), (new,) = parts
        parsed.append((table, old, new))
    return tuple(parsed)


def parse_table_renames(specs: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``["old_table=new_table"]`` -> ``(("old_table", "new_table"),)`` (names may be quoted
    as in :func:`parse_column_renames`)."""
    parsed = []
    for spec in specs:
        try:
            parts = _name_parts(spec)
        except ValueError as exc:
            why, parts = f"{exc}; ", []
        else:
            why = ""
        if len(parts) != 2 or len(parts[0]) != 1 or len(parts[1]) != 1:
            raise RenameError(
                f"cannot read --rename-table {spec!r}: {why}write OLD_TABLE=NEW_TABLE, "
                'e.g. --rename-table blog_article=blog_post (quote names holding dots: "a.b")'
            )
        parsed.append((parts[0][0], parts[1][0]))
    return tuple(parsed)


_QUOTES = {'"': '"', "`": "`"}


def _name_parts(spec: str) -> list[list[str]]:
    """``spec`` cut at unquoted ``=`` into sides, each cut at unquoted dots into names;
    a quoted name is taken as written, an unquoted one stripped of spaces. An empty name or
    an unclosed quote raises ValueError."""
    sides: list[list[str]] = [[]]
    current: list[str] = []
    quoted = False
    i = 0

    def close() -> None:
        name = "".join(current)
        name = name if quoted else name.strip()
        if not name:
            raise ValueError("a name is empty")
        sides[-1].append(name)

    while i < len(spec):
        char = spec[i]
        if char in _QUOTES and not "".join(current).strip():
            end_quote, i, current, quoted = _QUOTES[char], i + 1, [], True
            while True:
                if i >= len(spec):
                    raise ValueError("a quote is not closed")
                if spec[i] == end_quote:
                    if spec[i + 1 : i + 2] == end_quote:
                        current.append(end_quote)
                        i += 2
                        continue
                    i += 1
                    break
                current.append(spec[i])
                i += 1
            continue
        if char in ".=":
            close()
            current, quoted = [], False
            if char == "=":
                sides.append([])
        elif quoted and not char.isspace():
            raise ValueError("text after a quoted name")
        else:
            current.append(char)
        i += 1
    close()
    return sides


# --- the engine ---------------------------------------------------------------------------

_PHASES = (
    o.RenameTable,
    o.RenameColumn,
    o.RenameIndex,
    o.RenameConstraint,
    o.DropForeignKey,
    o.DropIndex,
    o.DropUnique,
    o.DropCheck,
    o.DropExclusion,
    "drop_primary_key",
    o.CreateEnumType,
    o.AddEnumValues,
    o.AddColumn,
    o.AlterColumn,
    "add_primary_key",
    o.AddUnique,
    o.CreateIndex,
    o.AddCheck,
    o.AddExclusion,
    o.CreateTable,
    o.AddForeignKey,
    o.DropColumn,
    o.DropTable,
    o.DropEnumType,
    o.SetTableComment,
    o.SetIndexComment,
    o.SetConstraintComment,
    o.SetTableOptions,
    o.DropUnmodelled,
)


def _phase(op: o.Op) -> int:
    if isinstance(op, o.SetPrimaryKey):
        return _PHASES.index("add_primary_key" if op.new is not None else "drop_primary_key")
    return _PHASES.index(type(op))


def diff(current: Schema, desired: Schema, options: DiffOptions | None = None) -> Plan:
    """The plan turning ``current`` into ``desired``.

    Raises :class:`RenameError` for a declared rename that matches neither schema and
    :class:`UnsupportedChangeError` for a difference no op can express.
    """
    options = options or DiffOptions()
    if current.dialect != desired.dialect:
        raise SchemaError(
            f"cannot compare a {current.dialect} schema with a {desired.dialect} schema"
        )
    working, rename_ops = _apply_renames(current, desired, options)
    _refuse_unmodelled(working, desired)
    _refuse_schema_objects(working, desired)
    kept: tuple[str, ...] = ()
    if options.keep_live_clauses:
        desired, kept = _with_live_clauses(working, desired)
    if options.keep_on_update:
        desired = _with_live_on_update(working, desired)
    cur = {t.name: t for t in working.tables}
    des = {t.name: t for t in desired.tables}
    found: list[o.Op] = list(rename_ops)

    found.extend(_enum_ops(working, desired))
    for name in sorted(cur.keys() & des.keys()):
        found.extend(_table_ops(cur[name], des[name]))
    created = [des[name] for name in sorted(des.keys() - cur.keys())]
    found.extend(_create_ops(created, existing=cur.keys() & des.keys()))
    dropped = (
        [cur[name] for name in sorted(cur.keys() - des.keys() - options.kept_tables)]
        if options.drop_tables
        else []
    )
    found.extend(_drop_ops(dropped))
    found.extend(_touched_foreign_keys(found, cur, des))
    found.extend(_object_renames(cur, des, options.object_renames))
    drops, notes = _live_unmodelled(cur, des, current.dialect)
    found.extend(drops)
    notes += _live_schema_objects(working, desired)

    ordered = _order(found)
    proposals = _proposals(ordered, cur, des) if options.propose_renames else ()
    return Plan(current.dialect, tuple(ordered), current, desired, proposals, notes + kept)


def _refuse_unmodelled(working: Schema, desired: Schema) -> None:
    """The one refusal of :class:`Unmodelled` values: a desired table having one its live
    table (after renames) lacks, so it could not be made, before anything runs."""
    live = {t.name: set(t.unmodelled) for t in working.tables}
    found = [
        item.describe(t.name) + _other_definition(item, live.get(t.name, ()))
        for t in desired.tables
        for item in t.unmodelled
        if item not in live.get(t.name, ())
    ]
    if found:
        raise UnmodelledClauseError(
            "the desired schema uses what fastapp cannot carry, so it could not be kept in "
            f"step: {'; '.join(found)}; remove it from the desired DDL and manage it by hand"
        )


def _other_definition(item: Unmodelled, live: Iterable[Unmodelled]) -> str:
    """`` (the database has another definition)`` when the live table has ``item`` by name
    with another body (a trigger changed), else nothing."""
    same = any(x.object == item.object and x.clause == item.clause for x in live)
    return " (the database has it with another definition)" if same else ""


def _refuse_schema_objects(working: Schema, desired: Schema) -> None:
    """The refusal of :class:`SchemaObject` values (views, functions...): fastapp does not
    create or change them, so a desired one the live database lacks, or has with another
    definition, is named before anything runs."""
    live = {(x.kind, x.name): x for x in working.objects}
    found = []
    for item in desired.objects:
        have = live.get((item.kind, item.name))
        if have is None:
            found.append(f"{item.describe()}: not in the database")
        elif have != item:
            found.append(f"{item.describe()}: the database has another definition")
    if found:
        raise UnmodelledClauseError(
            "the desired schema has objects fastapp does not create or change: "
            f"{'; '.join(found)}; create or replace them by hand (or with a versioned "
            "migration's RunSQL), or remove them from the desired DDL"
        )


def _live_schema_objects(working: Schema, desired: Schema) -> tuple[str, ...]:
    """The live :class:`SchemaObject` values the desired side does not mention: kept, and
    said in the plan's notes rather than silently ignored."""
    wanted = {(x.kind, x.name) for x in desired.objects}
    return tuple(x.describe() for x in working.objects if (x.kind, x.name) not in wanted)


def _live_unmodelled(
    cur: Mapping[str, Table], des: Mapping[str, Table], dialect: str
) -> tuple[list[o.Op], tuple[str, ...]]:
    """What the live tables have that the Schema cannot carry and the desired side lacks: a
    standalone object (a trigger...) is kept and said in the plan's notes; a clause on
    something the desired table keeps is a :class:`~fastapp.diff.ops.DropUnmodelled` op
    (carrying what its removal costs on this backend, the hub's
    :class:`~fastapp.dialects.base.ClauseRemoval`); a clause of an index, key or column the
    desired table drops goes with it."""
    from fastapp.dialects import get_dialect

    hub = get_dialect(dialect)
    drops: list[o.Op] = []
    notes: list[str] = []
    # Referenced tables first: PostgreSQL makes a table LOGGED only once the tables its
    # foreign keys point at are (ties and everything else by name).
    having = [des[name] for name in sorted(cur.keys() & des.keys()) if cur[name].unmodelled]
    for name in (table.name for table in creation_order(having)[0]):
        wanted = set(des[name].unmodelled)
        for item in cur[name].unmodelled:
            if item in wanted:
                continue
            if item.standalone:
                notes.append(item.describe(name))
            elif _keeps(des[name], item.object):
                cost = hub.clause_removal(item.clause)
                drops.append(o.DropUnmodelled(name, item, cost.safety, cost.effect, cost.rewrites))
    return drops, tuple(notes)


def _with_live_clauses(current: Schema, desired: Schema) -> tuple[Schema, tuple[str, ...]]:
    """``desired`` with each kept table taking the live clauses it cannot declare (standalone
    objects aside: they are noted anyway), and one note per clause so kept."""
    tables, notes = [], []
    by_name = {t.name: t for t in current.tables}  # Schema.table() scans: n^2 at 1,000 tables
    for table in desired.tables:
        live = by_name.get(table.name)
        extra = (
            ()
            if live is None
            else tuple(
                item
                for item in live.unmodelled
                if not item.standalone
                and item not in table.unmodelled
                and _keeps(table, item.object)
            )
        )
        notes.extend(item.describe(table.name) for item in extra)
        tables.append(replace(table, unmodelled=table.unmodelled + extra) if extra else table)
    return replace(desired, tables=tuple(tables)), tuple(notes)


#: ``Unmodelled.object`` kinds naming an index, key or column by name.
_NAMED_KINDS = ("index", "constraint", "check", "unique", "foreign key", "primary key", "column")


def _keeps(table: Table, obj: str) -> bool:
    """Whether ``table`` has the object an :class:`Unmodelled` names (``index t_idx``,
    ``column c``...); one named by kind alone (``partitioning``, ``foreign key``) or by
    the table is kept with the table."""
    for kind in _NAMED_KINDS:
        if obj.startswith(kind + " ") and obj != kind:
            wanted = obj[len(kind) + 1 :]
            return wanted in _named_objects(table) or table.column(wanted) is not None
    return True


def _named_objects(table: Table) -> dict[str, tuple[str, object]]:
    found: dict[str, tuple[str, object]] = {}
    for what, objects in (
        ("index", table.indexes),
        ("unique", table.uniques),
        ("check", table.checks),
        ("foreign key", table.foreign_keys),
        ("primary key", (table.primary_key,) if table.primary_key else ()),
    ):
        for obj in objects:
            if obj.name:
                found[obj.name] = (what, obj)
    return found


def _object_renames(
    cur: Mapping[str, Table], des: Mapping[str, Table], renames: Sequence[tuple[str, str, str]]
) -> list[o.Op]:
    """Declared index/constraint renames whose object the live table has under its old
    name and the desired one (same definition) under the new name. Already done (the live
    table has the new name) or nothing to rename (a new database): no op. Raises
    :class:`RenameError` when the definition changed too: say the rename and the change
    in two runs."""
    found: list[o.Op] = []
    for table, old, new in renames:
        if table not in cur or table not in des:
            continue
        have, want = _named_objects(cur[table]), _named_objects(des[table])
        if old not in have or new in have or new not in want:
            continue
        (was_kind, was), (kind, wanted) = have[old], want[new]
        if was_kind != kind or was != wanted:
            raise RenameError(
                f"{table}: {kind} {new} is declared renamed from {old}, but the definition "
                "changed too; rename it first (same definition), then change it in a second "
                "run, or drop the @renamed mark to re-create it"
            )
        if kind == "index":
            found.append(o.RenameIndex(table, old, new, wanted))
        else:
            found.append(o.RenameConstraint(table, old, new, kind))
    return found


def _with_live_on_update(current: Schema, desired: Schema) -> Schema:
    """``desired`` with each column's ``ON UPDATE`` taken from the live column it lacks."""
    live = {
        t.name: on_update
        for t in current.tables
        if (on_update := {c.name: c.on_update for c in t.columns if c.on_update is not None})
    }
    if not live:
        return desired  # the common case: no live column has one
    tables = []
    for table in desired.tables:
        kept = live.get(table.name, {})
        columns = tuple(
            replace(c, on_update=kept[c.name]) if c.on_update is None and c.name in kept else c
            for c in table.columns
        )
        tables.append(replace(table, columns=columns) if columns != table.columns else table)
    return replace(desired, tables=tuple(tables))


def _order(found: Sequence[o.Op]) -> list[o.Op]:
    unique: dict[o.Op, None] = dict.fromkeys(found)
    buckets: dict[int, list[o.Op]] = {}
    for op in unique:
        buckets.setdefault(_phase(op), []).append(op)
    ordered: list[o.Op] = []
    for phase in sorted(buckets):
        ops = buckets[phase]
        if _PHASES[phase] in (
            o.CreateTable,
            o.RenameTable,
            o.RenameColumn,
            o.DropTable,
            o.DropUnmodelled,
        ):
            ordered.extend(ops)  # already in dependency / declaration order
        else:
            ordered.extend(sorted(ops, key=_sort_key))
    return ordered


def _sort_key(op: o.Op) -> tuple:
    detail = next(
        (
            getattr(op, name)
            for name in (
                "column",
                "index",
                "unique",
                "foreign_key",
                "check",
                "exclusion",
                "enum",
                "constraint",
                "item",
            )
            if hasattr(op, name)
        ),
        None,
    )
    if isinstance(detail, Column):
        detail = detail.name
    return (op.table, repr(detail))


# --- renames ------------------------------------------------------------------------------


def _apply_renames(
    current: Schema, desired: Schema, options: DiffOptions
) -> tuple[Schema, list[o.Op]]:
    """``current`` as it looks after the declared renames, and the rename ops."""
    if not options.table_renames and not options.column_renames:
        return current, []
    cur = {t.name: t for t in current.tables}
    des_names = set(desired.table_names)
    rename_ops: list[o.Op] = []
    table_map: dict[str, str] = {}
    for old, new in options.table_renames:
        if old in cur and new in des_names and new not in cur:
            table_map[old] = new
            rename_ops.append(o.RenameTable(old, new))
        elif new in cur and old not in cur:
            continue  # already renamed by an earlier run
        else:
            raise RenameError(_rename_problem(f"table {old} -> {new}", old, new, cur, des_names))
    tables = [_renamed_table(t, table_map) for t in current.tables]
    by_name = {t.name: t for t in tables}

    declared = dict(options.table_renames)  # also when applied by an earlier run
    col_map: dict[str, dict[str, str]] = {}
    for table, old, new in options.column_renames:
        name = table_map.get(table, declared.get(table, table))
        target = by_name.get(name)
        wanted = desired.table(name)
        if target is None or wanted is None:
            raise RenameError(
                f"--rename {table}.{old}={new}: table {table!r} is not in both the database "
                "and the desired schema (give its current or new name)"
            )
        has_old, has_new = target.column(old) is not None, target.column(new) is not None
        if has_old and not has_new and wanted.column(new) is not None:
            col_map.setdefault(name, {})[old] = new
            rename_ops.append(o.RenameColumn(name, old, new))
        elif has_new and not has_old:
            continue
        else:
            raise RenameError(
                f"--rename {table}.{old}={new}: expected column {old!r} in the database and "
                f"{new!r} only in the desired schema of table {name!r}"
                f" (database columns: {', '.join(target.column_names)})"
            )
    if col_map:
        tables = [_renamed_columns(t, col_map) for t in tables]
    return replace(current, tables=tuple(tables)), rename_ops


def _rename_problem(what: str, old: str, new: str, cur: Mapping, des: set[str]) -> str:
    if old not in cur:
        return f"--rename-table {old}={new}: the database has no table {old!r}"
    if new in cur:
        return f"--rename-table {old}={new}: the database already has a table {new!r}"
    return f"--rename-table {old}={new}: the desired schema has no table {new!r} ({what})"


def _renamed_table(table: Table, table_map: Mapping[str, str]) -> Table:
    if not table_map:
        return table
    fks = tuple(
        replace(fk, ref_table=table_map.get(fk.ref_table, fk.ref_table))
        for fk in table.foreign_keys
    )
    return replace(table, name=table_map.get(table.name, table.name), foreign_keys=fks)


def _renamed_columns(table: Table, col_map: Mapping[str, Mapping[str, str]]) -> Table:
    own = col_map.get(table.name, {})

    def names(columns: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(own.get(c, c) for c in columns)

    def index(ix: Index) -> Index:
        expr = ix.expressions or (False,) * len(ix.columns)
        cols = tuple(c if e else own.get(c, c) for c, e in zip(ix.columns, expr, strict=False))
        return replace(ix, columns=cols, include=names(ix.include))

    def fk(key: ForeignKey) -> ForeignKey:
        ref = col_map.get(key.ref_table, {})
        return replace(
            key,
            columns=names(key.columns),
            ref_columns=tuple(ref.get(c, c) for c in key.ref_columns),
        )

    return replace(
        table,
        columns=tuple(replace(c, name=own.get(c.name, c.name)) for c in table.columns),
        primary_key=replace(table.primary_key, columns=names(table.primary_key.columns))
        if table.primary_key
        else None,
        uniques=tuple(replace(u, columns=names(u.columns)) for u in table.uniques),
        indexes=tuple(index(ix) for ix in table.indexes),
        foreign_keys=tuple(fk(k) for k in table.foreign_keys),
    )


# --- per-table differences ----------------------------------------------------------------


def _table_ops(cur: Table, des: Table) -> list[o.Op]:
    if cur == des and _same_printed(cur, des):
        return []  # the common case, decided without looking at each part twice
    name = des.name
    found: list[o.Op] = []
    for column in des.columns:
        before = cur.column(column.name)
        if before is None:
            found.append(o.AddColumn(name, column))
        elif before != column:
            found.append(o.AlterColumn(name, before, column))
        elif not same_definition(before, column):
            found.append(o.AlterColumn(name, _as_printed(before, column), column))
    found.extend(o.DropColumn(name, c) for c in cur.columns if des.column(c.name) is None)
    if cur.primary_key is not None and _commented(cur.primary_key, des.primary_key):
        found.append(
            o.SetConstraintComment(
                name,
                "primary key",
                cur.primary_key,
                cur.primary_key.comment,
                des.primary_key.comment,
            )
        )
    elif cur.primary_key != des.primary_key:
        if cur.primary_key is not None:
            found.append(o.SetPrimaryKey(name, cur.primary_key, None))
        if des.primary_key is not None:
            found.append(o.SetPrimaryKey(name, None, des.primary_key))
    found.extend(_keyed_ops(name, "unique", cur.uniques, des.uniques, o.DropUnique, o.AddUnique))
    found.extend(
        _keyed_ops(name, "index", cur.indexes, des.indexes, o.DropIndex, o.CreateIndex, _among)
    )
    found.extend(
        _keyed_ops(
            name,
            "foreign key",
            cur.foreign_keys,
            des.foreign_keys,
            o.DropForeignKey,
            o.AddForeignKey,
        )
    )
    found.extend(
        _keyed_ops(name, "check", cur.checks, des.checks, o.DropCheck, o.AddCheck, _among)
    )
    found.extend(
        _keyed_ops(
            name, "exclusion", cur.exclusions, des.exclusions, o.DropExclusion, o.AddExclusion
        )
    )
    if cur.comment != des.comment:
        found.append(o.SetTableComment(name, cur.comment, des.comment))
    if cur.options != des.options:
        found.append(o.SetTableOptions(name, cur.options, des.options))
    return found


def same_definition(a: WithPrinted, b: WithPrinted) -> bool:
    """Equal, and where both sides kept the server's own text of their expressions
    (``printed``), equal in that too: two texts normalized alike may be stored differently,
    and a database is judged by what its server prints."""
    return a == b and (not a.printed or not b.printed or a.printed == b.printed)


def _same_printed(cur: Table, des: Table) -> bool:
    """Of two equal tables (their parts in one canonical order), whether each pair of parts
    is printed alike too (see :func:`same_definition`): then :func:`_table_ops` finds
    nothing."""
    return all(
        not a.printed or not b.printed or a.printed == b.printed
        for a, b in chain(
            zip(cur.columns, des.columns, strict=True),
            zip(cur.indexes, des.indexes, strict=True),
            zip(cur.checks, des.checks, strict=True),
        )
    )


def _among(value: WithPrinted, values: Sequence[WithPrinted]) -> bool:
    return value in values and any(same_definition(value, v) for v in values if v == value)


def _as_printed(live: Column, desired: Column) -> Column:
    """``live`` with the default and generation expression whose printed text differs from
    the desired column's written as printed, so the change names them."""
    mine, theirs = dict(live.printed), dict(desired.printed)
    changed = {part: text for part, text in mine.items() if theirs.get(part, text) != text}
    return replace(live, **changed)


def _uncommented(value: Any) -> Any:
    return replace(value, comment=None)


def _commented(old: Any, new: Any) -> bool:
    """``old`` and ``new`` are one object whose comment alone differs."""
    return new is not None and old.comment != new.comment and _uncommented(old) == _uncommented(new)


def _contains(value: Any, values: Sequence[Any]) -> bool:
    return value in values


def _keyed_ops(
    table: str,
    what: str,
    cur: Sequence[Any],
    des: Sequence[Any],
    drop: type,
    add: type,
    among: Callable[[Any, Sequence[Any]], bool] = _contains,
) -> list[o.Op]:
    """Drops and adds for the indexes or constraints of one kind that differ (``among``
    says whether one side has a value), except those whose comment alone differs: a comment
    op for each of those (nothing is rebuilt)."""
    gone = [c for c in cur if not among(c, des)]
    new = [d for d in des if not among(d, cur)]
    by_shape = {_uncommented(d): d for d in new}
    found: list[o.Op] = []
    for old in gone:
        match = by_shape.pop(_uncommented(old), None)
        if match is not None and not among(_uncommented(old), [_uncommented(match)]):
            match = None  # equal but for the comment as normalized, not as the server prints
        if match is None:
            found.append(drop(table, old))
        elif what == "index":
            found.append(o.SetIndexComment(table, old, old.comment, match.comment))
        else:
            found.append(o.SetConstraintComment(table, what, old, old.comment, match.comment))
        if match is not None:
            new.remove(match)
    found.extend(add(table, d) for d in new)
    return found


def _enum_ops(current: Schema, desired: Schema) -> list[o.Op]:
    cur = {e.name: e for e in current.enums}
    des = {e.name: e for e in desired.enums}
    found: list[o.Op] = [o.CreateEnumType(n, des[n]) for n in sorted(des.keys() - cur.keys())]
    found.extend(o.DropEnumType(n, cur[n]) for n in sorted(cur.keys() - des.keys()))
    for name in sorted(cur.keys() & des.keys()):
        old, new = cur[name].values, des[name].values
        if old == new:
            continue
        if new[: len(old)] != old:
            raise UnsupportedChangeError(
                f"enum type {name}: labels can only be appended ({', '.join(old)} -> "
                f"{', '.join(new)}); to reorder or remove labels create a new type, convert the "
                "columns to it, then drop the old type"
            )
        found.append(o.AddEnumValues(name, des[name], new[len(old) :]))
    return found


def _create_ops(created: Sequence[Table], existing: Iterable[str]) -> list[o.Op]:
    """Create tables in foreign-key order; a cycle is broken at its smallest table name by
    creating it without the foreign keys to tables not yet created, added afterwards."""
    order, deferred = creation_order(created)
    found: list[o.Op] = []
    later: list[o.Op] = []
    for table in order:
        name = table.name
        if name in deferred:
            later.extend(o.AddForeignKey(name, fk) for fk in deferred[name])
            keep = tuple(fk for fk in table.foreign_keys if fk not in deferred[name])
            table = o.without_foreign_keys(table, keep)
        found.append(o.CreateTable(name, table))
    return found + later


def _drop_ops(dropped: Sequence[Table]) -> list[o.Op]:
    """Drop referencing and inheriting tables first (a heap keeps it linear and
    name-ordered); a cycle of foreign keys is broken at its smallest table name by dropping
    the foreign keys pointing at it first."""
    by_name = {t.name: t for t in dropped}
    referenced_by: dict[str, set[str]] = {name: set() for name in by_name}
    for t in dropped:
        for ref in (t.references | t.parents) & by_name.keys():
            referenced_by[ref].add(t.name)
    result = toposort(by_name, referenced_by.__getitem__, break_cycles=True)
    position = {name: i for i, name in enumerate(result.order)}
    broken = set(result.broken)
    found: list[o.Op] = []
    for name in result.order:
        if name in broken:
            later = sorted(r for r in referenced_by[name] if position[r] > position[name])
            for other in later:
                found.extend(
                    o.DropForeignKey(other, fk)
                    for fk in by_name[other].foreign_keys
                    if fk.ref_table == name
                )
        found.append(o.DropTable(name, by_name[name]))
    return found


def _touched_foreign_keys(
    found: Sequence[o.Op], cur: Mapping[str, Table], des: Mapping[str, Table]
) -> list[o.Op]:
    """Foreign keys kept on both sides whose columns change, or whose referenced key is
    dropped: dropped before the change and added back after it (MySQL refuses to alter a
    column used by a foreign key; PostgreSQL refuses to drop a key a foreign key needs).
    Those of a table the plan drops are only dropped first: table drops come last."""
    altered = {(op.table, op.column) for op in found if isinstance(op, o.AlterColumn)}
    dropped_keys: set[tuple[str, tuple[str, ...]]] = set()
    #: Dropped keys and indexes by table: MySQL refuses to drop the index a foreign key of
    #: the same table relies on (its columns are a leftmost prefix of the index).
    dropped_indexes: dict[str, list[tuple[str, ...]]] = {}
    for op in found:
        columns: tuple[str, ...] = ()
        if isinstance(op, o.DropUnique):
            columns = op.unique.columns
            dropped_keys.add((op.table, columns))
        elif isinstance(op, o.DropIndex):
            columns = op.index.columns
            if op.index.unique:
                dropped_keys.add((op.table, columns))
        elif isinstance(op, o.SetPrimaryKey) and op.old is not None:
            columns = op.old.columns
            dropped_keys.add((op.table, columns))
        if columns:
            dropped_indexes.setdefault(op.table, []).append(columns)
    gone = {op.table for op in found if isinstance(op, o.DropTable)}
    extra: list[o.Op] = []
    for name in sorted(cur.keys() & (des.keys() | gone)):
        kept = name in des
        wanted = des[name].foreign_keys if kept else ()
        for fk in cur[name].foreign_keys:
            if kept and fk not in wanted and not any(_commented(fk, k) for k in wanted):
                continue  # dropped or changed: its own ops drop and add it
            touched = (
                any((name, c) in altered for c in fk.columns)
                or any((fk.ref_table, c) in altered for c in fk.ref_columns)
                or (fk.ref_table, fk.ref_columns) in dropped_keys
                or any(
                    cols[: len(fk.columns)] == fk.columns for cols in dropped_indexes.get(name, ())
                )
            )
            if touched:
                extra.append(o.DropForeignKey(name, fk))
                if kept:
                    extra.append(o.AddForeignKey(name, fk))
    return extra


def _proposals(
    plan_ops: Sequence[o.Op], cur: Mapping[str, Table], des: Mapping[str, Table]
) -> tuple[RenameProposal, ...]:
    drops: dict[str, list[Column]] = {}
    adds: dict[str, list[Column]] = {}
    for op in plan_ops:
        if isinstance(op, o.DropColumn):
            drops.setdefault(op.table, []).append(op.column)
        elif isinstance(op, o.AddColumn):
            adds.setdefault(op.table, []).append(op.column)
    found = []
    for table in sorted(drops.keys() & adds.keys()):
        for old in drops[table]:
            for new in adds[table]:
                probe = o.AlterColumn(table, old, replace(new, name=old.name))
                if probe.safety != o.DESTRUCTIVE and old.type == new.type:
                    found.append(RenameProposal(table, old.name, new.name))
    dropped = [op.definition for op in plan_ops if isinstance(op, o.DropTable)]
    created = [op.definition for op in plan_ops if isinstance(op, o.CreateTable)]
    for old in dropped:
        for new in created:
            if {c.name: c.type for c in old.columns} == {c.name: c.type for c in new.columns}:
                found.append(RenameProposal(new.name, old.name, new.name, kind="table"))
    return tuple(sorted(found))
