"""Benchmark: versioned migrations on the auto_migrate bench's project (models in apps of 20,
each with mixed columns, a unique column, a two-column index and a foreign key), whole
processes, on PostgreSQL, in the same run:

* ``fastapp makemigrations`` writing every app's ``0001_initial`` (once),
* ``fastapp makemigrations --check`` with nothing to do (median of runs), and
  ``tortoise makemigrations`` with nothing to do on the same files (once; only up to
  ``--tortoise-max`` models, it grows quadratically),
* ``fastapp upgrade`` of all the initial migrations on an empty database against
  ``fastapp migrate`` on another empty database,
* ``fastapp history``, ``current``, ``showmigrations`` (medians),

at each size of ``--sizes``. Bench databases are dropped.

Every figure is the wall time of the whole process; the CPU time it used (user + system, of
the process and its children) follows in brackets, since on a shared machine the wall time
also holds the waits for a busy CPU and database server. The last lines are the goals of
issue #15 as ratios: ``--check`` per model at each size against the smallest (linear growth:
about x1.0 or less), ``upgrade`` against ``migrate``, and the listings against 0.5 s.

    .venv/bin/python bench/migrations.py
    .venv/bin/python bench/migrations.py --sizes 50,100 --runs 1 --tortoise-max 100
    .venv/bin/python bench/migrations.py --source /tmp/older-checkout   # another version
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
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

from fastapp import testing  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_auto_migrate", ROOT / "bench/auto_migrate.py")
_am = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_am)  # the same generated project as the auto_migrate bench
write_project = _am.write_project

BIN = ROOT / ".venv" / "bin"
FASTAPP = [str(BIN / "fastapp")]


def tortoise_config(project: Path, url: str) -> None:
    """A config module the ``tortoise`` CLI reads: the same apps and migrations packages."""
    apps = sorted(p.name for p in project.iterdir() if (p / "models.py").exists())
    entries = {
        a: {
            "models": [f"{a}.models"],
            "default_connection": "default",
            "migrations": f"{a}.migrations",
        }
        for a in apps
    }
    (project / "tortoise_conf.py").write_text(
        f"TORTOISE_ORM = {{'connections': {{'default': {url!r}}}, 'apps': {entries!r}}}\n"
    )


class Time(tuple):
    """(wall, cpu) seconds of one process (or the medians of several)."""

    def __str__(self) -> str:
        return f"{self[0]:6.2f} s [{self[1]:5.2f}]"


def timed(command: list[str], cwd: Path, env: dict, codes=(0,)) -> Time:
    """Wall and CPU time (user + system of the process and its children) of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in codes:
        raise SystemExit(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Time((wall, cpu))


def median(command, cwd, env, runs, codes=(0,)) -> Time:
    found = [timed(command, cwd, env, codes) for _ in range(runs)]
    return Time((statistics.median(t[0] for t in found), statistics.median(t[1] for t in found)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,100,200,500,1000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tortoise-max", type=int, default=200)
    parser.add_argument(
        "--source", default=None, help="a checkout whose fastapp package is measured instead"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fastapp_bench_mig_"))
    rows = []
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            first, second = testing.scratch_config("postgres"), testing.scratch_config("postgres")
            for cfg in (first, second):
                asyncio.run(cfg.dialect.create_database(cfg))
            try:
                project = work / f"p{size}"
                write_project(project, size)
                env = {
                    **os.environ,
                    "DATABASE_URL": first.url(masked=False),
                    "PYTHONPATH": os.pathsep.join(filter(None, [args.source, str(project)])),
                    "FASTAPP_CACHE_DIR": str(work / f"cache{size}"),
                }
                env.pop("FASTAPP_SETTINGS", None)
                make = timed(FASTAPP + ["makemigrations"], project, env)
                check = median(FASTAPP + ["makemigrations", "--check"], project, env, args.runs)
                tortoise = None
                if size <= args.tortoise_max:
                    tortoise_config(project, first.url(masked=False))
                    tortoise = timed(
                        [
                            str(BIN / "tortoise"),
                            "-c",
                            "tortoise_conf.TORTOISE_ORM",
                            "makemigrations",
                        ],
                        project,
                        env,
                    )
                upgrade = timed(FASTAPP + ["upgrade", "--no-verify"], project, env)
                migrate = timed(
                    FASTAPP + ["migrate", "--database", second.url(masked=False)], project, env
                )
                reads = {
                    name: median(FASTAPP + [name], project, env, args.runs)
                    for name in ("history", "current", "showmigrations")
                }
                rows.append((size, check, upgrade, migrate, reads))
                tortoise_text = str(tortoise) if tortoise is not None else "  (skipped)"
                print(
                    f"{size:5d} models: makemigrations (write) {make} | --check no-op {check} | "
                    f"tortoise makemigrations no-op {tortoise_text} | upgrade (initial) "
                    f"{upgrade} vs migrate {migrate} | "
                    + " | ".join(f"{k} {v}" for k, v in reads.items()),
                    flush=True,
                )
            finally:
                for cfg in (first, second):
                    asyncio.run(cfg.dialect.drop_database(cfg))
        summary(rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def summary(rows: list) -> None:
    """The goals as ratios (wall time; CPU time in brackets)."""
    if not rows:
        return
    n0, c0 = rows[0][0], rows[0][1]
    curve = ", ".join(
        f"{n}: {c[0] / n * 1000:.1f} ms/model (x{(c[0] / n) / (c0[0] / n0):.2f}) "
        f"[x{(c[1] / n) / (c0[1] / n0):.2f}]"
        for n, c, *_ in rows
    )
    print(f"makemigrations --check per model against {n0} models (linear: <= x1.0): {curve}")
    # Fixed costs (imports, start-up) flatter the average; the cost of each added model is
    # the slope between sizes, constant when growth is linear.
    slopes = ", ".join(
        f"{a}->{b}: {(cb[0] - ca[0]) / (b - a) * 1000:.1f} ms [{(cb[1] - ca[1]) / (b - a) * 1000:.1f}]"
        for (a, ca, *_), (b, cb, *_) in zip(rows, rows[1:], strict=False)
    )
    if slopes:
        print(f"makemigrations --check, cost of each added model: {slopes}")
    n, check, upgrade, migrate, reads = rows[-1]
    print(
        f"at {n} models: --check {check[0]:.2f} s (goal <= 3 s); upgrade / migrate "
        f"x{upgrade[0] / migrate[0]:.2f} [x{upgrade[1] / migrate[1]:.2f}] (goal <= x1.0); "
        + ", ".join(f"{k} {v[0]:.2f} s" for k, v in reads.items())
        + " (goal < 0.5 s each)"
    )


if __name__ == "__main__":
    main()
