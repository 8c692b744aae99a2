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

    .venv/bin/python bench/migrations.py
    .venv/bin/python bench/migrations.py --sizes 50,100 --runs 1 --tortoise-max 100
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapp import testing  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_auto_migrate", ROOT / "bench/auto_migrate.py")
_am = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_am)  # the same generated project as the auto_migrate bench
write_project, timed = _am.write_project, _am.timed

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


def median(command, cwd, env, runs, codes=(0,)) -> float:
    return statistics.median(timed(command, cwd, env, codes) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,100,200,500,1000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tortoise-max", type=int, default=200)
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
                    "PYTHONPATH": str(project),
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
                rows.append((size, check))
                tortoise_text = f"{tortoise:6.2f} s" if tortoise is not None else "  (skipped)"
                print(
                    f"{size:5d} models: makemigrations (write) {make:6.2f} s | --check no-op "
                    f"{check:6.2f} s | tortoise makemigrations no-op {tortoise_text} | upgrade "
                    f"(initial) {upgrade:6.2f} s vs migrate {migrate:6.2f} s | "
                    + " | ".join(f"{k} {v:5.2f} s" for k, v in reads.items()),
                    flush=True,
                )
            finally:
                for cfg in (first, second):
                    asyncio.run(cfg.dialect.drop_database(cfg))
        if len(rows) >= 2:
            (n0, c0), (n1, c1) = rows[0], rows[-1]
            print(
                f"growth of makemigrations --check from {n0} to {n1} models (x{n1 / n0:.0f}): x{c1 / c0:.1f}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
