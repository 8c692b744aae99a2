"""Pool settings from the environment and OPTIONS: parsing, the per-backend mapping, and the
limits holding on real servers (connections counted server-side)."""

from __future__ import annotations

import asyncio
import logging
import warnings
from dataclasses import replace

import pytest
from tortoise import Tortoise, connections

from fastapp import testing
from fastapp.connections import pools
from fastapp.connections.raw import raw_connection
from fastapp.connections.url import parse_database_url
from fastapp.errors import SettingsError
from tests.conftest import require_backend

pytestmark = pytest.mark.backends

PG = parse_database_url("postgres://u:secret@db.example/app")
MY = parse_database_url("mysql://root@db.example/app")
LITE = parse_database_url("sqlite://app.db")
#: What Tortoise's expand_db_url adds to every SQLite URL (and so fastapp's reading of one).
TORTOISE_SQLITE_DEFAULTS = {"journal_mode": "WAL", "journal_size_limit": 16384}

# Test data per backend: how the server counts a database's sessions, names the current one,
# kills one, and how a query waits.
SERVER = {
    "postgres": {
        "count": "SELECT COUNT(*) FROM pg_stat_activity "
        "WHERE datname = '{db}' AND pid <> pg_backend_pid()",
        "me": "SELECT pg_backend_pid()",
        "kill": "SELECT pg_terminate_backend({id})",
        "sleep": "SELECT pg_sleep(0.2)",
    },
    "mysql": {
        "count": "SELECT COUNT(*) FROM information_schema.processlist "
        "WHERE db = '{db}' AND id <> CONNECTION_ID()",
        "me": "SELECT CONNECTION_ID()",
        "kill": "KILL {id}",
        "sleep": "SELECT SLEEP(0.2)",
    },
}


def credentials(cfg, environ, cwd):
    return pools.tortoise_connection(cfg, environ=environ, cwd=cwd)["credentials"]


def test_environment_maps_onto_each_driver(tmp_path):
    env = {
        "DB_POOL_SIZE": "4",
        "DB_MAX_OVERFLOW": "2",
        "DB_POOL_MIN_SIZE": "1",
        "DB_POOL_RECYCLE": "300",
        "DB_POOL_TIMEOUT": "2.5",
    }
    pg = credentials(PG, {k: v for k, v in env.items() if k != "DB_POOL_MIN_SIZE"}, tmp_path)
    # asyncpg never recycles its minimum: with a recycle and no minimum, the minimum is 0.
    assert pg["minsize"] == 0
    pg = credentials(PG, env, tmp_path)
    assert (pg["maxsize"], pg["minsize"], pg["max_inactive_connection_lifetime"]) == (6, 1, 300)
    assert pg["timeout"] == 2.5 and pg["password"] == "secret"
    my = credentials(MY, env, tmp_path)
    assert (my["maxsize"], my["minsize"], my["pool_recycle"], my["connect_timeout"]) == (
        6,
        1,
        300,
        2.5,
    )
    assert credentials(LITE, {"DB_POOL_TIMEOUT": "2.5"}, tmp_path) == {
        "file_path": "app.db",
        "busy_timeout": 2500,
        **TORTOISE_SQLITE_DEFAULTS,
    }


def test_options_win_over_environment_and_dotenv(tmp_path):
    (tmp_path / ".env").write_text("DB_POOL_SIZE=9\nDB_POOL_TIMEOUT=7\n")
    cfg = replace(PG, params=(("DB_POOL_SIZE", "3"), ("sslmode", "disable")))
    creds = credentials(cfg, {"DB_POOL_TIMEOUT": "4"}, tmp_path)
    assert creds["maxsize"] == 3  # OPTIONS over the environment
    assert creds["timeout"] == 4  # the environment over .env
    assert creds["sslmode"] == "disable" and "DB_POOL_SIZE" not in creds
    assert credentials(PG, {}, tmp_path)["maxsize"] == 9  # .env alone


def test_nothing_set_leaves_the_driver_defaults(tmp_path):
    assert credentials(PG, {}, tmp_path) == PG.dialect.tortoise_connection(PG)["credentials"]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "DB_POOL_SIZE",
            "lots",
            r"DB_POOL_SIZE='lots' \(environment\) must be a whole number >= 1: fix",
        ),
        ("DB_POOL_SIZE", "0", r"DB_POOL_SIZE='0' \(environment\) must be a whole number >= 1"),
        ("DB_MAX_OVERFLOW", "-1", "DB_MAX_OVERFLOW='-1' .* >= 0"),
        ("DB_POOL_RECYCLE", "1h", "DB_POOL_RECYCLE='1h' .* a number of seconds > 0"),
        ("DB_POOL_TIMEOUT", "0", "DB_POOL_TIMEOUT='0' .* a number of seconds"),
        ("DB_POOL_PRE_PING", "maybe", "DB_POOL_PRE_PING='maybe' .* true or false"),
    ],
)
def test_malformed_value_names_the_variable(variable, value, expected, tmp_path):
    with pytest.raises(SettingsError, match=expected):
        credentials(PG, {variable: value}, tmp_path)


def test_malformed_option_names_the_connection(tmp_path):
    cfg = replace(PG, params=(("DB_POOL_SIZE", "x"),), alias="replica")
    with pytest.raises(SettingsError, match="OPTIONS of connection 'replica'"):
        credentials(cfg, {}, tmp_path)


def test_min_size_above_maximum_is_an_error(tmp_path):
    with pytest.raises(SettingsError, match="DB_POOL_MIN_SIZE=5 is larger than .* = 3"):
        credentials(PG, {"DB_POOL_SIZE": "3", "DB_POOL_MIN_SIZE": "5"}, tmp_path)


