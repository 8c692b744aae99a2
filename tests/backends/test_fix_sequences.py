"""``fastapp fix_sequences`` on the three backends: after rows inserted with explicit ids,
the counter is moved past them and an insert without an id succeeds; a table whose key is
not generated is skipped and said; ``--dry-run`` changes nothing; a second run changes
nothing. PostgreSQL sequences do not follow explicit ids; MariaDB's AUTO_INCREMENT and
SQLite's sqlite_sequence do, so there the counter is first set back by hand (SQLite) or the
run reports it current (MariaDB cannot set AUTO_INCREMENT below the largest key)."""

from __future__ import annotations

import pytest

from tests.backends import live
from tests.backends.contrib_project import make_project

CODES = """

class Code(Model):
    code = fields.CharField(max_length=10, primary_key=True)

    class Meta:
        table = "{package}_code"
"""


@pytest.fixture
def project(tmp_path, monkeypatch, fresh_db, cli):
    proj = make_project(tmp_path, ())
    proj.write_models(extra=CODES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", fresh_db.url(masked=False))
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    assert cli("migrate").exit_code == 0
    yield proj
    proj.forget()


def test_fix_sequences_after_explicit_ids(project, cli, fresh_db):
    post = f"{project.package}_post"
    live.execute(
        fresh_db,
        f"INSERT INTO {post} (id, title) VALUES (1, 'a'), (2, 'b'), (41, 'c')",
    )
    if fresh_db.dialect_name == "sqlite":  # SQLite followed the ids: set it back by hand
        live.execute(fresh_db, f"UPDATE sqlite_sequence SET seq = 2 WHERE name = '{post}'")
    behind = fresh_db.dialect_name != "mysql"

    dry = cli("fix_sequences", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert (
        f"blog.Code ({project.package}_code.code): skipped, its primary key is not generated"
        in dry.output
    )
    if behind:
        assert f"blog.Post ({post}.id): would move" in dry.output
        assert "to 42" in dry.output
        assert "Would fix 1 of 2 table(s); nothing was changed." in dry.output

    fixed = cli("fix_sequences", "blog")
    assert fixed.exit_code == 0, fixed.output
    if behind:
        assert f"blog.Post ({post}.id): moved" in fixed.output
        assert "Fixed 1 of 2 table(s)." in fixed.output
    else:
        assert (
            f"blog.Post ({post}.id): already past the largest key (AUTO_INCREMENT, next 42)"
            in fixed.output
        )

    live.execute(fresh_db, f"INSERT INTO {post} (title) VALUES ('d')")
    assert live.rows(fresh_db, f"SELECT id FROM {post} WHERE title = 'd'") == [(42,)]

    again = cli("fix_sequences")
    assert "Fixed 0 of 2 table(s)." in again.output
    assert "already past the largest key" in again.output


def test_fix_sequences_unknown_app(project, cli):
    result = cli("fix_sequences", "nope")
    assert result.exit_code == 1
    assert "unknown app 'nope'" in result.output
    assert "Traceback" not in result.output
