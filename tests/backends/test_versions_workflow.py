"""Versioned migrations end to end on the three backends: the example project's migrations
written by fastapp (or by Tortoise), applied, reversed and checked against the models."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys

import pytest

from fastapp import testing
from fastapp.connections.raw import raw_connection
from fastapp.introspect import get_catalog_reader
from fastapp.versions.state import TABLE
from tests.backends import live
from tests.conftest import EXAMPLE

_PACKAGES = ("settings", "users", "blog")
# auto_migrate would drop Tortoise's bookkeeping table, which no model declares; limited to
# the apps it compares only their tables.
AUTO_MIGRATE_CHECK = ("auto_migrate", "--check", "--apps", "users", "--apps", "blog")


def _forget_project_modules() -> None:
    for name in list(sys.modules):
        if name.split(".", 1)[0] in _PACKAGES:
            del sys.modules[name]


@pytest.fixture
def project(tmp_path, monkeypatch, fresh_db):
    root = tmp_path / "blog"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("*.sqlite3", "__pycache__"))
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("DATABASE_URL", fresh_db.url(masked=False))
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # files rewritten within a second
    _forget_project_modules()
    yield root
    _forget_project_modules()


@pytest.fixture
def run(cli):
    def invoke(*args: str, code: int = 0, input: str | None = None):
        _forget_project_modules()
        result = cli(*args, input=input)
        assert result.exit_code == code, result.output
        return result

    return invoke


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def schema(cfg):
    """The live schema without Tortoise's bookkeeping table."""

    async def read():
        async with raw_connection(cfg) as conn:
            found = await get_catalog_reader(cfg.dialect_name).read(conn)
        return found.only(n for n in found.table_names if n != TABLE)

    return asyncio.run(read())


def recorded(cfg) -> list[tuple[str, str]]:
    if TABLE not in live.tables(cfg):
        return []
    return sorted(live.rows(cfg, f"SELECT app, name FROM {TABLE}"))


def test_replay_gives_the_schema_migrate_creates(project, run, fresh_db, backend, tmp_path):
    made = run("makemigrations")
    assert "Created users.0001_initial" in made.output
    assert "Created blog.0001_initial" in made.output
    # blog's models reference users': the dependency Tortoise's writer misses is there.
    assert "('users', '0001_initial')" in (project / "blog/migrations/0001_initial.py").read_text()
    upgraded = run("upgrade")
    assert "The database matches the models." in upgraded.output
    assert recorded(fresh_db) == [("blog", "0001_initial"), ("users", "0001_initial")]
    run("makemigrations", "--check")
    run(*AUTO_MIGRATE_CHECK)

    other = testing.scratch_config(backend, tmp_path)
    asyncio.run(other.dialect.create_database(other))
    try:
        run("migrate", "--database", other.url(masked=False))
        assert schema(fresh_db) == schema(other)
    finally:
        asyncio.run(other.dialect.drop_database(other))


def test_downgrade_and_upgrade_again(project, run, fresh_db):
    run("makemigrations")
    run("upgrade")
    before = schema(fresh_db)
    live.execute(
        fresh_db, "INSERT INTO users_group (id, name, description) VALUES (1, 'staff', 'x')"
    )
    out = run("downgrade", "blog:base").output
    assert "unapplied blog.0001_initial" in out
    assert "blog_post" not in live.tables(fresh_db)
    assert live.rows(fresh_db, "SELECT name FROM users_group") == [("staff",)]
    run("upgrade")
    assert live.rows(fresh_db, "SELECT name FROM users_group") == [("staff",)]
    assert schema(fresh_db) == before
    run("downgrade", "base")
    assert live.tables(fresh_db) == {TABLE}
    assert recorded(fresh_db) == []
    run("upgrade", "head")
    assert schema(fresh_db) == before


