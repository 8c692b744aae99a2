# ruff: noqa: F811  (the shared fixtures of test_versions_workflow are imported by name)
"""``fastapp squash`` on the three backends: one migration replacing a range, right for a
database at the start of the range, in the middle of it and past it, and for Tortoise's own
``migrate``."""

from __future__ import annotations

import asyncio

import pytest

from fastapp import testing
from tests.backends import live
from tests.backends.test_versions_workflow import (  # noqa: F401 (fixtures)
    AUTO_MIGRATE_CHECK,
    _tortoise,
    edit,
    project,
    recorded,
    run,
    schema,
)

DATA_MIGRATION = """\
from tortoise import migrations
from tortoise.migrations import operations as ops

PREFIX = "tag-"


async def forwards(apps, schema_editor):
    name = PREFIX + "seeded"
    await schema_editor.client.execute_query(
        f"INSERT INTO blog_tag (id, name) VALUES (100, '{name}')"
    )


async def backwards(apps, schema_editor):
    await schema_editor.client.execute_query("DELETE FROM blog_tag WHERE id = 100")


class Migration(migrations.Migration):
    dependencies = [("blog", "0002_post_likes")]
    operations = [
        ops.RunPython(forwards, reverse_code=backwards),
        ops.RunSQL(
            "UPDATE blog_tag SET name = 'renamed' WHERE id = 1",
            reverse_sql="UPDATE blog_tag SET name = 'news' WHERE id = 1",
        ),
    ]
"""


@pytest.fixture
def other_db(backend, tmp_path):
    made = []

    def make():
        cfg = testing.scratch_config(backend, tmp_path)
        asyncio.run(cfg.dialect.create_database(cfg))
        made.append(cfg)
        return cfg

    yield make
    for cfg in made:
        asyncio.run(cfg.dialect.drop_database(cfg))


def _history(project, run, fresh_db, middle):
    """users 0001, blog 0001..0004 (add field, data migration, length change); ``fresh_db``
    at head with rows, ``middle`` at blog 0002 with rows."""
    run("makemigrations")
    edit(
        project / "blog/models.py",
        "    rating = ",
        "    likes = fields.IntField(default=0)\n    rating = ",
    )
    run("makemigrations")
    (project / "blog/migrations/0003_data.py").write_text(DATA_MIGRATION)
    edit(
        project / "blog/models.py",
        "name = fields.CharField(max_length=50, unique=True)",
        "name = fields.CharField(max_length=80, unique=True)",
    )
    run("makemigrations", "-n", "tag_length")
    names = sorted(p.name for p in (project / "blog/migrations").glob("0*.py"))
    assert names == ["0001_initial.py", "0002_post_likes.py", "0003_data.py", "0004_tag_length.py"]
    for cfg, target in ((fresh_db, "head"), (middle, "blog:0002")):
        run("upgrade", target, "--database", cfg.url(masked=False))
        live.execute(cfg, "INSERT INTO blog_tag (id, name) VALUES (1, 'news')")


