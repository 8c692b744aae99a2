# ruff: noqa: F811  (the shared fixtures of test_versions_workflow are imported by name)
"""Migrations Tortoise writes or applies wrongly, written and applied right, on the three
backends: a table whose column changes (SQLite rebuilds it) keeps its indexes,
``unique_together``, foreign keys and rows; an explicit many-to-many ``through`` table,
indexes given as tuples and foreign keys across apps go through ``makemigrations`` +
``upgrade`` and come out as ``fastapp migrate`` makes them, with ``--check`` clean."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from fastapp import testing
from tests.backends import live
from tests.backends.test_versions_workflow import (
    AUTO_MIGRATE_CHECK,
    edit,
    project,  # noqa: F401
    run,  # noqa: F401
    schema,
)

LINK = """

class Link(Model):
    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "blog.Post", related_name="links", on_delete=fields.CASCADE
    )
    owner: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "users.User", related_name="links", on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=100)
    label = fields.CharField(max_length=40, null=True)
    tags: fields.ManyToManyRelation[Tag] = fields.ManyToManyField(
        "blog.Tag",
        related_name="links",
        through="blog_link_tag",
        forward_key="tag_ref",
        backward_key="link_ref",
    )

    class Meta:
        table = "blog_link"
        unique_together = (("post", "url"),)
        indexes = (("owner", "label"),)
"""


@pytest.fixture
def migrated(backend, tmp_path, run):
    """The schema ``fastapp migrate`` creates from the models, on a database of its own."""

    def make():
        cfg = testing.scratch_config(backend, tmp_path)
        asyncio.run(cfg.dialect.create_database(cfg))
        try:
            run("migrate", "--database", cfg.url(masked=False))
            return schema(cfg)
        finally:
            asyncio.run(cfg.dialect.drop_database(cfg))

    return make


def _same(live_schema, wanted, *, column_order: bool = True) -> None:
    """Table by table, so a failure names the table. ``column_order=False``: a SQLite
    rebuild puts a table's foreign key columns first (Tortoise's rebuild order); the
    diff engine, ``--check`` and the queries do not depend on it."""
    assert live_schema.table_names == wanted.table_names
    for name in wanted.table_names:
        have, want = live_schema.table(name), wanted.table(name)
        if not column_order:
            have = replace(have, columns=tuple(sorted(have.columns, key=lambda c: c.name)))
            want = replace(want, columns=tuple(sorted(want.columns, key=lambda c: c.name)))
        assert have == want, name


def _step(run) -> None:
    run("makemigrations")
    assert "The database matches the models." in run("upgrade", "--strict").output
    run("makemigrations", "--check")
    run(*AUTO_MIGRATE_CHECK)


def test_rebuilds_keep_unique_together_indexes_fks_and_rows(project, run, fresh_db, migrated):
    models = project / "blog/models.py"
    run("makemigrations")
    run("upgrade")
    models.write_text(models.read_text() + LINK)
    _step(run)
    _same(schema(fresh_db), migrated())
    live.execute(
        fresh_db,
        "INSERT INTO users_user (id, username, email, full_name, is_active, role, karma, "
        "balance, date_joined, preferences) VALUES "
        "(1, 'ann', 'a@x', '', TRUE, 'reader', 0, 0, CURRENT_TIMESTAMP, '{}')",
        "INSERT INTO blog_post (id, author_id, title, slug, body, status, views, created_at, "
        "updated_at) VALUES (1, 1, 't', 's', 'b', 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO blog_tag (id, name) VALUES (1, 'news')",
        "INSERT INTO blog_link (id, post_id, owner_id, url, label) VALUES (1, 1, 1, 'u', 'l')",
        "INSERT INTO blog_link_tag (link_ref, tag_ref) VALUES (1, 1)",
    )
    # column changes: SQLite rebuilds blog_link for each
    edit(models, "url = fields.CharField(max_length=100)", "url = fields.CharField(max_length=150)")
    edit(
        models,
        "label = fields.CharField(max_length=40, null=True)",
        'label = fields.CharField(max_length=60, default="")',
    )
    _step(run)
    _same(schema(fresh_db), migrated(), column_order=fresh_db.dialect_name != "sqlite")
    assert live.rows(fresh_db, "SELECT id, url, label FROM blog_link") == [(1, "u", "l")]
    assert live.rows(fresh_db, "SELECT link_ref, tag_ref FROM blog_link_tag") == [(1, 1)]
    # unique_together still holds
    with pytest.raises(Exception):  # noqa: B017 (the driver's integrity error)
        live.execute(
            fresh_db,
            "INSERT INTO blog_link (id, post_id, owner_id, url, label) "
            "VALUES (2, 1, 1, 'u', 'other')",
        )
    # and the whole history replays to the same schema
    run("downgrade", "base")
    run("upgrade")
    _same(schema(fresh_db), migrated(), column_order=fresh_db.dialect_name != "sqlite")
