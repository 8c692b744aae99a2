"""The packed Schema of the desired-schema cache: every field comes back, as it was made."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given

from fastapp.desired import cache as desired_cache
from fastapp.schema import objects
from fastapp.schema.packed import pack, unpack
from tests.unit.test_reverse_property import schemas


def _sample(kind: type, field: dataclasses.Field, n: int):
    """A value for ``field`` unlike its default, from its annotation."""
    spelled = str(field.type)
    if spelled.startswith("tuple[tuple["):
        return ((f"{field.name}_k", f"v{n}"), ("part", "it's"))
    if spelled.startswith("tuple[bool"):
        return (True, False)
    if spelled.startswith("tuple[int"):
        return (3, None)
    if spelled.startswith("tuple[str | None"):
        return ("DESC", None)
    if spelled.startswith("tuple[str"):
        return (f"{field.name}{n}", "ünïcode \"q\"")
    if spelled.startswith("bool"):
        return not field.default
    if spelled.startswith("int"):
        return 40 + n
    return f"{kind.__name__}.{field.name} {n}"


def _every_field_set(kind: type, n: int = 0):
    values = {}
    for f in dataclasses.fields(kind):
        if kind is objects.Table and f.name in _PARTS:
            part = _PARTS[f.name]
            values[f.name] = (
                _every_field_set(part, n) if f.name == "primary_key"
                else tuple(_every_field_set(part, i) for i in range(2))
            )
        else:
            values[f.name] = _sample(kind, f, n)
    return kind(**values)


_PARTS = {
    "columns": objects.Column,
    "primary_key": objects.PrimaryKey,
    "uniques": objects.UniqueConstraint,
    "indexes": objects.Index,
    "foreign_keys": objects.ForeignKey,
    "checks": objects.CheckConstraint,
    "exclusions": objects.ExclusionConstraint,
    "unmodelled": objects.Unmodelled,
}


def _fields(value):
    """Every field, those left out of ``==`` included (``printed``, ``sources``), with the
    type of each container: a list where a tuple was would be a different value."""
    if dataclasses.is_dataclass(value):
        return (type(value),) + tuple(
            (f.name, _fields(getattr(value, f.name))) for f in dataclasses.fields(value)
        )
    if isinstance(value, (tuple, list)):
        return (type(value),) + tuple(_fields(v) for v in value)
    return value


def test_every_field_of_every_value_comes_back():
    schema = objects.Schema(
        "postgres",
        tables=(_every_field_set(objects.Table, 1), objects.Table("bare")),
        enums=(objects.EnumType("mood", ("sad", "ok")),),
        extensions=("vector",),
        objects=(objects.SchemaObject("view", "v", "AS SELECT 1"),),
    )
    again = unpack(pack(schema))
    assert again == schema
    assert _fields(again) == _fields(schema)
    assert again.tables[0].primary_key is not None and again.tables[1].primary_key is None
    assert hash(again.tables[0].columns[0]) == hash(schema.tables[0].columns[0])


@given(schemas())
def test_any_schema_comes_back_equal(schema):
    assert _fields(unpack(pack(schema))) == _fields(schema)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"[1]",
        b'["sqlite", [["t"]], [], [], []]',
        b'["sqlite", 3, [], [], []]',
        # an entry of the former layout (a dict per value), as many keys as fields
        b'{"dialect": "sqlite", "tables": [], "enums": [], "extensions": [], "objects": []}',
    ],
)
def test_bytes_it_did_not_make_are_refused_and_the_cache_misses(data):
    with pytest.raises((ValueError, TypeError, IndexError)):
        unpack(data)
    assert desired_cache._decode(data) is None
