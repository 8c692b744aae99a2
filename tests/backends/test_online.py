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

    INSERT = "INSERT INTO users_group (id, name, description) VALUES ({id}, 'w{id}', '')"

    def __init__(self, cfg, insert: str = INSERT) -> None:
        super().__init__(daemon=True)
        self.cfg, self.stop, self.insert = cfg, threading.Event(), insert
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
                    conn, self.insert.format(id=ROWS + 1 + self.written)
                )
                self.longest = max(self.longest, time.monotonic() - t0)
                self.written += 1


FILL = {
    "postgres": "INSERT INTO users_group (id, name, description) "
    "SELECT i, 'g' || i, '' FROM generate_series(1, {rows}) i",
    # MariaDB's sequence engine: the rows without a round trip each.
    "mysql": "INSERT INTO users_group (id, name, description) "
    "SELECT seq, CONCAT('g', seq), '' FROM seq_1_to_{rows}",
}


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_upgrade_online_does_not_stall_writers(project, run, fresh_db):  # noqa: F811
    """PostgreSQL-specific: it measures the server's table locks (CREATE INDEX CONCURRENTLY,
    NOT VALID/VALIDATE, the NOT NULL check). MariaDB is measured through auto_migrate below:
    Tortoise's MySQL editor adds a foreign-key field without its constraint, so a migration
    cannot add one there. SQLite has one writer: every change blocks it, --online or not."""
    run("makemigrations")
    run("upgrade")
    live.execute(fresh_db, FILL[fresh_db.dialect_name].format(rows=ROWS))
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
    if fresh_db.dialect_name == "postgres":
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


# --- auto_migrate --online with a DDL file ---------------------------------------------------

BASE = """
CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40));
CREATE TABLE book (id INTEGER NOT NULL PRIMARY KEY, author_id INTEGER, title VARCHAR(40));
"""
ONLINE = """
CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE book (
    id INTEGER NOT NULL PRIMARY KEY,
    author_id INTEGER REFERENCES author (id),
    title VARCHAR(40),
    pages INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX book_title ON book (title);
"""


@pytest.fixture
def books(fresh_db):
    live.execute(fresh_db, *[s for s in BASE.split(";") if s.strip()])
    live.execute(
        fresh_db,
        "INSERT INTO author (id, name) VALUES (1, 'Ann'), (2, 'Bo')",
        "INSERT INTO book (id, author_id, title) VALUES (1, 1, 'a'), (2, 2, 'b'), (3, NULL, 'c')",
    )
    return fresh_db


@pytest.fixture
def migrate(cli, tmp_path, books, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))

    def invoke(sql: str, *args: str):
        path = tmp_path / "schema.sql"
        path.write_text(sql)
        return cli(
            "auto_migrate", "--database", books.url(masked=False), "--desired-sql", str(path), *args
        )

    return invoke


def test_auto_migrate_online_converges_and_keeps_rows(migrate, books):
    """Every backend: the online forms reach the same schema as the plain plan, rows kept
    (SQLite: --online runs the plan as it is)."""
    result = migrate(ONLINE, "--yes", "--online")
    assert result.exit_code == 0, result.output
    assert migrate(ONLINE, "--check").exit_code == 0
    assert live.rows(books, "SELECT count(*) FROM book") == [(3,)]
    assert live.rows(books, "SELECT sum(pages) FROM book") == [(0,)]
    if books.dialect_name == "sqlite":
        assert "one writer at a time" in result.output


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_online_retries_after_lock_timeout_and_cleans_an_invalid_leftover(migrate, books):
    """PostgreSQL-specific: lock_timeout, and the INVALID index an interrupted
    CREATE INDEX CONCURRENTLY leaves behind."""
    # An interrupted concurrent build: a failed unique build leaves an invalid index.
    live.execute(books, "INSERT INTO book (id, author_id, title) VALUES (4, 1, 'a')")
    with pytest.raises(Exception, match="could not create unique index"):
        live.execute(books, "CREATE UNIQUE INDEX CONCURRENTLY book_title ON book (title)")
    assert live.rows(books, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(1,)]
    # A transaction holding a lock on book for 4 s: the ALTER of book gives up after 1 s
    # and is retried until the lock is free.
    holder = threading.Thread(
        target=live.execute,
        args=(books, "BEGIN; LOCK TABLE book IN ACCESS SHARE MODE; SELECT pg_sleep(4); COMMIT"),
    )
    holder.start()
    time.sleep(0.3)
    try:
        result = migrate(ONLINE, "--yes", "--online")
    finally:
        holder.join()
    assert result.exit_code == 0, result.output
    assert "gave up waiting 1 s for its table lock" in result.output
    assert "retry 1 of 5" in result.output
    assert migrate(ONLINE, "--check").exit_code == 0
    assert live.rows(books, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]
    assert live.rows(books, "SELECT count(*) FROM pg_constraint WHERE NOT convalidated") == [(0,)]


