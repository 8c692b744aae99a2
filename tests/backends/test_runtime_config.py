"""One source of truth: the application (``fastapp.conf.tortoise_config`` through Tortoise's own
``RegisterTortoise``) and the CLI open the same database, for every settings form."""

from __future__ import annotations

import asyncio
import json

import pytest
from tortoise.contrib.fastapi import RegisterTortoise

from fastapp import testing
from fastapp.conf import tortoise_config
from fastapp.connections.raw import raw_connection
from fastapp.errors import SettingsError
from tests.backends.runtime_project import make_project

pytestmark = pytest.mark.backends


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("FASTAPP_SETTINGS", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    proj = make_project(tmp_path)
    testing.forget_tortoise_queries()
    yield proj
    proj.forget()


def _forms(cfg) -> dict[str, tuple[str, str | None]]:
    """settings body and .env text per settings form, all naming ``cfg``."""
    url = cfg.url(masked=False)
    entry = {"ENGINE": cfg.dialect_name, "NAME": cfg.name}
    if cfg.dialect.needs_server:
        entry.update(HOST=cfg.host, PORT=cfg.port, USER=cfg.user, PASSWORD=cfg.password or "")
    return {
        "url": (f"DATABASES = {{'default': {url!r}}}", None),
        "dict": (f"DATABASES = {{'default': {entry!r}}}", None),
        "dotenv": ("DATABASES = {'default': 'sqlite://not-this.db'}", f"DATABASE_URL={url}\n"),
    }


async def _count(cfg, name: str) -> int:
    async with raw_connection(cfg) as conn:
        rows = await cfg.dialect.fetch_scalar_list(
            conn, f"SELECT COUNT(*) FROM shop_item WHERE name = '{name}'"
        )
    return int(rows[0])


@pytest.mark.parametrize("form", ["url", "dict", "dotenv", "environment"])
def test_app_and_cli_open_the_same_database(form, project, fresh_db, cli, monkeypatch, tmp_path):
    forms = _forms(fresh_db)
    if form == "environment":
        monkeypatch.setenv("DATABASE_URL", fresh_db.url(masked=False))
        body, dotenv = forms["dotenv"][0], None
    else:
        body, dotenv = forms[form]
    if dotenv:
        (tmp_path / ".env").write_text(dotenv)
    settings = project.settings(body)

    result = cli("--settings", settings, "migrate")
    assert result.exit_code == 0, result.output

    async def app_writes() -> None:
        async with RegisterTortoise(config=tortoise_config(settings)):
            await project.models().Item.create(name=f"from-app-{form}", qty=3)

    asyncio.run(app_writes())
    assert asyncio.run(_count(fresh_db, f"from-app-{form}")) == 1

    dumped = cli("--settings", settings, "dumpdata", "shop.Item")
    assert dumped.exit_code == 0, dumped.output
    names = [record["fields"]["name"] for record in json.loads(dumped.stdout)]
    assert f"from-app-{form}" in names
    assert not (tmp_path / "not-this.db").exists()


def test_relative_sqlite_path_is_the_same_file_for_app_and_cli(project, cli, tmp_path):
    settings = project.settings("DATABASES = {'default': 'sqlite://data/rel.sqlite3'}")
    (tmp_path / "data").mkdir()
    assert cli("--settings", settings, "migrate").exit_code == 0
    config = tortoise_config(settings)
    assert config["connections"]["default"]["credentials"]["file_path"] == "data/rel.sqlite3"

    async def app_writes() -> None:
        async with RegisterTortoise(config=config):
            await project.models().Item.create(name="rel")

    asyncio.run(app_writes())
    dumped = cli("--settings", settings, "dumpdata", "shop.Item")
    assert [r["fields"]["name"] for r in json.loads(dumped.stdout)] == ["rel"]
    assert sorted(p.name for p in (tmp_path / "data").iterdir())[0] == "rel.sqlite3"


def test_config_shape_and_routing(project):
    settings = project.settings(
        """
        DATABASES = {"default": "sqlite://a.db", "other": "sqlite://b.db"}
        APP_DATABASES = {"shop": "other"}
        USE_TZ = False
        TIME_ZONE = "Europe/Paris"
        """
    )
    config = tortoise_config(settings)
    assert config == {
        "connections": {
            "other": {
                "engine": "tortoise.backends.sqlite",
                # Tortoise's own defaults for a SQLite URL come along, as expand_db_url adds them.
                "credentials": {
                    "file_path": "b.db",
                    "journal_mode": "WAL",
                    "journal_size_limit": 16384,
                },
            }
        },
        "apps": {"shop": {"models": [f"{project.app}.models"], "default_connection": "other"}},
        "use_tz": False,
        "timezone": "Europe/Paris",
    }
    # --database semantics: a URL routes every app there.
    routed = tortoise_config(settings, database="sqlite://c.db")
    assert routed["connections"]["default"]["credentials"]["file_path"] == "c.db"


def test_settings_naming_a_missing_app_is_one_clear_error(project):
    settings = project.settings("DATABASES = {'default': 'sqlite://a.db'}")
    (project.root / f"{settings}.py").write_text(
        "INSTALLED_APPS = ['nowhere.blog']\nDATABASES = {'default': 'sqlite://a.db'}\n"
    )
    with pytest.raises(SettingsError, match="installed app 'nowhere.blog' has no importable"):
        tortoise_config(settings)
