"""Post-migrate hooks on the three backends: once per command (not per migration), for
migrate, auto_migrate, upgrade and downgrade; a failing hook is named by app and hook, and
on PostgreSQL and SQLite rolls the whole command back. MariaDB has no transactional DDL: the
schema change stays (checked here as documented)."""

from __future__ import annotations

import pytest

from tests.backends import live
from tests.backends.contrib_project import make_project

HOOKS = """
import os

from fastapp.hooks import post_migrate

from .models import Post


@post_migrate
async def record_run(event):
    await Post.create(title=f"hook {event.command}", using_db=event.connection)
    if os.environ.get("FAIL_HOOK"):
        raise RuntimeError("the hook was told to fail")
"""


@pytest.fixture
def project(tmp_path, monkeypatch, fresh_db):
    proj = make_project(tmp_path, ())
    proj.write_hooks(HOOKS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", fresh_db.url(masked=False))
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.delenv("FAIL_HOOK", raising=False)
    yield proj
    proj.forget()


@pytest.fixture
def run(cli, project):
    def invoke(*args: str, code: int = 0):
        project.forget()
        result = cli(*args)
        assert result.exit_code == code, result.output
        return result

    return invoke


def runs(project, cfg) -> list[str]:
    return [
        r[0]
        for r in live.rows(cfg, f"SELECT title FROM {project.package}_post ORDER BY id")
        if r[0].startswith("hook ")
    ]


def tables(project, cfg) -> set[str]:
    return {t for t in live.tables(cfg) if t.startswith(project.package)}


FAILED = "Error: post-migrate hook blog.record_run failed on 'default': the hook was told to fail"


def test_migrate_runs_the_hooks_once_and_rolls_back_with_them(project, run, fresh_db, monkeypatch):
    monkeypatch.setenv("FAIL_HOOK", "1")
    failed = run("migrate", code=1)
    assert FAILED in failed.output
    assert "Traceback" not in failed.output
    if fresh_db.dialect.supports_transactional_ddl:
        assert "nothing was created on this connection" in failed.output
        assert tables(project, fresh_db) == set()
    else:  # MariaDB: CREATE TABLE commits; the table stays, the hook's row too
        assert "the tables created were kept" in failed.output
        assert tables(project, fresh_db) == {f"{project.package}_post"}
        again = run("auto_migrate", "--no-guided", code=1)  # empty plan; the hooks still run
        assert FAILED in again.output
    monkeypatch.delenv("FAIL_HOOK")
    project.write_models(tag=True)
    run("migrate")
    before = runs(project, fresh_db)
    run("migrate")
    assert runs(project, fresh_db)[len(before) :] == ["hook migrate"]
    run("auto_migrate", "--no-guided")
    assert runs(project, fresh_db)[len(before) :] == ["hook migrate", "hook auto_migrate"]


def test_upgrade_and_downgrade_run_the_hooks_once_per_command(project, run, fresh_db, monkeypatch):
    run("makemigrations", "--name", "initial")
    project.write_models(tag=True)
    run("makemigrations", "--name", "tag")
    done = run("upgrade", "--no-verify")
    assert "Done: 2 migration(s)." in done.output
    assert runs(project, fresh_db) == ["hook upgrade"]  # two migrations, one run

    monkeypatch.setenv("FAIL_HOOK", "1")
    failed = run("downgrade", "blog:0001", code=1)
    assert FAILED in failed.output
    recorded = live.rows(fresh_db, "SELECT name FROM tortoise_migrations")
    if fresh_db.dialect.supports_transactional_ddl:
        assert "the whole command was rolled back" in failed.output
        assert len(recorded) == 2
        assert tables(project, fresh_db) == {f"{project.package}_post", f"{project.package}_tag"}
    else:
        assert "1 migration(s) of this run were applied and kept" in failed.output
        assert recorded == [("0001_initial",)]
        assert tables(project, fresh_db) == {f"{project.package}_post"}
        return
    monkeypatch.delenv("FAIL_HOOK")
    run("downgrade", "blog:0001")
    assert runs(project, fresh_db) == ["hook upgrade", "hook downgrade"]
