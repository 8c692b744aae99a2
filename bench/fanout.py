"""Benchmark: ``fastapp upgrade --targets all`` on many PostgreSQL databases, whole processes,
against a loop of single ``fastapp upgrade --database URL`` processes in the same run:

* every database already at head: one fan-out process (goal: at most 5 s for 100);
* every database receiving one migration: one fan-out process against the sequential loop
  over the same databases, brought back between the two (goal: at least 4x faster).

The databases are created in parallel and dropped at the end.

    .venv/bin/python bench/fanout.py
    .venv/bin/python bench/fanout.py --count 20 --parallel 8
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapp import testing  # noqa: E402
from fastapp.connections.raw import raw_connection  # noqa: E402
from tests.backends import fanout_project  # noqa: E402

FASTAPP = str(Path(sys.executable).with_name("fastapp"))


def timed(args: list[str], cwd: Path, env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(args[:3])} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return seconds


async def undo_second(configs) -> None:
    """Bring every database back to before 0002 (bench-only SQL, PostgreSQL)."""

    gate = asyncio.Semaphore(8)  # the server's max_connections is shared

    async def one(cfg) -> None:
        async with gate, raw_connection(cfg) as conn:
            await conn.execute("ALTER TABLE customer DROP COLUMN email")
            await conn.execute("DELETE FROM tortoise_migrations WHERE name = '0002_email'")

    await asyncio.gather(*(one(cfg) for cfg in configs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100, help="databases (default 100)")
    parser.add_argument("--parallel", type=int, default=16, help="--parallel of the fan-out")
    options = parser.parse_args()
    reason = asyncio.run(testing.unavailable_reason("postgres"))
    if reason:
        sys.exit(reason)

    configs = asyncio.run(testing.create_scratch_databases("postgres", options.count))
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            targets = {f"t{i:03d}": cfg.url(masked=False) for i, cfg in enumerate(configs)}
            fanout_project.write_project(root, {"urls": targets})
            env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
            env["FASTAPP_CACHE_DIR"] = str(root / "cache")
            fan = [FASTAPP, "upgrade", "--targets", "all", "--parallel", str(options.parallel)]
            n = options.count

            first = timed(fan, root, env)
            at_head = min(timed(fan, root, env) for _ in range(3))
            print(f"{n} databases, initial migration, one fan-out process: {first:.2f} s")
            print(
                f"{n} databases at head, one fan-out process (best of 3): {at_head:.2f} s "
                f"(goal <= 5 s for 100)"
            )

            fanout_project.write_project(root, {"urls": targets}, second=True)
            one_each = timed(fan, root, env)
            asyncio.run(undo_second(configs))
            started = time.perf_counter()
            for cfg in configs:
                timed([FASTAPP, "upgrade", "--database", cfg.url(masked=False)], root, env)
            loop = time.perf_counter() - started
            print(
                f"{n} databases, one migration each: fan-out {one_each:.2f} s, "
                f"sequential loop of {n} processes {loop:.2f} s, ratio {loop / one_each:.1f}x "
                f"(goal >= 4x)"
            )
    finally:
        asyncio.run(testing.drop_scratch_databases(configs))


if __name__ == "__main__":
    main()