def test_targets_fake_dry_run_and_sql(project, run, fresh_db):
    run("makemigrations")
    dry = run("upgrade", "--dry-run").output
    assert "apply users.0001_initial" in dry and "apply blog.0001_initial" in dry
    # --apps blog: blog's migrations and what they depend on in other apps
    only = run("upgrade", "--apps", "blog", "--dry-run").output
    assert "apply users.0001_initial" in only and "apply blog.0001_initial" in only
    assert "blog" not in run("showmigrations", "--apps", "users").output
    sql = run("upgrade", "--sql").output
    assert "CREATE TABLE" in sql and "INSERT INTO" in sql and TABLE in sql
    assert live.tables(fresh_db) <= {TABLE} and recorded(fresh_db) == []
    run("upgrade", "+1")
    assert recorded(fresh_db) == [("users", "0001_initial")]
    current = run("current").output
    assert "users: 0001_initial  (head)" in current
    assert "blog: (none applied)  (1 pending)" in current
    shown = run("showmigrations").output
    assert "[X] 0001_initial  20" in shown and "[ ] 0001_initial" in shown
    run("upgrade", "--fake")
    assert "blog_post" not in live.tables(fresh_db)
    assert recorded(fresh_db) == [("blog", "0001_initial"), ("users", "0001_initial")]
    run("downgrade", "-1", "--fake")
    assert recorded(fresh_db) == [("users", "0001_initial")]
    run("upgrade", "blog:0001")
    assert "blog_post" in live.tables(fresh_db)
    back = run("sqlmigrate", "blog", "0001", "--backwards").output
    assert "DROP TABLE" in back
    assert "users:" in run("history").output
    assert "users: 0001_initial" in run("heads").output


def test_models_evolve_with_makemigrations_and_upgrade(project, run, fresh_db):
    users, blog = project / "users" / "models.py", project / "blog" / "models.py"
    run("makemigrations")
    run("upgrade")
    live.execute(
        fresh_db,
        "INSERT INTO users_group (id, name, description) VALUES (1, 'staff', 'the team')",
        "INSERT INTO blog_tag (id, name) VALUES (1, 'news')",
    )

    def step(*flags: str) -> str:
        made = run("makemigrations", *flags).output
        upgraded = run("upgrade").output
        assert "The database matches the models." in upgraded, upgraded
        run("makemigrations", "--check")
        run(*AUTO_MIGRATE_CHECK)
        return made

    # 1. add a field
    edit(
        users,
        "    karma = ",
        "    nickname = fields.CharField(max_length=30, null=True)\n    karma = ",
    )
    assert "Add field nickname to User" in step()
    # 2. add an index
    edit(
        users,
        'full_name = fields.CharField(max_length=200, default="")',
        'full_name = fields.CharField(max_length=200, default="", db_index=True)',
    )
    step()
    assert ("users_user", "full_name") in live.indexed_columns(fresh_db)
    # 3. change a length
    edit(
        blog,
        "name = fields.CharField(max_length=50, unique=True)",
        "name = fields.CharField(max_length=80, unique=True)",
    )
    assert "Alter field name on Tag" in step()
    # 4. a rename, undeclared: an add and a drop, marked destructive; declared: a rename
    edit(
        users,
        'description = fields.TextField(default="")',
        'summary = fields.TextField(default="")',
    )
    guessed = run("makemigrations", "--dry-run").output
    assert "Remove field description from Group" in guessed
    assert "destructive: drops column users_group.description" in guessed
    assert "# destructive: drops column users_group.description" in guessed
    assert "Rename field" not in guessed
    made = step("--rename", "users.Group.description=summary")
    assert "Rename field description to summary on Group" in made
    assert live.rows(fresh_db, "SELECT summary FROM users_group") == [("the team",)]
    assert live.rows(fresh_db, "SELECT name FROM blog_tag") == [("news",)]
    run("makemigrations", "--check")
    # 5. a rename confirmed at the guided prompt
    edit(
        blog,
        "    views = fields.IntField(default=0)",
        "    view_count = fields.IntField(default=0)",
    )
    guided = run("makemigrations", "--guided", input="y\n").output
    assert "Was field views of blog.Post renamed to view_count?" in guided
    assert "Rename field views to view_count on Post" in guided
    run("upgrade")
    run("makemigrations", "--check")
    # Every step reverses and replays.
    run("downgrade", "base")
    run("upgrade")
    run(*AUTO_MIGRATE_CHECK)


