"""``fastapp auto_migrate`` on PostgreSQL's own vocabulary, through the command (issue 14).

PostgreSQL-specific by nature: inheritance, triggers, deferrable keys and CONCURRENTLY are
PostgreSQL's clauses; the three-backend behaviour is covered by the convergence corpus."""

from __future__ import annotations

import pytest

from tests.backends import live

BASE = "CREATE TABLE item (id INTEGER NOT NULL PRIMARY KEY, code TEXT);\n"

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


@pytest.fixture
def run(cli, tmp_path, fresh_db, monkeypatch):
    return live.desired_sql_runner(cli, tmp_path, fresh_db, monkeypatch, BASE.strip().rstrip(";"))


def test_unmodelled_clause_is_refused_by_name_and_nothing_changes(run):
    desired = BASE + "CREATE TABLE derived (extra TEXT) INHERITS (item);\n"
    for flags in (("--check",), ("--yes", "--no-guided", "--allow-destructive")):
        result = run(desired, *flags)
        assert result.exit_code != 0
        assert "table derived" in result.output and "INHERITS (item)" in result.output
        assert "Traceback" not in result.output
    assert run(BASE, "--check").exit_code == 0  # derived was never created


def test_deferrable_unique_and_concurrent_index_converge_and_check_says_so(run):
    desired = (
        "CREATE TABLE item (id INTEGER NOT NULL PRIMARY KEY, code TEXT,"
        " CONSTRAINT item_code UNIQUE (code) DEFERRABLE INITIALLY DEFERRED);\n"
        "CREATE INDEX CONCURRENTLY item_code_prefix ON item (code text_pattern_ops);\n"
    )
    result = run(desired, "--check")
    assert result.exit_code == 1
    assert "unique" in result.output.lower() and "index" in result.output.lower()
    assert run(desired, "--yes", "--no-guided").exit_code == 0
    assert run(desired, "--check").exit_code == 0
    assert run(BASE, "--check").exit_code == 1  # the clauses are seen, not dropped


def test_a_live_trigger_is_said_in_the_plan(run, fresh_db):
    live.execute(
        fresh_db,
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "CREATE TRIGGER item_touch BEFORE UPDATE ON item FOR EACH ROW EXECUTE FUNCTION touch()",
    )
    result = run(BASE, "--check")
    assert result.exit_code == 0
    assert "trigger item_touch" in result.output and "does not model" in result.output
