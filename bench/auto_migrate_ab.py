"""Benchmark: ``fastapp auto_migrate --check`` of this checkout against another, interleaved.

On a shared machine whose speed drifts by tens of percent within minutes, two runs of
``bench/auto_migrate.py`` minutes apart cannot tell a 5% change. This script runs the two
checkouts in alternation (this one, the other, this one...) on one new database of the
1,000-model bench project, each run a whole process, and prints per checkout the median wall
time and the CPU it took: the ``fastapp`` process's own, and the PostgreSQL server's (its
backends' time, read from the postmaster's reaped children in ``/proc`` when the server runs
on this machine; left out otherwise). CPU moves far less than wall time with the load.

* cold: each run with a new, empty ``FASTAPP_CACHE_DIR`` (every table through the scratch
  space);
* warm: each checkout with its own filled cache.

    .venv/bin/python bench/auto_migrate_ab.py --base /tmp/older-checkout
    .venv/bin/python bench/auto_migrate_ab.py --base /tmp/older-checkout --models 250 --pairs 4
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from auto_migrate import FASTAPP, write_project  # noqa: E402

from fastapp import testing  # noqa: E402


def postmaster_pid(cfg) -> int | None:
    """The server's postmaster, when it runs here and its data directory can be read."""
    import asyncpg

    async def data_directory() -> str:
        conn = await asyncpg.connect(cfg.url(masked=False))
        try:
            return await conn.fetchval("SHOW data_directory")
        finally:
            await conn.close()

    try:
        pid = int((Path(asyncio.run(data_directory())) / "postmaster.pid").read_text().split()[0])
        Path(f"/proc/{pid}/stat").read_text()
        return pid
    except (OSError, ValueError, IndexError):
        return None


def server_cpu(pid: int | None) -> float:
    """Seconds of CPU the postmaster and its exited children (the backends) have used."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the other checkout (its fastapp package)")
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=8, help="runs of each checkout, per kind")
    parser.add_argument("--each", action="store_true", help="print every run too")
    args = parser.parse_args()
    trees = {"this": str(ROOT), "base": str(Path(args.base).resolve())}
    work = Path(tempfile.mkdtemp(prefix="fastapp_bench_ab_"))
    cfg = testing.scratch_config("postgres")
    asyncio.run(cfg.dialect.create_database(cfg))
    try:
        project = work / "project"
        write_project(project, args.models)
        env = {**os.environ, "DATABASE_URL": cfg.url(masked=False)}
        env.pop("FASTAPP_SETTINGS", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # both compiled once, alike
        pid = postmaster_pid(cfg)

        def run(tree: str, cache: Path, command: tuple[str, ...]) -> tuple[float, float, float]:
            run_env = {**env, "PYTHONPATH": f"{tree}{os.pathsep}{project}"}
            run_env["FASTAPP_CACHE_DIR"] = str(cache)
            before, server = resource.getrusage(resource.RUSAGE_CHILDREN), server_cpu(pid)
            start = time.perf_counter()
            subprocess.run(FASTAPP + list(command), cwd=project, env=run_env, check=True,
                           capture_output=True)  # fmt: skip
            wall = time.perf_counter() - start
            time.sleep(0.3)  # the backends exit and are reaped
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            client = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            return wall, client, server_cpu(pid) - server

        run(trees["base"], work / "migrate-cache", ("migrate",))
        check = ("auto_migrate", "--check")
        for name, tree in trees.items():
            run(tree, work / f"warm-{name}", check)  # fills its cache
        found: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        for _ in range(args.pairs):
            for name, tree in trees.items():
                shutil.rmtree(work / "cold", ignore_errors=True)
                found.setdefault((name, "cold"), []).append(run(tree, work / "cold", check))
                found.setdefault((name, "warm"), []).append(run(tree, work / f"warm-{name}", check))
        print(
            f"auto_migrate --check, {args.models} models, {args.pairs} interleaved runs each "
            f"(medians; server CPU {'read from /proc' if pid else 'not readable here'}):"
        )
        for kind in ("cold", "warm"):
            medians = {}
            for name in trees:
                walls, clients, servers = zip(*found[(name, kind)], strict=True)
                medians[name] = [statistics.median(v) for v in (walls, clients, servers)]
                medians[name].append(
                    statistics.median(c + s for c, s in zip(clients, servers, strict=True))
                )
            for name in trees:
                if args.each:
                    runs = ", ".join(f"{w:.2f}/{c:.2f}/{s:.2f}" for w, c, s in found[(name, kind)])
                    print(f"  {kind} {name:4} runs (wall/client/server): {runs}")
            for name in trees:
                wall, client, server, total = medians[name]
                print(
                    f"  {kind} {name:4}: wall {wall:5.2f} s | CPU client {client:5.2f} s, "
                    f"server {server:5.2f} s, total {total:5.2f} s"
                )
            this, base = medians["this"], medians["base"]
            print(
                f"  {kind} this/base: wall x{this[0] / base[0]:.2f}, "
                f"total CPU x{this[3] / base[3]:.2f}"
            )
    finally:
        asyncio.run(cfg.dialect.drop_database(cfg))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
