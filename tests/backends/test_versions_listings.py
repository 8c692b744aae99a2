"""The listings (``history``, ``heads``, ``current``, ``showmigrations``) read the files without
running them and ``tortoise_migrations`` on a raw connection; on every backend they print
exactly what the Tortoise-loaded path prints, and fall back to it for files only Tortoise can
read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_run_python_queries_state_and_project_models_in_the_same_upgrade(project, run, fresh_db):  # noqa: F811
    """A migration that runs Python keeps the full Tortoise init and the query sets of the
    models an initial migration renders (the schema-only shortcut is for files without)."""
    run("makemigrations")
    (project / "blog" / "migrations" / "0002_data.py").write_text(
        "from tortoise import migrations\n"
        "from tortoise.migrations import operations as ops\n\n"
        "async def forwards(apps, schema_editor):\n"
        "    from blog.models import Tag as ProjectTag\n"
        "    Tag = apps.get_model('blog', 'Tag')\n"
        "    await Tag.create(name='from-state')\n"
        "    await ProjectTag.create(name='from-models')\n"
        "    assert await Tag.filter(name__in=['from-state', 'from-models']).count() == 2\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('blog', '0001_initial')]\n"
        "    operations = [ops.RunPython(forwards)]\n"
    )
    # The initial migrations and the data one, in one run of its own process: in a process
    # that already upgraded another backend, Tortoise's state models query MySQL with the
    # other backend's SQL (seen on main too, so not this shortcut's doing).
    done = subprocess.run(
        [str(Path(sys.executable).parent / "fastapp"), "upgrade"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(project)},
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(live.rows(fresh_db, "SELECT name FROM blog_tag")) == [
        ("from-models",),
        ("from-state",),
    ]
