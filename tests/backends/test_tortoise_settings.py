"""An existing Tortoise project runs fastapp with no new settings file: its settings module
holds only the ``TORTOISE_ORM`` dict it gives ``Tortoise.init``; the real console script
migrates and loads into the very database Tortoise itself opens with that dict."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tortoise.context import TortoiseContext

from tests.conftest import EXAMPLE

FASTAPP = str(Path(sys.executable).with_name("fastapp"))


def run(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "FASTAPP_SETTINGS"}}
    return subprocess.run(
        [FASTAPP, *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )


async def count_users(project: Path, config: dict) -> int:
    """How many users Tortoise itself, initialised with ``config``, finds."""
    sys.path.insert(0, str(project))
    try:
        ctx = TortoiseContext()
        with ctx:
            await ctx.init(config=config)
            try:
                rows = await ctx.db("main").execute_query_dict(
                    "SELECT COUNT(*) AS n FROM users_user"
                )
                return rows[0]["n"]
            finally:
                await ctx.close_connections()
    finally:
        sys.path.remove(str(project))
        for name in [m for m in sys.modules if m.split(".")[0] in {"users", "blog"}]:
            del sys.modules[name]


def test_tortoise_orm_settings_alone(backend, fresh_db, tmp_path):
    project = tmp_path / "project"
    for app in ("users", "blog"):
        shutil.copytree(EXAMPLE / app, project / app, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(EXAMPLE / "fixtures", project / "fixtures")
    # SQLite: a relative file, which Tortoise opens in the current directory.
    url = "sqlite://app.sqlite3" if backend == "sqlite" else fresh_db.url(masked=False)
    config = {
        "connections": {"main": url},
        "apps": {
            "users": {"models": ["users.models"], "default_connection": "main"},
            "blog": {"models": ["blog.models"], "default_connection": "main"},
        },
    }
    (project / "settings.py").write_text(
        f"TORTOISE_ORM = {config!r}\nFIXTURE_DIRS = ['fixtures']\n"
    )
    for args in (["migrate"], ["loaddata", "users.jsonc"]):
        result = run(project, *args)
        assert result.returncode == 0, result.stderr
    if backend == "sqlite":
        assert (project / "app.sqlite3").is_file()
    cwd = Path.cwd()
    os.chdir(project)  # Tortoise reads the relative SQLite path from here, as the app would
    try:
        assert asyncio.run(count_users(project, config)) > 0
    finally:
        os.chdir(cwd)
