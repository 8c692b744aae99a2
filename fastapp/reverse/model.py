"""Schema -> model specifications: what each class, field and Meta option will say.

This is the thinking half of reverse generation (names, relations, join tables, defaults);
:mod:`fastapp.reverse.source` only spells the result as Python. Everything is derived from the
Schema alone, in sorted order, so the same schema always gives the same module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from fastapp.reverse import naming
from fastapp.reverse.types import (
    AUTO_FK_INDEX,
    INTEGER_FIELDS,
    NOT_INDEXABLE,
    PARENTHESIZED_DEFAULTS,
    TEXT_FIELDS,
    FieldType,
    created_type,
    field_type,
)
from fastapp.schema.objects import Column, ForeignKey, Index, Schema, Table
from fastapp.schema.toposort import creation_order

#: ``ON DELETE`` action -> the ``fields`` constant Tortoise spells it with.
ON_DELETE = {
    "CASCADE": "fields.CASCADE",
    "RESTRICT": "fields.RESTRICT",
    "SET NULL": "fields.SET_NULL",
    "SET DEFAULT": "fields.SET_DEFAULT",
    "NO ACTION": "fields.NO_ACTION",
}
#: Non-default PostgreSQL index methods Tortoise has an index class for.
INDEX_CLASSES = {
    "gin": "GinIndex",
    "gist": "GistIndex",
    "hash": "HashIndex",
    "brin": "BrinIndex",
    "spgist": "SpGistIndex",
    "bloom": "BloomIndex",
}
INDEX_MODULE = "tortoise.contrib.postgres.indexes"
_NOW = re.compile(
    r"(CURRENT_TIMESTAMP|NOW|LOCALTIMESTAMP|GETDATE)\s*(\(\s*\d*\s*\))?", re.IGNORECASE
)
_NUMBER = re.compile(r"-?\d+(\.\d*)?([eE][-+]?\d+)?")
_TRUE = frozenset({"TRUE", "1", "'1'", "'T'", "'TRUE'", "B'1'"})
_FALSE = frozenset({"FALSE", "0", "'0'", "'F'", "'FALSE'", "B'0'"})
JSON_CHECK = "json_valid"
_SIMPLE_DEFAULT = re.compile(r"-?\d+(\.\d*)?|'(?:[^']|'')*'|[A-Za-z_]+")
#: Quote characters Tortoise writes around names without escaping them inside.
UNESCAPED_QUOTES = ('"', "`")
QUOTE_TODO = "Tortoise does not escape quotes inside names: its DDL for this name fails"
#: Tortoise takes an index "field" holding one of these for an expression and leaves it
#: unquoted, which breaks the DDL: indexes on such columns are left as TODO comments.
UNQUOTED_INDEX_CHARS = (" ", "(", ")", '"', ".", ":")


def _index_safe(columns: tuple[str, ...]) -> bool:
    return not any(ch in c for c in columns for ch in UNQUOTED_INDEX_CHARS)


@dataclass
class FieldSpec:
    """One model attribute: ``name[: annotation] = fields.<call>(<args>)  # <comment>``."""

    name: str
    call: str
    args: list[str] = field(default_factory=list)
    kwargs: list[tuple[str, str]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    #: Relation type hint (``fields.ForeignKeyRelation["User"]``) for editors and type checkers.
    annotation: str | None = None


@dataclass
class EnumSpec:
    name: str
    members: list[tuple[str, str]]


@dataclass
class ModelSpec:
    name: str
    table: Table
    fields: list[FieldSpec] = field(default_factory=list)
    meta: list[tuple[str, str]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


@dataclass
class ModuleSpec:
    """Everything the renderer needs, plus what the caller reports."""

    dialect: str
    models: list[ModelSpec]
    enums: list[EnumSpec]
    imports: set[tuple[str, str]]
    #: Tables pulled in because a selected table references them.
    added: tuple[str, ...] = ()
    #: Join tables rendered as ``ManyToManyField`` instead of a model.
    join_tables: tuple[str, ...] = ()
    todos: int = 0


@dataclass(frozen=True)
class _Relation:
    """A single-column foreign key that becomes a relation field."""

    table: str
    column: str
    fk: ForeignKey
    one_to_one: bool


@dataclass(frozen=True)
class _Facts:
    """What the fields of one table need to know about its keys and indexes."""

    #: The one column that is the model's primary key: the table's own one-column key, or a
    #: stand-in (see :meth:`_Builder._facts`); empty when there is none.
    pk: tuple[str, ...]
    #: The table's real primary key (several columns for a composite key).
    key: tuple[str, ...]
    uniques: frozenset[tuple[str, ...]]
    #: Columns with a plain one-column index Tortoise can write (``db_index=True``).
    single_index: frozenset[str]
    #: MariaDB JSON columns (``longtext`` plus a ``json_valid`` check).
    json_columns: frozenset[str]


@dataclass(frozen=True)
class _Join:
    """A pure join table: column 0 points at ``source`` (backward key), column 1 at ``target``."""

    table: Table
    source: str
    target: str
    backward: str
    forward: str
    on_delete: str


def with_references(schema: Schema, names: Iterable[str]) -> tuple[list[str], list[str]]:
    """``names`` plus every table they reference, transitively: (all sorted, added sorted)."""
    by_name = {t.name: t for t in schema.tables}
    wanted = set(names)
    stack = list(wanted)
    added: set[str] = set()
    while stack:
        table = by_name.get(stack.pop())
        if table is None:
            continue
        for ref in table.references:
            if ref not in wanted and ref in by_name:
                wanted.add(ref)
                added.add(ref)
                stack.append(ref)
    return sorted(wanted), sorted(added)


def dependency_order(tables: list[Table]) -> list[Table]:
    """Referenced tables first, ties by name; tables in a cycle follow in name order."""
    # A cycle: string references make any order importable, so nothing is deferred.
    return creation_order(tables, can_defer=False)[0]


def _single_pk(table: Table) -> str | None:
    pk = table.primary_key
    return pk.columns[0] if pk is not None and len(pk.columns) == 1 else None


def _plain(index: Index) -> bool:
    return not (
        index.method
        or index.where
        or any(index.orders)
        or any(index.expressions)
        or any(index.lengths)
    )


def _unique_columns(table: Table) -> set[tuple[str, ...]]:
    found = {u.columns for u in table.uniques}
    found.update(i.columns for i in table.indexes if i.unique and _plain(i))
    return found


def _shape(column: Column) -> tuple:
    return (column.type, column.length, column.precision, column.scale, column.unsigned)


def _join(
    dialect: str,
    by_name: dict[str, Table],
    table: Table,
    selected: set[str],
    referenced: set[str],
) -> _Join | None:
    """The join-table reading of ``table`` when it is exactly what ManyToManyField creates."""
    if len(table.columns) != 2 or len(table.foreign_keys) != 2 or table.checks:
        return None
    if table.name in referenced:
        return None
    first, second = table.columns
    if any(
        c.nullable or c.default or c.comment or c.autoincrement or c.generated
        for c in (first, second)
    ):
        return None
    fks = {fk.columns: fk for fk in table.foreign_keys}
    fk_a, fk_b = fks.get((first.name,)), fks.get((second.name,))
    if fk_a is None or fk_b is None:
        return None
    if (
        fk_a.on_delete != fk_b.on_delete
        or fk_a.on_update != "NO ACTION"
        or fk_b.on_update != "NO ACTION"
    ):
        return None
    pair = (first.name, second.name)
    pk = table.primary_key.columns if table.primary_key else None
    if pk not in (None, pair) or (pair not in _unique_columns(table) and pk != pair):
        return None
    for index in table.indexes:
        if index.columns == pair and index.unique:
            continue
        if not (
            dialect in AUTO_FK_INDEX
            and _plain(index)
            and not index.unique
            and len(index.columns) == 1
            and index.columns[0] in pair
        ):
            return None
    for column, fk in ((first, fk_a), (second, fk_b)):
        target = by_name.get(fk.ref_table)
        if target is None or fk.ref_table not in selected:
            return None
        ref_pk = _single_pk(target)
        if ref_pk is None or fk.ref_columns != (ref_pk,):
            return None
        if _shape(target.column(ref_pk)) != _shape(column):
            return None
    return _Join(table, fk_a.ref_table, fk_b.ref_table, first.name, second.name, fk_a.on_delete)


def _index_todo(index: Index) -> str:
    """Why an index stays a comment, with its definition."""
    text = f"index not expressible in Tortoise: {'UNIQUE ' if index.unique else ''}"
    text += f"({', '.join(index.columns)})"
    text += f" USING {index.method}" if index.method else ""
    text += f" WHERE {index.where}" if index.where else ""
    text += " with DESC columns" if any(index.orders) else ""
    if any(index.lengths):
        prefixes = ", ".join(
            f"{c}({n})" for c, n in zip(index.columns, index.lengths, strict=False) if n
        )
        text += f" with prefix lengths {prefixes}"
    if any(index.expressions):
        text += " (an expression index)"
    elif _plain(index) and not _index_safe(index.columns):
        text += " (Tortoise leaves names with spaces or punctuation unquoted)"
    return text


def _py(value: object) -> str:
    """A Python literal for ``value``; strings double-quoted (json.dumps is valid Python)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _string_literal(text: str) -> str | None:
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        body = text[1:-1]
        if body.replace("''", "").find("'") < 0:
            return body.replace("''", "'")
    return None


class _Builder:
    """One generation run: names first (classes, attributes, reverse names, join tables, all
    deduplicated across the selection), then one :class:`ModelSpec` per table."""

    def __init__(
        self, schema: Schema, names: list[str], app: str, db_schema: str | None = None
    ) -> None:
        self.schema = schema
        self.db_schema = db_schema
        self.by_name = {t.name: t for t in schema.tables}
        self.dialect = schema.dialect
        self.app = app
        self.imports: set[tuple[str, str]] = {("tortoise", "fields"), ("tortoise.models", "Model")}
        self.todos = 0
        #: (table, column) whose field is a placeholder for a type Tortoise lacks.
        self.placeholders: set[tuple[str, str]] = set()
        self.selected = set(names)
        referenced = {
            fk.ref_table
            for name in names
            for fk in self.by_name[name].foreign_keys
            if fk.ref_table != name
        }
        self.joins: dict[str, _Join] = {}
        for name in names:
            join = _join(self.dialect, self.by_name, self.by_name[name], self.selected, referenced)
            if join is not None:
                self.joins[name] = join
        self.tables = dependency_order([self.by_name[n] for n in names if n not in self.joins])
        self.joins_by_source: dict[str, list[_Join]] = {}
        for join_name in sorted(self.joins):
            join = self.joins[join_name]
            self.joins_by_source.setdefault(join.source, []).append(join)
        self.enum_classes: dict[object, str] = {}
        self.enums: list[EnumSpec] = []
        self.classes = naming.NameSpace(naming.MODULE_NAMES)
        self.class_of = {t.name: self.classes.claim(naming.class_name(t.name)) for t in self.tables}
        self.relations = {
            (rel.table, rel.column): rel for t in self.tables for rel in self._relations(t)
        }
        self.attrs: dict[str, dict[str, str]] = {}
        self.spaces: dict[str, naming.NameSpace] = {}
        for table in self.tables:
            self._name_columns(table)
        self.related = self._related_names()

    # -- names ---------------------------------------------------------------------------

    def _relations(self, table: Table) -> list[_Relation]:
        uniques = _unique_columns(table)
        pk = table.primary_key.columns if table.primary_key else ()
        by_column: dict[str, list[ForeignKey]] = {}
        for fk in table.foreign_keys:
            if len(fk.columns) == 1 and fk.ref_table in self.class_of:
                by_column.setdefault(fk.columns[0], []).append(fk)
        relations = []
        for column, fks in sorted(by_column.items()):
            fk = fks[0]
            target = self.by_name[fk.ref_table]
            ref = fk.ref_columns[0]
            if not self._referable(target, ref):
                continue
            one_to_one = (column,) in uniques or pk == (column,)
            relations.append(_Relation(table.name, column, fk, one_to_one))
        return relations

    def _referable(self, target: Table, column: str) -> bool:
        return _single_pk(target) == column or (column,) in _unique_columns(target)

    def _name_columns(self, table: Table) -> None:
        key = table.primary_key.columns if table.primary_key else ()
        has_pk = bool(self._model_pk(table, key, frozenset(_unique_columns(table))))
        # Without a primary-key field Tortoise adds its own ``id``: keep that name free.
        space = naming.NameSpace(frozenset() if has_pk else {"id"})
        attrs: dict[str, str] = {}
        for column in table.columns:
            if (table.name, column.name) not in self.relations:
                attrs[column.name] = space.claim(naming.attribute(column.name))
        for column in table.columns:
            if (table.name, column.name) in self.relations:
                base = naming.attribute(naming.strip_id(column.name))
                attrs[column.name] = space.claim(base, also=("_id",))
        self.attrs[table.name] = attrs
        self.spaces[table.name] = space

    def _related_names(self) -> dict[tuple[str, str], str]:
        """(table, column or join table) -> reverse name on the target model, all distinct."""
        pair_count: dict[tuple[str, str], int] = {}
        for rel in self.relations.values():
            key = (rel.table, rel.fk.ref_table)
            pair_count[key] = pair_count.get(key, 0) + 1
        names: dict[tuple[str, str], str] = {}
        # Many-to-many forward fields are attributes of the declaring model: name them first.
        for join_name in sorted(self.joins):
            join = self.joins[join_name]
            forward = naming.plural(naming.attribute(naming.strip_id(join.forward)))
            names[(join_name, "forward")] = self.spaces[join.source].claim(forward)
        for rel in sorted(self.relations.values(), key=lambda r: (r.table, r.column)):
            source = naming.snake(self.class_of[rel.table])
            attr = self.attrs[rel.table][rel.column]
            if pair_count[(rel.table, rel.fk.ref_table)] == 1 and rel.table != rel.fk.ref_table:
                base = source if rel.one_to_one else naming.plural(source)
            else:
                base = f"{attr}_{source}" if rel.one_to_one else f"{attr}_{naming.plural(source)}"
            names[(rel.table, rel.column)] = self.spaces[rel.fk.ref_table].claim(
                naming.attribute(base)
            )
        for join_name in sorted(self.joins):
            join = self.joins[join_name]
            backward = naming.plural(naming.attribute(naming.strip_id(join.backward)))
            names[(join_name, "backward")] = self.spaces[join.target].claim(backward)
        return names

    # -- models --------------------------------------------------------------------------

    def build(self) -> list[ModelSpec]:
        return [self._model(t) for t in self.tables]

    def _todo(self, comments: list[str], message: str) -> None:
        comments.append(f"TODO: {message}")
        self.todos += 1

    def _facts(self, table: Table) -> _Facts:
        json_columns = frozenset(
            c.name
            for c in table.columns
            if c.type in ("longtext", "text")
            and any(self._is_json_check(ch.expression, c.name) for ch in table.checks)
        )
        single_index = frozenset(
            i.columns[0]
            for i in table.indexes
            if _plain(i) and not i.unique and len(i.columns) == 1 and _index_safe(i.columns)
        )
        key = table.primary_key.columns if table.primary_key else ()
        uniques = frozenset(_unique_columns(table))
        return _Facts(self._model_pk(table, key, uniques), key, uniques, single_index, json_columns)

    @staticmethod
    def _model_pk(table: Table, key: tuple[str, ...], uniques) -> tuple[str, ...]:
        """Tortoise needs one primary-key field and invents an ``id`` column without one (and
        refuses to when a non-key ``id`` field exists). Without a one-column key, a column
        stands in, as Django's inspectdb does: the first column of a composite key, else the
        first non-null unique column, else a column named ``id``."""
        if len(key) >= 1:
            return key[:1]
        for column in table.columns:
            if not column.nullable and (column.name,) in uniques:
                return (column.name,)
        return ("id",) if table.column("id") is not None else ()

    def _model(self, table: Table) -> ModelSpec:
        spec = ModelSpec(self.class_of[table.name], table)
        facts = self._facts(table)
        pk, key, uniques = facts.pk, facts.key, facts.uniques
        if any(q in table.name for q in UNESCAPED_QUOTES):
            self._todo(spec.comments, QUOTE_TODO)
        meta_unique: list[tuple[str, ...]] = []
        meta_indexes: list[str] = []
        kinds: dict[str, str] = {}
        for column in table.columns:
            fspec, kind = self._field(table, column, facts)
            kinds[column.name] = kind
            if any(q in column.name for q in UNESCAPED_QUOTES):
                self._todo(fspec.comments, QUOTE_TODO)
            spec.fields.append(fspec)
        for join in self.joins_by_source.get(table.name, ()):
            spec.fields.append(self._many_to_many(join))
        attr = self._column_attr(table)
        for columns in sorted(uniques):
            if len(columns) > 1 or kinds.get(columns[0]) in NOT_INDEXABLE:
                if columns != pk:
                    meta_unique.append(tuple(attr(c) for c in columns))
        if len(key) > 1:
            meta_unique.append(tuple(attr(c) for c in key))
            self._todo(
                spec.comments,
                f"composite primary key ({', '.join(key)}): Tortoise models have one "
                f"primary-key field, so {key[0]} stands in; unique_together keeps the whole key",
            )
        elif not key and pk:
            self._todo(
                spec.comments,
                f"the table has no primary key; {pk[0]} stands in as the model's primary key",
            )
        elif not key:
            self._todo(
                spec.comments,
                "the table has no primary key; Tortoise will expect an 'id' column "
                "unless one field is marked primary_key=True",
            )
        for index in table.indexes:
            if index.unique and _plain(index):
                continue
            rendered = self._index(table, index, kinds, attr)
            if rendered is None:
                self._todo(spec.comments, _index_todo(index))
            elif rendered:
                meta_indexes.append(rendered)
        for check in table.checks:
            if any(self._is_json_check(check.expression, c) for c in facts.json_columns):
                continue
            self._todo(
                spec.comments, f"check constraint not expressible: CHECK ({check.expression})"
            )
        for fk in table.foreign_keys:
            if (
                len(fk.columns) > 1
                or (table.name, fk.columns[0]) not in self.relations
                or self.relations[(table.name, fk.columns[0])].fk != fk
            ):
                self._todo(
                    spec.comments,
                    f"foreign key ({', '.join(fk.columns)}) -> {fk.ref_table}"
                    f"({', '.join(fk.ref_columns)}) not expressible as a Tortoise relation",
                )
        spec.meta.append(("table", _py(table.name)))
        if self.db_schema:
            spec.meta.append(("schema", _py(self.db_schema)))
        if table.comment:
            spec.meta.append(("table_description", _py(table.comment)))
        if meta_unique:
            spec.meta.append(("unique_together", _tuple_of_tuples(meta_unique)))
        if meta_indexes:
            spec.meta.append(("indexes", "(" + ", ".join(meta_indexes) + ",)"))
        return spec

    def _column_attr(self, table: Table):
        attrs = self.attrs[table.name]

        def attr(column: str) -> str:
            if (table.name, column) in self.relations:
                return attrs[column] + "_id"
            return attrs[column]

        return attr

    def _index(self, table: Table, index: Index, kinds: dict[str, str], attr) -> str | None:
        if (
            index.where
            or any(index.orders)
            or any(index.expressions)
            or any(index.lengths)
            or index.unique
        ):
            return None  # (a plain unique index never gets here: it is unique/unique_together)
        if not _index_safe(index.columns):
            return None
        names = tuple(attr(c) for c in index.columns)
        if index.method:
            cls = INDEX_CLASSES.get(index.method)
            # The method's operator class depends on the real type, not on a placeholder's.
            if cls is None or any((table.name, c) in self.placeholders for c in index.columns):
                return None
            self.imports.add((INDEX_MODULE, cls))
            return f"{cls}(fields={_tuple(names)})"
        if len(index.columns) == 1 and kinds.get(index.columns[0]) not in NOT_INDEXABLE:
            return ""  # said by db_index=True on the field
        return _tuple(names)

    def _is_json_check(self, expression: str, column: str) -> bool:
        if JSON_CHECK not in expression.lower():
            return False
        from fastapp.schema.normalize import is_json_check

        return is_json_check(expression, column)

    # -- fields --------------------------------------------------------------------------

    def _field(self, table: Table, column: Column, facts: _Facts) -> tuple[FieldSpec, str]:
        """The field for a column, and the field class chosen (``relation`` for a key)."""
        name = self.attrs[table.name][column.name]
        relation = self.relations.get((table.name, column.name))
        if relation is not None:
            return self._relation_field(table, column, relation, facts), "relation"
        pk, uniques, single_index = facts.pk, facts.uniques, facts.single_index
        indexed = (column.name,) in uniques or column.name in single_index
        if column.type == "enum" and column.enum_values:
            ftype = FieldType("CharEnumField")
        elif column.name in facts.json_columns:
            ftype = FieldType("JSONField")
        else:
            ftype = field_type(self.dialect, column, indexed=indexed)
        spec = FieldSpec(name, f"fields.{ftype.field}")
        enum = None
        if ftype.field == "CharEnumField":
            enum = self._enum(table, column)
            spec.args.append(enum)
            kind = f"enum type {column.enum_name}" if column.enum_name else "enum"
            spec.comments.append(f"database type: {kind}; Tortoise stores it as varchar")
        if ftype.note:
            spec.comments.append(ftype.note)
            self.todos += ftype.todo
        if ftype.todo:
            self.placeholders.add((table.name, column.name))
        is_pk = pk == (column.name,)
        if is_pk:
            spec.kwargs.append(("primary_key", "True"))
            if ftype.field in INTEGER_FIELDS and not column.autoincrement:
                spec.kwargs.append(("generated", "False"))
        elif column.autoincrement:
            self._todo(spec.comments, "auto-increment on a column that is not the primary key")
        spec.kwargs.extend((k, _py(v)) for k, v in ftype.args)
        if column.nullable and not is_pk:
            spec.kwargs.append(("null", "True"))
        defaults = self._default(column, ftype.field, enum)
        if column.on_update is not None:
            if ftype.field == "DatetimeField" and _NOW.fullmatch(column.on_update.strip()):
                # Tortoise sets auto_now fields on every save; it writes no ON UPDATE clause.
                defaults = [
                    ("auto_now", "True"),
                    *(kv for kv in defaults if kv[0] != "auto_now_add"),
                ]
            else:
                self._todo(spec.comments, f"ON UPDATE {column.on_update} not expressible")
        spec.kwargs.extend(defaults)
        if not is_pk and (column.name,) in uniques and ftype.field not in NOT_INDEXABLE:
            spec.kwargs.append(("unique", "True"))
        elif not is_pk and column.name in single_index and ftype.field not in NOT_INDEXABLE:
            spec.kwargs.append(("db_index", "True"))
        if name != column.name:
            spec.kwargs.append(("source_field", _py(column.name)))
        if column.comment:
            spec.kwargs.append(("description", _py(column.comment)))
        elif ftype.field == "CharEnumField":
            spec.kwargs.append(
                ("description", '""')
            )  # else Tortoise writes the labels as a comment
        if column.generated:
            self._todo(spec.comments, f"generated column AS ({column.generated}) not expressible")
        return spec, ftype.field

    def _relation_field(
        self, table: Table, column: Column, rel: _Relation, facts: _Facts
    ) -> FieldSpec:
        pk = facts.pk
        target = self.by_name[rel.fk.ref_table]
        name = self.attrs[table.name][column.name]
        kind = "OneToOne" if rel.one_to_one else "ForeignKey"
        cls = self.class_of[target.name]
        nullable = "Nullable" if column.nullable and pk != (column.name,) else ""
        spec = FieldSpec(
            name,
            f"fields.{kind}Field",
            [_py(f"{self.app}.{cls}")],
            annotation=f"fields.{kind}{nullable}Relation[{_py(cls)}]",
        )
        spec.kwargs.append(("related_name", _py(self.related[(table.name, column.name)])))
        on_delete = rel.fk.on_delete
        if on_delete == "SET NULL" and (not column.nullable or pk == (column.name,)):
            # Tortoise refuses SET_NULL on a non-null field; the database makes such a delete
            # fail anyway, which is what NO ACTION does.
            on_delete = "NO ACTION"
            self._todo(spec.comments, "ON DELETE SET NULL on a NOT NULL column, kept as NO ACTION")
        spec.kwargs.append(("on_delete", ON_DELETE[on_delete]))
        ref = rel.fk.ref_columns[0]
        if ref != _single_pk(target):
            spec.kwargs.append(("to_field", _py(self.attrs[target.name][ref])))
        if pk == (column.name,):
            spec.kwargs.append(("primary_key", "True"))
        if column.nullable and pk != (column.name,):
            spec.kwargs.append(("null", "True"))
        spec.kwargs.extend(self._default(column, "ForeignKeyField"))
        if not rel.one_to_one and column.name in facts.single_index:
            spec.kwargs.append(("db_index", "True"))
        if column.name != f"{name}_id":
            spec.kwargs.append(("source_field", _py(column.name)))
        if column.comment:
            spec.kwargs.append(("description", _py(column.comment)))
        ref_column = target.column(ref)
        if ref_column is not None and _shape(ref_column)[:4] != _shape(column)[:4]:
            spec.comments.append(
                f"database type: {column.type_text} (the referenced key is {ref_column.type_text})"
            )
        if rel.fk.on_update != "NO ACTION":
            self._todo(spec.comments, f"ON UPDATE {rel.fk.on_update} not expressible in Tortoise")
        return spec

    def _many_to_many(self, join: _Join) -> FieldSpec:
        cls = self.class_of[join.target]
        spec = FieldSpec(
            self.related[(join.table.name, "forward")],
            "fields.ManyToManyField",
            [_py(f"{self.app}.{cls}")],
            annotation=f"fields.ManyToManyRelation[{_py(cls)}]",
        )
        spec.kwargs.append(("through", _py(join.table.name)))
        spec.kwargs.append(("forward_key", _py(join.forward)))
        spec.kwargs.append(("backward_key", _py(join.backward)))
        spec.kwargs.append(("related_name", _py(self.related[(join.table.name, "backward")])))
        spec.kwargs.append(("on_delete", ON_DELETE[join.on_delete]))
        if join.table.comment:
            spec.kwargs.append(("description", _py(join.table.comment)))
        return spec

    def _enum(self, table: Table, column: Column) -> str:
        key: object = column.enum_name or (table.name, column.name)
        if key not in self.enum_classes:
            base = (
                naming.class_name(column.enum_name)
                if column.enum_name
                else (self.class_of[table.name] + naming.class_name(column.name))
            )
            cls = self.classes.claim(base)
            members = naming.NameSpace()
            self.enums.append(
                EnumSpec(
                    cls, [(members.claim(naming.enum_member(v)), v) for v in column.enum_values]
                )
            )
            self.enum_classes[key] = cls
            self.imports.add(("enum", "StrEnum"))
        return self.enum_classes[key]

    def _default(
        self, column: Column, field: str, enum: str | None = None
    ) -> list[tuple[str, str]]:
        text = column.default
        if text is None:
            return []
        if field == "DatetimeField" and _NOW.fullmatch(text.strip()):
            self.imports.add(("tortoise.fields", "Now"))
            return [("auto_now_add", "True"), ("db_default", "Now()")]
        value = self._literal(text, field, column, enum)
        keep_sql = (field == "FloatField" and value != text.strip()) or (
            # Tortoise escapes string defaults the MySQL way ('it\'s'), which other backends
            # reject: keep the database's own spelling of such literals.
            _string_literal(text.strip()) is not None
            and ("'" in text.strip()[1:-1] or "\\" in text)
        )
        if value is not None and not keep_sql:
            return [("default", value), ("db_default", value)]
        self.imports.add(("tortoise.fields", "SqlDefault"))
        sql = _py(self._default_sql(text.strip()))
        if value is not None:
            return [("default", value), ("db_default", f"SqlDefault({sql})")]
        return [("db_default", f"SqlDefault({sql})")]

    def _default_sql(self, text: str) -> str:
        """``text`` as Tortoise must write it after DEFAULT on this backend."""
        if self.dialect in PARENTHESIZED_DEFAULTS and not _SIMPLE_DEFAULT.fullmatch(text):
            return f"({text})"
        return text

    def _literal(self, text: str, field: str, column: Column, enum: str | None) -> str | None:
        """The Python literal for a literal default, or None when it is an expression."""
        text = text.strip()
        string = _string_literal(text)
        if field == "BooleanField":
            upper = text.upper()
            return "True" if upper in _TRUE else "False" if upper in _FALSE else None
        if field in INTEGER_FIELDS or field == "ForeignKeyField":
            number = string if string is not None else text
            return str(int(number)) if re.fullmatch(r"-?\d+", number) else None
        if field == "FloatField":
            number = string if string is not None else text
            return repr(float(number)) if _NUMBER.fullmatch(number) else None
        if field == "DecimalField":
            number = string if string is not None else text
            if _NUMBER.fullmatch(number):
                self.imports.add(("decimal", "Decimal"))
                return f"Decimal({_py(number)})"
            return None
        if field in TEXT_FIELDS and string is not None:
            return _py(string)
        if enum is not None and string is not None and string in column.enum_values:
            members = next(e for e in self.enums if e.name == enum).members
            return f"{enum}.{next(m for m, v in members if v == string)}"
        return None


def _tuple(items: tuple[str, ...]) -> str:
    inner = ", ".join(_py(i) for i in items)
    return f"({inner},)" if len(items) == 1 else f"({inner})"


def _tuple_of_tuples(groups: list[tuple[str, ...]]) -> str:
    return "(" + ", ".join(_tuple(g) for g in groups) + ",)"


def build_module(
    schema: Schema, names: list[str], app: str, added: list[str], db_schema: str | None = None
) -> ModuleSpec:
    """Model specifications for tables ``names`` of ``schema`` (references already included);
    ``db_schema`` is written as every model's ``Meta.schema``."""
    builder = _Builder(schema, names, app, db_schema)
    models = builder.build()
    return ModuleSpec(
        dialect=schema.dialect,
        models=models,
        enums=builder.enums,
        imports=builder.imports,
        added=tuple(added),
        join_tables=tuple(sorted(builder.joins)),
        todos=builder.todos,
    )


__all__ = ["ModuleSpec", "build_module", "created_type", "with_references"]
