"""The cached ``getsource`` gives Tortoise the same text, so models mean the same."""

from __future__ import annotations

import importlib
import inspect
import sys
import textwrap

import pytest

from fastapp.tortoise import speedups as tortoise_speedups


@pytest.fixture
def module(tmp_path, monkeypatch):
    source = textwrap.dedent(
        """
        from tortoise import fields
        from tortoise.models import Model


        def decorate(cls):
            return cls


        class Plain(Model):
            #: The title, shown in lists
            title = fields.CharField(max_length=20)
            #: Multi-line
            #: comment of {model}
            body = fields.TextField()

            class Meta:
                app = "speed"


        @decorate
        class Decorated(Model):
            #: Weight in grams
            weight = fields.IntField()

            class Meta:
                app = "speed"

            class Inner:
                pass
        """
    )
    (tmp_path / "speedmodels.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("speedmodels", None)
    yield importlib.import_module("speedmodels")
    sys.modules.pop("speedmodels", None)


def test_same_source_as_inspect(module):
    for cls in (module.Plain, module.Decorated, module.Decorated.Inner, module.Plain.Meta):
        assert tortoise_speedups.cached_getsource(cls) == inspect.getsource(cls)


def test_functions_and_modules_fall_back_to_inspect(module):
    assert tortoise_speedups.cached_getsource(module.decorate) == inspect.getsource(module.decorate)


def test_module_parsed_once(module, monkeypatch):
    calls = []
    real = tortoise_speedups.ast.parse
    monkeypatch.setattr(tortoise_speedups, "_spans", {})
    monkeypatch.setattr(tortoise_speedups.ast, "parse", lambda text: calls.append(1) or real(text))
    for _ in range(5):
        tortoise_speedups.cached_getsource(module.Plain)
        tortoise_speedups.cached_getsource(module.Decorated)
    assert len(calls) == 1


def test_field_comments_unchanged_after_install(module):
    import tortoise.models

    before = tortoise.models._get_comments(module.Plain)
    tortoise_speedups.install()
    try:
        assert tortoise.models.inspect.getsource is tortoise_speedups.comment_source
        assert tortoise.models.inspect.cleandoc is inspect.cleandoc
        after = tortoise.models._get_comments(module.Plain)
    finally:
        tortoise.models.inspect = inspect
    assert after == before
    assert after["title"] == "The title, shown in lists"
    assert after["body"] == "Multi-line\ncomment of Plain"


def test_module_without_comment_marks_is_not_parsed(tmp_path, monkeypatch):
    import tortoise.models

    (tmp_path / "plainmodels.py").write_text(
        "from tortoise import fields\nfrom tortoise.models import Model\n\n\n"
        "class Bare(Model):\n    # an ordinary comment\n    name = fields.TextField()\n\n"
        "    class Meta:\n        app = 'speed'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("plainmodels", None)
    module = importlib.import_module("plainmodels")
    try:
        monkeypatch.setattr(tortoise_speedups.ast, "parse", lambda text: pytest.fail("parsed"))
        assert tortoise_speedups.comment_source(module.Bare) == ""
        # Same meaning: the comment scan finds nothing in the real source either.
        monkeypatch.undo()
        assert tortoise.models._get_comments(module.Bare) == {}
    finally:
        sys.modules.pop("plainmodels", None)


def test_schema_only_init_gives_the_same_ddl_and_queries_still_work_after(
    example_project, tmp_path
):
    import asyncio

    from fastapp.apps import AppRegistry
    from fastapp.conf import load_settings
    from fastapp.connections.url import parse_database_url
    from fastapp.tortoise.context import tortoise_context
    from fastapp.tortoise.generated import connection_models, generated_tables

    db = parse_database_url(f"sqlite:///{tmp_path / 'speed.sqlite3'}")
    registry = AppRegistry(load_settings(), db)

    async def ddl(schema_only: bool) -> list:
        async with tortoise_context(registry, schema_only=schema_only) as ctx:
            client = ctx.db("default")
            models = connection_models(client, ctx.apps)
            return [t.statements for t in generated_tables(client, models, models, safe=False)]

    assert asyncio.run(ddl(True)) == asyncio.run(ddl(False))

    async def query() -> int:
        async with tortoise_context(registry) as ctx:
            await ctx.generate_schemas()
            post = ctx.apps.get_model("blog", "Post")
            assert "title__icontains" in post._meta.filters
            return await post.filter(title__icontains="x", id__in=[1, 2]).count()

    asyncio.run(ddl(True))  # a schema-only context just before: the next init is complete
    assert asyncio.run(query()) == 0


FILTERED_MODELS = """
from tortoise import fields
from tortoise.models import Model


class Author(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40, unique=True)
    data = fields.JSONField(null=True)


class Book(Model):
    title = fields.CharField(max_length=100, source_field="book_title")
    author = fields.ForeignKeyField("models.Author", related_name="books")
    tags = fields.ManyToManyField("models.Tag", related_name="books")


class Tag(Model):
    label = fields.TextField()
"""


def test_filters_put_off_by_a_schema_only_import_are_the_same_after_a_normal_init(
    tmp_path, monkeypatch
):
    import asyncio
    from contextlib import nullcontext

    from tortoise.context import TortoiseContext

    for name in ("deferredmodels", "eagermodels"):
        (tmp_path / f"{name}.py").write_text(FILTERED_MODELS)
        sys.modules.pop(name, None)
    monkeypatch.syspath_prepend(str(tmp_path))

    async def init(module: str, schema_only: bool) -> dict:
        ctx = TortoiseContext()
        with ctx:
            config = {
                "connections": {"default": "sqlite://:memory:"},
                "apps": {"models": {"models": [module]}},
            }
            with tortoise_speedups.schema_only() if schema_only else nullcontext():
                await ctx.init(config=config)
            models = dict(ctx.apps.apps["models"])
            await ctx.close_connections()
            return models

    try:
        deferred = asyncio.run(init("deferredmodels", True))  # imported schema-only
        assert isinstance(deferred["Book"]._meta._filters, tortoise_speedups.DeferredFilters)
        deferred = asyncio.run(init("deferredmodels", False))
        eager = asyncio.run(init("eagermodels", False))
        for name in ("Author", "Book", "Tag"):
            for table in ("_filters", "filters"):
                got = getattr(deferred[name]._meta, table)
                want = getattr(eager[name]._meta, table)
                assert type(got) is dict
                assert list(got) == list(want)  # same keys, same order
                for key, info in want.items():
                    assert got[key].keys() == info.keys()
                    assert got[key].get("source_field") == info.get("source_field")
                    assert got[key].get("operator") is info.get("operator")
        assert "title__icontains" in deferred["Book"]._meta.filters
        assert deferred["Book"]._meta.filters["title"]["source_field"] == "book_title"
    finally:
        for name in ("deferredmodels", "eagermodels"):
            sys.modules.pop(name, None)
