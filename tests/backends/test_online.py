"""``upgrade --online`` and ``fastapp lint`` on real servers.

The measured test loads 1,000,000 rows and writes to the table while ``upgrade --online``
adds an index, a foreign key and a NOT NULL column: no write may wait more than a second and
no row may be lost. It is PostgreSQL-specific (its docstring says why); the lint tests run on
every backend.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from fastapp.connections.raw import raw_connection
from tests.backends import live
from tests.backends.test_versions_workflow import edit, project, run  # noqa: F401

ROWS = 1_000_000
#: The writer's bounds: it stops when the upgrade is done, or at these limits.
MAX_WRITES = 50_000
MAX_SECONDS = 300.0

GROUP_CHANGE = (
    '    description = fields.TextField(default="")\n',
    '    description = fields.TextField(default="")\n'
    "    rank = fields.IntField(db_default=0)\n"
    '    code = fields.CharField(max_length=40, db_default="")\n'
    '    parent = fields.ForeignKeyField("users.Group", null=True, related_name="children")\n',
)

GROUP_INDEX = (
    '        table = "users_group"\n',
    '        table = "users_group"\n        indexes = (("code",),)\n',
)


class Writer(threading.Thread):
    """Inserts rows one by one on its own connection and notes the longest wait."""

    def __init__(self, cfg) -> None:
        super().__init__(daemon=True)
        self.cfg, self.stop = cfg, threading.Event()
        self.written, self.longest, self.error = 0, 0.0, None

    def run(self) -> None:
        try:
            asyncio.run(self._loop())
        except Exception as exc:  # reported by the test
            self.error = exc

    async def _loop(self) -> None:
        async with raw_connection(self.cfg) as conn:
            started = time.monotonic()
            while not self.stop.is_set() and self.written < MAX_WRITES:
                if time.monotonic() - started > MAX_SECONDS:
                    break
                t0 = time.monotonic()
                await self.cfg.dialect.execute_raw(
                    conn,
                    "INSERT INTO users_group (id, name, description) "
                    f"VALUES ({ROWS + 1 + self.written}, 'w{self.written}', '')",
                )
                self.longest = max(self.longest, time.monotonic() - t0)
                self.written += 1


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_upgrade_online_does_not_stall_writers(project, run, fresh_db):  # noqa: F811
    """PostgreSQL-specific: it measures PostgreSQL's table locks under CREATE INDEX
    CONCURRENTLY, NOT VALID/VALIDATE and the NOT NULL check (MySQL's online DDL is the
    server's, tested by the rendering tests)."""
    run("makemigrations")
    run("upgrade")
    live.execute(
        fresh_db,
        "INSERT INTO users_group (id, name, description) "
        f"SELECT i, 'g' || i, '' FROM generate_series(1, {ROWS}) i",
    )
    edit(project / "users/models.py", *GROUP_CHANGE)
    edit(project / "users/models.py", *GROUP_INDEX)
    run("makemigrations")
    linted = run("lint", "users", code=1).output
    assert "FA001" in linted and "FA002" in linted
    writer = Writer(fresh_db)
    writer.start()
    try:
        while writer.written < 20 and writer.is_alive():
            time.sleep(0.01)
        out = run("upgrade", "--online").output
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None, writer.error
    assert "The database matches the models." in out
    assert writer.written >= 20
    assert writer.longest < 1.0, f"a write waited {writer.longest:.2f} s"
    count = live.rows(fresh_db, "SELECT count(*) FROM users_group")[0][0]
    assert count == ROWS + writer.written
    assert live.rows(fresh_db, "SELECT count(*) FROM users_group WHERE rank IS NULL") == [(0,)]
    invalid = live.rows(fresh_db, "SELECT count(*) FROM pg_index WHERE NOT indisvalid")
    assert invalid == [(0,)]


def test_lint_migration_files_and_suppressions(project, run, fresh_db):  # noqa: F811
    run("makemigrations")
    edit(project / "users/models.py", *GROUP_CHANGE)
    run("makemigrations")
    files = sorted((project / "users/migrations").glob("0002_*.py"))
    assert files
    result = run("lint", "users:0002", code=_expected_code(fresh_db))
    if _expected_code(fresh_db):
        assert str(files[0]) in result.output
    # Allowing every reported rule in the file makes it pass; an unknown id is an error.
    text = files[0].read_text()
    files[0].write_text("# fastapp: allow FA001, FA002, FA009\n" + text)
    run("lint", "users:0002")
    files[0].write_text("# fastapp: allow FA999\n" + text)
    bad = run("lint", "users:0002", code=1).output
    assert "FA999" in bad and f"{files[0]}:1" in bad.replace("\n", "")


def _expected_code(cfg) -> int:
    # Adding an index and a foreign key to an existing table blocks writers on the two
    # servers; SQLite has one writer anyway, its hub reports neither.
    return 0 if cfg.dialect_name == "sqlite" else 1
