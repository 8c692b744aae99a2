"""The throw-away project of the building-blocks tests: soft-delete models with a LiveUnique."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager

import pytest

from fastapp import testing
from fastapp.apply.create_missing import MigrateOptions, migrate
from fastapp.project import Project
from tests.backends.runtime_project import make_project

BLOCKS_MODELS = """
from enum import Enum

from tortoise import fields
from tortoise.models import Model

from fastapp.models import LiveUnique, SoftDeleteMixin


class Status(str, Enum):
    draft = "draft"
    published = "published"


class Author(SoftDeleteMixin, Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    email = fields.CharField(max_length=100)

    class Meta:
        table = "blk_author"
        indexes = (LiveUnique(fields=("email",)),)


class Post(SoftDeleteMixin, Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=80)
    title = fields.CharField(max_length=200)
    body = fields.TextField(default="")
    views = fields.IntField(default=0)
    score = fields.DecimalField(max_digits=8, decimal_places=2, default=0)
    status = fields.CharEnumField(Status, default=Status.draft)
    published_on = fields.DateField(null=True)
    author = fields.ForeignKeyField("shop.Author", related_name="posts", null=True)

    class Meta:
        table = "blk_post"
        indexes = (LiveUnique(fields=("slug",)), LiveUnique(fields=("author", "title")))


class Comment(Model):
    id = fields.IntField(primary_key=True)
    post = fields.ForeignKeyField("shop.Post", related_name="comments", on_delete=fields.RESTRICT)

    class Meta:
        table = "blk_comment"


class Tag(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50, unique=True)

    class Meta:
        table = "blk_tag"
"""


@contextmanager
def blocks_project(cfg, root):
    """A project on ``cfg`` with the models above, tables created by ``migrate``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.syspath_prepend(str(root))
        patch.delenv("DATABASE_URL", raising=False)
        patch.delenv("FASTAPP_SCHEMA_CHECK", raising=False)
        proj = make_project(root, BLOCKS_MODELS)
        settings = proj.settings(f"DATABASES = {{'default': {cfg.url(masked=False)!r}}}")
        testing.forget_tortoise_queries()
        asyncio.run(migrate(Project(settings).registry(), MigrateOptions()))
        try:
            yield proj, settings
        finally:
            proj.forget()