def test_what_a_driver_cannot_do_is_one_warning_line(tmp_path, caplog):
    env = {"DB_POOL_SIZE": "3", "DB_POOL_RECYCLE": "60", "DB_POOL_PRE_PING": "true"}
    with caplog.at_level(logging.WARNING, logger="fastapp.pools"):
        creds = credentials(LITE, env, tmp_path)
    assert creds == {"file_path": "app.db", **TORTOISE_SQLITE_DEFAULTS}
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "default: DB_POOL_SIZE/DB_MAX_OVERFLOW has no equivalent on sqlite (Tortoise keeps one "
        "connection per SQLite database, no pool); ignored",
        "default: DB_POOL_RECYCLE has no equivalent on sqlite (Tortoise keeps one connection "
        "per SQLite database, no pool); ignored",
        "default: DB_POOL_PRE_PING=true is not possible on sqlite: the driver cannot check "
        "connections taken from the pool",
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="fastapp.pools"):
        credentials(PG, {"DB_POOL_PRE_PING": "false"}, tmp_path)
        credentials(PG, {"DB_POOL_PRE_PING": "true"}, tmp_path)
    assert [r.getMessage() for r in caplog.records] == [
        "default: DB_POOL_PRE_PING=false is not possible on postgres: the driver always checks "
        "connections taken from the pool"
    ]


# --- real servers -------------------------------------------------------------------------


@pytest.fixture(params=sorted(SERVER))
def server_db(request, tmp_path):
    """A scratch database on each server backend (SQLite has no pool to test)."""
    require_backend(request.param)
    cfg = testing.scratch_config(request.param)
    asyncio.run(cfg.dialect.create_database(cfg))
    yield cfg
    asyncio.run(cfg.dialect.drop_database(cfg))


async def _init(cfg, environ, cwd) -> None:
    entry = pools.tortoise_connection(cfg, environ=environ, cwd=cwd)
    # Tortoise wants an app; one without models is enough to get the pooled connection.
    apps = {"none": {"models": ["fastapp.errors"], "default_connection": "default"}}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Module .* has no models", RuntimeWarning)
        await Tortoise.init(config={"connections": {"default": entry}, "apps": apps})


async def _server_count(cfg) -> int:
    sql = SERVER[cfg.dialect_name]["count"].format(db=cfg.name)
    async with raw_connection(cfg) as admin:
        return int((await cfg.dialect.fetch_scalar_list(admin, sql))[0])


def test_pool_size_two_never_opens_a_third_connection(server_db, tmp_path):
    fresh_db = server_db
    queries = SERVER[fresh_db.dialect_name]

    async def run() -> tuple[int, int]:
        await _init(fresh_db, {"DB_POOL_SIZE": "2"}, tmp_path)
        seen: list[int] = []
        done = asyncio.Event()

        async def watch() -> None:
            while not done.is_set():
                seen.append(await _server_count(fresh_db))
                await asyncio.sleep(0.02)

        watcher = asyncio.create_task(watch())
        try:
            conn = connections.get("default")
            await asyncio.gather(*(conn.execute_query(queries["sleep"]) for _ in range(10)))
        finally:
            done.set()
            await watcher
            await Tortoise.close_connections()
        return max(seen), len(seen)

    most, samples = asyncio.run(run())
    assert samples > 3
    assert most == 2


def _session_ids(cfg, environ, cwd, between) -> tuple[int, int]:
    """The server's id of the pooled session before and after ``between(first_id)``."""
    me = SERVER[cfg.dialect_name]["me"]

    async def run() -> tuple[int, int]:
        await _init(cfg, environ, cwd)
        try:
            conn = connections.get("default")
            first = (await conn.execute_query(me))[1][0]
            first = list(dict(first).values())[0]
            await between(first)
            second = (await conn.execute_query(me))[1][0]
            return first, list(dict(second).values())[0]
        finally:
            await Tortoise.close_connections()

    return asyncio.run(run())


def test_connection_killed_server_side_is_replaced(server_db, tmp_path):
    fresh_db = server_db
    kill = SERVER[fresh_db.dialect_name]["kill"]

    async def kill_it(session_id) -> None:
        async with raw_connection(fresh_db) as admin:
            await fresh_db.dialect.execute_raw(admin, kill.format(id=session_id))
        await asyncio.sleep(0.3)  # the close reaches the pooled connection's socket

    env = {"DB_POOL_SIZE": "1", "DB_POOL_PRE_PING": "true"}
    first, second = _session_ids(fresh_db, env, tmp_path, kill_it)
    assert first != second


def test_idle_connection_is_recycled(server_db, tmp_path):
    fresh_db = server_db

    async def idle(_session_id) -> None:
        await asyncio.sleep(2.5)

    env = {"DB_POOL_SIZE": "1", "DB_POOL_RECYCLE": "1"}
    first, second = _session_ids(fresh_db, env, tmp_path, idle)
    assert first != second
    # Without a recycle setting the same session serves both queries.
    first, second = _session_ids(fresh_db, {"DB_POOL_SIZE": "1"}, tmp_path, idle)
    assert first == second


def test_sqlite_timeout_is_the_busy_timeout(tmp_path):
    cfg = parse_database_url(f"sqlite:///{tmp_path}/busy.sqlite3")

    async def run() -> int:
        await _init(cfg, {"DB_POOL_TIMEOUT": "2.5"}, tmp_path)
        try:
            rows = (await connections.get("default").execute_query("PRAGMA busy_timeout"))[1]
            return list(dict(rows[0]).values())[0]
        finally:
            await Tortoise.close_connections()

    assert asyncio.run(run()) == 2500
