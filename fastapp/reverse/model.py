"""Schema -> model specifications: what each class, field and Meta option will say.

This is the thinking half of reverse generation: names (classes, attributes, reverse names,
all deduplicated), relations, fields and Meta options. What it reads off the tables first
(join tables, keys, indexes Tortoise can write) is :mod:`fastapp.reverse.tables`; defaults
become field arguments in :mod:`fastapp.reverse.defaults`; :mod:`fastapp.reverse.source`
only spells the resulting :mod:`fastapp.reverse.specs` as Python. Everything is derived from
the Schema alone, in sorted order, so the same schema always gives the same module.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapp.reverse import naming
from fastapp.reverse.defaults import NOW, field_default
from fastapp.reverse.specs import EnumSpec, FieldSpec, ModelSpec, ModuleSpec
from fastapp.reverse.specs import python_literal as _py
from fastapp.reverse.tables import (
    Join,
    column_shape,
    dependency_order,
    extra_clauses,
    index_safe,
    index_todo,
    join_table,
    plain_index,
    single_pk,
    unique_columns,
)
from fastapp.reverse.types import INTEGER_FIELDS, NOT_INDEXABLE, FieldType, field_type
from fastapp.schema.objects import Column, ForeignKey, Index, Schema, Table

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
#: Where the index declaration for everything else comes from (the whole Schema vocabulary).
DB_INDEX = ("fastapp.models", "DbIndex")
#: Quote characters Tortoise writes around names without escaping them inside.
UNESCAPED_QUOTES = ('"', "`")
QUOTE_TODO = "Tortoise does not escape quotes inside names: its DDL for this name fails"


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
        #: One line per object whose clause the module does not carry (also a TODO there).
        self.warnings: list[str] = []
        #: (table, column) whose field is a placeholder for a type Tortoise lacks.
        self.placeholders: set[tuple[str, str]] = set()
        self.selected = set(names)
        referenced = {
            fk.ref_table
            for name in names
            for fk in self.by_name[name].foreign_keys
            if fk.ref_table != name
        }
        self.joins: dict[str, Join] = {}
        for name in names:
            join = join_table(
                self.dialect, self.by_name, self.by_name[name], self.selected, referenced
            )
            if join is not None:
                self.joins[name] = join
        self.tables = dependency_order([self.by_name[n] for n in names if n not in self.joins])
        self.joins_by_source: dict[str, list[Join]] = {}
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
        uniques = unique_columns(table)
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
        return single_pk(target) == column or (column,) in unique_columns(target)

    def _name_columns(self, table: Table) -> None:
        key = table.primary_key.columns if table.primary_key else ()
        has_pk = bool(self._model_pk(table, key, frozenset(unique_columns(table))))
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

    def _lost(
        self, comments: list[str], table: Table, message: str, *, column: str | None = None
    ) -> None:
        """A TODO for something of ``table`` the module does not carry (on ``column``'s
        field when given), and a warning line naming the table, the object and the clause:
        migrating the models back would create the table without it."""
        self._todo(comments, message)
        subject = f"{table.name}: column {column}" if column else table.name
        self.warnings.append(f"{subject}: {message} (not written into the model; a TODO marks it)")

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
            if plain_index(i) and not i.unique and len(i.columns) == 1 and index_safe(i.columns)
        )
        key = table.primary_key.columns if table.primary_key else ()
        uniques = frozenset(unique_columns(table))
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
            if index.unique and plain_index(index):
                continue
            rendered = self._index(table, index, kinds, attr)
            if rendered is None:
                self._lost(spec.comments, table, index_todo(index))
            elif rendered:
                meta_indexes.append(rendered)
        for check in table.checks:
            if any(self._is_json_check(check.expression, c) for c in facts.json_columns):
                continue
            self._lost(
                spec.comments,
                table,
                f"check constraint not expressible: CHECK ({check.expression})",
            )
        self._constraint_clauses(spec, table)
        for fk in table.foreign_keys:
            if (
                len(fk.columns) > 1
                or (table.name, fk.columns[0]) not in self.relations
                or self.relations[(table.name, fk.columns[0])].fk != fk
            ):
                self._lost(
                    spec.comments,
                    table,
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
        """The ``Meta.indexes`` entry for ``index`` ("" when a field's ``db_index`` says it),
        None when the module cannot carry it: Tortoise's own form where it is exact, else a
        :class:`fastapp.models.DbIndex`."""
        placeholder = any((table.name, c) in self.placeholders for c in index.columns)
        tortoise_exact = (
            not (
                index.where
                or any(index.orders)
                or any(index.expressions)
                or any(index.lengths)
                or index.unique
                or extra_clauses(index)
            )
            and index_safe(index.columns)
            and (index.method is None or index.method in INDEX_CLASSES)
        )
        if not tortoise_exact:
            return self._db_index(table, index, attr)
        names = tuple(attr(c) for c in index.columns)
        if index.method:
            # The method's operator class depends on the real type, not on a placeholder's.
            if placeholder:
                return None
            cls = INDEX_CLASSES[index.method]
            self.imports.add((INDEX_MODULE, cls))
            named = f", name={_py(index.name)}" if index.name else ""
            return f"{cls}(fields={_tuple(names)}{named})"
        if len(index.columns) == 1 and kinds.get(index.columns[0]) not in NOT_INDEXABLE:
            return ""  # said by db_index=True on the field
        return _tuple(names)

    def _db_index(self, table: Table, index: Index, attr) -> str | None:
        """``DbIndex(...)`` for ``index``, with its name; None where a key or INCLUDE column
        has a placeholder type (what the index means depends on the real one) or the
        dialect's writer could not write it back."""
        from fastapp.sql.ddl import get_ddl

        expressions = index.expressions or (False,) * len(index.columns)
        columns = [c for c, e in zip(index.columns, expressions, strict=True) if not e]
        if any((table.name, c) in self.placeholders for c in [*columns, *index.include]):
            return None
        if get_ddl(self.dialect).unexpressible_clauses(index):
            return None
        keys = tuple(
            f"({c})" if e else attr(c) for c, e in zip(index.columns, expressions, strict=True)
        )
        args = [f"fields={_tuple(keys)}"]
        if index.name:
            args.append(f"name={_py(index.name)}")
        if index.unique:
            args.append("unique=True")
        if index.method:
            args.append(f"method={_py(index.method)}")
        nulls = tuple(n.removeprefix("NULLS ") if n else None for n in index.nulls_order)
        per_key = (
            ("opclasses", index.opclasses),
            ("collations", index.collations),
            ("orders", index.orders),
            ("nulls", nulls),
            ("lengths", index.lengths),
        )
        args.extend(f"{key}={_tuple(values)}" for key, values in per_key if any(values))
        if index.include:
            args.append(f"include={_tuple(tuple(attr(c) for c in index.include))}")
        if index.nulls_not_distinct:
            args.append("nulls_not_distinct=True")
        if index.where:
            args.append(f"where={_py(index.where)}")
        if index.storage:
            pairs = ", ".join(f"{_py(k)}: {_py(v)}" for k, v in index.storage)
            args.append(f"storage={{{pairs}}}")
        if index.comment is not None:
            args.append(f"comment={_py(index.comment)}")
        self.imports.add(DB_INDEX)
        return f"DbIndex({', '.join(args)})"

    def _constraint_clauses(self, spec: ModelSpec, table: Table) -> None:
        """TODOs and warnings for what the model's keys and constraints cannot say:
        DEFERRABLE, NULLS NOT DISTINCT, MATCH FULL, NO INHERIT, comments, exclusion
        constraints, and what the catalog reported that the Schema does not model."""
        from fastapp.sql.ddl.base import clauses_of, describe_object

        keyed: list[object] = [*table.uniques, *table.foreign_keys]
        if table.primary_key is not None:
            keyed.append(table.primary_key)
        for value in keyed:
            clauses = [c for c in clauses_of(value) if c != "EXCLUDE"]
            if clauses:
                self._lost(
                    spec.comments,
                    table,
                    f"{describe_object(value)}: {', '.join(clauses)} not expressible in Tortoise",
                )
        for exclusion in table.exclusions:
            self._lost(
                spec.comments,
                table,
                f"{describe_object(exclusion)} not expressible in Tortoise",
            )
        for item in table.unmodelled:
            self._lost(spec.comments, table, f"{item.object}: {item.clause} is not modelled")

    def _is_json_check(self, expression: str, column: str) -> bool:
        from fastapp.dialects import get_dialect

        return get_dialect(self.dialect).is_json_check(expression, column)

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
            self._lost(
                spec.comments,
                table,
                "auto-increment on a column that is not the primary key",
                column=column.name,
            )
        spec.kwargs.extend((k, _py(v)) for k, v in ftype.args)
        if column.nullable and not is_pk:
            spec.kwargs.append(("null", "True"))
        enum_spec = next((e for e in self.enums if e.name == enum), None) if enum else None
        defaults = field_default(column, ftype.field, self.dialect, self.imports, enum_spec)
        if column.on_update is not None:
            if ftype.field == "DatetimeField" and NOW.fullmatch(column.on_update.strip()):
                # Tortoise sets auto_now fields on every save; it writes no ON UPDATE clause.
                defaults = [
                    ("auto_now", "True"),
                    *(kv for kv in defaults if kv[0] != "auto_now_add"),
                ]
            else:
                self._lost(
                    spec.comments,
                    table,
                    f"ON UPDATE {column.on_update} not expressible",
                    column=column.name,
                )
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
            self._lost(
                spec.comments,
                table,
                f"generated column AS ({column.generated}) not expressible",
                column=column.name,
            )
        if column.identity:
            # Tortoise writes a serial column (a sequence default) for a generated key.
            self._lost(
                spec.comments,
                table,
                f"identity column (GENERATED {column.identity} AS "
                "IDENTITY) not expressible; Tortoise creates a serial column",
                column=column.name,
            )
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
        if ref != single_pk(target):
            spec.kwargs.append(("to_field", _py(self.attrs[target.name][ref])))
        if pk == (column.name,):
            spec.kwargs.append(("primary_key", "True"))
        if column.nullable and pk != (column.name,):
            spec.kwargs.append(("null", "True"))
        spec.kwargs.extend(field_default(column, "ForeignKeyField", self.dialect, self.imports))
        if not rel.one_to_one and column.name in facts.single_index:
            spec.kwargs.append(("db_index", "True"))
        if column.name != f"{name}_id":
            spec.kwargs.append(("source_field", _py(column.name)))
        if column.comment:
            spec.kwargs.append(("description", _py(column.comment)))
        ref_column = target.column(ref)
        if ref_column is not None and column_shape(ref_column)[:4] != column_shape(column)[:4]:
            spec.comments.append(
                f"database type: {column.type_text} (the referenced key is {ref_column.type_text})"
            )
        if rel.fk.on_update != "NO ACTION":
            self._lost(
                spec.comments,
                table,
                f"ON UPDATE {rel.fk.on_update} not expressible in Tortoise",
                column=column.name,
            )
        return spec

    def _many_to_many(self, join: Join) -> FieldSpec:
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
        warnings=tuple(builder.warnings),
    )
