"""Benchmark: ``fastapp reverse_generation --all`` on a 1,000-table PostgreSQL database.

Builds the database in a scratch PostgreSQL database (each table: 8 columns of mixed types, a
unique column, a two-column index, a foreign key to the previous table), then times the whole
command as a separate process (interpreter start, imports, catalog read, generation, writing
the file), several runs, and prints the median. Django's ``inspectdb`` takes about 16 s for
such a database on this kind of machine; the goal is under 2 s. The generated module is
checked to compile and to hold one class per table.

    .venv/bin/python bench/reverse_generation.py                 # 1,000 tables, 5 runs
    .venv/bin/python bench/reverse_generation.py --tables 200 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BATCH = 50


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


def run_once(url: str, output: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "fastapp",
            "reverse_generation",
            "--all",
            "-d",
            url,
            "-o",
            str(output),
        ],
        check=True,
        cwd=tempfile.gettempdir(),
        capture_output=True,
    )
    return time.perf_counter() - start


async def main(tables: int, runs: int) -> None:
    from fastapp import testing

    if reason := await testing.unavailable_reason("postgres"):
        sys.exit(f"cannot run: {reason}")
    async with testing.scratch_database("postgres") as cfg:
        start = time.perf_counter()
        await build(cfg, tables)
        print(f"built {tables} tables in {time.perf_counter() - start:.1f} s")
        url = cfg.url(masked=False)
        with tempfile.TemporaryDirectory() as folder:
            output = Path(folder) / "models.py"
            times = [run_once(url, output) for _ in range(runs)]
            source = output.read_text(encoding="utf-8")
            compile(source, str(output), "exec")
            classes = source.count("(Model):")
            assert classes == tables, f"expected {tables} model classes, found {classes}"
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
        print(
            f"fastapp reverse_generation --all: median {statistics.median(times):.2f} s "
            f"over {runs} runs (min {min(times):.2f} s, max {max(times):.2f} s); "
            "goal < 2 s, Django inspectdb ~16 s"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.tables, args.runs))
