"""The listings (``history``, ``heads``, ``current``, ``showmigrations``) read the files without
running them and ``tortoise_migrations`` on a raw connection; on every backend they print
exactly what the Tortoise-loaded path prints, and fall back to it for files only Tortoise can
read."""

from __future__ import annotations

import pytest

from fastapp.versions import state as state_module
from tests.backends import live
from tests.backends.test_versions_workflow import project, run  # noqa: F401 - fixtures

LISTINGS = ("history", "heads", "current", "showmigrations")


def listings(run) -> dict[str, str]:  # noqa: F811 - the fixture's value
    return {name: run(name).output for name in LISTINGS}


def test_the_listings_match_the_tortoise_loaded_path(project, run, fresh_db, monkeypatch):  # noqa: F811
    run("makemigrations")
    run("upgrade", "+1")
    run("makemigrations", "blog", "--empty", "-n", "later")
    # recorded as applied, file gone: listed with [!]
    live.execute(
        fresh_db,
        "INSERT INTO tortoise_migrations (app, name, applied_at) "
        "VALUES ('users', '0009_gone', CURRENT_TIMESTAMP)",
    )
    calls = []
    real = state_module._file_states

    def counting(*args):
        found = real(*args)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(state_module, "_file_states", counting)
    fast = listings(run)
    assert calls and all(calls), "the listings read the files without Tortoise"
    monkeypatch.setattr(state_module, "_file_states", lambda *args: None)
    assert listings(run) == fast
    shown = fast["showmigrations"]
    assert "[X] 0001_initial" in shown and "[ ] 0002_later" in shown
    assert "[!] 0009_gone" in shown
    assert "blog: 0002_later" in fast["heads"]
    assert "0002_later  (head)  <- blog.0001_initial" in fast["history"]


@pytest.mark.parametrize(
    "body",
    [
        "DEPS = [('blog', '0001_initial')]\n\n\n"
        "class Migration(migrations.Migration):\n    dependencies = DEPS\n",
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('blog', '0001_initial'), ('users', '__first__')]\n",
    ],
)
def test_files_only_tortoise_can_read_are_listed_through_it(project, run, body):  # noqa: F811
    run("makemigrations")
    (project / "blog" / "migrations" / "0002_dynamic.py").write_text(
        "from tortoise import migrations\n\n" + body
    )
    assert "0002_dynamic  (head)  <- blog.0001_initial" in run("history").output
    assert "[ ] 0002_dynamic" in run("showmigrations").output
