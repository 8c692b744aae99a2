"""Benchmark: the longest write stall while ``fastapp upgrade`` changes a big table, with and
without ``--online``, in the same run (PostgreSQL by default; ``--backend mysql`` for MariaDB).

The example blog project's ``users_group`` gets ``--rows`` rows; a migration then adds an
index, a foreign key and NOT NULL columns (``db_default``) while a writer inserts rows one by
one on its own connection. Each mode runs on its own fresh database from the same start;
the databases are dropped afterwards.

    .venv/bin/python bench/online.py
    .venv/bin/python bench/online.py --rows 200000 --backend mysql
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapp import testing  # noqa: E402
from fastapp.connections.raw import raw_connection  # noqa: E402

FASTAPP = str(ROOT / ".venv" / "bin" / "fastapp")
CHANGE = (
    '    description = fields.TextField(default="")\n',
    '    description = fields.TextField(default="")\n'
    "    rank = fields.IntField(db_default=0)\n"
    '    code = fields.CharField(max_length=40, db_default="")\n'
    '    parent = fields.ForeignKeyField("users.Group", null=True, related_name="children")\n',
)
INDEX = (
    '        table = "users_group"\n',
    '        table = "users_group"\n        indexes = (("code",),)\n',
)
FILL = {
    "postgres": "INSERT INTO users_group (id, name, description) "
    "SELECT i, 'g' || i, '' FROM generate_series(1, {rows}) i",
    # MariaDB's sequence engine gives the rows without a round trip each.
    "mysql": "INSERT INTO users_group (id, name, description) "
    "SELECT seq, CONCAT('g', seq), '' FROM seq_1_to_{rows}",
}


class Writer(threading.Thread):
    def __init__(self, cfg, first_id: int) -> None:
        super().__init__(daemon=True)
        self.cfg, self.next_id, self.stop = cfg, first_id, threading.Event()
        self.written, self.longest = 0, 0.0

    def run(self) -> None:
        asyncio.run(self._loop())

    async def _loop(self) -> None:
        async with raw_connection(self.cfg) as conn:
            while not self.stop.is_set():
                t0 = time.monotonic()
                await self.cfg.dialect.execute_raw(
                    conn,
                    "INSERT INTO users_group (id, name, description) "
                    f"VALUES ({self.next_id}, 'w{self.next_id}', '')",
                )
                self.longest = max(self.longest, time.monotonic() - t0)
                self.next_id += 1
                self.written += 1


def fastapp(project: Path, url: str, *args: str) -> float:
    env = {**os.environ, "DATABASE_URL": url, "FASTAPP_CACHE_DIR": str(project / ".cache")}
    env.pop("FASTAPP_SETTINGS", None)
    t0 = time.monotonic()
    subprocess.run([FASTAPP, *args], cwd=project, env=env, check=True, capture_output=True)
    return time.monotonic() - t0


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new, 1))


def one_mode(backend: str, rows: int, online: bool, work: Path) -> tuple[float, float, int]:
    project = work / ("online" if online else "plain")
    shutil.copytree(
        ROOT / "examples/blog", project, ignore=shutil.ignore_patterns("*.sqlite3", "__pycache__")
    )
    cfg = testing.scratch_config(backend, work)
    asyncio.run(cfg.dialect.create_database(cfg))
    url = cfg.url(masked=False)
    try:
        fastapp(project, url, "makemigrations")
        fastapp(project, url, "upgrade")

        async def fill() -> None:
            async with raw_connection(cfg) as conn:
                await cfg.dialect.execute_raw(conn, FILL[cfg.dialect_name].format(rows=rows))

        asyncio.run(fill())
        edit(project / "users/models.py", *CHANGE)
        edit(project / "users/models.py", *INDEX)
        fastapp(project, url, "makemigrations")
        writer = Writer(cfg, rows + 1)
        writer.start()
        time.sleep(0.5)
        try:
            took = fastapp(project, url, "upgrade", *(["--online"] if online else []))
            time.sleep(0.2)
        finally:
            writer.stop.set()
            writer.join()
        return writer.longest, took, writer.written
    finally:
        asyncio.run(cfg.dialect.drop_database(cfg))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", default="postgres", choices=("postgres", "mysql"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        plain = one_mode(args.backend, args.rows, False, work)
        online = one_mode(args.backend, args.rows, True, work)
    print(f"{args.backend}, {args.rows:,} rows: index + foreign key + 2 NOT NULL columns")
    for name, (stall, took, written) in (("upgrade", plain), ("upgrade --online", online)):
        print(
            f"  {name:<18} longest write stall {stall * 1000:8.1f} ms   "
            f"upgrade {took:6.2f} s   writes {written}"
        )
    print(f"  stall ratio (plain / online): {plain[0] / max(online[0], 1e-6):.1f}x")


if __name__ == "__main__":
    main()
