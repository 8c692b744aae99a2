"""Model metadata as the fixture code needs it: one row layout per model.

A layout lists the model's columns (primary key first), says for every key a fixture record
may use (``author``, ``author_id``, ``tags``, ``posts``...) what it is and how its value is
converted, and knows the model's relations. :func:`load_order` orders models so that foreign
keys point backwards, deferring nullable foreign keys inside cycles (self references too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapp.data.values import Converter, Timezones, field_kind, from_python, loader
from fastapp.schema.toposort import toposort

#: What a key in a record's ``fields`` is.
PLAIN, FOREIGN, MANY, BACKWARD = range(4)


@dataclass
class ForeignKey:
    """A forward foreign key: its slot in the row and the column it points at."""

    name: str
    column: str
    slot: int
    target: str
    target_column: str
    nullable: bool
    convert: Converter
    convert_kind: str = ""
    deferred: bool = False


@dataclass(frozen=True)
class ManyToMany:
    """One side of a many-to-many relation: rows of ``through`` pair ``own`` with ``other``."""

    name: str
    through: str
    own_column: str
    other_column: str
    target: str


@dataclass(frozen=True)
class Backward:
    """A reverse foreign key (``User.posts``): a list on the parent sets the children's FK."""

    name: str
    child: str
    child_column: str


@dataclass
class Layout:
    """How rows of one model look in the database and in fixtures."""

    label: str
    model: Any
    table: str
    connection: str
    pk_name: str
    pk_generated: bool
    columns: list[str]
    kinds: list[str]
    fields: list[Any]
    #: record key -> (PLAIN | FOREIGN | MANY | BACKWARD, slot or relation)
    keys: dict[str, tuple[int, Any]] = field(default_factory=dict)
    converters: list[Converter] = field(default_factory=list)
    #: The two halves of each converter: fixture value -> Python value -> driver value.
    parsers: list[Converter] = field(default_factory=list)
    adapters: list[Callable[[Any], Any] | None] = field(default_factory=list)
    nullable: list[bool] = field(default_factory=list)
    slot_names: list[str] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    many: dict[str, ManyToMany] = field(default_factory=dict)
    backward: dict[str, Backward] = field(default_factory=dict)
    #: Row template: default values; callables are called per row; MISSING marks required.
    defaults: list[Any] = field(default_factory=list)
    dynamic_defaults: list[tuple[int, Callable[[], Any]]] = field(default_factory=list)
    required: list[int] = field(default_factory=list)
    #: Value kinds the connection's driver needs adapted (no inline fast path for those).
    adapted: frozenset[str] = frozenset()

    @property
    def pk_column(self) -> str:
        return self.columns[0]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


def model_label(model: Any) -> str:
    return f"{model._meta.app}.{model.__name__}"


def build_layouts(
    models: Iterable[Any],
    connection_of: Callable[[Any], str],
    adapters_of: Callable[[str], dict[str, Callable[[Any], Any]]],
    tz: Timezones,
    now: Any,
) -> dict[str, Layout]:
    """Layouts of ``models``; ``adapters_of(alias)`` gives the driver adapters of a connection.

    Converters are composed once here (fixture value -> Python value -> driver value), so the
    per-row work is one call per field.
    """
    layouts: dict[str, Layout] = {}
    for model in models:
        alias = connection_of(model)
        layouts[model_label(model)] = _layout(model, alias, adapters_of(alias), tz, now)
    for layout in layouts.values():
        _relations(layout, layouts)
    return layouts


def _compose(convert: Converter, adapt: Callable[[Any], Any] | None) -> Converter:
    if adapt is None:
        return convert
    return lambda v: adapt(convert(v))


