"""fastapp.api over real HTTP (uvicorn + httpx) on the three backends: filters, search and
sort from query parameters, page/size, limit/offset and keyset pages with links, 422s naming
the parameter, and hostile input that is matched literally and never a 500."""

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel

from fastapp.api import CursorPage, Listing, ListSpec, OffsetPage, Page
from fastapp.project import Project
from fastapp.runtime import exception_handlers, lifespan
from fastapp.tortoise.context import tortoise_context
from tests.backends.blocks_project import blocks_project
from tests.backends.test_runtime import serve

pytestmark = pytest.mark.backends

HOSTILE_TITLES = [
    "100% pure",
    "100 percent",
    "under_score",
    "underXscore",
    "back\\slash",
    "backslash",
    'it\'s "quoted"',
    "Robert'); DROP TABLE blk_post;--",
    "Ünïcödé title",
    "emoji 🎉 party",
]
COUNT = 60


class PostOut(BaseModel):
    id: int
    slug: str
    title: str
    views: int
    score: Decimal
    status: str
    published_on: dt.date | None


def build_app(settings: str, models) -> FastAPI:
    # No ``from __future__ import annotations`` in this module: FastAPI must see the
    # Annotated[..., Depends(posts.paged)] of routes defined in this function as objects.
    app = FastAPI(lifespan=lifespan(settings), exception_handlers=exception_handlers())
    posts = ListSpec(
        models.Post,
        filters={
            "views": ("eq", "ne", "gt", "gte", "lt", "lte", "in"),
            "slug": ("eq", "in", "icontains", "startswith"),
            "status": ("eq", "in"),
            "published_on": ("gte", "lte", "isnull"),
            "score": ("gte", "lte"),
            "author_id": ("eq",),
        },
        search=("title", "body"),
        sort=("views", "title", "score", "published_on"),
        default_sort=("-views",),
        default_size=10,
        max_size=50,
        extra_params=("verbose",),
    )

    @app.get("/posts", response_model=Page[PostOut])
    async def paged(listing: Annotated[Listing, Depends(posts.paged)]):
        return await listing.fetch(PostOut)

    @app.get("/posts/offset", response_model=OffsetPage[PostOut])
    async def offset(listing: Annotated[Listing, Depends(posts.offset)]):
        return await listing.fetch(PostOut)

    @app.get("/posts/keyset", response_model=CursorPage[PostOut])
    async def keyset(listing: Annotated[Listing, Depends(posts.keyset)]):
        return await listing.fetch(PostOut)

    @app.get("/posts/mine", response_model=Page[PostOut])
    async def narrowed(listing: Annotated[Listing, Depends(posts.paged)]):
        return await listing.filter(views__lt=3).fetch(PostOut)

    return app


async def seed(models) -> None:
    Post, Author = models.Post, models.Author
    ann = await Author.create(name="Ann", email="ann@x")
    for i in range(COUNT):
        title = HOSTILE_TITLES[i] if i < len(HOSTILE_TITLES) else f"Post number {i}"
        await Post.create(
            slug=f"post-{i:03d}",
            title=title,
            body="Needle in the body" if i % 10 == 3 else "plain",
            views=i % 7,  # many ties: the primary key must break them
            score=Decimal(i) / 4,
            status="published" if i % 3 == 0 else "draft",
            published_on=None if i % 5 == 0 else dt.date(2026, 1, 1) + dt.timedelta(days=i),
            author=ann if i % 2 else None,
        )
    gone = await Post.create(slug="deleted", title="100% deleted", views=6)
    await gone.delete()


@pytest.fixture(scope="module")
def server(module_db, tmp_path_factory):
    with blocks_project(module_db, tmp_path_factory.mktemp("api")) as (proj, settings):

        async def run_seed():
            async with tortoise_context(Project(settings).registry()):
                await seed(proj.models())

        asyncio.run(run_seed())
        with serve(build_app(settings, proj.models())) as url:
            with httpx.Client(base_url=url, timeout=30) as client:
                yield client


def get(client, path, **params):
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def walk(client, path, **params):
    """Every item, following ``next`` links from the first page."""
    page = get(client, path, **params)
    items, seen_urls = list(page["items"]), 1
    while page["next"]:
        response = client.get(page["next"])
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        seen_urls += 1
        assert seen_urls < 100
    return items


