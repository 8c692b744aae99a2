"""Whatever fails, the real ``fastapp`` console script prints one clean line and never a secret.

Every case runs the installed script in a subprocess (as a user does) and checks the whole of
stderr: exactly one ``Error:`` line, no traceback, no thread noise, exit status 1. The secret
cases log in with a password-protected role created for the test on PostgreSQL and MariaDB
(PostgreSQL here trusts local logins, so a wrong password is only refused by MariaDB).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from fastapp import testing
from tests.conftest import EXAMPLE, require_backend

FASTAPP = str(Path(sys.executable).with_name("fastapp"))
COMMANDS = {
    "migrate": ["migrate"],
    "auto_migrate": ["auto_migrate", "--yes"],
    "loaddata": ["loaddata", "users.jsonc"],
    "dumpdata": ["dumpdata"],
    "export_schema": ["export_schema"],
    "reverse_generation": ["reverse_generation", "--all"],
}
# Reserved characters of a URL, so that each must survive encoding and masking.
PASSWORD = f"Sx{uuid.uuid4().hex[:6]}@/:#?%!"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the example project, so no failing command can touch the repository."""
    folder = tmp_path_factory.mktemp("project") / "blog"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("*.sqlite3*", "__pycache__"))
    return folder


def run(project: Path, *args: str, env: dict[str, str] | None = None):
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "FASTAPP_SETTINGS"}}
    environ.update(env or {})
    return subprocess.run(
        [FASTAPP, *args], cwd=project, env=environ, capture_output=True, text=True, timeout=120
    )


def assert_one_clean_line(result, *fragments: str, secrets: tuple[str, ...] = ()) -> str:
    """Exit 1, stderr is exactly one ``Error:`` line naming ``fragments``, no secret anywhere."""
    err = result.stderr
    assert result.returncode == 1, (result.returncode, err)
    assert "Traceback" not in err and "Exception in thread" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    for secret in secrets:
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            assert form not in result.stdout + err, (form, err)
    return lines[0]


# --- bad URLs: no server needed -------------------------------------------------------------