def _layout(model: Any, alias: str, adapters: dict, tz: Timezones, now: Any) -> Layout:
    meta = model._meta
    pk_field = meta.pk
    names = [meta.pk_attr] + [n for n in meta.fields_db_projection if n != meta.pk_attr]
    fields = [meta.fields_map[n] for n in names]
    layout = Layout(
        label=model_label(model),
        model=model,
        table=meta.db_table,
        connection=alias,
        pk_name=meta.pk_attr,
        pk_generated=bool(pk_field.generated),
        columns=[meta.fields_db_projection[n] for n in names],
        kinds=[field_kind(f) for f in fields],
        fields=fields,
        adapted=frozenset(adapters),
    )
    for slot, (name, fld, kind) in enumerate(zip(names, fields, layout.kinds, strict=True)):
        adapt = adapters.get(kind)
        parse = loader(fld, kind, tz, model)
        layout.parsers.append(parse)
        layout.adapters.append(adapt)
        layout.converters.append(_compose(parse, adapt))
        layout.nullable.append(bool(fld.null))
        layout.slot_names.append(name)
        layout.keys[name] = (PLAIN, slot)
        default = _default(fld, kind, tz, now, adapt)
        if callable(default):
            layout.dynamic_defaults.append((slot, default))
            layout.defaults.append(None)
        elif slot == 0:
            layout.defaults.append(None if default is MISSING else default)
        else:
            layout.defaults.append(default)
            if default is MISSING:
                layout.required.append(slot)
    return layout


def _default(fld: Any, kind: str, tz: Timezones, now: Any, adapt: Any) -> Any:
    def stored(value: Any) -> Any:
        value = from_python(fld, kind, value, tz)
        return adapt(value) if adapt is not None and value is not None else value

    if getattr(fld, "auto_now", False) or getattr(fld, "auto_now_add", False):
        return stored(now)
    if fld.default is not None:
        if callable(fld.default):
            make = fld.default
            return lambda: stored(make())
        return stored(fld.default)
    if fld.null:
        return None
    return MISSING


def _relations(layout: Layout, layouts: dict[str, Layout]) -> None:
    meta = layout.model._meta
    for name in sorted(meta.fk_fields | meta.o2o_fields):
        fk = meta.fields_map[name]
        target = layouts.get(model_label(fk.related_model))
        if target is None:
            continue  # a model outside the selection: values are stored as given
        to_field = fk.to_field_instance
        target_slot = target.slot_names.index(to_field.model_field_name)
        slot = layout.slot_names.index(fk.source_field)
        relation = ForeignKey(
            name=name,
            column=layout.columns[slot],
            slot=slot,
            target=target.label,
            target_column=target.columns[target_slot],
            nullable=bool(fk.null),
            convert=target.converters[target_slot],
            convert_kind=target.kinds[target_slot],
        )
        layout.foreign_keys.append(relation)
        layout.keys[name] = (FOREIGN, relation)
        layout.keys[fk.source_field] = (FOREIGN, relation)
    for name in sorted(meta.m2m_fields):
        m2m = meta.fields_map[name]
        target = model_label(m2m.related_model)
        if target not in layouts:
            continue
        layout.many[name] = ManyToMany(name, m2m.through, m2m.backward_key, m2m.forward_key, target)
        layout.keys[name] = (MANY, layout.many[name])
    for name in sorted(meta.backward_fk_fields | meta.backward_o2o_fields):
        rel = meta.fields_map[name]
        child = model_label(rel.related_model)
        if child not in layouts:
            continue
        child_meta = rel.related_model._meta
        column = child_meta.fields_db_projection[rel.relation_field]
        layout.backward[name] = Backward(name, child, column)
        layout.keys[name] = (BACKWARD, layout.backward[name])


def load_order(layouts: dict[str, Layout]) -> list[str]:
    """Model labels so that every foreign key points to an earlier model.

    Nullable foreign keys inside a cycle (a self reference, or two models pointing at each
    other) are marked ``deferred``: their rows are written with NULL there and updated once
    every row exists.
    Ties keep the layouts' order (the registry's), so the order is deterministic.
    """
    edges = {label: {fk.target for fk in layout.foreign_keys} for label, layout in layouts.items()}
    components = _strongly_connected(list(layouts), edges)
    component_of = {label: i for i, comp in enumerate(components) for label in comp}
    for layout in layouts.values():
        for fk in layout.foreign_keys:
            fk.deferred = fk.nullable and component_of[fk.target] == component_of[layout.label]
    position = {label: i for i, label in enumerate(layouts)}
    # A cycle of NOT NULL keys: the first model is taken anyway; its rows wait until the rows
    # they need exist, and a load that can never satisfy them reports the record.
    result = toposort(
        layouts,
        lambda label: [fk.target for fk in layouts[label].foreign_keys if not fk.deferred],
        key=position.__getitem__,
        break_cycles=True,
    )
    return list(result.order)


def _strongly_connected(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit on long chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
    return result
