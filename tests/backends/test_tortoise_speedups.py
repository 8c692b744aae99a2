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
    monkeypatch.setattr(tortoise_speedups, "_files", {})
    monkeypatch.setattr(tortoise_speedups.ast, "parse", lambda text: calls.append(1) or real(text))
    for _ in range(5):
        tortoise_speedups.cached_getsource(module.Plain)
        tortoise_speedups.cached_getsource(module.Decorated)
    assert len(calls) == 1


def test_field_comments_unchanged_inside_a_scope(module):
    import tortoise.models

    before = tortoise.models._get_comments(module.Plain)
    with tortoise_speedups.scope():
        assert tortoise.models.inspect.getsource is not inspect.getsource
        assert tortoise.models.inspect.cleandoc is inspect.cleandoc
        after = tortoise.models._get_comments(module.Plain)
    assert tortoise.models.inspect is inspect
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
        monkeypatch.setattr(tortoise_speedups, "_files", {})
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
    from fastapp.connections.url import parse_database_url
    from fastapp.settings import load_settings
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
            with tortoise_speedups.scope(schema_only=True) if schema_only else nullcontext():
                await ctx.init(config=config)
            models = dict(ctx.apps.apps["models"])
            await ctx.close_connections()
            return models

    try:
        deferred = asyncio.run(init("deferredmodels", True))  # imported schema-only
        assert isinstance(deferred["Book"]._meta._filters, tortoise_speedups.DeferredFilters)
        assert deferred["Book"]._meta._filters.pending  # put off indeed
        # The next init is plain Tortoise (no scope open): the table finishes itself.
        deferred = asyncio.run(init("deferredmodels", False))
        eager = asyncio.run(init("eagermodels", False))
        for name in ("Author", "Book", "Tag"):
            for table in ("_filters", "filters"):
                got = getattr(deferred[name]._meta, table)
                want = getattr(eager[name]._meta, table)
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


def _tortoise_names() -> dict:
    import tortoise.apps
    import tortoise.models

    return {
        "inspect": tortoise.models.inspect,
        "get_filters_for_field": tortoise.models.get_filters_for_field,
        "dispatch": tortoise.models.ModelMeta.__dict__["_dispatch_fields"],
        "generate": tortoise.models.MetaInfo.__dict__["_generate_filters"],
        "querysets": tortoise.apps.Apps.__dict__["_build_initial_querysets"],
    }


