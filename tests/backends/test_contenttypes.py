"""fastapp.contrib.contenttypes on the three backends: content types follow the installed
models after migrate, after a model is added and after one is removed (auto_migrate drops
its table); stale ones are reported, then deleted by remove_stale_contenttypes."""

from __future__ import annotations

import pytest

from tests.backends import live
from tests.backends.contrib_project import make_project


@pytest.fixture
def project(tmp_path, monkeypatch, fresh_db):
    proj = make_project(tmp_path, ("fastapp.contrib.contenttypes",))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", fresh_db.url(masked=False))
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
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


def content_types(cfg) -> list[tuple[str, str]]:
    return sorted(live.rows(cfg, "SELECT app_label, model FROM fastapp_content_type"))


def test_content_types_follow_the_models(project, run, fresh_db):
    first = run("migrate")
    assert "contenttypes: created 2: blog.post, contenttypes.contenttype" in first.output
    assert content_types(fresh_db) == [("blog", "post"), ("contenttypes", "contenttype")]

    again = run("migrate")
    assert "contenttypes:" not in again.output  # re-running changes nothing
    assert content_types(fresh_db) == [("blog", "post"), ("contenttypes", "contenttype")]

    project.write_models(tag=True)
    run("migrate")
    assert ("blog", "tag") in content_types(fresh_db)

    project.write_models(tag=False)
    removed = run("auto_migrate", "--no-guided", "--allow-destructive")
    assert "1 stale (model gone): blog.tag" in removed.output
    assert ("blog", "tag") in content_types(fresh_db)  # reported, not deleted

    run("remove_stale_contenttypes", input="n\n", code=1)
    assert ("blog", "tag") in content_types(fresh_db)
    done = run("remove_stale_contenttypes", "--yes")
    assert "Deleted 1 stale content type(s): blog.tag." in done.output
    assert content_types(fresh_db) == [("blog", "post"), ("contenttypes", "contenttype")]
    assert "No stale content types." in run("remove_stale_contenttypes").output
