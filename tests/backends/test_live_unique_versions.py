"""LiveUnique through versioned migrations on the three backends: ``makemigrations`` writes
it, ``upgrade`` creates it, and the result is what ``migrate`` and ``auto_migrate`` expect."""

from __future__ import annotations

import sys

import pytest

from fastapp import testing
from tests.backends.blocks_project import BLOCKS_MODELS
from tests.backends.runtime_project import make_project

pytestmark = pytest.mark.backends


@pytest.fixture
def project(tmp_path, monkeypatch, fresh_db):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SCHEMA_CHECK", raising=False)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    proj = make_project(tmp_path, BLOCKS_MODELS)
    settings = proj.settings(f"DATABASES = {{'default': {fresh_db.url(masked=False)!r}}}")
    testing.forget_tortoise_queries()
    yield proj, settings
    proj.forget()


def test_makemigrations_and_upgrade_converge(project, cli):
    proj, settings = project

    def run(*args, code=0):
        proj.forget()
        result = cli("--settings", settings, *args)
        assert result.exit_code == code, result.output
        return result

    run("makemigrations")
    written = (proj.root / proj.package / "shop" / "migrations" / "0001_initial.py").read_text()
    assert "LiveUnique" in written
    run("upgrade")
    run("makemigrations", "--check")
    run("auto_migrate", "--check", "--apps", "shop")

    # change them: one replaced (its foreign key stays indexed), one removed (on MariaDB the
    # generated column goes with the table's last LiveUnique)
    models = proj.root / proj.package / "shop" / "models.py"
    text = models.read_text()
    text = text.replace(
        'indexes = (LiveUnique(fields=("slug",)), LiveUnique(fields=("author", "title")))',
        'indexes = (LiveUnique(fields=("slug",)), LiveUnique(fields=("title",)))',
    )
    text = text.replace('indexes = (LiveUnique(fields=("email",)),)', "indexes = ()")
    models.write_text(text)
    run("makemigrations")
    run("upgrade")
    run("makemigrations", "--check")
    run("auto_migrate", "--check", "--apps", "shop")
    # and back: the reverse operations restore the first state, and forward again converges
    run("downgrade", "-1")
    run("auto_migrate", "--check", "--apps", "shop", code=1)
    run("upgrade")
    run("auto_migrate", "--check", "--apps", "shop")


def test_auto_migrate_adds_and_removes_live_unique(project, cli):
    """auto_migrate on its own: creates everything on an empty database, then adds and drops
    a LiveUnique on an existing table (on MariaDB with its generated column), converging."""
    proj, settings = project

    def run(*args, code=0):
        proj.forget()
        result = cli("--settings", settings, *args)
        assert result.exit_code == code, result.output
        return result

    run("auto_migrate", "--yes")
    run("auto_migrate", "--check")
    models = proj.root / proj.package / "shop" / "models.py"
    original = models.read_text()
    one, two = (
        'indexes = (LiveUnique(fields=("email",)),)',
        'indexes = (LiveUnique(fields=("email",)), LiveUnique(fields=("name",)))',
    )
    models.write_text(original.replace(one, two))
    run("auto_migrate", "--check", code=1)
    run("auto_migrate", "--yes")
    run("auto_migrate", "--check")
    models.write_text(original.replace(one, "indexes = ()"))
    run("auto_migrate", "--yes", "--allow-destructive")
    run("auto_migrate", "--check")
