"""Fan-out (``--targets``) on real servers: many databases, schemas and files at once, a
failure in one target reported while the others finish, ``--only-failed`` finishing it, the
canary stage, stop-at-first-failure, an unreachable target, and every fanned-out command.

The ``large`` tests are backend-specific by design (100 PostgreSQL databases, 100 PostgreSQL
schemas of one database, 30 MariaDB databases, 200 SQLite files); the others run on all three
backends through the ``backend`` fixture.
"""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from fastapp import testing
from fastapp.versions.state import TABLE
from tests.backends import fanout_project, live
from tests.conftest import require_backend

pytestmark = pytest.mark.backends

_DROPS: list[threading.Thread] = []


@pytest.fixture(scope="session", autouse=True)
def _finish_drops():
    """PostgreSQL checkpoints on every DROP DATABASE (~0.5 s each): the large tests drop
    their databases in a thread, joined here, so a test's own time is its fan-out."""
    yield
    for thread in _DROPS:
        thread.join()


def _drop_later(configs) -> None:
    thread = threading.Thread(
        target=lambda: asyncio.run(testing.drop_scratch_databases(configs)), daemon=False
    )
    thread.start()
    _DROPS.append(thread)


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = fanout_project.write_project(tmp_path / "proj", {"urls": {}})
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))
    fanout_project.forget_modules()
    yield root
    fanout_project.forget_modules()


@pytest.fixture
def run(cli):
    def invoke(*args: str, code: int = 0):
        fanout_project.forget_modules()
        result = cli(*args)
        assert result.exit_code == code, result.output
        return result

    return invoke


def _named(configs, prefix: str = "t") -> dict[str, str]:
    return {f"{prefix}{i:03d}": cfg.url(masked=False) for i, cfg in enumerate(configs)}


def _break(cfg) -> None:
    """The injected failure: a table in the way of the migration's CREATE TABLE."""
    if cfg.namespace:
        live.execute(cfg.with_namespace("public"), f'CREATE SCHEMA "{cfg.namespace}"')
    live.execute(cfg, "CREATE TABLE customer (other_column INTEGER)")


def _fix(cfg) -> None:
    live.execute(cfg, "DROP TABLE customer")


def _last_run(root, command: str = "upgrade") -> dict[str, str]:
    return json.loads((root / ".fastapp" / "fanout-last.json").read_text())[command]["targets"]


def _upgrade_all_with_one_failure(project, run, configs: dict, victim: str, parallel: int = 8):
    """The scenario of every large test: all targets upgraded but ``victim``, which is
    reported; ``--only-failed`` completes it; a last run finds every target at head."""
    victim_cfg = configs[victim]
    _break(victim_cfg)
    # The drift check after each upgrade is covered by the smaller tests; here it would
    # only repeat the same comparison a hundred times.
    fan = ("upgrade", "--no-verify", "--targets", "all", "--parallel", str(parallel))
    first = run(*fan, "--continue-on-error", code=1)
    assert f"1 of {len(configs)} target(s) failed: {victim} (" in first.output
    assert "--only-failed" in first.output
    statuses = _last_run(project)
    assert statuses[victim] == "failed"
    assert [n for n, s in statuses.items() if s != "done"] == [victim]
    for name in (n for n in list(configs)[:3] if n != victim):
        assert {"customer", TABLE} <= live.tables(configs[name])

    _fix(victim_cfg)
    again = run("upgrade", "--no-verify", "--only-failed")
    assert "1 done" in again.output
    assert {"customer", TABLE} <= live.tables(victim_cfg)

    last = run(*fan)
    assert f"{len(configs)} up to date" in last.output
    assert set(_last_run(project).values()) == {"up to date"}


# --- the large fan-outs ------------------------------------------------------------------


@pytest.mark.large
def test_100_postgres_databases(project, run):
    """PostgreSQL only: 100 databases of one server."""
    require_backend("postgres")
    configs = asyncio.run(testing.create_scratch_databases("postgres", 100))
    try:
        targets = dict(zip(_named(configs), configs, strict=True))
        fanout_project.set_targets(project, {"urls": _named(configs)})
        _upgrade_all_with_one_failure(project, run, targets, "t042")
    finally:
        _drop_later(configs)


