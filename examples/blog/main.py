"""The example blog as a FastAPI application (``uvicorn main:app`` from this directory).

It reads the same settings.py as the CLI (``fastapp migrate`` first), writes in one transaction
per request, and answers 404/409 for missing records and conflicts.
"""

from __future__ import annotations

from blog.models import Comment, Post, Status, Tag
from fastapi import FastAPI
from pydantic import BaseModel
from users.models import User

from fastapp.runtime import Transaction, exception_handlers, lifespan

app = FastAPI(title="fastapp blog", lifespan=lifespan(), exception_handlers=exception_handlers())


class NewPost(BaseModel):
    author: str
    title: str
    slug: str
    body: str
    tags: list[str] = []
    publish: bool = False


class NewComment(BaseModel):
    author: str | None = None
    body: str


async def post_out(post: Post) -> dict:
    await post.fetch_related("author", "tags")
    return {
        "slug": post.slug,
        "title": post.title,
        "author": post.author.username,
        "status": Status(post.status).name.lower(),
        "tags": sorted(tag.name for tag in post.tags),
    }


@app.get("/posts")
async def list_posts() -> list[dict]:
    posts = await Post.filter(status=Status.PUBLISHED).order_by("-published_at", "id")
    return [await post_out(post) for post in posts]


@app.get("/posts/{slug}")
async def get_post(slug: str) -> dict:
    return await post_out(await Post.get(slug=slug))


@app.post("/posts", status_code=201)
async def create_post(data: NewPost, tx: Transaction) -> dict:
    author = await User.get(username=data.author)
    post = await Post.create(
        author=author,
        title=data.title,
        slug=data.slug,
        body=data.body,
        status=Status.PUBLISHED if data.publish else Status.DRAFT,
    )
    for name in data.tags:
        tag, _ = await Tag.get_or_create(name=name)
        await post.tags.add(tag)
    return await post_out(post)


@app.post("/posts/{slug}/comments", status_code=201)
async def comment(slug: str, data: NewComment, tx: Transaction) -> dict:
    post = await Post.get(slug=slug)
    author = await User.get(username=data.author) if data.author else None
    created = await Comment.create(post=post, author=author, body=data.body)
    return {"id": created.id, "post": post.slug}


@app.get("/users/{username}")
async def get_user(username: str) -> dict:
    user = await User.get(username=username)
    return {"username": user.username, "posts": await Post.filter(author=user).count()}