def _write_models(tmp_path, monkeypatch, name: str, comment: str = "The name") -> None:
    (tmp_path / f"{name}.py").write_text(
        "from tortoise import fields\nfrom tortoise.models import Model\n\n\n"
        f"class Thing(Model):\n    #: {comment}\n    name = fields.CharField(max_length=20)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop(name, None)


async def _plain_init(module: str, *, imported_here: bool = True) -> int:
    """What an application does: its own Tortoise init and a filtered query, no fastapp."""
    from tortoise.context import TortoiseContext

    ctx = TortoiseContext()
    with ctx:
        config = {
            "connections": {"default": "sqlite://:memory:"},
            "apps": {"models": {"models": [module]}},
        }
        await ctx.init(config=config)
        try:
            await ctx.generate_schemas()
            thing = ctx.apps.get_model("models", "Thing")
            if imported_here:  # nothing is put off in a plain init
                assert type(thing._meta._filters) is dict
            await thing.create(name="xy")
            return await thing.filter(name__icontains="x", id__in=[1, 2]).count()
        finally:
            await ctx.close_connections()


def test_tortoise_is_unchanged_once_the_scope_closes():
    before = _tortoise_names()
    with tortoise_speedups.scope(schema_only=True):
        assert _tortoise_names()["dispatch"] is not before["dispatch"]
        with tortoise_speedups.scope():
            pass
        assert _tortoise_names()["inspect"] is not before["inspect"]  # the outer one is open
    assert _tortoise_names() == before
    assert not tortoise_speedups._files  # no source kept in the host process


def test_an_application_init_interleaved_with_a_schema_only_one_is_plain_tortoise(
    tmp_path, monkeypatch
):
    """Two inits in one event loop: fastapp's (schema-only, open across awaits) and the
    application's own; the application's models get every filter, and the scopes may close
    in any order."""
    import asyncio

    for name in ("appmodels", "toolmodels"):
        _write_models(tmp_path, monkeypatch, name)
    before = _tortoise_names()

    async def main() -> int:
        opened, app_done, inner_closed = asyncio.Event(), asyncio.Event(), asyncio.Event()

        async def tool() -> None:
            with tortoise_speedups.scope(schema_only=True):
                importlib.import_module("toolmodels")
                opened.set()
                await app_done.wait()
                await inner_closed.wait()  # the other scope closes first
            assert _tortoise_names() == before

        async def other_tool() -> None:
            await opened.wait()
            with tortoise_speedups.scope():
                await asyncio.sleep(0)
            assert _tortoise_names() != before  # ``tool``'s scope is still open
            inner_closed.set()

        async def app() -> int:
            await opened.wait()
            try:
                return await _plain_init("appmodels")
            finally:
                app_done.set()

        _, _, count = await asyncio.gather(tool(), other_tool(), app())
        return count

    try:
        assert asyncio.run(main()) == 1
        tool_thing = sys.modules["toolmodels"].Thing
        assert isinstance(tool_thing._meta._filters, tortoise_speedups.DeferredFilters)
        assert sys.modules["appmodels"].Thing._meta.filters["name__icontains"]
        # A model fastapp imported schema-only works in the application's later init too.
        assert asyncio.run(_plain_init("toolmodels", imported_here=False)) == 1
    finally:
        for name in ("appmodels", "toolmodels"):
            sys.modules.pop(name, None)


def test_an_edited_model_file_is_read_again(tmp_path, monkeypatch):
    import os

    import tortoise.models

    _write_models(tmp_path, monkeypatch, "editedmodels", "Old words")
    path = tmp_path / "editedmodels.py"
    try:
        with tortoise_speedups.scope():
            module = importlib.import_module("editedmodels")
            assert tortoise.models._get_comments(module.Thing)["name"] == "Old words"
            # Same length, and the same modification time as far as a coarse clock knows:
            # the size or time still differs from what was cached (time set a second on).
            path.write_text(path.read_text().replace("Old words", "New words"))
            stat = path.stat()
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
            module = importlib.reload(module)
            assert tortoise.models._get_comments(module.Thing)["name"] == "New words"
            assert module.Thing._meta.fields_map["name"].description == "New words"
    finally:
        sys.modules.pop("editedmodels", None)


def test_a_tortoise_without_a_relied_upon_name_is_one_clear_error(monkeypatch):
    import tortoise.models

    from fastapp.errors import UnsupportedTortoiseError

    monkeypatch.delattr(tortoise.models.MetaInfo, "_generate_filters")
    tortoise_speedups.check.cache_clear()
    try:
        with pytest.raises(UnsupportedTortoiseError) as caught:
            with tortoise_speedups.scope():
                pass
        message = str(caught.value)
        assert "tortoise.models.MetaInfo._generate_filters" in message
        assert tortoise_speedups.VERIFIED_TORTOISE in message
        assert "\n" not in message
    finally:
        monkeypatch.undo()
        tortoise_speedups.check.cache_clear()
    tortoise_speedups.check()  # the real Tortoise passes
    assert tortoise_speedups._open_scopes == 0


def test_the_pinned_range_is_the_one_the_check_names():
    import tomllib
    from importlib.metadata import version
    from pathlib import Path

    from packaging.requirements import Requirement

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    requirements = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    (tortoise,) = [Requirement(r) for r in requirements if Requirement(r).name == "tortoise-orm"]
    assert str(tortoise.specifier) == ",".join(
        sorted(tortoise_speedups.VERIFIED_TORTOISE.split(","))
    )
    assert version("tortoise-orm") in tortoise.specifier