@pytest.mark.parametrize("backend", ["mysql"], indirect=True)
def test_mysql_online_refuses_a_table_copy_and_changes_nothing(migrate, books):
    """MySQL/MariaDB-specific: a change the server would do by copying the table."""
    retyped = BASE.replace("title VARCHAR(40)", "title INTEGER")
    result = migrate(retyped, "--yes", "--online")
    assert result.exit_code == 1
    assert "book.title" in result.output and "ALGORITHM=COPY" in result.output
    assert "Traceback" not in result.output
    assert migrate(BASE, "--check").exit_code == 0


def test_lint_bad_input(run, project, fresh_db):  # noqa: F811
    run("makemigrations")
    assert "unknown app 'nope'" in run("lint", "nope", code=1).output
    assert "unknown lint rule 'FA999'" in run("lint", "--allow", "FA999", code=1).output


@pytest.fixture
def lint_file(cli, tmp_path, books, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "schema.sql"
    path.write_text(ONLINE)

    def invoke(*args: str):
        return cli("lint", "--database", books.url(masked=False), "--desired-sql", str(path), *args)

    return invoke


def test_lint_a_plan_towards_a_ddl_file(lint_file, books):
    expected = {
        "postgres": {"FA001", "FA002", "FA004", "FA009"},
        "mysql": {"FA002", "FA004", "FA009"},
        "sqlite": set(),
    }[books.dialect_name]
    result = lint_file()
    found = {rule for rule in expected if rule in result.output}
    assert found == expected, result.output
    assert result.exit_code == (1 if expected else 0)
    if expected:
        assert "book" in result.output and "instead:" in result.output
    # --online rewrites every one of these on the two servers; --allow silences a rule.
    assert lint_file("--online").exit_code == 0
    allowed = [a for rule in sorted(expected) for a in ("--allow", rule)]
    assert lint_file(*allowed).exit_code == 0
    # Nothing was executed.
    assert live.rows(books, "SELECT count(*) FROM book") == [(3,)]


BOOK_FILL = {
    "postgres": "INSERT INTO book (id, author_id, title) "
    "SELECT i, 1 + i % 2, 't' || i FROM generate_series(4, {rows}) i",
    "mysql": "INSERT INTO book (id, author_id, title) "
    "SELECT seq, 1 + seq % 2, CONCAT('t', seq) FROM seq_4_to_{rows}",
}


@pytest.mark.parametrize("backend", ["postgres", "mysql"], indirect=True)
def test_auto_migrate_online_does_not_stall_writers(migrate, books):
    """PostgreSQL and MariaDB: the servers' table locks while a foreign key, an index and a
    NOT NULL column with a default are added to 1,000,000 rows. SQLite has one writer."""
    live.execute(books, BOOK_FILL[books.dialect_name].format(rows=ROWS))
    writer = Writer(books, "INSERT INTO book (id, author_id, title) VALUES ({id}, 1, 'w')")
    writer.start()
    try:
        while writer.written < 20 and writer.is_alive():
            time.sleep(0.01)
        result = migrate(ONLINE, "--yes", "--online")
    finally:
        writer.stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert writer.error is None, writer.error
    assert writer.written >= 20
    assert writer.longest < 1.0, f"a write waited {writer.longest:.2f} s"
    assert live.rows(books, "SELECT count(*) FROM book") == [(ROWS + writer.written,)]
    assert migrate(ONLINE, "--check").exit_code == 0


def test_upgrade_online_on_every_backend(project, run, fresh_db):  # noqa: F811
    """The online path records each migration and reaches the models' schema (SQLite: the
    usual path, one writer). No foreign key: Tortoise's MySQL editor would leave it out."""
    run("makemigrations")
    run("upgrade")
    live.execute(fresh_db, "INSERT INTO users_group (id, name, description) VALUES (1, 'a', '')")
    columns = (
        GROUP_CHANGE[0],
        GROUP_CHANGE[0]
        + "    rank = fields.IntField(db_default=0)\n"
        + '    code = fields.CharField(max_length=40, db_default="")\n',
    )
    edit(project / "users/models.py", *columns)
    edit(project / "users/models.py", *GROUP_INDEX)
    run("makemigrations")
    out = run("upgrade", "--online").output
    assert "applied users.0002" in out
    assert "The database matches the models." in out
    assert run("upgrade", "--online").output.startswith("Nothing to do")
    assert live.rows(fresh_db, "SELECT rank, code FROM users_group") == [(0, "")]
