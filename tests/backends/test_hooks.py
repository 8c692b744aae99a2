"""Post-migrate hooks on the three backends: once per command (not per migration), for
migrate, auto_migrate, upgrade and downgrade; a failing hook is named by app and hook, and
on PostgreSQL and SQLite rolls the whole command back (auto_migrate included: its hooks run
in the executor's transaction, guided or not, empty plan or not). ``--online`` and
``--concurrently`` run part of the plan outside a transaction: the hooks run after it, in a
unit of their own. MariaDB has no transactional DDL: the schema change stays (checked here as
documented). With ``--targets`` each target runs its own hooks in its own unit."""

from __future__ import annotations

import asyncio

import pytest

from fastapp import testing
from tests.backends import live
from tests.backends.contrib_project import make_project

HOOKS = """
import os

from fastapp.hooks import post_migrate

from .models import Post


@post_migrate
async def record_run(event):
    await Post.create(title=f"hook {event.command}", using_db=event.connection)
    poisoned = await Post.filter(title="poison").using_db(event.connection).exists()
    if os.environ.get("FAIL_HOOK") or poisoned:
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
    def invoke(*args: str, code: int = 0, input: str | None = None):
        project.forget()
        result = cli(*args, input=input)
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
    if fresh_db.dialect.supports_transactional_ddl:  # two tables created, one run
        assert runs(project, fresh_db) == ["hook migrate"]
    before = runs(project, fresh_db)
    run("migrate")
    assert runs(project, fresh_db)[len(before) :] == ["hook migrate"]
    run("auto_migrate", "--no-guided")
    assert runs(project, fresh_db)[len(before) :] == ["hook migrate", "hook auto_migrate"]


def test_upgrade_and_downgrade_run_the_hooks_once_per_command(project, run, fresh_db, monkeypatch):
    run("makemigrations", "--name", "initial")
    project.write_models(tag=True)
    run("makemigrations", "--name", "tag")
    project.write_models(tag=True, extra=NOTE)
    run("makemigrations", "--name", "note")
    done = run("upgrade", "--no-verify")
    assert "Done: 3 migration(s)." in done.output
    assert runs(project, fresh_db) == ["hook upgrade"]  # three migrations, one run

    monkeypatch.setenv("FAIL_HOOK", "1")
    failed = run("downgrade", "blog:0001", code=1)
    assert FAILED in failed.output
    recorded = live.rows(fresh_db, "SELECT name FROM tortoise_migrations")
    every = {f"{project.package}_{name}" for name in ("post", "tag", "note")}
    if fresh_db.dialect.supports_transactional_ddl:
        assert "the whole command was rolled back" in failed.output
        assert len(recorded) == 3
        assert tables(project, fresh_db) == every
        assert runs(project, fresh_db) == ["hook upgrade"]
    else:
        assert "2 migration(s) of this run were applied and kept" in failed.output
        assert recorded == [("0001_initial",)]
        assert tables(project, fresh_db) == {f"{project.package}_post"}
        # The DDL stays; the failing hook's own writes ran in a transaction of their own.
        assert runs(project, fresh_db) == ["hook upgrade"]
        monkeypatch.delenv("FAIL_HOOK")
        run("upgrade", "--no-verify")
        assert tables(project, fresh_db) == every
    monkeypatch.delenv("FAIL_HOOK", raising=False)
    before = runs(project, fresh_db)
    run("downgrade", "blog:0001")  # two migrations undone, one run
    assert runs(project, fresh_db) == [*before, "hook downgrade"]


def flat(result) -> str:
    """The output on one line (the console wraps long error lines)."""
    return " ".join(result.output.split())


def post_rows(project, cfg) -> list[tuple]:
    return live.rows(cfg, f"SELECT id, title FROM {project.package}_post ORDER BY id")


@pytest.mark.parametrize("mode", [("--no-guided",), ()], ids=["no-guided", "guided"])
def test_auto_migrate_rolls_back_with_a_failing_hook(project, run, fresh_db, monkeypatch, mode):
    run("migrate")
    schema, rows = live.schema_snapshot(fresh_db), post_rows(project, fresh_db)
    project.write_models(tag=True)
    monkeypatch.setenv("FAIL_HOOK", "1")
    failed = run("auto_migrate", *mode, input="y\n" if not mode else None, code=1)
    assert FAILED in flat(failed)
    assert "Traceback" not in failed.output
    if fresh_db.dialect.supports_transactional_ddl:
        assert "the transaction was rolled back: nothing was changed" in flat(failed)
        assert live.schema_snapshot(fresh_db) == schema
        assert post_rows(project, fresh_db) == rows  # the hook's row went with it
    else:  # MariaDB: the table was created and stays, with the hook's row
        assert "the schema change was applied and kept (1 statement(s)" in flat(failed)
        assert "the hooks' writes up to the failure were kept" in flat(failed)
        assert f"{project.package}_tag" in live.tables(fresh_db)
        assert runs(project, fresh_db) == ["hook migrate", "hook auto_migrate"]

    monkeypatch.delenv("FAIL_HOOK")
    before = runs(project, fresh_db)
    run("auto_migrate", *mode, input="y\n" if not mode else None)
    assert f"{project.package}_tag" in live.tables(fresh_db)
    assert runs(project, fresh_db) == [*before, "hook auto_migrate"]  # once per command


def test_auto_migrate_runs_the_hooks_of_an_empty_plan_in_a_transaction(
    project, run, fresh_db, monkeypatch
):
    run("migrate")
    no_changes = run("auto_migrate", "--no-guided")
    assert "matches the desired schema" in no_changes.output
    assert runs(project, fresh_db) == ["hook migrate", "hook auto_migrate"]

    rows = post_rows(project, fresh_db)
    monkeypatch.setenv("FAIL_HOOK", "1")
    failed = run("auto_migrate", "--no-guided", code=1)
    assert FAILED in flat(failed)
    if fresh_db.dialect.supports_transactional_ddl:
        assert "nothing was changed" in flat(failed)
        assert post_rows(project, fresh_db) == rows
    else:
        assert "there was no schema change to apply" in flat(failed)
        assert runs(project, fresh_db) == ["hook migrate", "hook auto_migrate", "hook auto_migrate"]


NOTE = """

