"""The pytest plugin, as a user's project meets it: a project on disk whose own test suite uses
the plugin's fixtures, run by pytest in a subprocess (Tortoise keeps process-wide state), on
the three backends."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from fastapp import testing
from fastapp.connections.raw import raw_connection
from fastapp.testing.session import TestDatabaseError, TestDatabases
from tests.backends.runtime_project import SHOP_MODELS
from tests.conftest import require_backend

pytestmark = pytest.mark.backends

# Test data per backend: the databases whose name contains a word.
DATABASES_LIKE = {
    "postgres": "SELECT datname FROM pg_database WHERE datname LIKE '%{word}%'",
    "mysql": "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE '%{word}%'",
}

MAIN = """
from fastapi import FastAPI

from fastapp.runtime import Transaction, exception_handlers, lifespan
from shop.models import Item

app = FastAPI(lifespan=lifespan(), exception_handlers=exception_handlers())


@app.post("/items/{name}")
async def create(name: str, tx: Transaction):
    return {"id": (await Item.create(name=name)).id}


@app.get("/items/{name}")
async def get(name: str):
    return {"name": (await Item.get(name=name)).name}
"""

USER_TESTS = """
import pytest
from tortoise.transactions import in_transaction

from fastapp.connections.raw import raw_connection
from shop.models import Item


async def test_a_writes(fastapp_db):
    await Item.create(name="a")
    assert await Item.all().count() == 1


async def test_b_sees_nothing_of_a(fastapp_db):
    assert await Item.all().count() == 0


async def test_code_under_test_uses_transactions(fastapp_db):
    async with in_transaction():
        await Item.create(name="kept")
    try:
        async with in_transaction():
            await Item.create(name="undone")
            raise ValueError
    except ValueError:
        pass
    assert [i.name for i in await Item.all()] == ["kept"]


async def outside_count(databases):
    cfg = databases.configs["default"]
    async with raw_connection(cfg) as conn:
        return (await cfg.dialect.fetch_scalar_list(conn, "SELECT COUNT(*) FROM shop_item"))[0]


async def test_rolled_back_writes_are_invisible_outside(fastapp_db):
    await Item.create(name="inside")
    assert await outside_count(fastapp_db) == 0


@pytest.mark.fastapp_db(transaction=True)
async def test_transaction_true_commits(fastapp_db):
    await Item.create(name="committed")
    assert await outside_count(fastapp_db) == 1


async def test_truncated_after_committing_test(fastapp_db):
    assert await Item.all().count() == 0
    assert (await Item.create(name="first")).id == 1


@pytest.mark.fixtures("items")
async def test_fixtures_marker_loads(fastapp_db):
    assert sorted(i.name for i in await Item.all()) == ["apple", "pear"]


async def test_fixtures_are_gone_afterwards(fastapp_db):
    assert await Item.all().count() == 0


async def test_client_over_the_app(client):
    assert (await client.post("/items/web")).status_code == 200
    assert (await client.get("/items/web")).json() == {"name": "web"}
    missing = await client.get("/items/nope")
    assert missing.status_code == 404 and "detail" in missing.json()


async def test_client_writes_were_rolled_back(fastapp_db):
    assert await Item.all().count() == 0


def test_database_is_named_for_the_worker(fastapp_test_databases):
    assert "gw7" in fastapp_test_databases.configs["default"].name
"""


def write_project(root: Path, url: str, loop_scope: str = "function") -> None:
    (root / "shop").mkdir()
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "models.py").write_text(textwrap.dedent(SHOP_MODELS))
    (root / "fixtures").mkdir()
    items = [
        {"model": "shop.Item", "pk": 1, "fields": {"name": "apple"}},
        {"model": "shop.Item", "pk": 2, "fields": {"name": "pear"}},
    ]
    (root / "fixtures" / "items.json").write_text(json.dumps(items))
    (root / "settings.py").write_text(
        f"INSTALLED_APPS = ['shop']\nDATABASES = {{'default': {url!r}}}\n"
        "FIXTURE_DIRS = ['fixtures']\n"
    )
    (root / "main.py").write_text(MAIN)
    (root / "test_user.py").write_text(USER_TESTS)
    (root / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\n"
        f"asyncio_default_fixture_loop_scope = {loop_scope}\n"
        f"asyncio_default_test_loop_scope = {loop_scope}\n"
        "fastapp_app = main:app\n"
    )


def run_pytest(root: Path, *args: str, worker: str = "gw7") -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"FASTAPP_SETTINGS", "DATABASE_URL", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER"}
    }
    env["PYTEST_XDIST_WORKER"] = worker  # what pytest-xdist sets in its workers
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def databases_named(server_cfg, word: str) -> list[str]:
    sql = DATABASES_LIKE[server_cfg.dialect_name].format(word=word)
    maintenance = server_cfg.dialect.maintenance_config(server_cfg)
    async with raw_connection(maintenance) as conn:
        return await server_cfg.dialect.fetch_scalar_list(conn, sql)


@pytest.mark.parametrize("loop_scope", ["function", "session"])
def test_users_suite_runs_on_the_plugin(backend, loop_scope, tmp_path):
    word = f"plg{uuid.uuid4().hex[:8]}"
    server = testing.server_config(backend)
    if server is None:
        url = f"sqlite://{word}.sqlite3"
    else:
        url = server.with_name(word).url(masked=False)
    write_project(tmp_path, url, loop_scope)

    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "11 passed" in result.stdout

    # Dropped at the end; the project's own database was never touched.
    assert kept_databases(server, tmp_path, word) == []
    assert not (tmp_path / f"{word}.sqlite3").exists()


def kept_databases(server, root: Path, word: str) -> list[str]:
    """The test databases of the project in ``root`` still on the server (or disk)."""
    if server is None:
        origin = hashlib.sha1(str((root / f"{word}.sqlite3").resolve()).encode()).hexdigest()[:8]
        return [p.name for p in Path(tempfile.gettempdir()).glob(f"test_{origin}_*.sqlite3")]
    return asyncio.run(databases_named(server, word))


REUSE_TESTS = """
from shop.models import Item


