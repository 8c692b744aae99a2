"""Model-driven end to end: the example project's models edited step by step, auto_migrate
after each step on each backend, rows preserved throughout."""

from __future__ import annotations

import shutil
import sys

import pytest

from tests.backends import live
from tests.conftest import EXAMPLE

_MODULES = ("settings", "users", "users.models", "blog", "blog.models")


@pytest.fixture
def project(tmp_path, monkeypatch, fresh_db):
    root = tmp_path / "blog"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("*.sqlite3", "__pycache__"))
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("DATABASE_URL", fresh_db.url(masked=False))
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))
    yield root
    for name in _MODULES:
        sys.modules.pop(name, None)


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_models_evolve_step_by_step(project, cli, fresh_db):
    def run(*args):
        for name in _MODULES:
            sys.modules.pop(name, None)
        return cli(*args)

    users, blog = project / "users" / "models.py", project / "blog" / "models.py"
    assert run("migrate").exit_code == 0
    live.execute(
        fresh_db,
        "INSERT INTO users_group (id, name, description) VALUES (1, 'staff', 'the team')",
        "INSERT INTO users_user (id, username, email, full_name, is_active, role, karma, balance, "
        "date_joined, preferences) VALUES (1, 'ann', 'ann@x', 'Ann A', TRUE, 'reader', 5, 1.50, "
        "'2024-01-02 03:04:05', '{}')",
        "INSERT INTO blog_tag (id, name) VALUES (1, 'news')",
        "INSERT INTO blog_post (id, author_id, title, slug, body, status, views, rating, "
        "created_at, updated_at) VALUES (1, 1, 'Hello', 'hello', 'body', 1, 7, 4.5, "
        "'2024-01-02 03:04:05', '2024-01-02 03:04:05')",
    )
    assert run("auto_migrate", "--check").exit_code == 0

    def step(*flags, expect_code=0):
        result = run("auto_migrate", "--yes", *flags)
        assert result.exit_code == expect_code, result.output
        if expect_code == 0:
            check = run("auto_migrate", "--check")
            assert check.exit_code == 0, check.output
        return result

    # 1. add a field
    edit(
        users,
        "    karma = ",
        "    nickname = fields.CharField(max_length=30, null=True)\n    karma = ",
    )
    step()
    live.execute(fresh_db, "UPDATE users_user SET nickname = 'annie'")
    # 2. add an index
    edit(
        users,
        'full_name = fields.CharField(max_length=200, default="")',
        'full_name = fields.CharField(max_length=200, default="", db_index=True)',
    )
    step()
    assert ("users_user", "full_name") in live.indexed_columns(fresh_db)
    # 3. change a max_length
    edit(
        blog,
        "name = fields.CharField(max_length=50, unique=True)",
        "name = fields.CharField(max_length=80, unique=True)",
    )
    step()
    # 4. make a field nullable
    edit(
        blog,
        "body = fields.TextField()\n    status",
        "body = fields.TextField(null=True)\n    status",
    )
    step()
    live.execute(
        fresh_db,
        "INSERT INTO blog_post (id, author_id, title, slug, body, status, views, "
        "created_at, updated_at) VALUES (2, 1, 'Empty', 'empty', NULL, 0, 0, "
        "'2024-01-02 03:04:05', '2024-01-02 03:04:05')",
    )
    # 5. rename a field, declared
    edit(
        users,
        'description = fields.TextField(default="")',
        'summary = fields.TextField(default="")',
    )
    refused = step(expect_code=1)
    assert "destructive" in refused.output
    step("--rename", "users_group.description=summary")
    assert live.rows(fresh_db, "SELECT summary FROM users_group") == [("the team",)]
    # 6. drop a field: refused, then allowed
    edit(blog, "    rating = fields.FloatField(null=True)\n", "")
    assert "drop column blog_post.rating" in step(expect_code=1).output
    step("--allow-destructive")
    # 7. add a model with a foreign key
    blog.write_text(
        blog.read_text()
        + """

class Like(Model):
    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "blog.Post", related_name="likes", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation = fields.ForeignKeyField("users.User", related_name="likes")

    class Meta:
        table = "blog_like"
        unique_together = (("post", "user"),)
"""
    )
    step()
    assert ("blog_like", "blog_post") in live.references(fresh_db)
    live.execute(fresh_db, "INSERT INTO blog_like (id, post_id, user_id) VALUES (1, 1, 1)")

    # Rows survived every step.
    assert live.rows(fresh_db, "SELECT username, nickname, karma FROM users_user") == [
        ("ann", "annie", 5)
    ]
    assert live.rows(fresh_db, "SELECT name FROM blog_tag") == [("news",)]
    assert live.rows(fresh_db, "SELECT id, title, views FROM blog_post ORDER BY id") == [
        (1, "Hello", 7),
        (2, "Empty", 0),
    ]