def _tortoise(project, fresh_db, code: str) -> None:
    """Run ``code`` with Tortoise's own migration API in a fresh interpreter, on the
    project's config (its apps with their migrations packages)."""
    from fastapp.project import Project

    registry = Project().registry()
    config = registry.tortoise_config()
    for label, app in config["apps"].items():
        app["migrations"] = f"{label}.migrations"
    script = (
        "import asyncio, json, sys\n"
        "config = json.loads(sys.argv[1])\n"
        "from tortoise.context import TortoiseContext\n"
        "from tortoise.migrations.autodetector import MigrationAutodetector\n"
        "from tortoise.migrations.api import migrate\n"
        "async def main():\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "    from tortoise import Tortoise\n"
        + "    await Tortoise.close_connections()\n"
        + "asyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(config)],
        cwd=project,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_files_written_by_tortoise_are_applied_by_fastapp(project, run, fresh_db):
    for app in ("users", "blog"):
        (project / app / "migrations").mkdir()
        (project / app / "migrations" / "__init__.py").touch()
    # Tortoise's makemigrations: users alone first, then everything (its writer only sees
    # dependencies on migrations already on disk).
    for only in ("['users']", "['users', 'blog']"):
        _tortoise(
            project,
            fresh_db,
            f"apps = {{k: v for k, v in config['apps'].items() if k in {only}}}\n"
            "async with TortoiseContext() as ctx:\n"
            "    await ctx.init(config=config)\n"
            "    await MigrationAutodetector(ctx.apps, apps).write()",
        )
    assert (project / "blog/migrations/0001_initial.py").exists()
    upgraded = run("upgrade").output
    assert "The database matches the models." in upgraded
    run("makemigrations", "--check")


def test_files_written_by_fastapp_are_applied_by_tortoise(project, run, fresh_db):
    run("makemigrations")
    _tortoise(project, fresh_db, "await migrate(config=config)")
    assert recorded(fresh_db) == [("blog", "0001_initial"), ("users", "0001_initial")]
    assert "Nothing to do" in run("upgrade").output
    assert "[X] 0001_initial" in run("showmigrations").output
    run(*AUTO_MIGRATE_CHECK)
    # And what fastapp applies, Tortoise sees.
    edit(
        project / "blog/models.py",
        "    rating = ",
        "    likes = fields.IntField(default=0)\n    rating = ",
    )
    run("makemigrations")
    run("upgrade")
    _tortoise(project, fresh_db, "await migrate(config=config)")  # nothing left: no error
    assert len(recorded(fresh_db)) == 3


def test_a_failing_migration_is_all_or_nothing(project, run, fresh_db):
    run("makemigrations")
    run("upgrade")
    (project / "blog/migrations/0002_broken.py").write_text(
        "from tortoise import migrations\n"
        "from tortoise.migrations import operations as ops\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('blog', '0001_initial')]\n"
        "    operations = [\n"
        "        ops.RunSQL('CREATE TABLE blog_extra (id INTEGER PRIMARY KEY)'),\n"
        "        ops.RunSQL('INSERT INTO no_such_table VALUES (1)'),\n"
        "    ]\n"
    )
    failed = run("upgrade", code=1)
    assert "apply blog.0002_broken failed" in failed.output
    assert ("blog", "0002_broken") not in recorded(fresh_db)
    if fresh_db.dialect.supports_transactional_ddl:
        assert "rolled back" in failed.output
        assert "blog_extra" not in live.tables(fresh_db)
    else:
        assert "CREATE TABLE blog_extra" in failed.output  # the statements that ran
        assert "blog_extra" in live.tables(fresh_db)


def test_bad_input_is_one_line_and_applies_nothing(project, run, fresh_db):
    migrations = project / "users" / "migrations"
    run("makemigrations")
    # a file that does not import: file and line
    (migrations / "0002_typo.py").write_text("from tortoise import migrations\n\nx = 1 +\n")
    out = run("upgrade", code=1).output
    assert "0002_typo.py:3" in out and "does not import" in out
    assert recorded(fresh_db) == []
    (migrations / "0002_typo.py").write_text("import json\n\nraise RuntimeError('boom')\n")
    assert "0002_typo.py:3" in run("upgrade", code=1).output
    # a dependency on a missing migration
    (migrations / "0002_typo.py").write_text(
        "from tortoise import migrations\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('users', '0009_nope')]\n"
    )
    out = run("upgrade", code=1).output
    assert "users.0002_typo depends on users.0009_nope, which does not exist" in out
    assert recorded(fresh_db) == []
    # two heads, then the merge
    (migrations / "0002_typo.py").rename(migrations / "0002_left.py")
    edit(migrations / "0002_left.py", "0009_nope", "0001_initial")
    (migrations / "0002_right.py").write_text((migrations / "0002_left.py").read_text())
    out = run("upgrade", code=1).output
    assert "2 heads (0002_left, 0002_right)" in out and "fastapp merge users" in out
    assert recorded(fresh_db) == []
    assert "2 heads" in run("heads").output
    run("merge", "users")
    run("upgrade")
    assert ("users", "0003_merge_0002_0002") in recorded(fresh_db)
    # an unknown target
    assert "has no migration 'nope'" in run("upgrade", "users:nope", code=1).output
    assert "unknown app 'shop'" in run("downgrade", "shop:0001", code=1).output
    # an applied migration whose file is gone, and the way out
    (migrations / "0003_merge_0002_0002.py").unlink()
    out = run("upgrade", code=1).output
    assert "users.0003_merge_0002_0002 is recorded as applied" in out and "is gone" in out
    assert "removed users.0003_merge_0002_0002" in run("stamp", "users:0002_left").output
    # stamp left 0002_right unrecorded while both heads are back: merge again to go on
    run("merge", "users")
    run("upgrade")
    # a downgrade through an irreversible operation refuses before running anything
    (project / "blog/migrations/0002_data.py").write_text(
        "from tortoise import migrations\n"
        "from tortoise.migrations import operations as ops\n\n"
        "async def forwards(apps, schema_editor):\n"
        "    return None\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('blog', '0001_initial')]\n"
        "    operations = [ops.RunPython(forwards)]\n"
    )
    run("upgrade")
    before = recorded(fresh_db)
    out = run("downgrade", "base", code=1).output
    assert "cannot unapply blog.0002_data" in out and "nothing was changed" in out
    assert recorded(fresh_db) == before


def test_stamp_adopts_a_database_made_by_migrate(project, run, fresh_db):
    run("migrate")
    run("makemigrations")
    run("stamp")
    assert recorded(fresh_db) == [("blog", "0001_initial"), ("users", "0001_initial")]
    assert "Nothing to do" in run("upgrade").output
    run("stamp", "base")
    assert recorded(fresh_db) == []


def test_drift_is_reported_and_strict_fails(project, run, fresh_db):
    run("makemigrations")
    run("upgrade")
    edit(
        project / "blog/models.py",
        "    rating = ",
        "    score = fields.IntField(default=0)\n    rating = ",
    )
    out = run("upgrade").output
    assert "differs from the models" in out and "blog_post.score" in out
    strict = run("upgrade", "--strict", code=1).output
    assert "after upgrade, the database differs from the models" in strict


def test_concurrent_upgrades_never_interleave(project, run, fresh_db):
    from fastapp.errors import FastappError
    from fastapp.project import Project
    from fastapp.versions.applying import RunRequest, migration_lock, upgrade
    from fastapp.versions.state import open_states

    run("makemigrations")
    _forget_project_modules()
    registry = Project().registry()
    request = RunRequest(verify=False, lock_timeout=20)

    async def both():
        return await asyncio.gather(upgrade(registry, request), upgrade(registry, request))

    first, second = asyncio.run(both())
    assert len(first.done) + len(second.done) == 2
    assert recorded(fresh_db) == [("blog", "0001_initial"), ("users", "0001_initial")]

    async def held():
        async with open_states(registry) as states:
            async with migration_lock(states[0], 5):
                try:
                    await upgrade(registry, RunRequest("head", verify=False, lock_timeout=0.2))
                except FastappError as exc:
                    return str(exc)
        return "no error"

    edit(
        project / "blog/models.py",
        "    rating = ",
        "    score = fields.IntField(default=0)\n    rating = ",
    )
    run("makemigrations")
    _forget_project_modules()
    registry = Project().registry()
    message = asyncio.run(held())
    assert "holds the migration lock" in message, message
    assert len(recorded(fresh_db)) == 2