async def test_one(fastapp_db):
    await Item.create(name="x")
    assert await Item.all().count() == 1
"""

PRICE_TEST = """

async def test_new_field(fastapp_db):
    assert (await Item.create(name="y", price=3)).price == 3
"""


SEEDED_TESTS = """
from shop.models import Item


async def test_the_data_migration_ran(fastapp_db):
    # Only `upgrade` runs a migration's RunSQL: `migrate` would leave the table empty.
    assert [i.name for i in await Item.all()] == ["seeded"]
"""


def test_test_databases_are_built_from_the_projects_migrations(backend, tmp_path):
    word = f"plg{uuid.uuid4().hex[:8]}"
    server = testing.server_config(backend)
    url = f"sqlite://{word}.sqlite3" if server is None else server.with_name(word).url(masked=False)
    write_project(tmp_path, url)
    # Writing migrations reads no data: a scratch SQLite file stands in for the server.
    env = {k: v for k, v in os.environ.items() if k not in {"FASTAPP_SETTINGS", "DATABASE_URL"}}
    env["DATABASE_URL"] = "sqlite://makemigrations.sqlite3"
    made = subprocess.run(
        [sys.executable, "-m", "fastapp", "makemigrations"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    (tmp_path / "shop" / "migrations" / "0002_seed.py").write_text(
        "from tortoise import migrations\n"
        "from tortoise.migrations import operations as ops\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('shop', '0001_initial')]\n"
        "    operations = [ops.RunSQL(\"INSERT INTO shop_item (name, qty) VALUES ('seeded', 0)\")]\n"
    )
    (tmp_path / "test_user.py").write_text(SEEDED_TESTS)
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_reuse_db_keeps_and_rebuilds_on_model_change(backend, tmp_path):
    word = f"plg{uuid.uuid4().hex[:8]}"
    server = testing.server_config(backend)
    url = f"sqlite://{word}.sqlite3" if server is None else server.with_name(word).url(masked=False)
    write_project(tmp_path, url)
    (tmp_path / "test_user.py").write_text(REUSE_TESTS)
    try:
        for _ in range(2):
            result = run_pytest(tmp_path, "--fastapp-reuse-db")
            assert result.returncode == 0, result.stdout + result.stderr
            assert len(kept_databases(server, tmp_path, word)) == 1
        models = tmp_path / "shop" / "models.py"
        models.write_text(
            models.read_text().replace(
                "    qty = fields.IntField(default=0)\n",
                "    qty = fields.IntField(default=0)\n    price = fields.IntField(default=0)\n",
            )
        )
        (tmp_path / "test_user.py").write_text(REUSE_TESTS + PRICE_TEST)
        result = run_pytest(tmp_path, "--fastapp-reuse-db")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "2 passed" in result.stdout
    finally:
        for name in kept_databases(server, tmp_path, word):
            cfg = testing.scratch_config(backend, Path(tempfile.gettempdir())).with_name(
                name if server is not None else str(Path(tempfile.gettempdir()) / name)
            )
            asyncio.run(cfg.dialect.drop_database(cfg))
    assert kept_databases(server, tmp_path, word) == []


# Test data per server backend: a login that may not create databases, and its removal.
RESTRICTED_USER = {
    "postgres": (["CREATE ROLE {user} LOGIN"], ["DROP ROLE IF EXISTS {user}"]),
    "mysql": (
        [f"CREATE USER '{{user}}'@'{host}'" for host in ("%", "localhost", "127.0.0.1")],
        [f"DROP USER IF EXISTS '{{user}}'@'{host}'" for host in ("%", "localhost", "127.0.0.1")],
    ),
}


@pytest.fixture(params=sorted(RESTRICTED_USER))
def restricted_server(request):
    """A server backend and a user on it without the right to create databases."""
    require_backend(request.param)
    server = testing.server_config(request.param)
    user = f"fastapp_nocreate_{uuid.uuid4().hex[:6]}"
    create, drop = RESTRICTED_USER[request.param]

    async def run(statements):
        async with raw_connection(server.dialect.maintenance_config(server)) as conn:
            for sql in statements:
                await server.dialect.execute_raw(conn, sql.format(user=user))

    asyncio.run(run(create))
    yield replace(server, user=user, password=None)
    asyncio.run(run(drop))


def test_test_database_that_cannot_be_created_names_the_privilege(
    restricted_server, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    write_project(tmp_path, restricted_server.with_name("app").url(masked=False))
    monkeypatch.delitem(sys.modules, "settings", raising=False)
    databases = TestDatabases("settings")
    with pytest.raises(TestDatabaseError) as info:
        databases.setup()
    message = str(info.value)
    assert f"user '{restricted_server.user}' may not create databases" in message
    assert "ALTER ROLE" in message and "GRANT ALL" in message
    monkeypatch.delitem(sys.modules, "settings", raising=False)
    monkeypatch.delitem(sys.modules, "shop", raising=False)
    monkeypatch.delitem(sys.modules, "shop.models", raising=False)
