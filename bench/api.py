"""Benchmark: fastapp.api list endpoints on 100,000 rows, in one run per backend.

Through the ASGI app in process (httpx), p50/p95 per request of:
- page 1 and page 1,000 with page/size pages (OFFSET), the comparison;
- page 1 and page 1,000 with keyset pages (the cursor of page 1,000 is the one the API gives
  after row 999 x size), sorted by the primary key (the list's default) and by an indexed
  column (created_at, id as the tie-breaker);
- a search (``q``) over two text fields.
Goal: keyset page 1,000 within 2x of keyset page 1. Ratios are against page 1 measured in
the same run.

    .venv/bin/python bench/api.py                          # sqlite and postgres
    .venv/bin/python bench/api.py --backends postgres --rows 100000 --requests 60
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' Annotated objects.
import argparse
import asyncio
import statistics
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchproject import write_project  # noqa: E402  (a sibling in bench/)

SIZE = 50
DEEP_PAGE = 1000

MODELS = """
from tortoise import fields
from tortoise.models import Model

from fastapp.models import SoftDeleteMixin


class Article(SoftDeleteMixin, Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    views = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "bench_article"
        indexes = (("created_at", "id"),)
"""


def make_project(backend: str, root: Path) -> str:
    package = f"benchapi_{uuid.uuid4().hex[:6]}"
    return write_project(root, backend, package, textwrap.dedent(MODELS))


def article_model(databases):
    import importlib

    app = next(iter(databases.registry.apps.values()))
    return importlib.import_module(app.models_module).Article


async def fill(Article, rows: int) -> None:
    import datetime as dt

    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    words = ["alpha", "beta", "gamma", "delta", "needle", "omega", "sigma", "kappa"]
    batch = []
    for i in range(rows):
        batch.append(
            Article(
                title=f"{words[i % 8]} title {i}",
                body=f"body {words[(i * 7) % 8]} {i}",
                views=i % 1000,
                # every 10 rows share a timestamp: the tie-breaker matters
                created_at=start + dt.timedelta(seconds=i // 10),
            )
        )
        if len(batch) == 2000:
            await Article.bulk_create(batch)
            batch = []
    if batch:
        await Article.bulk_create(batch)


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


async def measure(databases, rows: int, requests: int) -> dict[str, tuple[float, float]]:
    from typing import Annotated

    import httpx
    from fastapi import Depends, FastAPI

    from fastapp.api import Listing, ListSpec
    from fastapp.api.keyset import encode_cursor

    Article = article_model(databases)
    spec = ListSpec(
        Article,
        search=("title", "body"),
        sort=("created_at", "views"),
        default_size=SIZE,
        max_size=100,
    )
    app = FastAPI()

    @app.get("/paged")
    async def paged(listing: Annotated[Listing, Depends(spec.paged)]):
        page = await listing.fetch()
        return {"n": len(page.items), "total": page.total}

    @app.get("/keyset")
    async def keyset(listing: Annotated[Listing, Depends(spec.keyset)]):
        page = await listing.fetch()
        return {"n": len(page.items), "next": page.next_cursor}

    results: dict[str, tuple[float, float]] = {}
    async with databases.orm():
        started = time.perf_counter()
        await fill(Article, rows)
        print(f"  filled {rows} rows in {time.perf_counter() - started:.1f} s", flush=True)

        async def cursor_at(sort: str) -> str:
            tokens = [sort] if sort else []
            keys = [(t.lstrip("-"), t.startswith("-")) for t in tokens] + [("id", False)]
            order = [("-" if d else "") + n for n, d in keys]
            row = await Article.all().order_by(*order).offset(DEEP_PAGE * SIZE - SIZE - 1).first()
            compiled = spec._compiled
            kinds = [spec._kind(n, compiled) for n, _ in keys]
            return encode_cursor(tokens, kinds, row)

        cases = {
            "offset page 1 (by id)": "/paged?page=1",
            f"offset page {DEEP_PAGE} (by id)": f"/paged?page={DEEP_PAGE}",
            "keyset page 1 (by id)": "/keyset",
            f"keyset page {DEEP_PAGE} (by id)": f"/keyset?cursor={await cursor_at('')}",
            "offset page 1 (by created_at)": "/paged?page=1&sort=created_at",
            f"offset page {DEEP_PAGE} (by created_at)": f"/paged?page={DEEP_PAGE}&sort=created_at",
            "keyset page 1 (by created_at)": "/keyset?sort=created_at",
            f"keyset page {DEEP_PAGE} (by created_at)": (
                f"/keyset?sort=created_at&cursor={await cursor_at('created_at')}"
            ),
            "search q over title+body (page 1)": "/paged?q=needle",
        }
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for path in cases.values():  # warm up, and check every case answers
                response = await client.get(path)
                assert response.status_code == 200, (path, response.text)
                assert response.json()["n"] == SIZE, (path, response.text)
            times: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(requests):  # interleaved: the machine is shared
                for name, path in cases.items():
                    started = time.perf_counter()
                    await client.get(path)
                    times[name].append(time.perf_counter() - started)
        for name, samples in times.items():
            results[name] = percentiles(samples)
    return results


def run_backend(backend: str, rows: int, requests: int) -> None:
    from fastapp.testing.session import TestDatabases

    with tempfile.TemporaryDirectory() as tmp:
        settings = make_project(backend, Path(tmp))
        databases = TestDatabases(settings, worker="benchapi")
        print(f"{backend}: {rows} rows, {SIZE} per page, {requests} requests per case", flush=True)
        databases.setup()
        try:
            results = asyncio.run(measure(databases, rows, requests))
        finally:
            databases.teardown()
    for name, (p50, p95) in results.items():
        print(f"  {name:40} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms")
    for sort in ("by id", "by created_at"):
        first = results[f"keyset page 1 ({sort})"][0]
        deep = results[f"keyset page {DEEP_PAGE} ({sort})"][0]
        offset_deep = results[f"offset page {DEEP_PAGE} ({sort})"][0]
        goal = "met" if deep <= 2 * first else "MISSED"
        print(
            f"  {sort}: keyset page {DEEP_PAGE} / page 1 = {deep / first:.2f}x (goal <= 2x: "
            f"{goal}); offset page {DEEP_PAGE} / keyset page {DEEP_PAGE} = "
            f"{offset_deep / deep:.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run_backend(backend.strip(), args.rows, args.requests)


if __name__ == "__main__":
    main()
