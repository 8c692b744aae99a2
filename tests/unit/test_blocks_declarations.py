"""Declarations of the building blocks that cannot work are refused when the class or spec is
built (no database needed)."""

from __future__ import annotations

import pytest

from fastapp.api import ListSpec
from fastapp.errors import ListSpecError


def test_the_mixin_must_come_before_model():
    from tortoise import fields
    from tortoise.exceptions import ConfigurationError
    from tortoise.manager import Manager
    from tortoise.models import Model

    from fastapp.models import SoftDeleteMixin

    with pytest.raises(ConfigurationError, match="put SoftDeleteMixin before Model"):

        class Wrong(Model, SoftDeleteMixin):
            id = fields.IntField(primary_key=True)

            class Meta:
                app = "elsewhere"

    class OwnManager(Manager):
        pass

    with pytest.raises(ConfigurationError, match="must subclass fastapp.models.SoftDeleteManager"):

        class Managed(SoftDeleteMixin, Model):
            id = fields.IntField(primary_key=True)

            class Meta:
                app = "elsewhere"
                manager = OwnManager()


def test_list_spec_declarations_that_cannot_work_are_refused():
    from tortoise import fields
    from tortoise.models import Model

    class Thing(Model):
        id = fields.IntField(primary_key=True)
        name = fields.CharField(max_length=10)
        data = fields.JSONField(default=dict)

        class Meta:
            app = "elsewhere"

    with pytest.raises(ListSpecError, match="filter 'name' cannot use like"):
        ListSpec(Thing, filters={"name": ("like",)})
    with pytest.raises(ListSpecError, match="'data' is not a column field"):
        ListSpec(Thing, filters={"data": ("eq",)})
    with pytest.raises(ListSpecError, match="search field 'id' is not a text field"):
        ListSpec(Thing, search=("id",))
    with pytest.raises(ListSpecError, match="default_sort '-name' is not one of"):
        ListSpec(Thing, default_sort=("-name",))
    with pytest.raises(ListSpecError, match="default_size 0"):
        ListSpec(Thing, default_size=0)