def test_apps_limits_the_scope(project, cli, fresh_db):
    def run(*args):
        for name in _MODULES:
            sys.modules.pop(name, None)
        return cli(*args)

    assert run("migrate").exit_code == 0
    live.execute(fresh_db, "CREATE TABLE legacy_audit (id INTEGER NOT NULL PRIMARY KEY)")
    whole = run("auto_migrate", "--check")
    assert whole.exit_code == 1 and "drop table legacy_audit" in whole.output
    blog_only = run("auto_migrate", "--apps", "blog", "--check")
    assert blog_only.exit_code == 0, blog_only.output
    edit(
        project / "users" / "models.py",
        "    karma = ",
        "    motto = fields.TextField(null=True)\n    karma = ",
    )
    assert run("auto_migrate", "--apps", "blog", "--check").exit_code == 0
    users_only = run("auto_migrate", "--apps", "users", "--yes")
    assert users_only.exit_code == 0, users_only.output
    assert "legacy_audit" in live.tables(fresh_db)
    assert run("auto_migrate", "--apps", "users", "--check").exit_code == 0


def test_models_with_a_foreign_key_cycle(project, cli, fresh_db):
    """Two models referencing each other: `migrate` cannot order them, auto_migrate can."""
    blog = project / "blog" / "models.py"
    blog.write_text(
        blog.read_text()
        + """

class Series(Model):
    id = fields.IntField(primary_key=True)
    featured = fields.ForeignKeyField(
        "blog.Episode", related_name="featured_in", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "blog_series"


class Episode(Model):
    id = fields.IntField(primary_key=True)
    series = fields.ForeignKeyField("blog.Series", related_name="episodes")

    class Meta:
        table = "blog_episode"
"""
    )

    def run(*args):
        for name in _MODULES:
            sys.modules.pop(name, None)
        return cli(*args)

    created = run("auto_migrate", "--yes")
    assert created.exit_code == 0, created.output
    assert run("auto_migrate", "--check").exit_code == 0
    refs = live.references(fresh_db)
    assert ("blog_series", "blog_episode") in refs and ("blog_episode", "blog_series") in refs


def test_sqlite_columns_spelled_otherwise_than_the_models_are_respelled_once(
    tmp_path, monkeypatch, cli
):
    """A SQLite table rebuilt with other spellings than Tortoise's (varchar for VARCHAR; and
    integer, which SQLite reports as INTEGER anyway): --check lists the one respelling, safe;
    applying it keeps the rows and the key pointing at the table, and SQLite then reports
    the models' spelling."""
    import sqlite3

    from fastapp import testing

    cfg = testing.scratch_config("sqlite", tmp_path)
    root = tmp_path / "blog"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("*.sqlite3", "__pycache__"))
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("DATABASE_URL", cfg.url(masked=False))
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))

    def run(*args):
        for name in _MODULES:
            sys.modules.pop(name, None)
        return cli(*args)

    try:
        assert run("migrate").exit_code == 0
        db = sqlite3.connect(cfg.name, isolation_level=None)
        (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'blog_tag'").fetchone()
        respelled = sql.replace('"blog_tag"', '"new_tag"', 1)
        respelled = respelled.replace('"id" INTEGER', '"id" integer').replace("VARCHAR(", "varchar(")
        db.executescript(  # SQLite's documented rebuild, as fastapp does it
            "PRAGMA foreign_keys = OFF; BEGIN;"
            "INSERT INTO blog_tag (id, name) VALUES (3, 'news');"
            f"{respelled}; INSERT INTO new_tag SELECT * FROM blog_tag; DROP TABLE blog_tag;"
            "ALTER TABLE new_tag RENAME TO blog_tag; COMMIT; PRAGMA foreign_keys = ON;"
        )
        spelled = "SELECT name, type FROM pragma_table_info('blog_tag') ORDER BY cid"
        assert db.execute(spelled).fetchall() == [("id", "INTEGER"), ("name", "varchar(50)")]

        check = run("auto_migrate", "--check")
        assert check.exit_code == 1, check.output
        changes = [line.strip() for line in check.output.splitlines() if "] " in line]
        assert changes == [
            "[safe] alter column blog_tag.name: type varchar(50) respelled 'varchar(50)' -> "
            "'VARCHAR(50)'"
        ], check.output
        assert run("auto_migrate", "--yes").exit_code == 0
        assert run("auto_migrate", "--check").exit_code == 0
        assert db.execute(spelled).fetchall() == [("id", "INTEGER"), ("name", "VARCHAR(50)")]
        assert db.execute("SELECT id, name FROM blog_tag").fetchall() == [(3, "news")]
        db.close()
    finally:
        for name in _MODULES:
            sys.modules.pop(name, None)
