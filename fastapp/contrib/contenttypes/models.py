"""The content type of every installed model: ``(app_label, model)``, the model's name in
lower case, unique."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class ContentType(Model):
    id = fields.IntField(primary_key=True)
    app_label = fields.CharField(max_length=100)
    model = fields.CharField(max_length=100)

    class Meta:
        table = "fastapp_content_type"
        unique_together = (("app_label", "model"),)
        ordering = ("app_label", "model")

    def __str__(self) -> str:
        return f"{self.app_label}.{self.model}"

    @classmethod
    async def for_model(cls, model: type[Model], using_db: Any = None) -> ContentType:
        """The content type of ``model`` (created if the hook has not run yet)."""
        found, _ = await cls.get_or_create(
            app_label=model._meta.app, model=model.__name__.lower(), using_db=using_db
        )
        return found
