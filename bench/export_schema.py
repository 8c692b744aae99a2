"""Benchmark: ``fastapp export_schema`` against the catalog readers that ship with the servers.

Builds a database of N tables (default 1,000) on PostgreSQL and MariaDB -- each table has
8 columns of mixed types, a unique column, a two-column index and a foreign key to the
previous table -- then times, in the same run and as whole processes writing to /dev/null,
``fastapp export_schema`` against ``pg_dump --schema-only`` and ``mysqldump --no-data``.
Prints the median of several runs, the ratio ours/theirs and our catalog query count (which
must not grow with the number of tables). The same commands also run on an empty database,
so the start-up cost of each tool (ours@0, theirs@0) and the ratio of the time above it
(per-table ratio) are shown too. The bench databases are dropped afterwards.

    .venv/bin/python bench/export_schema.py
    .venv/bin/python bench/export_schema.py --tables 200 --runs 3 --backends postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapp import testing  # noqa: E402
from fastapp.connections.url import DatabaseConfig  # noqa: E402

COLUMNS = {
    "postgres": (
        "id SERIAL PRIMARY KEY, code VARCHAR(40) NOT NULL UNIQUE, "
        "name VARCHAR(200) NOT NULL DEFAULT '', qty INTEGER NOT NULL DEFAULT 0, "
        "price NUMERIC(12,2), active BOOLEAN NOT NULL DEFAULT true, "
        "created TIMESTAMPTZ NOT NULL DEFAULT now(), data JSONB"
    ),
    "mysql": (
        "id INT AUTO_INCREMENT PRIMARY KEY, code VARCHAR(40) NOT NULL UNIQUE, "
        "name VARCHAR(200) NOT NULL DEFAULT '', qty INT NOT NULL DEFAULT 0, "
        "price DECIMAL(12,2), active BOOL NOT NULL DEFAULT 1, "
        "created DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), data JSON"
    ),
}
THEIR_TOOL = {"postgres": "pg_dump --schema-only", "mysql": "mysqldump --no-data"}


def table_ddl(backend: str, i: int) -> list[str]:
    q = "`" if backend == "mysql" else '"'
    name = f"{q}t{i:05d}{q}"
    fk = ""
    if i > 0:
        fk = f", prev_id INTEGER REFERENCES {q}t{i - 1:05d}{q} (id)"
        if backend == "mysql":
            fk = f", prev_id INT, FOREIGN KEY (prev_id) REFERENCES {q}t{i - 1:05d}{q} (id)"
    return [
        f"CREATE TABLE {name} ({COLUMNS[backend]}{fk})",
        f"CREATE INDEX {q}ix_t{i:05d}_name_qty{q} ON {name} (name, qty)",
    ]


async def build(cfg: DatabaseConfig, tables: int) -> None:
    dialect = cfg.dialect
    conn = await dialect.connect(cfg)
    try:
        statements = [s for i in range(tables) for s in table_ddl(cfg.dialect_name, i)]
        if cfg.dialect_name == "postgres":
            # Batches: one script of everything runs as one transaction and can exceed
            # max_locks_per_transaction on a busy server.
            for start in range(0, len(statements), 200):
                await conn.execute(";\n".join(statements[start : start + 200]))
        else:
            for statement in statements:
                await dialect.execute_raw(conn, statement)
    finally:
        await dialect.close(conn)


def their_command(cfg: DatabaseConfig) -> list[str]:
    if cfg.dialect_name == "postgres":
        return [
            "pg_dump", "--schema-only", "-h", cfg.host, "-p", str(cfg.port),
            "-U", cfg.user or "postgres", "-d", cfg.name,
        ]  # fmt: skip
    tool = shutil.which("mysqldump") or "mariadb-dump"
    return [
        tool, "--no-data", "-h", cfg.host, "-P", str(cfg.port),
        "-u", cfg.user or "root", cfg.name,
    ]  # fmt: skip


def our_command(cfg: DatabaseConfig) -> list[str]:
    return [sys.executable, "-m", "fastapp", "export_schema", "--database", cfg.url(masked=False)]


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed: {result.stderr.decode()[:500]}")
    return elapsed


async def catalog_queries(cfg: DatabaseConfig) -> tuple[int, int]:
    from fastapp.introspect.exporter import SchemaExporter

    exporter = SchemaExporter(cfg)
    schema = await exporter.read()
    return exporter.queries, len(schema.tables)


def run_backend(backend: str, tables: int, runs: int) -> dict:
    cfg = testing.scratch_config(backend)
    empty = testing.scratch_config(backend)
    dialect = cfg.dialect
    asyncio.run(dialect.create_database(cfg))
    asyncio.run(dialect.create_database(empty))
    try:
        started = time.perf_counter()
        asyncio.run(build(cfg, tables))
        build_time = time.perf_counter() - started
        env = {**os.environ, "PGPASSWORD": cfg.password or "", "MYSQL_PWD": cfg.password or ""}
        ours, theirs = [], []
        timed(our_command(cfg), env)  # warm the server's and the OS's caches for both
        timed(their_command(cfg), env)
        ours_empty, theirs_empty = [], []
        for _ in range(runs):
            ours.append(timed(our_command(cfg), env))
            theirs.append(timed(their_command(cfg), env))
            ours_empty.append(timed(our_command(empty), env))
            theirs_empty.append(timed(their_command(empty), env))
        queries, read_tables = asyncio.run(catalog_queries(cfg))
        return {
            "backend": backend,
            "tables": read_tables,
            "build": build_time,
            "ours": statistics.median(ours),
            "theirs": statistics.median(theirs),
            "queries": queries,
            "ours_empty": statistics.median(ours_empty),
            "theirs_empty": statistics.median(theirs_empty),
        }
    finally:
        asyncio.run(dialect.drop_database(cfg))
        asyncio.run(dialect.drop_database(empty))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=1000, help="tables per database")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per tool")
    parser.add_argument(
        "--backends", default="postgres,mysql", help="comma-separated: postgres,mysql"
    )
    args = parser.parse_args()
    print(f"export_schema benchmark: {args.tables} tables, median of {args.runs} runs")
    print(
        f"{'backend':<9} {'ours s':>8} {'theirs s':>9} {'ratio':>6} {'queries':>8} "
        f"{'ours@0':>7} {'theirs@0':>8} {'per-table ratio':>15}  baseline"
    )
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        r = run_backend(backend, args.tables, args.runs)
        ratio = r["ours"] / r["theirs"]
        # Time above each tool's own start-up (the same command on an empty database).
        variable = (r["ours"] - r["ours_empty"]) / max(r["theirs"] - r["theirs_empty"], 1e-9)
        print(
            f"{backend:<9} {r['ours']:>8.3f} {r['theirs']:>9.3f} {ratio:>6.2f} "
            f"{r['queries']:>8} {r['ours_empty']:>7.3f} {r['theirs_empty']:>8.3f} "
            f"{variable:>15.2f}  {THEIR_TOOL[backend]} ({r['tables']} tables, "
            f"built in {r['build']:.1f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