@pytest.mark.large
def test_100_postgres_schemas(project, run):
    """PostgreSQL only (schemas): 100 schemas of one database, each its own search_path,
    lock and tortoise_migrations; created by the upgrade itself."""
    require_backend("postgres")
    (base,) = asyncio.run(testing.create_scratch_databases("postgres", 1))
    try:
        names = [f"tenant_{i:03d}" for i in range(100)]
        fanout_project.set_targets(project, {"schemas": names, "database": base.url(masked=False)})
        targets = {name: base.with_namespace(name) for name in names}
        _upgrade_all_with_one_failure(project, run, targets, "tenant_007")
        # Each schema holds its own tables and history; public holds none of them.
        assert live.tables(base.with_namespace("public")) == set()
        assert live.rows(targets["tenant_099"], f"SELECT app, name FROM {TABLE}") == [
            ("fanshop", "0001_initial")
        ]
    finally:
        asyncio.run(testing.drop_scratch_databases([base]))


@pytest.mark.large
def test_30_mariadb_databases(project, run):
    """MariaDB only: 30 databases of one server."""
    require_backend("mysql")
    configs = asyncio.run(testing.create_scratch_databases("mysql", 30))
    try:
        targets = dict(zip(_named(configs), configs, strict=True))
        fanout_project.set_targets(project, {"urls": _named(configs)})
        _upgrade_all_with_one_failure(project, run, targets, "t029")
    finally:
        asyncio.run(testing.drop_scratch_databases(configs))


@pytest.mark.large
def test_200_sqlite_files(project, run, tmp_path):
    """SQLite only: 200 database files, named by a URL template and a tenant list."""
    folder = tmp_path / "tenants"
    folder.mkdir()
    tenants = [f"c{i:03d}" for i in range(200)]
    fanout_project.set_targets(
        project, {"template": f"sqlite://{folder}/{{tenant}}.db", "tenants": tenants}
    )
    targets = {
        t: testing.scratch_config("sqlite").with_name(str(folder / f"{t}.db")) for t in tenants
    }
    _upgrade_all_with_one_failure(project, run, targets, "c123")


def test_postgres_schemas_each_read_and_locked_as_their_own(project, run):
    """PostgreSQL only (schemas): the drift check, auto_migrate --check and showmigrations of
    a schema target read that schema, not public."""
    require_backend("postgres")
    (base,) = asyncio.run(testing.create_scratch_databases("postgres", 1))
    try:
        fanout_project.set_targets(
            project, {"schemas": ["acme", "globex"], "database": base.url(masked=False)}
        )
        upgraded = run("upgrade", "--targets", "all")
        assert "2 done" in upgraded.output and "differs" not in upgraded.output
        run("auto_migrate", "--targets", "all", "--check", "--apps", "fanshop")
        shown = run("showmigrations", "--targets", "acme")
        assert "acme: up to date - 1 applied, 0 pending" in shown.output
        live.execute(base.with_namespace("globex"), "ALTER TABLE customer ADD COLUMN extra INT")
        drift = run("auto_migrate", "--targets", "all", "--check", "--apps", "fanshop", code=1)
        assert "1 of 2 target(s) failed: globex (differs" in " ".join(drift.output.split())
        assert live.tables(base.with_namespace("public")) == set()
    finally:
        asyncio.run(testing.drop_scratch_databases([base]))


# --- behaviour, on every backend ---------------------------------------------------------


@pytest.fixture
def four(backend, tmp_path):
    """Four scratch databases on ``backend``, dropped afterwards."""
    configs = asyncio.run(testing.create_scratch_databases(backend, 4, tmp_path))
    yield configs
    asyncio.run(testing.drop_scratch_databases(configs))