class Note(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=30)

    class Meta:
        table = "{package}_note"
"""
INDEXED = (
    NOTE
    + """        indexes = (("slug",),)
"""
)


@pytest.mark.parametrize("flag", ["--concurrently", "--online"])
def test_hooks_after_a_plan_run_outside_a_transaction(project, run, fresh_db, monkeypatch, flag):
    """PostgreSQL builds indexes CONCURRENTLY after the plan's transaction (--concurrently)
    or commits each statement on its own (--online): the hooks run after that, in a
    transaction of their own. SQLite keeps one transaction; MariaDB has none."""
    project.write_models(extra=NOTE)
    run("migrate")
    rows = post_rows(project, fresh_db)
    project.write_models(extra=INDEXED)
    monkeypatch.setenv("FAIL_HOOK", "1")
    failed = run("auto_migrate", "--no-guided", flag, code=1)
    assert FAILED in flat(failed)
    assert "Traceback" not in failed.output
    indexed = (f"{project.package}_note", "slug") in live.indexed_columns(fresh_db)
    if fresh_db.dialect_name == "postgres":
        assert "ran outside a transaction (--online / CONCURRENTLY) and were kept" in flat(failed)
        assert indexed
        assert post_rows(project, fresh_db) == rows  # the hooks' own unit was rolled back
    elif fresh_db.dialect.supports_transactional_ddl:  # SQLite: one transaction still
        assert "nothing was changed" in flat(failed)
        assert not indexed
        assert post_rows(project, fresh_db) == rows
    else:
        assert "the schema change was applied and kept" in flat(failed)
        assert indexed
        assert runs(project, fresh_db) == ["hook migrate", "hook auto_migrate"]


@pytest.fixture
def two(backend, tmp_path):
    configs = asyncio.run(testing.create_scratch_databases(backend, 2, tmp_path))
    yield configs
    asyncio.run(testing.drop_scratch_databases(configs))


def test_each_target_runs_its_hooks_in_its_own_unit(project, run, two):
    first, second = two
    urls = {"first": first.url(masked=False), "second": second.url(masked=False)}
    with (project.root / "settings.py").open("a") as settings:
        settings.write(f"TARGETS = {{'urls': {urls!r}}}\n")
    run("migrate", "--targets", "all")
    live.execute(second, f"INSERT INTO {project.package}_post (title) VALUES ('poison')")
    project.write_models(tag=True)

    fanned = run("auto_migrate", "--targets", "all", "--yes", "--continue-on-error", code=1)
    assert "1 of 2 target(s) failed: second (post-migrate hook blog.record_run failed" in flat(
        fanned
    )
    assert runs(project, first) == ["hook migrate", "hook auto_migrate"]
    assert f"{project.package}_tag" in live.tables(first)
    if second.dialect.supports_transactional_ddl:
        assert runs(project, second) == ["hook migrate"]
        assert f"{project.package}_tag" not in live.tables(second)
    else:
        assert runs(project, second) == ["hook migrate", "hook auto_migrate"]
        assert f"{project.package}_tag" in live.tables(second)


def test_upgrade_online_keeps_the_migrations_and_none_of_a_failing_hooks_writes(
    project, run, fresh_db, monkeypatch
):
    """--online commits each statement on PostgreSQL (and MariaDB cannot roll DDL back): no
    outer unit, so the hooks run after the migrations in a transaction of their own. SQLite's
    lock is a transaction: the whole command rolls back there, --online or not."""
    run("makemigrations", "--name", "initial")
    project.write_models(tag=True)
    run("makemigrations", "--name", "tag")
    monkeypatch.setenv("FAIL_HOOK", "1")
    failed = run("upgrade", "--online", "--no-verify", code=1)
    assert FAILED in failed.output
    if fresh_db.dialect_name == "sqlite":
        assert "the whole command was rolled back" in flat(failed)
        assert tables(project, fresh_db) == set()
    else:
        assert "--online commits each statement" in flat(failed)
        recorded = live.rows(fresh_db, "SELECT name FROM tortoise_migrations ORDER BY name")
        assert recorded == [("0001_initial",), ("0002_tag",)]
        assert runs(project, fresh_db) == []  # the hook's row went with its transaction
    monkeypatch.delenv("FAIL_HOOK")
    run("upgrade", "--online", "--no-verify")
    assert runs(project, fresh_db) == ["hook upgrade"]
