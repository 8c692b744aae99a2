"""``fast_field_types``: the same ``get_db_field_types`` (and so the same ``describe()``) as
Tortoise's, for every field class Tortoise ships, with parameters that change the types."""

from __future__ import annotations

import enum

from tortoise import fields
from tortoise.fields.base import Field

from fastapp.tortoise.field_types import fast_field_types


class Colour(enum.IntEnum):
    RED = 1


class Size(enum.StrEnum):
    BIG = "big"


def samples() -> list[Field]:
    return [
        fields.IntField(),
        fields.IntField(primary_key=True),
        fields.BigIntField(),
        fields.SmallIntField(),
        fields.CharField(max_length=40),
        fields.CharField(max_length=255, unique=True, db_index=True),
        fields.TextField(),
        fields.BooleanField(default=True),
        fields.DecimalField(max_digits=12, decimal_places=2),
        fields.DecimalField(max_digits=4, decimal_places=0, null=True),
        fields.DatetimeField(auto_now_add=True),
        fields.DatetimeField(auto_now=True),
        fields.DateField(),
        fields.TimeField(),
        fields.TimeDeltaField(),
        fields.FloatField(),
        fields.JSONField(null=True),
        fields.UUIDField(),
        fields.BinaryField(),
        fields.IntEnumField(Colour),
        fields.CharEnumField(Size),
        fields.CharEnumField(Size, max_length=20),
    ]


def test_same_types_and_descriptions_as_tortoise():
    expected = [(f.get_db_field_types(), f.describe(serializable=True)) for f in samples()]
    with fast_field_types():
        got = [(f.get_db_field_types(), f.describe(serializable=True)) for f in samples()]
    assert got == expected
    # the same order too: describe() output is written into nothing, but stays identical
    assert [list(a) for a, _ in got] == [list(a) for a, _ in expected]


def test_restored_after_nested_scopes():
    original = Field.__dict__["get_db_field_types"]
    with fast_field_types():
        with fast_field_types():
            pass
        assert Field.__dict__["get_db_field_types"] is not original
    assert Field.__dict__["get_db_field_types"] is original


def test_a_field_with_its_own_dialect_attribute_uses_tortoises_method():
    field = fields.CharField(max_length=10)

    class Custom:
        SQL_TYPE = "CUSTOM(10)"

    field._db_postgres = Custom
    expected = field.get_db_field_types()
    with fast_field_types():
        assert field.get_db_field_types() == expected
    assert expected["postgres"] == "CUSTOM(10)"


def test_a_project_field_class_with_property_types():
    class Money(fields.DecimalField):
        class _db_sqlite:
            SQL_TYPE = "REAL"

        class _db_postgres:
            def __init__(self, field):
                self.field = field

            @property
            def SQL_TYPE(self):  # noqa: N802 - Tortoise's name
                return f"NUMERIC({self.field.max_digits + 1},{self.field.decimal_places})"

    field = Money(max_digits=9, decimal_places=2)
    expected = field.get_db_field_types()
    with fast_field_types():
        assert field.get_db_field_types() == expected
    assert expected["postgres"] == "NUMERIC(10,2)" and expected["sqlite"] == "REAL"
