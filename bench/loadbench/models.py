"""Benchmark models: ``Item`` has mixed field types and a foreign key to ``Category``."""

from tortoise import fields
from tortoise.models import Model


class Category(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50, unique=True)

    class Meta:
        table = "bench_category"


class Item(Model):
    id = fields.IntField(primary_key=True)
    category: fields.ForeignKeyRelation[Category] = fields.ForeignKeyField(
        "loadbench.Category", related_name="items"
    )
    name = fields.CharField(max_length=100)
    quantity = fields.IntField()
    price = fields.DecimalField(max_digits=10, decimal_places=2)
    weight = fields.FloatField()
    active = fields.BooleanField()
    created = fields.DatetimeField()
    code = fields.UUIDField()

    class Meta:
        table = "bench_item"
