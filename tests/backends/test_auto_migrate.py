"""``fastapp auto_migrate`` with --desired-sql against a URL, on the three real backends:
check/dry-run exit codes, refusal of destructive plans, guided prompts, data checks, the
migration lock, renames declared in the DDL file, and errors naming file and line."""

from __future__ import annotations

import asyncio
import gc

import pytest

from fastapp.apply.executor import ApplyOptions
from fastapp.apply.locks import lock_session
from fastapp.apply.locks.base import LockTimeoutError
from tests.backends import live

BASE = """
CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE book (
    id INTEGER NOT NULL PRIMARY KEY,
    author_id INTEGER REFERENCES author (id),
    title VARCHAR(100),
    notes TEXT
);
"""
CHANGED = """
CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(80) NOT NULL);
CREATE TABLE book (
    id INTEGER NOT NULL PRIMARY KEY,
    author_id INTEGER REFERENCES author (id),
    title VARCHAR(100),
    notes TEXT,
    pages INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX book_title ON book (title);
"""
SHRUNK = """
CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE book (id INTEGER NOT NULL PRIMARY KEY, author_id INTEGER REFERENCES author (id), title VARCHAR(100));
"""


@pytest.fixture
def db(fresh_db):
    live.execute(fresh_db, *[s for s in BASE.split(";") if s.strip()])
    live.execute(
        fresh_db,
        "INSERT INTO author (id, name) VALUES (1, 'Ann')",
        "INSERT INTO book (id, author_id, title, notes) VALUES (1, 1, 'First', 'n')",
    )
    return fresh_db


@pytest.fixture
def run(cli, tmp_path, db, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no settings.py here: the URL is all we need
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))

    def invoke(sql: str, *args: str, input: str | None = None):
        path = tmp_path / "schema.sql"
        path.write_text(sql)
        return cli(
            "auto_migrate",
            "--database",
            db.url(masked=False),
            "--desired-sql",
            str(path),
            *args,
            input=input,
        )

    return invoke


def test_check_exit_codes(run):
    assert run(BASE, "--check").exit_code == 0
    result = run(CHANGED, "--check")
    assert result.exit_code == 1
    assert "differs from the desired schema (3 change(s))" in result.output
    assert "add column book.pages" in result.output


def test_migration_records_of_tortoise_and_aerich_are_never_dropped(run, db):
    # No model or DDL file declares them; dropping one would erase the migration history.
    live.execute(
        db,
        "CREATE TABLE tortoise_migrations (id INTEGER NOT NULL PRIMARY KEY, app VARCHAR(100))",
        "CREATE TABLE aerich (id INTEGER NOT NULL PRIMARY KEY, version VARCHAR(255))",
        "INSERT INTO tortoise_migrations (id, app) VALUES (1, 'blog')",
    )
    assert run(BASE, "--check").exit_code == 0
    result = run(SHRUNK, "--yes", "--allow-destructive")
    assert result.exit_code == 0, result.output
    assert {"tortoise_migrations", "aerich"} <= live.tables(db)
    assert live.rows(db, "SELECT app FROM tortoise_migrations") == [("blog",)]


