"""Versioned migrations without a database: targets, per-app heads and roots, plans,
declared renames and destructive markers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from tortoise import fields
from tortoise.migrations import operations as ops
from tortoise.migrations.graph import MigrationGraph, MigrationKey
from tortoise.migrations.migration import Migration

from fastapp.errors import MigrationTargetError
from fastapp.versions.loading import heads
from fastapp.versions.planning import downgrade_plan, split_target, upgrade_plan
from fastapp.versions.state import AppliedMigration, ConnectionState
from fastapp.versions.writing import (
    RenameDeclarationError,
    _suggest,
    destructive_reason,
    parse_field_renames,
    parse_model_renames,
)


def graph(edges: dict[str, list[str]]) -> MigrationGraph:
    """``{"blog.0002": ["blog.0001", "users.0001"]}`` -> a Tortoise graph."""
    built = MigrationGraph()
    names = set(edges) | {p for parents in edges.values() for p in parents}
    for name in sorted(names):
        app, migration = name.split(".")
        built.add_node(MigrationKey(app, migration), Migration(migration, app))
    for child, parents in edges.items():
        for parent in parents:
            built.add_dependency(
                MigrationKey(*child.split(".")),
                MigrationKey(*child.split(".")),
                MigrationKey(*parent.split(".")),
            )
    return built


def state(built: MigrationGraph, applied: list[str] = ()) -> ConnectionState:
    apps = sorted({key.app_label for key in built.nodes})
    rows = [
        AppliedMigration(*name.split("."), f"2024-01-01 00:00:{i:02d}")
        for i, name in enumerate(applied)
    ]
    return ConnectionState(
        "default",
        None,
        None,
        [SimpleNamespace(label=label) for label in apps],
        SimpleNamespace(loader=SimpleNamespace(graph=built)),
        rows,
    )


# users.0001 <- users.0002 ; blog.0001 depends on users.0001 ; blog.0002 on blog.0001
PROJECT = {
    "users.0002": ["users.0001"],
    "blog.0001": ["users.0001"],
    "blog.0002": ["blog.0001"],
}


def names(steps) -> list[str]:
    return [f"{'-' if s.backward else '+'}{s.key}" for s in steps]


def test_heads_are_per_app_whatever_other_apps_depend_on():
    built = graph(PROJECT)
    # Tortoise's leaf_nodes("users") is empty here: blog depends on users.0001.
    assert heads(built, "users") == ["0002"]
    assert heads(built, "blog") == ["0002"]
    forked = graph({**PROJECT, "users.0003a": ["users.0002"], "users.0003b": ["users.0002"]})
    assert heads(forked, "users") == ["0003a", "0003b"]


def test_split_target():
    assert split_target("blog:0002") == ("blog", "0002")
    assert split_target("blog.0002") == ("blog", "0002")
    assert split_target("blog") == ("blog", "")


def test_upgrade_plans():
    s = state(graph(PROJECT), ["users.0001"])
    assert names(upgrade_plan([s])) == ["+blog.0001", "+blog.0002", "+users.0002"]
    assert names(upgrade_plan([s], "+1")) == ["+blog.0001"]
    assert names(upgrade_plan([s], "users")) == ["+users.0002"]
    assert names(upgrade_plan([s], "blog:0001")) == ["+blog.0001"]
    assert upgrade_plan([state(graph(PROJECT), list(PROJECT) + ["users.0001"])]) == []


def test_downgrade_plans():
    everything = ["users.0001", "users.0002", "blog.0001", "blog.0002"]
    s = state(graph(PROJECT), everything)
    assert names(downgrade_plan([s], "-1")) == ["-blog.0002"]
    assert names(downgrade_plan([s], "-2")) == ["-blog.0002", "-blog.0001"]
    # Back to users.0001: its later migration goes, blog (which needs only 0001) stays.
    assert names(downgrade_plan([s], "users:0001")) == ["-users.0002"]
    assert names(downgrade_plan([s], "blog:base")) == ["-blog.0002", "-blog.0001"]
    base = names(downgrade_plan([s], "base"))
    assert sorted(base) == sorted(f"-{n}" for n in everything)
    assert base.index("-blog.0001") < base.index("-users.0001")


@pytest.mark.parametrize(
    ("plan", "target", "message"),
    [
        (upgrade_plan, "shop:0001", "unknown app 'shop'"),
        (upgrade_plan, "blog:0009", "has no migration '0009'"),
        (upgrade_plan, "+0", "at least 1"),
        (upgrade_plan, "+x", "expected +N"),
        (upgrade_plan, "base", "use `fastapp downgrade base`"),
        (downgrade_plan, "head", "use `fastapp upgrade head`"),
        (downgrade_plan, "blog", "use -N, APP:NAME"),
        (downgrade_plan, "blog:0002", "is not applied"),
    ],
)
def test_bad_targets(plan, target, message):
    s = state(graph(PROJECT), ["users.0001"])
    with pytest.raises(MigrationTargetError, match=message.replace("+", r"\+")):
        plan([s], target)


def test_ambiguous_name_prefix():
    s = state(graph({"blog.0002_a": ["blog.0001"], "blog.0002_b": ["blog.0001"]}))
    with pytest.raises(MigrationTargetError, match="ambiguous"):
        upgrade_plan([s], "blog:0002")


def test_rename_declarations():
    assert parse_field_renames(("blog.Post.body=text",)) == [("blog", "Post", "body", "text")]
    assert parse_model_renames(("blog.Entry=Post",)) == [("blog", "Entry", "Post")]
    for bad in ("blog.body=text", "blog.Post.body", "=x"):
        with pytest.raises(RenameDeclarationError, match="expected APP.MODEL.OLD=NEW"):
            parse_field_renames((bad,))
    with pytest.raises(RenameDeclarationError, match="expected APP.OLD=NEW"):
        parse_model_renames(("Post=Entry",))


def test_destructive_reasons():
    model = SimpleNamespace(
        table="blog_post",
        fields={
            "title": fields.CharField(max_length=200),
            "views": fields.IntField(),
            "price": fields.DecimalField(max_digits=10, decimal_places=2),
        },
    )
    old = SimpleNamespace(models={("blog", "Post"): model})
    assert destructive_reason("blog", ops.DeleteModel(name="Post"), old) == (
        "drops table blog_post and its rows"
    )
    assert destructive_reason("blog", ops.RemoveField("Post", "views"), old) == (
        "drops column blog_post.views and its values"
    )
    narrowed = ops.AlterField("Post", "title", fields.CharField(max_length=100))
    assert "narrows blog_post.title (max_length 200 -> 100)" in destructive_reason(
        "blog", narrowed, old
    )
    retyped = ops.AlterField("Post", "views", fields.CharField(max_length=10))
    assert "from IntField to CharField" in destructive_reason("blog", retyped, old)
    widened = ops.AlterField("Post", "title", fields.CharField(max_length=300))
    assert destructive_reason("blog", widened, old) is None
    assert destructive_reason("blog", ops.AddField("Post", "x", fields.IntField()), old) is None


def test_names_say_what_changed():
    assert _suggest([ops.AddField("User", "nickname", fields.IntField())]) == "user_nickname"
    assert _suggest([ops.RemoveField("Post", "rating")]) == "remove_post_rating"
    assert _suggest([ops.RunSQL("SELECT 1")]) == "auto"
