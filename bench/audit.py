"""Benchmark: the write overhead of fastapp.contrib.audit, in one run per backend.

10,000 updates (``obj.views += 1; await obj.save()``, round-robin over 1,000 loaded rows) of
an audited model (``AuditMixin``) against the same updates of an identical plain model, in
the same run, interleaved in rounds of 1,000 (the machine is shared). Two shapes:

- autocommit: each ``save()`` on its own. The plain update is one statement; the audited one
  opens a transaction for the update and its audit row (BEGIN, UPDATE, INSERT, COMMIT).
- per-request transaction: each ``save()`` inside ``in_transaction()``, as under
  ``fastapp.runtime.Transaction``: the audit row joins the request's transaction.

Prints the absolute times and audited / plain. Goal: at most 2x.

    .venv/bin/python bench/audit.py                       # sqlite and postgres
    .venv/bin/python bench/audit.py --backends postgres --updates 10000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchproject import write_project  # noqa: E402  (a sibling in bench/)

ROWS = 1000
ROUND = 1000

MODELS = """
from tortoise import fields
from tortoise.models import Model

from fastapp.contrib.audit.mixin import AuditMixin


class Plain(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    views = fields.IntField(default=0)

    class Meta:
        table = "bench_plain"


class Audited(AuditMixin, Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    views = fields.IntField(default=0)

    class Meta:
        table = "bench_audited"
"""


def make_project(backend: str, root: Path) -> str:
    package = f"benchaudit_{uuid.uuid4().hex[:6]}"
    return write_project(
        root, backend, package, textwrap.dedent(MODELS), apps=("fastapp.contrib.audit",)
    )


def models(databases):
    import importlib

    app = list(databases.registry.apps.values())[-1]
    module = importlib.import_module(app.models_module)
    return module.Plain, module.Audited


async def measure(databases, updates: int) -> dict[str, dict[str, float]]:
    from tortoise.transactions import in_transaction

    from fastapp.contrib.audit.context import actor
    from fastapp.contrib.audit.models import AuditEntry

    Plain, Audited = models(databases)
    times = {shape: {"plain": 0.0, "audited": 0.0} for shape in ("autocommit", "transaction")}
    async with databases.orm():
        loaded = {}
        for model in (Plain, Audited):
            await model.bulk_create([model(title=f"row {i}") for i in range(ROWS)])
            loaded[model] = await model.all().order_by("id")

        async def run(model, count: int, start: int, wrapped: bool) -> float:
            objs = loaded[model]
            began = time.perf_counter()
            for i in range(start, start + count):
                obj = objs[i % ROWS]
                obj.views += 1
                if wrapped:
                    async with in_transaction():
                        await obj.save()
                else:
                    await obj.save()
            return time.perf_counter() - began

        with actor("bench"):
            for model in (Plain, Audited):  # warm up
                await run(model, 50, 0, False)
            for shape, wrapped in (("autocommit", False), ("transaction", True)):
                for start in range(0, updates, ROUND):
                    count = min(ROUND, updates - start)
                    times[shape]["plain"] += await run(Plain, count, start, wrapped)
                    times[shape]["audited"] += await run(Audited, count, start, wrapped)
        written = await AuditEntry.filter(model="audited", action="update").count()
        assert written == 2 * updates + 50, written
    return times


def run_backend(backend: str, updates: int) -> None:
    from fastapp.testing.session import TestDatabases

    with tempfile.TemporaryDirectory() as tmp:
        settings = make_project(backend, Path(tmp))
        databases = TestDatabases(settings, worker="benchaudit")
        print(f"{backend}: {updates} updates per model and shape", flush=True)
        databases.setup()
        try:
            times = asyncio.run(measure(databases, updates))
        finally:
            databases.teardown()
    for shape, pair in times.items():
        plain, audited = pair["plain"], pair["audited"]
        ratio = audited / plain
        goal = "met" if ratio <= 2 else "MISSED"
        print(
            f"  {shape:12} plain {plain:7.2f} s ({plain / updates * 1e6:6.0f} us/update)   "
            f"audited {audited:7.2f} s ({audited / updates * 1e6:6.0f} us/update)   "
            f"audited/plain = {ratio:.2f}x (goal <= 2x: {goal})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--updates", type=int, default=10_000)
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run_backend(backend.strip(), args.updates)


if __name__ == "__main__":
    main()
