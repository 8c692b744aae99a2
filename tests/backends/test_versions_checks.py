# ruff: noqa: F811  (the shared fixtures of test_versions_workflow are imported by name)
"""Live-data checks before ``upgrade`` runs anything, on the three backends: the counts
auto_migrate reports (NULLs under a new NOT NULL, duplicates under a new UNIQUE, values
longer than a narrowed column), and nothing applied when one fails."""

from __future__ import annotations

from tests.backends import live
from tests.backends.test_versions_workflow import (  # noqa: F401 (fixtures)
    edit,
    project,
    recorded,
    run,
    schema,
)

TAG = "name = fields.CharField(max_length=50, unique=True)"


def test_upgrade_checks_the_rows_first_and_applies_nothing(project, run, fresh_db):
    models = project / "blog/models.py"
    edit(models, TAG, TAG + "\n    note = fields.CharField(max_length=20, null=True)")
    run("makemigrations")
    run("upgrade")
    live.execute(
        fresh_db,
        "INSERT INTO blog_tag (id, name, note) VALUES (1, 'a', NULL)",
        "INSERT INTO blog_tag (id, name, note) VALUES (2, 'b', 'much too long')",
        "INSERT INTO blog_tag (id, name, note) VALUES (3, 'c', 'dup')",
        "INSERT INTO blog_tag (id, name, note) VALUES (4, 'd', 'dup')",
    )
    # an unrelated migration first in the range: it must not run either
    edit(models, TAG, "name = fields.CharField(max_length=60, unique=True)")
    run("makemigrations", "-n", "wider_name")
    edit(
        models,
        "note = fields.CharField(max_length=20, null=True)",
        "note = fields.CharField(max_length=5, unique=True)",
    )
    run("makemigrations", "-n", "strict_note")
    before, records = schema(fresh_db), recorded(fresh_db)

    out = " ".join(run("upgrade", code=1).output.split())
    assert "does not allow the migrations blog.0002_wider_name, blog.0003_strict_note" in out
    assert "nothing was executed" in out and "Traceback" not in out
    # the NULL and the value longer than 5; the two 'dup'
    assert "2 row(s) hold values NULL or longer than 5 characters in blog_tag.note" in out
    assert "1 group(s) of duplicate values in (note)" in out
    assert schema(fresh_db) == before and recorded(fresh_db) == records

    live.execute(
        fresh_db,
        "UPDATE blog_tag SET note = 'n1' WHERE id = 1",
        "UPDATE blog_tag SET note = 'long' WHERE id = 2",
        "UPDATE blog_tag SET note = 'd2' WHERE id = 4",
    )
    assert "The database matches the models." in run("upgrade").output
    assert live.rows(fresh_db, "SELECT note FROM blog_tag ORDER BY id") == [
        ("n1",),
        ("long",),
        ("dup",),
        ("d2",),
    ]
    run("makemigrations", "--check")
