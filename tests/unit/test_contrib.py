"""The pure parts of the contrib apps and hooks: password hashing and strength checks, the
permissions a model declares, hook registration and ownership, require_permission's names."""

from __future__ import annotations

import pytest
from tortoise import fields
from tortoise.models import Model

from fastapp import hooks
from fastapp.apps import AppConfig
from fastapp.contrib.auth.passwords import (
    hash_password,
    needs_rehash,
    password_problems,
    validate_password,
    verify_password,
)
from fastapp.contrib.auth.permissions import model_permissions
from fastapp.errors import SchemaError, WeakPasswordError


def test_hashes_are_salted_argon2id_and_verify():
    first, second = hash_password("s3cret-Value"), hash_password("s3cret-Value")
    assert first != second and first.startswith("$argon2id$") and "s3cret" not in first
    assert verify_password(first, "s3cret-Value")
    assert not verify_password(first, "s3cret-value")
    assert not verify_password("not a hash", "s3cret-Value")
    assert not verify_password("", "")
    assert not needs_rehash(first)


def test_weaker_hashes_need_a_rehash():
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=8192).hash("s3cret-Value")
    assert verify_password(old, "s3cret-Value") and needs_rehash(old)


@pytest.mark.parametrize(
    ("password", "username", "email", "problems"),
    [
        ("Tr1cky-Horse", "ann", "ann@example.org", []),
        ("short", "", "", ["it is shorter than 8 characters"]),
        ("1234567890", "", "", ["it is entirely numeric", "it is too common"]),
        ("Password", "", "", ["it is too common"]),
        ("margaret1", "margaret", "", ["it is too similar to the username"]),
        ("johnsmith9", "", "john.smith@example.org", ["it is too similar to the email address"]),
        ("Tr1cky-Horse", "x", "r@example.org", []),  # one letter in common says nothing
    ],
)
def test_password_problems(password, username, email, problems):
    assert password_problems(password, username=username, email=email) == problems


def test_validate_password_lists_every_reason_without_the_password():
    with pytest.raises(WeakPasswordError) as info:
        validate_password("111111")
    message = str(info.value)
    assert "shorter than 8" in message and "entirely numeric" in message
    assert "111111" not in message


class Article(Model):
    id = fields.IntField(primary_key=True)

    class Meta:
        permissions = (("publish_article", "Can publish"), ("view_article", "duplicate"))


class Broken(Model):
    id = fields.IntField(primary_key=True)

    class Meta:
        permissions = (("only_codename",),)


def test_model_permissions_default_four_then_meta():
    assert model_permissions(Article) == [
        ("add_article", "Can add article"),
        ("change_article", "Can change article"),
        ("delete_article", "Can delete article"),
        ("view_article", "Can view article"),
        ("publish_article", "Can publish"),
    ]
    with pytest.raises(SchemaError, match=r"Meta.permissions holds \('only_codename',\)"):
        model_permissions(Broken)


def test_hooks_belong_to_the_app_of_their_module():
    apps = [
        AppConfig("blog", "proj.blog", "default"),
        AppConfig("shop", "proj.shop", "other", ("legacy.shop_models",)),
    ]
    assert hooks._owner("proj.blog.hooks", apps).label == "blog"
    assert hooks._owner("legacy.shop_models", apps).label == "shop"
    assert hooks._owner("proj.blogger.hooks", apps) is None


def test_post_migrate_needs_an_async_function():
    def not_async(event):
        return None

    with pytest.raises(TypeError, match="must be an async function"):
        hooks.post_migrate(not_async)


def test_require_permission_names_are_checked_at_once():
    pytest.importorskip("fastapi")
    from fastapp.contrib.auth.web import require_permission

    for bad in ("change_post", "blog.", ".change_post", "a.b.c"):
        with pytest.raises(ValueError, match="app_label.codename"):
            require_permission(bad)
    with pytest.raises(ValueError):
        require_permission()
    assert require_permission("blog.change_post").fastapp_permissions == ("blog.change_post",)