def test_page_size_pages_carry_totals_and_links(server):
    first = get(server, "/posts", size=7)
    assert (first["total"], first["page"], first["size"], first["pages"]) == (COUNT, 1, 7, 9)
    assert first["prev"] is None
    assert parse_qs(urlsplit(first["next"]).query) == {"size": ["7"], "page": ["2"]}
    last = get(server, "/posts", size=7, page=9)
    assert len(last["items"]) == COUNT - 8 * 7 and last["next"] is None
    assert parse_qs(urlsplit(last["prev"]).query)["page"] == ["8"]
    beyond = get(server, "/posts", size=7, page=20)
    assert beyond["items"] == [] and parse_qs(urlsplit(beyond["prev"]).query)["page"] == ["9"]
    items = walk(server, "/posts", size=7)
    # the default sort (-views) with the primary key as the tie-breaker: a total order
    assert [(-p["views"], p["id"]) for p in items] == sorted((-p["views"], p["id"]) for p in items)
    assert len({p["id"] for p in items}) == COUNT  # the soft-deleted post is not listed


def test_limit_offset_pages(server):
    page = get(server, "/posts/offset", limit=25, offset=50)
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (COUNT, 25, 50, 10)
    assert page["next"] is None
    assert parse_qs(urlsplit(page["prev"]).query)["offset"] == ["25"]
    assert [p["id"] for p in walk(server, "/posts/offset", limit=9)] == [
        p["id"] for p in walk(server, "/posts", size=9)
    ]


@pytest.mark.parametrize("sort", ["-views", "views,-title", "-score,title", "title", "-title"])
def test_keyset_pages_follow_the_same_order_as_offset_pages(server, sort):
    by_offset = [p["id"] for p in walk(server, "/posts", size=50, sort=sort)]
    by_keyset = [p["id"] for p in walk(server, "/posts/keyset", size=4, sort=sort)]
    assert by_keyset == by_offset and len(by_keyset) == COUNT


def test_keyset_page_shape(server):
    first = get(server, "/posts/keyset", size=5, views__gte=6)
    assert first["size"] == 5 and len(first["items"]) == 5 and first["next_cursor"]
    assert "total" not in first
    rest = get(server, "/posts/keyset", size=5, views__gte=6, cursor=first["next_cursor"])
    assert {p["id"] for p in first["items"]}.isdisjoint(p["id"] for p in rest["items"])
    assert rest["next"] is None and rest["next_cursor"] is None


def test_filters(server):
    def ids(**params):
        return sorted(p["id"] for p in walk(server, "/posts", size=50, **params))

    everything = walk(server, "/posts", size=50)

    def expect(pred):
        return sorted(p["id"] for p in everything if pred(p))

    assert ids(views__gte=5) == expect(lambda p: p["views"] >= 5)
    assert ids(views__ne=0) == expect(lambda p: p["views"] != 0)
    assert ids(views__in="1,2") == expect(lambda p: p["views"] in (1, 2))
    assert ids(status="published") == expect(lambda p: p["status"] == "published")
    assert ids(published_on__isnull="true") == expect(lambda p: p["published_on"] is None)
    assert ids(published_on__gte="2026-02-01") == expect(
        lambda p: p["published_on"] is not None and p["published_on"] >= "2026-02-01"
    )
    assert ids(score__gte="10.5", score__lte="12") == expect(
        lambda p: Decimal("10.5") <= Decimal(str(p["score"])) <= 12
    )
    assert ids(slug__startswith="post-00") == expect(lambda p: p["slug"].startswith("post-00"))
    assert len(ids(author_id=1)) == COUNT // 2
    # narrowed further by the route, and an extra parameter of the route is left alone
    assert sorted(p["id"] for p in walk(server, "/posts/mine", size=50, verbose="1")) == expect(
        lambda p: p["views"] < 3
    )


@pytest.mark.parametrize(
    ("q", "titles"),
    [
        ("100%", {"100% pure"}),
        ("%", {"100% pure"}),
        ("_", {"under_score", "Robert'); DROP TABLE blk_post;--"}),  # not underXscore
        ("under_score", {"under_score"}),
        ("\\", {"back\\slash"}),
        ("'", {'it\'s "quoted"', "Robert'); DROP TABLE blk_post;--"}),
        ('"quoted"', {'it\'s "quoted"'}),
        ("'); DROP TABLE blk_post;--", {"Robert'); DROP TABLE blk_post;--"}),
        ("PURE", {"100% pure"}),  # case-insensitive
        ("Ünïcödé", {"Ünïcödé title"}),
        ("🎉", {"emoji 🎉 party"}),
        ("no such text anywhere", set()),
    ],
)
def test_search_matches_hostile_text_literally(server, q, titles):
    found = {p["title"] for p in walk(server, "/posts", size=50, q=q)}
    assert found == titles
    assert get(server, "/posts", size=1)["total"] == COUNT  # the table is intact