def test_the_command_leaves_the_collector_as_it_found_it(run):
    # Only the console script's main() tunes the cyclic garbage collector; the command run in
    # a host process (here CliRunner) leaves it as it found it, also when it exits with a code.
    assert gc.isenabled()
    assert run(CHANGED, "--check").exit_code == 1
    assert gc.isenabled()
    gc.disable()
    try:
        assert run(BASE, "--check").exit_code == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_dry_run_prints_sql_and_changes_nothing(run, db):
    result = run(CHANGED, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "CREATE INDEX" in result.output and "pages" in result.output
    assert run(BASE, "--check").exit_code == 0


def test_yes_applies_and_second_run_is_empty(run, db):
    result = run(CHANGED, "--yes")
    assert result.exit_code == 0, result.output
    assert "Applied" in result.output
    assert run(CHANGED, "--check").exit_code == 0
    again = run(CHANGED, "--yes")
    assert "No changes" in again.output
    assert live.rows(db, "SELECT id, title, pages FROM book") == [(1, "First", 0)]


def test_destructive_refused_without_flag(run, db):
    result = run(SHRUNK, "--no-guided")
    assert result.exit_code == 1
    assert "refusing 1 destructive change(s)" in result.output
    assert "drop column book.notes" in result.output
    assert "--allow-destructive" in result.output
    assert run(BASE, "--check").exit_code == 0  # nothing executed
    allowed = run(SHRUNK, "--no-guided", "--allow-destructive")
    assert allowed.exit_code == 0, allowed.output
    assert run(SHRUNK, "--check").exit_code == 0
    assert live.rows(db, "SELECT id, title FROM book") == [(1, "First")]


def test_guided_yes_to_everything(run):
    result = run(CHANGED, input="y\n" * 20)
    assert result.exit_code == 0, result.output
    assert "Apply? [Y]es/[n]o/[q]uit y\n" in result.output
    assert run(CHANGED, "--check").exit_code == 0


def test_guided_quit_changes_nothing_where_ddl_is_transactional(run, db):
    result = run(CHANGED, input="y\nq\n")
    assert result.exit_code == 1
    assert "stopped at your request" in result.output
    if db.dialect.supports_transactional_ddl:
        assert run(BASE, "--check").exit_code == 0


def test_guided_no_skips_a_statement(run):
    result = run(CHANGED, input="n\n" + "y\n" * 30)
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output
    assert run(CHANGED, "--check").exit_code == 1  # the skipped change is still pending


def test_guided_destructive_statement_is_asked_not_refused(run):
    result = run(SHRUNK, input="y\n" * 10)
    assert result.exit_code == 0, result.output
    assert "destructive" in result.output
    assert run(SHRUNK, "--check").exit_code == 0


def test_guided_proposes_rename(run, db):
    renamed = BASE.replace("notes TEXT", "remarks TEXT")
    result = run(renamed, input="y\n" + "y\n" * 10)
    assert result.exit_code == 0, result.output
    assert "Was column book.notes -> book.remarks a rename?" in result.output
    assert live.rows(db, "SELECT remarks FROM book") == [("n",)]


def test_declared_rename_flag_and_comment(run, db):
    renamed = BASE.replace("notes TEXT", "remarks TEXT")
    assert run(renamed, "--yes").exit_code == 1  # undeclared: a drop, refused
    result = run(renamed, "--yes", "--rename", "book.notes=remarks")
    assert result.exit_code == 0, result.output
    assert live.rows(db, "SELECT remarks FROM book") == [("n",)]
    commented = renamed.replace("remarks TEXT", "memo TEXT -- @renamed from=remarks")
    commented = commented.replace(
        "CREATE TABLE author (", "CREATE TABLE writer ( -- @renamed from=author\n"
    ).replace("REFERENCES author", "REFERENCES writer")
    result = run(commented, "--yes")
    assert result.exit_code == 0, result.output
    assert live.rows(db, "SELECT memo FROM book") == [("n",)]
    assert live.rows(db, "SELECT name FROM writer") == [("Ann",)]
    assert run(commented, "--check").exit_code == 0


def test_data_dependent_change_reports_offending_rows(run, db):
    live.execute(db, "INSERT INTO book (id, author_id, title) VALUES (2, 1, NULL)")
    live.execute(db, "INSERT INTO book (id, author_id, title) VALUES (3, 1, 'First')")
    strict = BASE.replace("title VARCHAR(100),", "title VARCHAR(100) NOT NULL UNIQUE,")
    result = run(strict, "--yes")
    assert result.exit_code == 1
    assert "nothing was executed" in result.output
    assert "1 row(s) hold values NULL in book.title" in result.output
    assert run(BASE, "--check").exit_code == 0


def test_short_varchar_reports_long_values(run, db):
    result = run(BASE.replace("title VARCHAR(100)", "title VARCHAR(3)"), "--yes")
    assert result.exit_code == 1
    assert "longer than 3 characters in book.title" in result.output


def test_bad_desired_file_names_file_and_line(run, tmp_path):
    broken = BASE + "\nCREATE TABLE oops (id INTEGER NOT NULL PRIMARY KEY, x NOSUCHTYPE(;\n"
    result = run(broken, "--check")
    assert result.exit_code == 1
    assert f"{tmp_path / 'schema.sql'}:" in result.output
    line = result.output.split("schema.sql:")[1].split(":")[0]
    assert line == "10"  # BASE spans lines 1-8, then a blank line


def test_missing_desired_file(cli, db, tmp_path):
    result = cli(
        "auto_migrate", "-d", db.url(masked=False), "--desired-sql", str(tmp_path / "nope.sql")
    )
    assert result.exit_code == 1
    assert "cannot read --desired-sql" in result.output


def test_bad_rename_declaration(run):
    result = run(BASE, "--yes", "--rename", "booknotes")
    assert result.exit_code == 1
    assert "TABLE.OLD_COLUMN=NEW_COLUMN" in result.output


def test_lock_held_elsewhere_times_out(db):
    """A second migration waits a bounded time for the lock, then fails clearly."""
    from fastapp.apply.executor import migrate_database
    from fastapp.connections.raw import raw_connection
    from fastapp.schema.objects import Schema

    async def scenario():
        async with raw_connection(db) as conn:
            holder = lock_session(db, conn)
            for sql in holder.prelude:
                await holder.execute(sql)
            await holder.acquire(1)
            try:
                with pytest.raises(LockTimeoutError, match="holds the migration lock"):
                    await migrate_database(
                        db, Schema(db.dialect_name), ApplyOptions(guided=False, lock_timeout=0.3)
                    )
            finally:
                await holder.release()

    asyncio.run(scenario())


def test_continue_on_error_goes_on_and_reports(run, db):
    """Text that does not convert to integers fails the type change on the servers (SQLite
    stores it anyway); with --continue-on-error the other changes still apply."""
    live.execute(db, "INSERT INTO book (id, author_id, title, notes) VALUES (2, 1, 'x', 'abc')")
    desired = CHANGED.replace("notes TEXT", "notes INTEGER")
    stopped = run(desired, "--yes")
    if db.dialect_name == "sqlite":
        assert stopped.exit_code == 0, stopped.output
        return
    assert stopped.exit_code == 1 and "failed" in stopped.output
    result = run(desired, "--yes", "--continue-on-error")
    assert result.exit_code == 1
    assert "failed: ALTER TABLE" in result.output
    check = run(desired, "--check")
    assert "alter column book.notes" in check.output
    assert "add column book.pages" not in check.output  # applied despite the failure


def test_sqlite_rebuild_keeps_triggers(cli, tmp_path, monkeypatch):
    from tests.corpus.convergence.harness import execute_script, fetch

    cfg_url = f"sqlite:///{tmp_path / 'trig.sqlite3'}"
    from fastapp.connections.url import parse_database_url

    cfg = parse_database_url(cfg_url)
    asyncio.run(
        execute_script(
            cfg,
            "CREATE TABLE item (id INTEGER NOT NULL PRIMARY KEY, qty INTEGER, hits INTEGER DEFAULT 0);"
            "CREATE TRIGGER item_hit AFTER UPDATE OF qty ON item BEGIN "
            "UPDATE item SET hits = hits + 1 WHERE id = NEW.id; END;"
            "INSERT INTO item (id, qty) VALUES (1, 1);",
        )
    )
    (tmp_path / "s.sql").write_text(
        "CREATE TABLE item (id INTEGER NOT NULL PRIMARY KEY, qty INTEGER NOT NULL DEFAULT 0, "
        "hits INTEGER DEFAULT 0);"
    )
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))
    result = cli("auto_migrate", "-d", cfg_url, "--desired-sql", str(tmp_path / "s.sql"), "--yes")
    assert result.exit_code == 0, result.output
    assert "rebuild table item" in result.output
    names = asyncio.run(fetch(cfg, "SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    assert names == [("item_hit",)]
    asyncio.run(execute_script(cfg, "UPDATE item SET qty = 5 WHERE id = 1;"))
    assert asyncio.run(fetch(cfg, "SELECT qty, hits FROM item")) == [(5, 1)]


def test_sqlite_rebuild_keeps_views_over_the_table(cli, tmp_path, monkeypatch):
    """SQLite checks every view when the rebuilt table is renamed into place: views are
    dropped before the rebuild and re-created after it, in their order."""
    from fastapp.connections.url import parse_database_url
    from tests.corpus.convergence.harness import execute_script, fetch

    url = f"sqlite:///{tmp_path / 'views.sqlite3'}"
    cfg = parse_database_url(url)
    table = "CREATE TABLE book (id INTEGER NOT NULL PRIMARY KEY, title VARCHAR(20){});"
    views = (
        "CREATE VIEW titles AS SELECT id, title FROM book;"
        "CREATE VIEW short_titles AS SELECT title FROM titles WHERE length(title) < 3;"
    )
    asyncio.run(
        execute_script(cfg, table.format("") + views + "INSERT INTO book VALUES (1, 'ab');")
    )
    (tmp_path / "s.sql").write_text(table.format(" NOT NULL") + views)
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))
    apply = ("auto_migrate", "-d", url, "--desired-sql", str(tmp_path / "s.sql"))
    result = cli(*apply, "--yes")
    assert result.exit_code == 0, result.output
    assert "rebuild table book" in result.output
    assert asyncio.run(fetch(cfg, "SELECT title FROM short_titles")) == [("ab",)]
    names = asyncio.run(fetch(cfg, "SELECT name FROM sqlite_master WHERE type = 'view'"))
    assert names == [("titles",), ("short_titles",)]
    assert cli(*apply, "--check").exit_code == 0


def test_concurrently_builds_indexes_after_the_transaction(run, db):
    result = run(CHANGED, "--yes", "--concurrently")
    assert result.exit_code == 0, result.output
    assert ("book", "title") in live.indexed_columns(db)
    assert run(CHANGED, "--check").exit_code == 0
    moved = CHANGED.replace("book_title ON book (title)", "book_title ON book (title, id)")
    dry = run(moved, "--dry-run", "--concurrently")
    assert dry.exit_code == 0, dry.output
    if db.dialect_name == "postgres":
        assert "CREATE INDEX CONCURRENTLY" in dry.output
    else:
        assert "CONCURRENTLY" not in dry.output
