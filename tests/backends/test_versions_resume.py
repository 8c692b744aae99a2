# ruff: noqa: F811  (the shared fixtures of test_versions_workflow are imported by name)
"""A migration whose middle statement fails, on the three backends. PostgreSQL and SQLite
roll it back whole; MySQL/MariaDB cannot roll DDL back, so the statements that ran are
reported exactly, and the next ``upgrade`` finishes the migration from where it stopped
instead of running them again."""

from __future__ import annotations

from fastapp.tortoise.tables import PROGRESS_TABLE
from tests.backends import live
from tests.backends.test_versions_workflow import project, recorded, run  # noqa: F401

GATED = """\
from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]
    operations = [
        ops.RunSQL("CREATE TABLE blog_first (id INTEGER PRIMARY KEY)"),
        ops.RunSQL("INSERT INTO blog_first (id) VALUES (1)"),
        # fails until the test creates blog_gate
        ops.RunSQL("INSERT INTO blog_gate (id) VALUES (1)"),
        ops.RunSQL("CREATE TABLE blog_last (id INTEGER PRIMARY KEY)"),
    ]
"""


def test_an_interrupted_migration_is_reported_and_finished(project, run, fresh_db):
    run("makemigrations")
    run("upgrade")
    (project / "blog/migrations/0002_gated.py").write_text(GATED)
    failed = " ".join(run("upgrade", code=1).output.split())
    assert "apply blog.0002_gated failed" in failed and "blog_gate" in failed
    assert ("blog", "0002_gated") not in recorded(fresh_db)
    tables = live.tables(fresh_db)
    if fresh_db.dialect.supports_transactional_ddl:
        assert "rolled back" in failed
        assert "blog_first" not in tables and PROGRESS_TABLE not in tables
    else:
        # exactly the two statements that ran, and where they are recorded
        assert (
            "2 statement(s) of it ran and were kept [CREATE TABLE blog_first (id INTEGER "
            "PRIMARY KEY) | INSERT INTO blog_first (id) VALUES (1)]" in failed
        )
        assert PROGRESS_TABLE in failed and "resumes after the statements that ran" in failed
        assert "blog_first" in tables and PROGRESS_TABLE in tables
        # failing again reports the same statements, none run twice
        again = " ".join(run("upgrade", code=1).output.split())
        assert "2 statement(s) of it ran" in again
        assert live.rows(fresh_db, "SELECT id FROM blog_first") == [(1,)]
        # the file changed since it was interrupted: refused, naming the statement
        gated = project / "blog/migrations/0002_gated.py"
        gated.write_text(
            GATED.replace('(id INTEGER PRIMARY KEY)")', '(id BIGINT PRIMARY KEY)")', 1)
        )
        changed = " ".join(run("upgrade", code=1).output.split())
        assert "statement 1 is no longer the one that ran then" in changed, changed
        assert "Traceback" not in changed
        gated.write_text(GATED)

    live.execute(fresh_db, "CREATE TABLE blog_gate (id INTEGER PRIMARY KEY)")
    done = run("upgrade").output
    assert "applied blog.0002_gated" in done
    assert ("blog", "0002_gated") in recorded(fresh_db)
    tables = live.tables(fresh_db)
    assert {"blog_first", "blog_last"} <= tables and PROGRESS_TABLE not in tables
    assert live.rows(fresh_db, "SELECT id FROM blog_first") == [(1,)]
    assert live.rows(fresh_db, "SELECT id FROM blog_gate") == [(1,)]
