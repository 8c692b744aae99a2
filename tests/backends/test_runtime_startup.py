"""The lifespan's start-up: the schema check (refuse / warn / ignore), settings errors and an
unreachable database as one line, on the three backends. (Apart from test_runtime.py: Tortoise
allows one global context per process, and that module's server holds one.)"""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest
from fastapi import FastAPI

from fastapp import testing
from fastapp.errors import DatabaseUnavailableError, SettingsError
from fastapp.runtime import SchemaDriftError, lifespan
from tests.backends.runtime_project import make_project
from tests.backends.test_runtime import build_app, serve

pytestmark = pytest.mark.backends


@pytest.fixture
def empty_project(fresh_db, tmp_path, monkeypatch):
    """A project on an empty database (no tables yet)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SCHEMA_CHECK", raising=False)
    proj = make_project(tmp_path)
    testing.forget_tortoise_queries()
    yield proj, proj.settings(f"DATABASES = {{'default': {fresh_db.url(masked=False)!r}}}")
    proj.forget()


async def start_and_stop(settings: str, **options) -> None:
    app = FastAPI()
    async with lifespan(settings, **options)(app):
        pass


def test_drift_refuses_to_start_naming_table_and_command(empty_project):
    proj, settings = empty_project
    with pytest.raises(SchemaDriftError) as info:
        asyncio.run(start_and_stop(settings, schema_check="refuse"))
    message = str(info.value)
    assert "does not match the models: create table shop_item" in message.lower()
    assert message.endswith("run `fastapp migrate`")
    assert info.value.__context__ is None and "\n" not in message


def test_drift_warns_or_is_ignored(empty_project, caplog, monkeypatch):
    proj, settings = empty_project
    with caplog.at_level(logging.WARNING, logger="fastapp.runtime"):
        asyncio.run(start_and_stop(settings))  # default: warn
    assert len(caplog.records) == 1 and "run `fastapp migrate`" in caplog.records[0].message
    caplog.clear()
    monkeypatch.setenv("FASTAPP_SCHEMA_CHECK", "ignore")
    with caplog.at_level(logging.WARNING, logger="fastapp.runtime"):
        asyncio.run(start_and_stop(settings))
    assert caplog.records == []


def test_versioned_project_refuses_to_start_with_unapplied_migrations(empty_project, cli):
    proj, settings = empty_project
    made = cli("--settings", settings, "makemigrations")
    assert made.exit_code == 0, made.output
    with pytest.raises(SchemaDriftError) as info:
        asyncio.run(start_and_stop(settings, schema_check="refuse"))
    message = str(info.value)
    assert "has 1 unapplied migration(s): shop.0001_initial" in message, message
    assert message.endswith("run `fastapp upgrade`") and "\n" not in message
    upgraded = cli("--settings", settings, "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    asyncio.run(start_and_stop(settings, schema_check="refuse"))  # starts: nothing lags
    # A model changed without a migration: the fix is a new migration, not auto_migrate.
    models = proj.root / proj.package / "shop" / "models.py"
    models.write_text(
        models.read_text().replace(
            "qty = fields.IntField(default=0)",
            "qty = fields.IntField(default=0)\n    note = fields.TextField(null=True)",
        )
    )
    proj.forget()
    with pytest.raises(SchemaDriftError) as info:
        asyncio.run(start_and_stop(settings, schema_check="refuse"))
    assert "add column shop_item.note" in str(info.value).lower()
    assert str(info.value).endswith("run `fastapp makemigrations` then `fastapp upgrade`")


def test_setting_in_the_settings_module_and_a_bad_value(empty_project):
    proj, settings = empty_project
    path = proj.root / f"{settings}.py"
    path.write_text(path.read_text() + "SCHEMA_CHECK = 'refuse'\n")
    with pytest.raises(SchemaDriftError):
        asyncio.run(start_and_stop(settings))
    with pytest.raises(SettingsError, match="schema_check is 'sometimes': use one of refuse"):
        asyncio.run(start_and_stop(settings, schema_check="sometimes"))


def test_unreachable_database_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    proj = make_project(tmp_path)
    settings = proj.settings("DATABASES = {'default': 'postgres://app:s3cret@127.0.0.1:1/shop'}\n")
    try:
        for mode in ("warn", "ignore"):  # found by the check, or by the connection test
            with pytest.raises(DatabaseUnavailableError) as info:
                asyncio.run(start_and_stop(settings, schema_check=mode))
            message = str(info.value)
            assert "cannot connect to database 'default'" in message
            assert "s3cret" not in message and "\n" not in message
            assert info.value.__cause__ is None and info.value.__context__ is None
    finally:
        proj.forget()


def test_real_server_refuses_to_start_on_drift(empty_project):
    proj, settings = empty_project
    app = build_app(settings, proj.models(), schema_check="refuse")
    with pytest.raises(RuntimeError, match="did not start"):
        with serve(app):
            pass


def test_bad_pool_variable_or_missing_app_stops_start_up(empty_project, monkeypatch):
    proj, settings = empty_project
    monkeypatch.setenv("DB_POOL_SIZE", "lots")
    with pytest.raises(SettingsError, match=r"DB_POOL_SIZE='lots' \(environment\)") as info:
        asyncio.run(start_and_stop(settings, schema_check="ignore"))
    assert info.value.__context__ is None
    monkeypatch.delenv("DB_POOL_SIZE")
    path = proj.root / f"{settings}.py"
    path.write_text(path.read_text().replace(proj.app, "nowhere.shop"))
    sys.modules.pop(settings, None)
    with pytest.raises(SettingsError, match="installed app 'nowhere.shop' has no importable"):
        asyncio.run(start_and_stop(settings))