def test_squash_serves_databases_at_the_start_middle_and_end(
    project, run, fresh_db, other_db, monkeypatch
):
    middle, start = other_db(), other_db()
    _history(project, run, fresh_db, middle)
    end_schema = schema(fresh_db)

    out = run("squash", "blog", "0001", "0004").output
    assert "Created blog.0001_squashed_0004_tag_length" in out and "replacing 4 migrations" in out
    files = sorted(p.name for p in (project / "blog/migrations").glob("0*.py"))
    assert files == ["0001_squashed_0004_tag_length.py"]
    text = (project / "blog/migrations/0001_squashed_0004_tag_length.py").read_text()
    assert "replaces = [('blog', '0001_initial'), ('blog', '0002_post_likes')" in text
    assert "async def forwards" in text and "PREFIX = " in text and "ops.RunSQL(" in text
    assert "('users', '0001_initial')" in text  # the range's dependency outside it

    # past the range: nothing runs, the squash gets recorded (so Tortoise sees it applied)
    assert "Nothing to do" in run("upgrade").output
    assert ("blog", "0001_squashed_0004_tag_length") in recorded(fresh_db)
    _tortoise(project, fresh_db, "await migrate(config=config)")
    assert schema(fresh_db) == end_schema
    # (its row was inserted after the data migration had run)
    assert live.rows(fresh_db, "SELECT name FROM blog_tag ORDER BY id") == [
        ("news",),
        ("tag-seeded",),
    ]
    run("makemigrations", "--check")
    assert "[X] 0001_squashed_0004_tag_length" in run("showmigrations").output

    # in the middle (0001 and 0002 applied): only the rest runs, the data migration included
    up = run("upgrade", "--database", middle.url(masked=False)).output
    assert "The database matches the models." in up
    assert schema(middle) == end_schema
    assert live.rows(middle, "SELECT name FROM blog_tag ORDER BY id") == [
        ("renamed",),
        ("tag-seeded",),
    ]
    assert ("blog", "0001_squashed_0004_tag_length") in recorded(middle)

    # at the start: Tortoise's own migrate applies the squashed file, fastapp agrees
    monkeypatch.setenv("DATABASE_URL", start.url(masked=False))
    _tortoise(project, start, "await migrate(config=config)")
    assert schema(start) == end_schema
    assert "Nothing to do" in run("upgrade").output
    monkeypatch.setenv("DATABASE_URL", fresh_db.url(masked=False))

    # and back: the squashed migration unapplies as a whole, records of the range go too
    live.execute(fresh_db, "INSERT INTO users_group (id, name, description) VALUES (7, 'g', '')")
    run("downgrade", "blog:base")
    assert not any(app == "blog" for app, _ in recorded(fresh_db))
    assert "blog_post" not in live.tables(fresh_db)
    run("upgrade")
    assert schema(fresh_db) == end_schema
    assert live.rows(fresh_db, "SELECT name FROM users_group") == [("g",)]


def test_squash_part_of_a_history_rewrites_dependents(project, run, fresh_db, other_db):
    middle = other_db()
    _history(project, run, fresh_db, middle)
    run("squash", "blog", "0002", "0003", "-n", "likes_and_data")
    files = sorted(p.name for p in (project / "blog/migrations").glob("0*.py"))
    assert files == ["0001_initial.py", "0002_likes_and_data.py", "0004_tag_length.py"]
    after = (project / "blog/migrations/0004_tag_length.py").read_text()
    assert "('blog', '0002_likes_and_data')" in after and "0003_data" not in after
    assert "Nothing to do" in run("upgrade").output
    up = run("upgrade", "--database", middle.url(masked=False)).output
    assert "The database matches the models." in up
    assert schema(middle) == schema(fresh_db)
    run("makemigrations", "--check")
    run(*AUTO_MIGRATE_CHECK)


def test_squash_bad_input_changes_nothing(project, run, fresh_db, other_db):
    _history(project, run, fresh_db, other_db())
    folder = project / "blog/migrations"
    before = {p.name: p.read_text() for p in folder.glob("*.py")}
    cases = [
        (("shop", "0001", "0002"), "unknown app 'shop'"),
        (("blog", "0004", "0001"), "does not come before"),
        (("blog", "0002", "0002"), "nothing to squash"),
        (("blog", "0001", "0009"), "has no migration '0009'"),
    ]
    for args, message in cases:
        out = run("squash", *args, code=1).output
        assert message in out, out
        assert "Traceback" not in out and len(out.strip().splitlines()) <= 3, out
    assert {p.name: p.read_text() for p in folder.glob("*.py")} == before
    # a dry run shows the file and writes nothing
    assert "replaces = " in run("squash", "blog", "0001", "0002", "--dry-run").output
    assert {p.name: p.read_text() for p in folder.glob("*.py")} == before
