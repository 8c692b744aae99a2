# ruff: noqa: F811  (the shared fixtures of test_versions_workflow are imported by name)
"""``makemigrations --initial-from-database`` on the three backends: a database made by
``migrate`` or ``auto_migrate`` moves to versioned files; one that differs is refused."""

from __future__ import annotations

from tests.backends import live
from tests.backends.test_versions_workflow import (  # noqa: F401 (fixtures)
    AUTO_MIGRATE_CHECK,
    project,
    recorded,
    run,
)

ADOPT = ("makemigrations", "--initial-from-database")


def test_a_database_made_by_auto_migrate_moves_to_migrations(project, run, fresh_db):
    run("auto_migrate", "--yes")
    live.execute(fresh_db, "INSERT INTO blog_tag (id, name) VALUES (1, 'news')")
    dry = run(*ADOPT, "--dry-run").output
    assert "Would create users.0001_initial" in dry and "nothing was written" in dry
    assert not (project / "users/migrations").exists() or not list(
        (project / "users/migrations").glob("0*.py")
    )
    out = run(*ADOPT).output
    assert "Created users.0001_initial" in out and "Created blog.0001_initial" in out
    assert "recorded blog.0001_initial" in out
    assert recorded(fresh_db) == [("blog", "0001_initial"), ("users", "0001_initial")]
    assert "Nothing to do" in run("upgrade").output
    run("makemigrations", "--check")
    run(*AUTO_MIGRATE_CHECK)
    assert live.rows(fresh_db, "SELECT name FROM blog_tag") == [("news",)]
    # done once: the apps have migrations now
    again = run(*ADOPT, code=1).output
    assert "already have migrations" in again and "fastapp stamp" in again


def test_one_app_at_a_time_after_migrate(project, run, fresh_db):
    run("migrate")
    out = run(*ADOPT, "users").output
    assert "Created users.0001_initial" in out and "blog.0001" not in out
    assert recorded(fresh_db) == [("users", "0001_initial")]
    run(*ADOPT, "blog")
    assert recorded(fresh_db) == [("blog", "0001_initial"), ("users", "0001_initial")]
    run("makemigrations", "--check")


def test_a_database_that_differs_is_refused_naming_the_columns(project, run, fresh_db):
    run("migrate")
    live.execute(fresh_db, "ALTER TABLE blog_tag ADD extra INTEGER")
    live.execute(fresh_db, "DROP TABLE blog_comment")
    out = run(*ADOPT, code=1).output
    assert "does not match the models" in out
    assert "blog_tag.extra" in out and "blog_comment" in out
    assert "nothing was written" in out and "Traceback" not in out
    assert not list(project.glob("*/migrations/0*.py"))
    assert recorded(fresh_db) == []
    assert "drop --check" in run(*ADOPT, "--check", code=1).output