def test_search_spans_several_fields(server):
    found = walk(server, "/posts", size=50, q="needle")
    assert len(found) == 6  # in the body, matched case-insensitively


def test_hostile_filter_values_are_values(server):
    assert walk(server, "/posts", size=50, slug="' OR '1'='1") == []
    assert walk(server, "/posts", size=50, slug__icontains="%") == []
    assert walk(server, "/posts", size=50, slug__in="post-001,'); DROP TABLE x;--") != []


def _problem(client, path, **params):
    response = client.get(path, params=params)
    assert response.status_code == 422, (params, response.status_code, response.text)
    return response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params", "param"),
    [
        ("/posts", {"nope": "1"}, "nope"),
        ("/posts", {"views__like": "1"}, "views__like"),
        ("/posts", {"views__icontains": "1"}, "views__icontains"),
        ("/posts", {"body": "x"}, "body"),
        ("/posts", {"views": "abc"}, "views"),
        ("/posts", {"views": "99999999999999999999999"}, "views"),
        ("/posts", {"views": "2147483648"}, "views"),
        ("/posts", {"views__in": "1,x"}, "views__in"),
        ("/posts", {"views": "1\x00"}, "views"),
        ("/posts", {"slug": "a\x00b"}, "slug"),
        ("/posts", {"score__gte": "1e999999"}, "score__gte"),
        ("/posts", {"score__gte": "NaN"}, "score__gte"),
        ("/posts", {"published_on__gte": "2026-13-01"}, "published_on__gte"),
        ("/posts", {"published_on__isnull": "maybe"}, "published_on__isnull"),
        ("/posts", {"status": "archived"}, "status"),
        ("/posts", {"sort": "nope"}, "sort"),
        ("/posts", {"sort": "-views,-views"}, "sort"),
        ("/posts", {"sort": "body"}, "sort"),
        ("/posts", {"size": "51"}, "size"),
        ("/posts", {"size": "0"}, "size"),
        ("/posts", {"size": "-1"}, "size"),
        ("/posts", {"page": "0"}, "page"),
        ("/posts", {"page": "abc"}, "page"),
        ("/posts", {"page": "99999999999999999999999999"}, "page"),
        ("/posts", {"limit": "5"}, "limit"),  # a parameter of another page mode
        ("/posts", {"q": "x" * 1001}, "q"),
        ("/posts/offset", {"limit": "51"}, "limit"),
        ("/posts/offset", {"offset": "-1"}, "offset"),
        ("/posts/keyset", {"cursor": "garbage!"}, "cursor"),
        ("/posts/keyset", {"cursor": "eyJzIjpbXSwidiI6WzFdfQ"}, "cursor"),
        ("/posts/keyset", {"sort": "published_on"}, "sort"),  # a nullable keyset key
    ],
)
def test_bad_parameters_are_a_422_naming_the_parameter(server, path, params, param):
    detail = _problem(server, path, **params)
    assert [e["loc"] for e in detail] == [["query", param]]
    assert detail[0]["msg"]


def test_every_bad_parameter_is_named_at_once(server):
    detail = _problem(server, "/posts", views="x", size="500", sort="nope")
    assert sorted(e["loc"][1] for e in detail) == ["size", "sort", "views"]


def test_a_repeated_parameter_is_a_422(server):
    response = server.get("/posts?views=1&views=2")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "views"]


def test_a_cursor_of_another_sort_is_refused(server):
    first = get(server, "/posts/keyset", size=3, sort="title")
    detail = _problem(server, "/posts/keyset", size=3, sort="-views", cursor=first["next_cursor"])
    assert detail[0]["loc"] == ["query", "cursor"]
    assert "another sort" in detail[0]["msg"]


def test_the_accepted_parameters_are_in_the_openapi_schema(server):
    schema = server.get("/openapi.json").json()
    params = {p["name"]: p for p in schema["paths"]["/posts"]["get"]["parameters"]}
    assert {
        "views",
        "views__gte",
        "views__in",
        "slug__icontains",
        "q",
        "sort",
        "page",
        "size",
    } <= set(params)
    assert "limit" not in params and "cursor" not in params
    assert "1 to 50" in params["size"]["description"]
    keyset = {p["name"] for p in schema["paths"]["/posts/keyset"]["get"]["parameters"]}
    assert {"cursor", "size"} <= keyset and "page" not in keyset
