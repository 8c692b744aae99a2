"""Benchmark: the longest write stall while ``fastapp upgrade`` changes a big table, with and
without ``--online``, in the same run (PostgreSQL by default; ``--backend mysql`` for MariaDB).

``--path upgrade`` (default): the example blog project's ``users_group`` gets ``--rows``
rows; a migration then adds an index, a foreign key and NOT NULL columns (``db_default``).
``--path auto_migrate``: a ``book`` table of ``--rows`` rows gets a foreign key, an index and a
NOT NULL column with a default from a DDL file (on MySQL/MariaDB use this one: Tortoise's
MySQL editor adds a foreign-key field without its constraint). Meanwhile a writer inserts rows
one by one on its own connection. Each mode runs on its own fresh database from the same
start; the databases are dropped afterwards.

    .venv/bin/python bench/online.py
    .venv/bin/python bench/online.py --backend mysql --path auto_migrate
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


BOOKS = """
CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40));
CREATE TABLE book (id INTEGER NOT NULL PRIMARY KEY, author_id INTEGER, title VARCHAR(40));
"""
BOOKS_CHANGED = """
CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40));
CREATE TABLE book (
    id INTEGER NOT NULL PRIMARY KEY,
    author_id INTEGER REFERENCES author (id),
    title VARCHAR(40),
    pages INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX book_title ON book (title);
"""
BOOK_FILL = {
    "postgres": "INSERT INTO book (id, author_id, title) "
    "SELECT i, 1 + i % 2, 't' || i FROM generate_series(1, {rows}) i",
    "mysql": "INSERT INTO book (id, author_id, title) "
    "SELECT seq, 1 + seq % 2, CONCAT('t', seq) FROM seq_1_to_{rows}",
}
INSERTS = {
    "upgrade": "INSERT INTO users_group (id, name, description) VALUES ({id}, 'w{id}', '')",
    "auto_migrate": "INSERT INTO book (id, author_id, title) VALUES ({id}, 1, 'w')",
}


class Writer(threading.Thread):
    def __init__(self, cfg, first_id: int, insert: str) -> None:
        super().__init__(daemon=True)
        self.cfg, self.next_id, self.stop = cfg, first_id, threading.Event()
        self.insert = insert
        self.written, self.longest = 0, 0.0

    def run(self) -> None:
        asyncio.run(self._loop())

    async def _loop(self) -> None:
        async with raw_connection(self.cfg) as conn:
            while not self.stop.is_set():
                t0 = time.monotonic()
                await self.cfg.dialect.execute_raw(conn, self.insert.format(id=self.next_id))
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


async def _run(cfg, *statements: str) -> None:
    async with raw_connection(cfg) as conn:
        for statement in statements:
            await cfg.dialect.execute_raw(conn, statement)


def prepare_upgrade(project: Path, cfg, url: str, rows: int) -> list[str]:
    fastapp(project, url, "makemigrations")
    fastapp(project, url, "upgrade")
    asyncio.run(_run(cfg, FILL[cfg.dialect_name].format(rows=rows)))
    edit(project / "users/models.py", *CHANGE)
    edit(project / "users/models.py", *INDEX)
    fastapp(project, url, "makemigrations")
    return ["upgrade"]


def prepare_auto_migrate(project: Path, cfg, url: str, rows: int) -> list[str]:
    statements = [s for s in BOOKS.split(";") if s.strip()]
    asyncio.run(_run(cfg, *statements, "INSERT INTO author (id, name) VALUES (1, 'a'), (2, 'b')"))
    asyncio.run(_run(cfg, BOOK_FILL[cfg.dialect_name].format(rows=rows)))
    (project / "schema.sql").write_text(BOOKS_CHANGED)
    return ["auto_migrate", "--desired-sql", "schema.sql", "--yes"]


def one_mode(
    backend: str, path: str, rows: int, online: bool, work: Path
) -> tuple[float, float, int]:
    project = work / ("online" if online else "plain")
    shutil.copytree(
        ROOT / "examples/blog", project, ignore=shutil.ignore_patterns("*.sqlite3", "__pycache__")
    )
    cfg = testing.scratch_config(backend, work)
    asyncio.run(cfg.dialect.create_database(cfg))
    url = cfg.url(masked=False)
    try:
        prepare = prepare_upgrade if path == "upgrade" else prepare_auto_migrate
        command = prepare(project, cfg, url, rows)
        writer = Writer(cfg, rows + 1, INSERTS[path])
        writer.start()
        time.sleep(0.5)
        try:
            took = fastapp(project, url, *command, *(["--online"] if online else []))
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
    parser.add_argument("--path", default="upgrade", choices=("upgrade", "auto_migrate"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        plain = one_mode(args.backend, args.path, args.rows, False, work)
        online = one_mode(args.backend, args.path, args.rows, True, work)
    what = "index + foreign key + NOT NULL column(s)"
    print(f"{args.backend}, {args.path}, {args.rows:,} rows: {what}")
    for name, (stall, took, written) in ((args.path, plain), (f"{args.path} --online", online)):
        print(
            f"  {name:<22} longest write stall {stall * 1000:8.1f} ms   "
            f"took {took:6.2f} s   writes {written}"
        )
    print(f"  stall ratio (plain / online): {plain[0] / max(online[0], 1e-6):.1f}x")


if __name__ == "__main__":
    main()
