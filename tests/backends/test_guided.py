"""``fastapp auto_migrate`` by hand: the guided prompts through a real pseudo-terminal (the
installed console script, Ctrl-C and Ctrl-D as keys), an apply interrupted while a statement
runs, and the migration lock's sub-second waits, on the real backends."""

from __future__ import annotations

import asyncio

import pytest

from fastapp import testing
from fastapp.connections.raw import raw_connection
from fastapp.dialects import dialect_part
from tests.backends import live
from tests.backends.terminal import Terminal
from tests.conftest import require_backend

BASE = """
CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE book (id INTEGER NOT NULL PRIMARY KEY, title VARCHAR(100), notes TEXT);
"""
#: Two safe changes: the first is answered, the second is where the user stops.
GROWN = """
CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL, born INTEGER);
CREATE TABLE book (id INTEGER NOT NULL PRIMARY KEY, title VARCHAR(100), notes TEXT, pages INTEGER);
"""
#: One destructive change: book.notes is dropped.
SHRUNK = """
CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE book (id INTEGER NOT NULL PRIMARY KEY, title VARCHAR(100));
"""
DESTRUCTIVE_PROMPT = "Apply this DESTRUCTIVE change? [y]es/[N]o/[q]uit"
PROMPT = "Apply? [Y]es/[n]o/[q]uit"


def _statements(sql: str) -> list[str]:
    return [s for s in sql.split(";") if s.strip()]


