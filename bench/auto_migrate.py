"""Benchmark: ``fastapp auto_migrate`` on a 1,000-model project on PostgreSQL.

Generates a project of N models spread over apps of 20 (each model: 8 columns of mixed types,
a unique column, a two-column index, a foreign key to the previous model of its app), creates
its schema with ``fastapp migrate`` (timed), then, in the same run and as whole processes:

* ``fastapp auto_migrate --check`` on the in-sync database, cold (each run with a new, empty
  ``FASTAPP_CACHE_DIR``: every table created in the scratch schema, as on a first run or in
  CI) and warm (the desired-schema cache filled), medians of several runs each,
* ``pg_dump --schema-only`` of the same database (median, for scale),

at 250, 500 and 1,000 models; then plans and applies a change touching 100 tables
(``auto_migrate --yes``, a new nullable column on 100 models). Bench databases are dropped.

Every auto_migrate figure names the state of the desired-schema cache it ran with: **cold**
(a new, empty ``FASTAPP_CACHE_DIR``), **warm** (filled by a run on the same models) or
**partly warm** (filled by the models before the change: only the changed tables miss).
``migrate`` and ``pg_dump`` use no cache. Plan-and-apply runs on a cold cache of its own, so
the plans before it cannot speed it up.

    .venv/bin/python bench/auto_migrate.py
    .venv/bin/python bench/auto_migrate.py --sizes 100,200 --runs 1
    .venv/bin/python bench/auto_migrate.py --source /tmp/older-checkout   # another version
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
from fastapp.connections.url import DatabaseConfig  # noqa: E402

FASTAPP = [str(ROOT / ".venv" / "bin" / "fastapp")]
MODELS_PER_APP = 20

MODEL = """

class M{i:02d}(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=200, default="")
    qty = fields.IntField(default=0)
    price = fields.DecimalField(max_digits=12, decimal_places=2, null=True)
    active = fields.BooleanField(default=True)
    created = fields.DatetimeField(auto_now_add=True)
    data = fields.JSONField(null=True){fk}{extra}

    class Meta:
        table = "{app}_m{i:02d}"
        indexes = (("name", "qty"),)
"""


def write_project(folder: Path, models: int, extra_on: int = 0) -> None:
    """``models`` models in apps of 20; the first ``extra_on`` models get one more column."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    apps = []
    for a in range((models + MODELS_PER_APP - 1) // MODELS_PER_APP):
        app = f"app{a:02d}"
        apps.append(app)
        pkg = folder / app
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        parts = ["from tortoise import fields\nfrom tortoise.models import Model\n"]
        count = min(MODELS_PER_APP, models - a * MODELS_PER_APP)
        for i in range(count):
            fk = ""
            if i:
                fk = (
                    f'\n    prev = fields.ForeignKeyField("{app}.M{i - 1:02d}", '
                    'related_name="next", null=True)'
                )
            number = a * MODELS_PER_APP + i
            extra = "\n    extra = fields.IntField(null=True)" if number < extra_on else ""
            parts.append(MODEL.format(i=i, app=app, fk=fk, extra=extra))
        (pkg / "models.py").write_text("".join(parts))
    (folder / "settings.py").write_text(
        f"INSTALLED_APPS = {apps!r}\n"
        "DATABASES = {'default': {'ENGINE': 'sqlite', 'NAME': 'unused.sqlite3'}}\n"
        "USE_TZ = True\nTIME_ZONE = 'UTC'\n"
    )


def timed(command: list[str], cwd: Path, env: dict, check_codes=(0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in check_codes:
        raise SystemExit(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return elapsed


def pg_dump(cfg: DatabaseConfig) -> list[str]:
    return [
        "pg_dump",
        "--schema-only",
        "-h",
        cfg.host,
        "-p",
        str(cfg.port),
        "-U",
        cfg.user or "postgres",
        "-f",
        os.devnull,
        cfg.name,
    ]


def fresh_cache(env: dict, work: Path, name: str) -> dict:
    """``env`` with a new, empty desired-schema cache directory: a cold run."""
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    return {**env, "FASTAPP_CACHE_DIR": str(folder)}


def median(command, cwd, env, runs, codes=(0,)) -> float:
    return statistics.median(timed(command, cwd, env, codes) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,500,1000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--touch", type=int, default=100, help="tables changed in the apply step")
    parser.add_argument(
        "--source", default=None, help="a checkout whose fastapp package is measured instead"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="fastapp_bench_am_"))
    rows = []
    apply_line = None
    try:
        for size in sizes:
            cfg = testing.scratch_config("postgres")
            asyncio.run(cfg.dialect.create_database(cfg))
            try:
                project = work / f"p{size}"
                write_project(project, size)
                env = {
                    **os.environ,
                    "DATABASE_URL": cfg.url(masked=False),
                    "PYTHONPATH": os.pathsep.join(filter(None, [args.source, str(project)])),
                }
                env.pop("FASTAPP_SETTINGS", None)
                env["FASTAPP_CACHE_DIR"] = str(work / f"cache{size}")
                migrate = timed(FASTAPP + ["migrate"], project, env)
                colds = []
                for run in range(args.runs):  # a first run: nothing cached yet
                    cold_env = fresh_cache(env, work, f"cold{size}_{run}")
                    colds.append(timed(FASTAPP + ["auto_migrate", "--check"], project, cold_env))
                cold = statistics.median(colds)
                timed(FASTAPP + ["auto_migrate", "--check"], project, env)  # fills the cache
                check = median(FASTAPP + ["auto_migrate", "--check"], project, env, args.runs)
                dump = median(pg_dump(cfg), project, env, args.runs)
                rows.append((size, migrate, cold, check, dump))
                print(
                    f"{size:5d} models: migrate (empty db, no cache) {migrate:6.2f} s | "
                    f"auto_migrate --check cold {cold:5.2f} s (runs: {', '.join(f'{c:.2f}' for c in colds)}) | "
                    f"warm {check:5.2f} s | pg_dump --schema-only {dump:5.2f} s | "
                    f"cold/pg_dump {cold / dump:4.1f}",
                    flush=True,
                )
                if size == max(sizes):
                    write_project(project, size, extra_on=args.touch)
                    dry_run = FASTAPP + ["auto_migrate", "--dry-run"]
                    # The cache of the models before the change: the changed tables miss.
                    plan_partly = timed(dry_run, project, env)
                    plan_cold = timed(dry_run, project, fresh_cache(env, work, "plan-cold"))
                    apply_env = fresh_cache(env, work, "apply-cold")
                    apply = timed(FASTAPP + ["auto_migrate", "--yes"], project, apply_env)
                    again = timed(FASTAPP + ["auto_migrate", "--check"], project, apply_env)
                    apply_line = (
                        f"change touching {args.touch} tables at {size} models: plan (--dry-run) "
                        f"cold {plan_cold:.2f} s, partly warm {plan_partly:.2f} s | "
                        f"plan+apply (--yes) cold {apply:.2f} s | --check afterwards warm "
                        f"{again:.2f} s (exit 0)"
                    )
                    print(apply_line, flush=True)
            finally:
                asyncio.run(cfg.dialect.drop_database(cfg))
        if len(rows) >= 2:
            (n0, _, k0, w0, _), (n1, _, k1, w1, _) = rows[0], rows[-1]
            print(
                f"growth of --check from {n0} to {n1} models (x{n1 / n0:.1f}): "
                f"cold x{k1 / k0:.2f}, warm x{w1 / w0:.2f}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
