"""Benchmark: the application side, in one run per backend.

1. Per-test isolation of the pytest plugin: N trivial "tests" that each write one row, with
   the plugin's own session engine (``fastapp.testing.session.TestDatabases``):
   - ``rollback``: a transaction per test, rolled back (the plugin's default), Tortoise
     initialised once (a session-wide event loop);
   - ``init+rollback``: the same with Tortoise initialised and closed per test, which is what
     the ``fastapp_db`` fixture does under pytest-asyncio's default function-scoped loop;
   - ``truncate``: commit, then empty the tables (``fastapp_db(transaction=True)``);
   - ``recreate``: drop and re-create the tables per test (the baseline).
   (The two slow baselines are measured on at most 100 tests.)
   Goal: rollback at most 5 ms per test on PostgreSQL and SQLite, 20x cheaper than recreate.
2. Request overhead of the ``Transaction`` dependency: the same handler (one insert) with and
   without it, M sequential in-process ASGI calls through httpx. Goal: at most +15%.

    .venv/bin/python bench/runtime.py                        # sqlite and postgres, 500 tests
    .venv/bin/python bench/runtime.py --backends sqlite,postgres,mysql --tests 500 --requests 5000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

ORDER = ("plain", "tx")
ROUNDS = 20
BASELINE_TESTS = 100
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchproject import write_project  # noqa: E402  (a sibling in bench/)

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Item(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)

    class Meta:
        table = "bench_item"
"""


OTHER_MODEL = """

class Other{n}(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=100, db_index=True)
    created = fields.DatetimeField(auto_now_add=True)
    item = fields.ForeignKeyField("models.Item", null=True, related_name=False)

    class Meta:
        table = "bench_other{n}"
        app = "{app}"
"""


def make_project(backend: str, root: Path, tables: int) -> str:
    """A settings module with one app of ``tables`` tables on ``backend``'s test server."""
    package = f"benchshop_{uuid.uuid4().hex[:6]}"
    others = "".join(
        OTHER_MODEL.format(n=n, app=package).replace("models.Item", f"{package}.Item")
        for n in range(1, tables)
    )
    return write_project(root, backend, package, textwrap.dedent(MODELS) + others)


def item_model(databases):
    import importlib

    label = next(iter(databases.registry.apps.values()))
    return importlib.import_module(label.models_module).Item


async def isolation(databases, tests: int, tables: int) -> dict[str, float]:
    """Median seconds per test for each strategy."""
    from tortoise import Tortoise

    Item = item_model(databases)
    results: dict[str, float] = {}

    async def measure(name: str, one_test, count: int = tests) -> None:
        times = []
        for i in range(count):
            started = time.perf_counter()
            await one_test(i)
            times.append(time.perf_counter() - started)
        results[name] = statistics.median(times)

    async with databases.orm():

        async def rolled_back(i: int) -> None:
            async with databases.rolled_back():
                await Item.create(name=f"t{i}")

        async def truncated(i: int) -> None:
            await Item.create(name=f"t{i}")
            await databases.empty()

        async def recreated(i: int) -> None:
            client = Tortoise.get_connection("default")
            # The referencing tables first: plain DROP TABLE on every backend.
            for n in range(tables - 1, 0, -1):
                await client.execute_script(f"DROP TABLE IF EXISTS bench_other{n}")
            await client.execute_script("DROP TABLE IF EXISTS bench_item")
            await Tortoise.generate_schemas(safe=False)
            await Item.create(name=f"t{i}")

        await measure("rollback", rolled_back)
        # The slow baselines take hundreds of ms per test: their median settles sooner.
        await measure("truncate", truncated, min(tests, BASELINE_TESTS))
        await measure("recreate", recreated, min(tests, BASELINE_TESTS))

    async def init_and_rollback(i: int) -> None:
        async with databases.orm(), databases.rolled_back():
            await Item.create(name=f"t{i}")

    await measure("init+rollback", init_and_rollback)
    return results


async def request_overhead(databases, requests: int) -> tuple[float, float]:
    """Seconds for ``requests`` calls without, then with, the Transaction dependency."""
    import httpx
    from fastapi import FastAPI

    from fastapp.runtime import Transaction

    Item = item_model(databases)
    app = FastAPI()

    @app.post("/plain/{name}")
    async def plain(name: str):
        return {"id": (await Item.create(name=name)).id}

    @app.post("/tx/{name}")
    async def with_tx(name: str, tx: Transaction):
        return {"id": (await Item.create(name=name)).id}

    async with databases.orm():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for path in ORDER:  # warm both paths
                for i in range(50):
                    await client.post(f"/{path}/w{i}")
            rounds: dict[str, list[float]] = {path: [] for path in ORDER}
            # Many short interleaved rounds, the median of each path: the machine is shared
            # and a commit's fsync varies by milliseconds from one moment to the next.
            per_round = max(requests // ROUNDS, 1)
            for _ in range(ROUNDS):
                for path in ORDER:
                    started = time.perf_counter()
                    for i in range(per_round):
                        await client.post(f"/{path}/r{i}")
                    rounds[path].append((time.perf_counter() - started) / per_round)
        await databases.empty()
    return statistics.median(rounds["plain"]), statistics.median(rounds["tx"])


def run_backend(backend: str, tests: int, requests: int, tables: int) -> None:
    from fastapp.testing.session import TestDatabases

    with tempfile.TemporaryDirectory() as tmp:
        settings = make_project(backend, Path(tmp), tables)
        databases = TestDatabases(settings, worker="bench")
        databases.setup()
        try:
            iso = asyncio.run(isolation(databases, tests, tables))
            plain, tx = asyncio.run(request_overhead(databases, requests))
        finally:
            databases.teardown()
    ms = {k: v * 1000 for k, v in iso.items()}
    print(
        f"{backend}: per-test isolation, median of {tests} tests writing one row ({tables} tables)"
    )
    for name in ("rollback", "init+rollback", "truncate", "recreate"):
        ratio = iso["recreate"] / iso[name]
        print(f"  {name:14} {ms[name]:7.2f} ms/test   recreate/this = {ratio:5.1f}x")
    goal = "met" if ms["rollback"] <= 5 and iso["recreate"] / iso["rollback"] >= 20 else "MISSED"
    print(f"  goal (rollback <= 5 ms and >= 20x cheaper than recreate): {goal}")
    overhead = (tx - plain) / plain * 100
    print(
        f"{backend}: {requests} requests in {ROUNDS} interleaved rounds, median per request: "
        f"no transaction {plain * 1e6:.0f} us, Transaction {tx * 1e6:.0f} us, "
        f"overhead {overhead:+.1f}% (goal <= 15%: {'met' if overhead <= 15 else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--tests", type=int, default=500)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--tables", type=int, default=10, help="tables of the app (recreate)")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run_backend(backend.strip(), args.tests, args.requests, args.tables)


if __name__ == "__main__":
    main()