BAD_URLS = {
    "unreadable": ("postgres://admin:Sx1234[@h:port/db", "cannot be read"),
    "unencoded slash": ("mysql://admin:Sx12/34@h/db", "has an '@' after its host"),
    "unknown scheme": ("oracle://admin:Sx1234@h/db", "unknown URL scheme 'oracle'"),
    "no database": ("postgres://admin:Sx1234@h/", "names no database"),
    "no scheme": ("admin:Sx1234@h/db", "has no scheme"),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", BAD_URLS)
def test_bad_url(project, command, case):
    url, message = BAD_URLS[case]
    result = run(project, *COMMANDS[command], "--database", url)
    assert_one_clean_line(result, message, secrets=("Sx1234", "Sx12/34"))


@pytest.mark.parametrize("command", ["migrate", "export_schema"])
def test_bad_database_url_in_environment(project, command):
    result = run(project, *COMMANDS[command], env={"DATABASE_URL": "postgres://a:Sx12/34@h/db"})
    assert_one_clean_line(result, "has an '@' after its host", secrets=("Sx12/34",))


# --- databases that cannot be reached -------------------------------------------------------


def unreachable_url(backend: str, tmp_path: Path) -> tuple[str, str]:
    """A URL of ``backend`` that cannot be opened, and a fragment of the expected message."""
    if backend == "sqlite":
        return f"sqlite://{tmp_path}/no/such/folder/db.sqlite3", "cannot open SQLite database"
    scheme = testing.server_config(backend).dialect.url_schemes[0]
    return f"{scheme}://someone@127.0.0.1:1/db", "cannot connect to database"


def missing_database_url(backend: str) -> str:
    return (
        testing.server_config(backend).with_name(f"nope_{uuid.uuid4().hex[:8]}").url(masked=False)
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_unreachable_database(project, backend, command, tmp_path):
    url, message = unreachable_url(backend, tmp_path)
    assert_one_clean_line(run(project, *COMMANDS[command], "--database", url), message)


@pytest.mark.parametrize("command", ["migrate", "loaddata", "export_schema"])
def test_missing_database(project, command):
    for backend in ("postgres", "mysql"):
        require_backend(backend)
        result = run(project, *COMMANDS[command], "--database", missing_database_url(backend))
        assert_one_clean_line(result, "does not exist")


# --- files and folders ----------------------------------------------------------------------


@pytest.fixture
def sqlite_url(project, tmp_path) -> str:
    """A migrated SQLite database of the example project."""
    url = f"sqlite://{tmp_path}/db.sqlite3"
    assert run(project, "migrate", "--database", url).returncode == 0
    return url


def test_file_errors(project, sqlite_url, tmp_path):
    (tmp_path / "broken.json").write_text('[{"model": "users.User", "pk": 1, ')
    (tmp_path / "unknown.json").write_text('[{"model": "nope.Thing", "pk": 1, "fields": {}}]')
    (tmp_path / "broken.sql").write_text("CREATE TABLE (((;")
    missing = tmp_path / "no" / "such" / "folder"
    cases = [
        (["loaddata", "nosuch.json"], "fixture 'nosuch.json' not found"),
        (["loaddata", str(tmp_path / "broken.json")], "broken.json"),
        (["loaddata", str(tmp_path / "unknown.json")], "nope.Thing"),
        (["auto_migrate", "--yes", "--desired-sql", str(tmp_path / "nosuch.sql")], "nosuch.sql"),
        (["auto_migrate", "--yes", "--desired-sql", str(tmp_path / "broken.sql")], "broken.sql"),
        (["dumpdata", "-o", str(missing / "out.json")], str(missing)),
        (["export_schema", "-o", str(missing / "schema.sql")], str(missing)),
        (["reverse_generation", "--all", "-o", str(tmp_path)], str(tmp_path)),  # a folder
        (["migrate", "--apps", "nope"], "unknown app 'nope'"),
    ]
    for args, fragment in cases:
        assert_one_clean_line(run(project, *args, "--database", sqlite_url), fragment)
    result = run(project, "--settings", "no_such_settings", "migrate")
    assert_one_clean_line(result, "settings module 'no_such_settings' not found")


# --- secrets: a password-protected role on each server --------------------------------------


async def _admin(backend: str, *statements: str) -> None:
    server = testing.server_config(backend)
    dialect = server.dialect
    conn = await dialect.connect(dialect.maintenance_config(server))
    try:
        for statement in statements:
            await dialect.execute_raw(conn, statement)
    finally:
        await dialect.close(conn)


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


@pytest.fixture(scope="module", params=["postgres", "mysql"])
def secret_db(request, tmp_path_factory):
    """A scratch database and a role that logs in with :data:`PASSWORD` and may read it but
    not create tables in it; yields (backend, URL of the role); drops both afterwards."""
    backend = request.param
    require_backend(backend)
    cfg = testing.scratch_config(backend)
    role = f"fastapp_pw_{uuid.uuid4().hex[:8]}"
    asyncio.run(cfg.dialect.create_database(cfg))
    if backend == "postgres":
        create = [f"CREATE ROLE {role} LOGIN PASSWORD {_literal(PASSWORD)}"]
        drop = [f"DROP ROLE IF EXISTS {role}"]
    else:
        create = [
            f"CREATE USER '{role}'@'%' IDENTIFIED BY {_literal(PASSWORD)}",
            f"GRANT SELECT ON `{cfg.name}`.* TO '{role}'@'%'",
        ]
        drop = [f"DROP USER IF EXISTS '{role}'@'%'"]
    asyncio.run(_admin(backend, *create))
    scheme = cfg.dialect.url_schemes[0]
    url = f"{scheme}://{role}:{quote(PASSWORD, safe='')}@{cfg.host}:{cfg.port}/{cfg.name}"
    try:
        yield backend, url, cfg
    finally:
        asyncio.run(cfg.dialect.drop_database(cfg))
        asyncio.run(_admin(backend, *drop))


def test_the_role_really_logs_in_with_its_password(project, secret_db):
    _, url, _ = secret_db
    assert PASSWORD not in url and quote(PASSWORD, safe="") in url
    result = run(project, "export_schema", "--database", url)
    assert result.returncode == 0, result.stderr


def run_both_ways(project: Path, args: list[str], database: str):
    """The command with the URL as ``--database``, then as ``DATABASE_URL``."""
    yield run(project, *args, "--database", database)
    yield run(project, *args, env={"DATABASE_URL": database})


@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_shows_the_password(project, secret_db, command):
    backend, url, cfg = secret_db
    attempts = [url.replace(f"/{cfg.name}", f"/nope_{uuid.uuid4().hex[:6]}")]  # no such db
    if backend == "mysql":  # only MariaDB checks passwords on this machine
        attempts.append(url.replace(quote(PASSWORD, safe=""), quote(PASSWORD[::-1], safe="")))
    for database in attempts:
        for result in run_both_ways(project, COMMANDS[command], database):
            assert_one_clean_line(result, secrets=(PASSWORD, PASSWORD[::-1]))


def test_failures_after_login_do_not_show_the_password(project, secret_db, tmp_path):
    _, url, _ = secret_db
    (tmp_path / "broken.json").write_text('[{"model": "users.User", "pk": 1, ')
    for args, fragment in [
        (["loaddata", str(tmp_path / "broken.json")], "broken.json"),  # a bad fixture
        (["migrate"], "denied"),  # the role may not create tables
    ]:
        for result in run_both_ways(project, args, url):
            assert_one_clean_line(result, fragment, secrets=(PASSWORD,))
