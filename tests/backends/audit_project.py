"""The models of the audit tests: a blog app with audited, soft-deleted and plain models."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from fastapp.project import Project

AUDIT_APPS = ("fastapp.contrib.audit",)

MODELS = """

from fastapp.contrib.audit.mixin import AuditMixin
from fastapp.models import SoftDeleteMixin


class Author(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)


class Article(AuditMixin, Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=100)
    views = fields.IntField(default=0)
    price = fields.DecimalField(max_digits=10, decimal_places=2, default=0)
    data = fields.JSONField(null=True)
    secret = fields.CharField(max_length=50, default="")
    author = fields.ForeignKeyField("blog.Author", null=True, on_delete=fields.SET_NULL)

    audit_exclude = ("secret",)


class Ledger(AuditMixin, Model):
    id = fields.IntField(primary_key=True)
    amount = fields.IntField()
    note = fields.CharField(max_length=50, default="")

    audit_exclude = ("note",)
    audit_triggers = True

    class Meta:
        table = "ledger"


class Note(AuditMixin, SoftDeleteMixin, Model):
    id = fields.IntField(primary_key=True)
    text = fields.CharField(max_length=100)
"""


def blog(package: str) -> Any:
    return importlib.import_module(f"{package}.blog.models")


async def in_project(body: Callable[[Any], Awaitable[Any]], package: str) -> Any:
    """Run ``body(models_module)`` with Tortoise initialised for the project in the cwd."""
    from fastapp.tortoise.context import tortoise_context

    async with tortoise_context(Project().registry()):
        return await body(blog(package))
