"""Soft delete (fastapp.models) on the three backends: hidden rows everywhere, restore, bulk
operations, and LiveUnique (a soft-deleted row frees its value; live duplicates fail)."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.exceptions import DoesNotExist, IntegrityError

from fastapp.project import Project
from fastapp.tortoise.context import tortoise_context
from tests.backends.blocks_project import blocks_project

pytestmark = pytest.mark.backends


@pytest.fixture(scope="module")
def project(module_db, tmp_path_factory):
    with blocks_project(module_db, tmp_path_factory.mktemp("softdel")) as (proj, settings):
        yield proj, settings, module_db


def run(project, body, *, clean=True):
    """Run ``body(models)`` in a Tortoise context; ``clean``: on empty tables."""
    proj, settings, _ = project

    async def main():
        async with tortoise_context(Project(settings).registry()):
            m = proj.models()
            if not clean:
                return await body(m)
            await m.Comment.all().delete()
            await m.Post.with_deleted().delete()
            await m.Author.with_deleted().delete()
            await m.Tag.all().delete()
            return await body(m)

    return asyncio.run(main())


def test_delete_hides_the_row_everywhere(project):
    async def body(m):
        ann = await m.Author.create(name="Ann", email="ann@x")
        keep = await m.Post.create(slug="keep", title="Keep", author=ann)
        gone = await m.Post.create(slug="gone", title="Gone", author=ann)
        await gone.delete()
        assert gone.is_deleted and gone.deleted_at is not None
        assert [p.slug for p in await m.Post.all()] == ["keep"]
        assert await m.Post.all().count() == 1
        assert await m.Post.filter(slug="gone").exists() is False
        assert await m.Post.get_or_none(id=gone.id) is None
        with pytest.raises(DoesNotExist):
            await m.Post.get(id=gone.id)
        # related lookups: the reverse relation, prefetching, and counts through it
        assert [p.slug for p in await ann.posts.all()] == ["keep"]
        assert await ann.posts.all().count() == 1
        fetched = await m.Author.get(id=ann.id).prefetch_related("posts")
        assert [p.slug for p in fetched.posts] == ["keep"]
        # the explicit ways in
        assert sorted(p.slug for p in await m.Post.with_deleted()) == ["gone", "keep"]
        assert [p.slug for p in await m.Post.only_deleted()] == ["gone"]
        assert await m.Post.only_deleted().count() == 1
        # a deleted parent disappears from the forward relation too
        await ann.delete()
        reloaded = await m.Post.get(id=keep.id)
        assert await reloaded.author is None
        return True

    assert run(project, body)


def test_restore_and_hard_delete(project):
    async def body(m):
        post = await m.Post.create(slug="p", title="P")
        await post.delete()
        await post.delete()  # deleting a deleted row changes nothing
        assert await m.Post.all().count() == 0
        await post.restore()
        assert post.deleted_at is None
        assert (await m.Post.get(id=post.id)).deleted_at is None
        await post.delete(hard=True)
        assert await m.Post.with_deleted().count() == 0
        return True

    assert run(project, body)


def test_bulk_soft_delete_and_restore_return_counts(project):
    async def body(m):
        for i in range(5):
            await m.Post.create(slug=f"b{i}", title=f"B{i}", views=i)
        assert await m.Post.filter(views__gte=2).soft_delete() == 3
        assert await m.Post.filter(views__gte=2).soft_delete() == 0  # already deleted
        assert await m.Post.all().count() == 2
        assert await m.Post.only_deleted().filter(views__lte=3).restore() == 2
        assert sorted(p.views for p in await m.Post.all()) == [0, 1, 2, 3]
        assert await m.Post.with_deleted().restore() == 1
        assert await m.Post.all().count() == 5
        return True

    assert run(project, body)


def test_a_model_without_the_mixin_is_untouched(project):
    async def body(m):
        tag = await m.Tag.create(name="t")
        await tag.delete()
        return await m.Tag.all().count()

    assert run(project, body) == 0


def test_live_unique_frees_a_deleted_value_and_refuses_live_duplicates(project):
    async def body(m):
        first = await m.Post.create(slug="same", title="One")
        with pytest.raises(IntegrityError):
            await m.Post.create(slug="same", title="Two")
        await first.delete()
        second = await m.Post.create(slug="same", title="Two")  # the freed value is reusable
        await second.delete()
        await m.Post.create(slug="same", title="Three")  # and again: deleted rows never collide
        assert await m.Post.with_deleted().filter(slug="same").count() == 3
        # restoring a row whose value is taken by a live row is a conflict
        with pytest.raises(IntegrityError):
            await first.restore()
        # a composite LiveUnique, with a foreign key column
        ann = await m.Author.create(name="Ann", email="a@x")
        await m.Post.create(slug="c1", title="Hello", author=ann)
        with pytest.raises(IntegrityError):
            await m.Post.create(slug="c2", title="Hello", author=ann)
        # live uniqueness on a second model
        await (await m.Author.get(email="a@x")).delete()
        await m.Author.create(name="Ann again", email="a@x")
        with pytest.raises(IntegrityError):
            await m.Author.create(name="Ann twice", email="a@x")
        return True

    assert run(project, body)


def test_migrate_and_auto_migrate_converge_on_live_unique(project, cli):
    """``migrate`` created the tables with their LiveUnique indexes (the fixture); the desired
    schema ``auto_migrate`` computes from the models is what the database holds."""
    _, settings, _ = project
    result = cli("--settings", settings, "auto_migrate", "--check")
    assert result.exit_code == 0, result.output


def test_purge_deleted_counts_per_model_and_dry_run_changes_nothing(project, cli):
    _, settings, _ = project

    async def seed(m):
        from datetime import timedelta

        from tortoise import timezone

        long_ago = timezone.now() - timedelta(days=40)
        for i in range(4):
            await m.Post.create(slug=f"old{i}", title=f"Old {i}")
        await m.Post.create(slug="recent", title="Recent")
        await m.Post.create(slug="live", title="Live")
        await m.Author.create(name="Gone", email="gone@x")
        await m.Post.filter(slug__startswith="old").soft_delete()
        await m.Post.filter(slug="recent").soft_delete()
        await m.Author.all().soft_delete()
        await m.Post.only_deleted().filter(slug__startswith="old").update(deleted_at=long_ago)
        await m.Author.only_deleted().update(deleted_at=long_ago)

    async def counts(m):
        return await m.Post.with_deleted().count(), await m.Author.with_deleted().count()

    run(project, seed)
    dry = cli("--settings", settings, "purge_deleted", "--older-than", "30d", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "shop.Post: 4" in dry.output and "shop.Author: 1" in dry.output
    assert "Would purge 5 row(s)" in dry.output
    assert run(project, counts, clean=False) == (6, 1)

    result = cli("--settings", settings, "purge_deleted", "--older-than", "30d", "shop")
    assert result.exit_code == 0, result.output
    assert "Purged 5 row(s)" in result.output
    assert run(project, counts, clean=False) == (2, 0)  # the recent deletion and the live row stay


def test_purge_deleted_is_all_or_nothing(project, cli):
    """A purge whose second delete fails (a foreign key refuses) leaves the first undone too;
    bad input is one line and purges nothing."""
    _, settings, _ = project

    async def seed(m):
        from datetime import timedelta

        from tortoise import timezone

        long_ago = timezone.now() - timedelta(days=40)
        await (await m.Author.create(name="Ann", email="ann@x")).delete()
        post = await m.Post.create(slug="x", title="X")
        await m.Comment.create(post=post)  # RESTRICT: the post cannot be removed
        await post.delete()
        await m.Post.only_deleted().update(deleted_at=long_ago)
        await m.Author.only_deleted().update(deleted_at=long_ago)

    async def counts(m):
        return await m.Post.with_deleted().count(), await m.Author.with_deleted().count()

    run(project, seed)
    result = cli("--settings", settings, "purge_deleted", "--older-than", "30d")
    assert result.exit_code == 1
    assert "purging shop.Post failed, nothing was purged" in result.output
    assert "Traceback" not in result.output
    assert run(project, counts, clean=False) == (
        1,
        1,
    )  # shop.Author's purge ran first and was undone
    result = cli("--settings", settings, "purge_deleted", "--older-than", "90x")
    assert result.exit_code == 1
    assert "--older-than '90x' is not an age" in result.output
    assert run(project, counts, clean=False) == (1, 1)
    result = cli("--settings", settings, "purge_deleted", "nosuchapp")
    assert result.exit_code == 1 and "unknown app 'nosuchapp'" in result.output
    assert run(project, counts, clean=False) == (1, 1)
