"""Benchmark: ``fastapp reverse_generation --all`` against Django's ``inspectdb``, on a
1,000-table PostgreSQL database.

Builds the database in a scratch PostgreSQL database (each table: 8 columns of mixed types, a
unique column, a two-column index, a foreign key to the previous table), then times both
commands as whole processes (interpreter start, imports, catalog read, generation, writing
the file) on that same database, runs alternating between them, and prints the medians with
the CPU (user+sys) of each. Both outputs are checked to hold one class per table; ours is
checked to compile. The goal is under 2 s for fastapp.

Django runs from its own environment, ``.venv/django`` (``make bench`` creates it with
Django and psycopg); without it the Django figure is not measured, and not printed.

    .venv/bin/python bench/reverse_generation.py                 # 1,000 tables, 5 runs
    .venv/bin/python bench/reverse_generation.py --tables 200 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BATCH = 50
DJANGO_PYTHON = ROOT / ".venv" / "django" / "bin" / "python"
PASSWORD_ENV = "FASTAPP_BENCH_PASSWORD"

#: Django's inspectdb as a user runs it, settings in the script; the password comes from the
#: environment, never the command line.
INSPECTDB = """
import os, sys
import django
from django.conf import settings
name, host, port, user, output = sys.argv[1:6]
settings.configure(
    DATABASES={"default": {
        "ENGINE": "django.db.backends.postgresql", "NAME": name, "HOST": host, "PORT": port,
        "USER": user, "PASSWORD": os.environ.get("FASTAPP_BENCH_PASSWORD", ""),
    }},
    INSTALLED_APPS=[], USE_TZ=True,
)
django.setup()
from django.core.management import call_command
with open(output, "w", encoding="utf-8") as out:
    call_command("inspectdb", stdout=out)
"""


def table_ddl(i: int) -> list[str]:
    """The statements creating table ``i`` (``t0000`` ...), referencing table ``i - 1``."""
    name = f"t{i:04d}"
    ref = f"t{i - 1:04d}"
    fk = f", prev_id INTEGER REFERENCES {ref} (id) ON DELETE CASCADE" if i else ""
    return [
        f"""CREATE TABLE {name} (
            id SERIAL PRIMARY KEY,
            code VARCHAR(40) NOT NULL UNIQUE,
            title VARCHAR(200) NOT NULL DEFAULT '',
            body TEXT,
            amount NUMERIC(12, 2) NOT NULL DEFAULT 0,
            active BOOLEAN NOT NULL DEFAULT TRUE,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            payload JSONB{fk}
        )""",
        f"CREATE INDEX {name}_title_amount ON {name} (title, amount)",
    ]


async def build(cfg, tables: int) -> None:
    dialect = cfg.dialect
    conn = await dialect.connect(cfg)
    try:
        # Batches: one script of 1,000 CREATE TABLEs is one transaction holding 1,000 locks,
        # more than max_locks_per_transaction allows when the server is busy.
        for start in range(0, tables, BATCH):
            end = min(start + BATCH, tables)
            script = ";\n".join(s for i in range(start, end) for s in table_ddl(i))
            await dialect.execute_raw(conn, script)
    finally:
        await dialect.close(conn)


def timed(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall time and user+sys CPU of ``command`` as a process of its own."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=tempfile.gettempdir(), capture_output=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime


def ours(url: str, output: Path) -> tuple[float, float]:
    command = [sys.executable, "-m", "fastapp", "reverse_generation", "--all", "-d", url]
    return timed([*command, "-o", str(output)])


def inspectdb(python: Path, cfg, output: Path) -> tuple[float, float]:
    env = {**os.environ, PASSWORD_ENV: cfg.password or ""}
    args = [cfg.name, cfg.host, str(cfg.port), cfg.user or "postgres", str(output)]
    return timed([str(python), "-c", INSPECTDB, *args], env)


def summary(label: str, found: list[tuple[float, float]]) -> str:
    walls = [wall for wall, _ in found]
    return (
        f"{label}: median {statistics.median(walls):.2f} s over {len(found)} runs "
        f"(min {min(walls):.2f} s, max {max(walls):.2f} s), "
        f"CPU {statistics.median(cpu for _, cpu in found):.2f} s"
    )


async def main(tables: int, runs: int, django_python: Path) -> None:
    from fastapp import testing

    if reason := await testing.unavailable_reason("postgres"):
        sys.exit(f"cannot run: {reason}")
    async with testing.scratch_database("postgres") as cfg:
        start = time.perf_counter()
        await build(cfg, tables)
        print(f"built {tables} tables in {time.perf_counter() - start:.1f} s")
        url = cfg.url(masked=False)
        django = django_python.exists()
        with tempfile.TemporaryDirectory() as folder:
            output, django_output = Path(folder) / "models.py", Path(folder) / "django.py"
            mine, theirs = [], []
            for run in range(runs):  # alternating, so neither always runs on a warmer server
                steps = [lambda: mine.append(ours(url, output))]
                if django:
                    steps.append(
                        lambda: theirs.append(inspectdb(django_python, cfg, django_output))
                    )
                for step in steps if run % 2 == 0 else steps[::-1]:
                    step()
            source = output.read_text(encoding="utf-8")
            compile(source, str(output), "exec")
            classes = source.count("(Model):")
            assert classes == tables, f"expected {tables} model classes, found {classes}"
            if django:
                django_classes = django_output.read_text(encoding="utf-8").count("(models.Model):")
                assert django_classes == tables, f"inspectdb wrote {django_classes} classes"
        print(f"generated {classes} models, {len(source.splitlines())} lines")
        from fastapp.introspect.exporter import read_schema
        from fastapp.reverse import generate_models

        start = time.perf_counter()
        schema = await read_schema(cfg)
        read = time.perf_counter() - start
        start = time.perf_counter()
        generate_models(schema)
        print(
            f"in process: read_schema {read:.2f} s, "
            f"generate_models {time.perf_counter() - start:.2f} s"
        )
        print(summary("fastapp reverse_generation --all", mine) + "; goal < 2 s")
        if django:
            print(summary("Django inspectdb (same database)", theirs))
            wall = statistics.median(t for t, _ in theirs) / statistics.median(m for m, _ in mine)
            cpu = statistics.median(c for _, c in theirs) / statistics.median(c for _, c in mine)
            print(f"inspectdb / reverse_generation, medians: wall {wall:.1f}, CPU {cpu:.1f}")
        else:
            print(f"Django inspectdb: not measured (no {django_python}; `make bench` creates it)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--django-python", type=Path, default=DJANGO_PYTHON, help="interpreter with Django"
    )
    args = parser.parse_args()
    asyncio.run(main(args.tables, args.runs, args.django_python))