@pytest.fixture
def db(fresh_db):
    live.execute(fresh_db, *_statements(BASE))
    live.execute(
        fresh_db,
        "INSERT INTO author (id, name) VALUES (1, 'Ann')",
        "INSERT INTO book (id, title, notes) VALUES (1, 'First', 'keep me')",
    )
    return fresh_db


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """No settings module here: the URL and the DDL file are all the command needs."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "FASTAPP_SETTINGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def _desired(workdir, sql: str) -> str:
    path = workdir / "schema.sql"
    path.write_text(sql)
    return str(path)


def _on_terminal(db, workdir, sql: str, *args: str) -> Terminal:
    return Terminal(
        "auto_migrate",
        "--database",
        db.url(masked=False),
        "--desired-sql",
        _desired(workdir, sql),
        *args,
        cwd=workdir,
    )


def _check(cli, db, workdir, sql: str) -> int:
    result = cli(
        "auto_migrate",
        "--database",
        db.url(masked=False),
        "--desired-sql",
        _desired(workdir, sql),
        "--check",
    )
    return result.exit_code


def _columns(db, table: str) -> set[str]:
    return set(asyncio.run(_column_names(db, table)))


async def _column_names(db, table: str) -> list[str]:
    async with raw_connection(db) as conn:
        if db.dialect_name == "postgres":
            stmt = await conn.prepare(f"SELECT * FROM {table} LIMIT 0")
            return [a.name for a in stmt.get_attributes()]
        if db.dialect_name == "mysql":
            async with conn.cursor() as cur:
                await cur.execute(f"SELECT * FROM {table} LIMIT 0")
                return [d[0] for d in cur.description]
        async with conn.execute(f"SELECT * FROM {table} LIMIT 0") as cur:
            return [d[0] for d in cur.description]


# --- the prompts, on a terminal ------------------------------------------------------------


def test_enter_on_a_destructive_change_means_no(db, workdir, cli):
    term = _on_terminal(db, workdir, SHRUNK)
    shown = term.expect(DESTRUCTIVE_PROMPT)
    assert "drop column book.notes" in shown
    term.send("\r")
    assert term.finish() == 0, term.output
    skipped = [x for x in term.output.splitlines() if "skipped:" in x]
    assert len(skipped) == 1 and "drop column book.notes" in skipped[0]  # SQLite: one rebuild
    assert "notes" in _columns(db, "book")
    assert live.rows(db, "SELECT notes FROM book") == [("keep me",)]
    assert _check(cli, db, workdir, SHRUNK) == 1  # the drop is still pending


def test_unknown_answer_asks_again_and_an_explicit_y_applies(db, workdir, cli):
    term = _on_terminal(db, workdir, SHRUNK)
    term.expect(DESTRUCTIVE_PROMPT)
    term.send("sure\r")
    term.expect("Please answer y (yes), n (no) or q (quit).")
    term.expect(DESTRUCTIVE_PROMPT)  # asked again, nothing decided
    term.send("y\r")
    assert term.finish() == 0, term.output
    assert "Applied " in term.output and "skipped:" not in term.output
    assert _check(cli, db, workdir, SHRUNK) == 0


def test_enter_on_a_safe_change_means_yes(db, workdir, cli):
    term = _on_terminal(db, workdir, GROWN)
    term.expect(PROMPT)
    term.send("\r")
    term.expect(PROMPT)
    term.send("\r")
    assert term.finish() == 0, term.output
    assert _check(cli, db, workdir, GROWN) == 0


def test_end_of_input_quits_with_nothing_further_applied(db, workdir, cli):
    term = _on_terminal(db, workdir, GROWN)
    assert "add column author.born" in term.expect(PROMPT)
    term.send("y\r")
    assert "add column book.pages" in term.expect(PROMPT)
    term.send("\x04")  # Ctrl-D on an empty line: end of input
    assert term.finish() == 1, term.output
    assert "End of input: quitting." in term.output
    assert "stopped at your request" in term.output
    assert "pages" not in _columns(db, "book")
    if db.dialect.supports_transactional_ddl:
        assert (
            "the transaction was rolled back (1 statement(s) undone): nothing was applied"
            in term.output
        )
        assert "born" not in _columns(db, "author")
    else:
        assert "1 statement(s) were applied and kept (add column author.born" in term.output
        assert "born" in _columns(db, "author")


def test_ctrl_c_at_a_prompt_exits_130_and_says_what_was_applied(db, workdir, cli):
    term = _on_terminal(db, workdir, GROWN)
    term.expect(PROMPT)
    term.send("y\r")
    term.expect(PROMPT)
    term.send("\x03")  # Ctrl-C: SIGINT from the terminal
    assert term.finish() == 130, term.output
    assert "Traceback" not in term.output
    line = next(x for x in term.output.splitlines() if x.startswith("Interrupted:"))
    assert f"'default' ({db.url()})" in line
    if db.dialect.supports_transactional_ddl:
        assert (
            "the transaction was rolled back (1 statement(s) undone): nothing was applied" in line
        )
        assert _check(cli, db, workdir, BASE) == 0
    else:
        assert "1 statement(s) were applied and kept (add column author.born" in line
        assert "born" in _columns(db, "author") and "pages" not in _columns(db, "book")
    rerun = cli(
        "auto_migrate",
        "--database",
        db.url(masked=False),
        "--desired-sql",
        _desired(workdir, GROWN),
        "--yes",
    )
    assert rerun.exit_code == 0, rerun.output
    assert _check(cli, db, workdir, GROWN) == 0


def test_a_rename_question_answers_no_on_enter_and_quits_at_end_of_input(db, workdir, cli):
    renamed = BASE.replace("notes TEXT", "remarks TEXT")
    term = _on_terminal(db, workdir, renamed)
    term.expect("Was column book.notes -> book.remarks a rename? [y]es/[N]o/[q]uit")
    term.send("\x04")
    assert term.finish() == 1, term.output
    assert "stopped at your request; nothing was applied" in term.output
    assert _check(cli, db, workdir, BASE) == 0


# --- an apply interrupted while a statement runs ---------------------------------------------

THREE = """
CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY{x});
CREATE TABLE b (id INTEGER NOT NULL PRIMARY KEY{x});
CREATE TABLE c (id INTEGER NOT NULL PRIMARY KEY{x});
"""
#: Holds table b with a lock that makes ALTER TABLE b wait, and frees it.
_HOLD_B = {
    "postgres": ("BEGIN", "LOCK TABLE b IN ACCESS SHARE MODE"),
    "mysql": ("LOCK TABLES b READ",),
}
_RELEASE_B = {"postgres": "COMMIT", "mysql": "UNLOCK TABLES"}


@pytest.fixture(params=["postgres", "mysql"])
def server_db(request, tmp_path):
    require_backend(request.param)
    cfg = testing.scratch_config(request.param, tmp_path)
    asyncio.run(cfg.dialect.create_database(cfg))
    yield cfg
    asyncio.run(cfg.dialect.drop_database(cfg))


def test_interrupted_apply_stops_after_the_running_statement_and_a_rerun_finishes(
    server_db, workdir, cli
):
    """Ctrl-C while ALTER TABLE b waits for a lock the test holds: the statement finishes once
    the lock is released, nothing after it runs, the report says what was applied (MySQL keeps
    it; PostgreSQL rolls the transaction back), and running again finishes the job."""
    db = server_db
    live.execute(db, *_statements(THREE.format(x="")))
    wanted = THREE.format(x=", x INTEGER")

    async def scenario():
        async with raw_connection(db) as holder:
            for sql in _HOLD_B[db.dialect_name]:
                await db.dialect.execute_raw(holder, sql)
            term = await asyncio.to_thread(_on_terminal, db, workdir, wanted, "--yes")
            await asyncio.to_thread(term.expect, "\u2713 add column a.x")
            term.send("\x03")
            await asyncio.to_thread(
                term.expect, "waiting for the statement in progress (add column b.x"
            )
            await db.dialect.execute_raw(holder, _RELEASE_B[db.dialect_name])
            return term, await asyncio.to_thread(term.finish)

    term, code = asyncio.run(scenario())
    assert code == 130, term.output
    assert "Traceback" not in term.output
    line = next(x for x in term.output.splitlines() if x.startswith("Interrupted: 'default'"))
    if db.dialect.supports_transactional_ddl:
        assert (
            "the transaction was rolled back (2 statement(s) undone): nothing was applied" in line
        )
        assert {("x" in _columns(db, t)) for t in "abc"} == {False}
    else:
        assert (
            "2 statement(s) were applied and kept (add column a.x integer; add column b.x integer)"
            in line
        )
        assert "run auto_migrate again to finish" in line
        assert ["x" in _columns(db, t) for t in "abc"] == [True, True, False]
    assert _check(cli, db, workdir, wanted) == 1
    rerun = cli(
        "auto_migrate",
        "--database",
        db.url(masked=False),
        "--desired-sql",
        _desired(workdir, wanted),
        "--yes",
    )
    assert rerun.exit_code == 0, rerun.output
    assert _check(cli, db, workdir, wanted) == 0


# --- the migration lock ------------------------------------------------------------------


@pytest.mark.parametrize("server", ["postgres", "mysql"])
def test_lock_timeout_below_one_second_waits_for_the_lock(server, tmp_path):
    """A --lock-timeout under a second still waits: the lock freed after a first refused try
    is taken (MySQL's GET_LOCK counts whole seconds, so this once meant no wait at all)."""
    require_backend(server)
    tries: list = []

    session_class = dialect_part(server, "lock_session", "lock session")

    class Counting(session_class):
        async def scalars(self, sql):
            rows = await super().scalars(sql)
            tries.append(rows[0])
            return rows

    async def scenario(cfg):
        async with raw_connection(cfg) as first, raw_connection(cfg) as second:
            holder = session_class(cfg, first)
            await holder.acquire(1)
            waiter = Counting(cfg, second)
            waiting = asyncio.ensure_future(waiter.acquire(0.9))
            while not tries and not waiting.done():
                await asyncio.sleep(0.01)
            assert not tries[0]  # refused while held
            await holder.release()
            await waiting  # taken before the deadline: no LockTimeoutError
            assert tries[-1]
            await waiter.release()

    async def main():
        async with testing.scratch_database(server, tmp_path) as cfg:
            await scenario(cfg)

    asyncio.run(main())
