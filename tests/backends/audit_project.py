"""The models of the audit tests: a blog app with audited, soft-deleted and plain models."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable, Iterator
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


def migrated_project(tmp_path: Any, monkeypatch: Any, cfg: Any, cli: Any) -> Iterator[Any]:
    """The body of a ``project`` fixture: the audit project on ``cfg``, migrated, run from
    ``tmp_path``; ``project.cfg`` is the database, ``project.migrated`` migrate's output."""
    from tests.backends.contrib_project import make_project

    proj = make_project(tmp_path, AUDIT_APPS)
    proj.write_models(extra=MODELS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", cfg.url(masked=False))
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    result = cli("migrate")
    assert result.exit_code == 0, result.output
    proj.cfg, proj.migrated = cfg, result.output
    proj.forget()
    yield proj
    proj.forget()


def run(project: Any, body: Callable[[Any], Awaitable[Any]]) -> Any:
    """``body(models_module)`` run in ``project``, with its modules imported afresh."""
    project.forget()
    return asyncio.run(in_project(body, project.package))
