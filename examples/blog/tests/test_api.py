"""The blog's HTTP API over the fastapp pytest plugin: each test rolls back, fixtures load by
name, the client calls the app in-process."""

import pytest
from blog.models import Post


@pytest.mark.fixtures("users", "blog")
async def test_published_posts_are_listed(client):
    response = await client.get("/posts")
    assert response.status_code == 200
    slugs = [post["slug"] for post in response.json()]
    assert "declarative-migrations" in slugs
    assert all(post["status"] == "published" for post in response.json())


@pytest.mark.fixtures("users", "blog")
async def test_create_post_with_tags(client):
    response = await client.post(
        "/posts",
        json={
            "author": "alice",
            "title": "Pools from the environment",
            "slug": "pools",
            "body": "DB_POOL_SIZE and friends.",
            "tags": ["python", "ops"],
            "publish": True,
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["tags"] == ["ops", "python"]
    assert (await client.get("/posts/pools")).json()["author"] == "alice"


@pytest.mark.fixtures("users", "blog")
async def test_duplicate_slug_is_409_and_writes_nothing(client):
    before = await Post.all().count()
    response = await client.post(
        "/posts",
        json={
            "author": "alice",
            "title": "Again",
            "slug": "declarative-migrations",
            "body": "...",
            "tags": ["brand-new-tag"],
        },
    )
    assert response.status_code == 409
    assert await Post.all().count() == before


async def test_unknown_post_and_user_are_404(client):
    assert (await client.get("/posts/nope")).status_code == 404
    assert (await client.get("/users/nobody")).status_code == 404
    response = await client.post("/posts/nope/comments", json={"body": "hello"})
    assert response.status_code == 404


async def test_each_test_starts_empty(fastapp_db):
    assert await Post.all().count() == 0
