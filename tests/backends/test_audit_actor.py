"""Who the audit log names for what a CLI command changes, over the real console script on the
three backends: ``cli:COMMAND (OS user)`` by default, ``--actor NAME`` or
``FASTAPP_AUDIT_ACTOR`` when given (the option wins); purge_deleted's bulk deletes and the
rows a post-migrate hook writes during auto_migrate (inside its transaction) both carry it. A
bad name is one line naming the option, exit 2, nothing purged."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.backends import live
from tests.backends.audit_project import AUDIT_APPS, MODELS, in_project
from tests.backends.contrib_project import make_project

pytestmark = pytest.mark.backends
FASTAPP = str(Path(sys.executable).parent / "fastapp")

HOOKS = """
from fastapp.hooks import post_migrate

from .models import Article


@post_migrate
async def welcome(event):
    if event.command == "auto_migrate":
        await Article.create(title="welcome", using_db=event.connection)
"""


@pytest.fixture
def project(tmp_path, monkeypatch, fresh_db):
    proj = make_project(tmp_path, AUDIT_APPS)
    proj.write_models(extra=MODELS)
    proj.write_hooks(HOOKS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", fresh_db.url(masked=False))
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    yield proj
    proj.forget()


def fastapp(root: Path, *args: str, code: int = 0, **env: str) -> str:
    """The console script, as user ``alice``; returns stdout + stderr."""
    environ = {k: v for k, v in os.environ.items() if k != "FASTAPP_AUDIT_ACTOR"}
    environ.update(LOGNAME="alice", USER="alice", **env)
    done = subprocess.run(
        [FASTAPP, *args], cwd=root, env=environ, capture_output=True, text=True, timeout=300
    )
    output = done.stdout + done.stderr
    assert done.returncode == code, output
    return output


def entries(cfg, action: str) -> list[str | None]:
    rows = live.rows(cfg, "SELECT actor, action FROM fastapp_audit_entry ORDER BY id")
    return [actor for actor, kind in rows if kind == action]


def soft_deleted_note(project) -> int:
    async def body(m):
        note = await m.Note.create(text="old")
        await note.delete()
        long_ago = datetime(2000, 1, 1, tzinfo=UTC)
        await m.Note.with_deleted().filter(id=note.id).update(deleted_at=long_ago)
        return note.id

    project.forget()
    return asyncio.run(in_project(body, project.package))


def test_cli_commands_name_their_actor(project, fresh_db):
    root = project.root
    fastapp(root, "migrate")
    fastapp(root, "auto_migrate", "--no-guided")
    assert entries(fresh_db, "create") == ["cli:auto_migrate (alice)"]  # the hook's row

    soft_deleted_note(project)
    assert "Purged 1 row(s)" in fastapp(root, "purge_deleted", "--older-than", "30d")
    assert entries(fresh_db, "delete") == ["cli:purge_deleted (alice)"]

    soft_deleted_note(project)
    fastapp(root, "purge_deleted", FASTAPP_AUDIT_ACTOR="ops-cron")
    soft_deleted_note(project)
    fastapp(root, "--actor", "nightly-purge", "purge_deleted", FASTAPP_AUDIT_ACTOR="ops-cron")
    assert entries(fresh_db, "delete")[1:] == ["ops-cron", "nightly-purge"]


@pytest.mark.parametrize(
    ("args", "env"),
    [(("--actor", " "), {}), ((), {"FASTAPP_AUDIT_ACTOR": "x" * 151})],
    ids=["empty", "too-long"],
)
def test_a_bad_actor_is_one_line_and_changes_nothing(project, fresh_db, args, env):
    fastapp(project.root, "migrate")
    soft_deleted_note(project)
    failed = fastapp(project.root, *args, "purge_deleted", code=2, **env)
    assert "'--actor' / $FASTAPP_AUDIT_ACTOR" in failed
    assert "Traceback" not in failed
    assert len(live.rows(fresh_db, "SELECT id FROM note")) == 1
    assert entries(fresh_db, "delete") == []