def test_default_stops_starting_targets_after_a_failure(project, run, four):
    fanout_project.set_targets(project, {"urls": _named(four)})
    _break(four[1])
    result = run("upgrade", "--targets", "all", "--parallel", "1", code=1)
    assert "1 of 4 target(s) failed: t001 (" in result.output
    assert "2 target(s) not started" in result.output
    assert _last_run(project) == {
        "t000": "done",
        "t001": "failed",
        "t002": "not started",
        "t003": "not started",
    }
    assert "customer" not in live.tables(four[2])
    _fix(four[1])
    again = run("upgrade", "--only-failed", "--parallel", "1")
    assert "3 done" in again.output
    assert set(_last_run(project).values()) == {"done"}
    assert "Nothing to do" in run("upgrade", "--only-failed").output


def test_canary_failure_starts_no_other_target(project, run, four):
    fanout_project.set_targets(
        project, {"urls": _named(four), "groups": {"first": ["t000", "t001"]}}
    )
    _break(four[0])
    result = run("upgrade", "--targets", "all", "--canary", "1", "--continue-on-error", code=1)
    assert "the canary stage failed, 3 target(s) not started" in result.output
    assert all("customer" not in live.tables(cfg) for cfg in four[1:])
    _fix(four[0])
    run("upgrade", "--targets", "@first", "--canary", "1")
    assert _last_run(project)["t001"] == "done"
    assert _last_run(project)["t002"] == "not started"


def test_unreachable_target_is_reported_and_others_finish(project, run, four, backend):
    dead = {
        "postgres": "postgres://postgres@127.0.0.1:1/nowhere",
        "mysql": "mysql://root:@127.0.0.1:1/nowhere",
        "sqlite": "sqlite:///no/such/folder/nowhere.db",
    }[backend]
    fanout_project.set_targets(project, {"urls": {**_named(four), "dead": dead}})
    result = run("upgrade", "--targets", "all", "--continue-on-error", code=1)
    assert "1 of 5 target(s) failed: dead (" in result.output
    assert "Traceback" not in result.output
    assert all("customer" in live.tables(cfg) for cfg in four)


def test_every_fanned_out_command(project, run, four, tmp_path):
    fanout_project.set_targets(project, {"urls": _named(four)})
    pending = run("showmigrations", "--targets", "all")
    for name in _named(four):
        assert f"{name}: done - 0 applied, 1 pending (fanshop.0001_initial)" in pending.output

    run("migrate", "--targets", "t000,t001")
    assert "customer" in live.tables(four[0]) and "customer" not in live.tables(four[2])
    check = run("auto_migrate", "--targets", "t002", "--check", "--apps", "fanshop", code=1)
    assert "t002 (differs from the desired schema (1 change(s)): [safe] create table customer" in (
        " ".join(check.output.split())
    )
    run("auto_migrate", "--targets", "t002", "--yes", "--apps", "fanshop")
    assert "customer" in live.tables(four[2])

    run("upgrade", "--targets", "t003")
    fixture = tmp_path / "customers.json"
    fixture.write_text(
        json.dumps([{"model": "fanshop.Customer", "pk": 1, "fields": {"name": "Ada"}}])
    )
    loaded = run("loaddata", str(fixture), "--targets", "all")
    assert "4 done" in loaded.output
    for cfg in four:
        assert live.rows(cfg, "SELECT name FROM customer") == [("Ada",)]


def test_bad_target_selection(project, run, four):
    fanout_project.set_targets(project, {"urls": _named(four), "groups": {"eu": ["t000"]}})
    assert "unknown target 'nope'" in run("upgrade", "--targets", "t000,nope", code=1).output
    assert "unknown target group '@us'" in run("upgrade", "--targets", "@us", code=1).output
    both = run("upgrade", "--targets", "all", "--database", four[0].url(masked=False), code=1)
    assert "--database and --targets" in both.output
    assert "no earlier `upgrade --targets` run" in run("upgrade", "--only-failed", code=1).output
    fanout_project.set_targets(
        project, {"template": four[0].url(masked=False), "tenants": ["a", "b"]}
    )
    assert "must be a URL containing {tenant}" in run("upgrade", "--targets", "all", code=1).output
    twice = {"template": "sqlite://{tenant}.db", "tenants": ["a", "b", "a"]}
    fanout_project.set_targets(project, twice)
    assert "lists tenant 'a' twice" in run("upgrade", "--targets", "all", code=1).output
    assert all("customer" not in live.tables(cfg) for cfg in four)
