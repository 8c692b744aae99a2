"""Without the right to create a scratch space, the desired schema is parsed from the DDL
(sqlglot) instead: the same Schema, one warning line, and a clear error for DDL the parser
cannot read. Real PostgreSQL and MariaDB users without the rights; SQLite always has one."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

import pytest

from fastapp.connections.raw import raw_connection
from fastapp.connections.url import DatabaseConfig
from fastapp.desired.read import DesiredDDL, DesiredSchemaError, desired_schema
from tests.conftest import require_backend

DDL = """
CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE);
CREATE TABLE book (
    id INTEGER NOT NULL PRIMARY KEY,
    title VARCHAR(200) NOT NULL DEFAULT '',
    author_id INTEGER NOT NULL REFERENCES author (id) ON DELETE CASCADE
);
CREATE INDEX book_title ON book (title, author_id);
"""

#: Server backends: how a login without scratch rights is made and removed (the test
#: database is the one name formatted in; the user may connect and read, nothing more).
LIMITED = {
    "postgres": (
        [
            "CREATE ROLE {user} LOGIN",
            "REVOKE TEMPORARY, CREATE ON DATABASE {db} FROM PUBLIC",
            "GRANT CONNECT ON DATABASE {db} TO {user}",
        ],
        ["REVOKE ALL ON DATABASE {db} FROM {user}", "DROP ROLE IF EXISTS {user}"],
    ),
    "mysql": (
        [
            "CREATE USER '{user}'@'%'",
            "CREATE USER '{user}'@'localhost'",
            "GRANT SELECT ON `{db}`.* TO '{user}'@'%'",
            "GRANT SELECT ON `{db}`.* TO '{user}'@'localhost'",
        ],
        ["DROP USER IF EXISTS '{user}'@'%'", "DROP USER IF EXISTS '{user}'@'localhost'"],
    ),
}


@pytest.fixture(params=sorted(LIMITED))
def limited(request, tmp_path_factory):
    """``(admin config, config of a user without scratch rights)`` on one test database."""
    from fastapp import testing

    backend = request.param
    require_backend(backend)
    admin = testing.scratch_config(backend)
    asyncio.run(admin.dialect.create_database(admin))
    user = f"fastapp_limited_{uuid.uuid4().hex[:8]}"
    setup, teardown = LIMITED[backend]

    async def run(statements: list[str]) -> None:
        async with raw_connection(admin) as conn:
            for sql in statements:
                await admin.dialect.execute_raw(conn, sql.format(user=user, db=admin.name))

    asyncio.run(run(setup))
    try:
        yield admin, replace(admin, user=user, password=None)
    finally:
        asyncio.run(run(teardown))
        asyncio.run(admin.dialect.drop_database(admin))


def _read(cfg: DatabaseConfig, text: str, notices: list[str]):
    ddl = DesiredDDL(text, "schema.sql", cfg.dialect_name)
    return asyncio.run(desired_schema(cfg, ddl, use_cache=False, notice=notices.append))


def test_parsed_schema_equals_the_scratch_reading(limited):
    admin, user = limited
    through_scratch: list[str] = []
    expected = _read(admin, DDL, through_scratch)
    assert through_scratch == []  # the admin may create one: no fallback
    notices: list[str] = []
    assert _read(user, DDL, notices) == expected
    assert len(notices) == 1
    assert "cannot create a" in notices[0] and "parsed from the DDL instead" in notices[0]
    assert "grant the right to" in notices[0]


def test_ddl_the_parser_cannot_read_is_one_clear_error(limited):
    _, user = limited
    text = DDL + "CREATE VIEW titles AS SELECT title FROM book;\n"
    with pytest.raises(DesiredSchemaError) as caught:
        _read(user, text, [])
    message = str(caught.value)
    assert "cannot create a" in message and "without one the DDL cannot be read" in message
    assert "schema.sql:9:" in message and "grant the right to" in message, message
    assert "\n" not in message


def test_check_command_warns_and_compares(limited, tmp_path, cli):
    admin, user = limited
    sql = tmp_path / "schema.sql"
    sql.write_text(DDL)
    url = user.url(masked=False)
    created = cli(
        "auto_migrate", "--database", admin.url(masked=False), "--desired-sql", str(sql), "--yes"
    )
    assert created.exit_code == 0, created.output
    check = ("auto_migrate", "--database", url, "--desired-sql", str(sql), "--check")
    result = cli(*check, env={"FASTAPP_NO_CACHE": "1"})
    assert result.exit_code == 0, result.output
    assert "matches the desired schema" in result.output
    assert "warning: cannot create a" in result.stderr
    # The admin's run cached what the server read back: no scratch space needed at all.
    cached = cli(*check)
    assert cached.exit_code == 0 and cached.stderr == ""


@pytest.mark.parametrize("limited", ["postgres"], indirect=True)
def test_postgres_apps_subset_referencing_live_tables_needs_only_temp(limited):
    """``--apps`` leaves referenced tables out of the models' DDL: temporary copies of the
    live ones stand in, so a user with the TEMP right alone still gets the server's reading."""
    from fastapp.desired.read import TableDDL
    from tests.backends import live

    admin, user = limited
    live.execute(
        admin,
        "CREATE TABLE author (id SERIAL PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE,"
        " mentor_id INTEGER REFERENCES author (id))",
        f"GRANT TEMPORARY ON DATABASE {admin.name} TO {user.user}",
    )
    book = (
        "CREATE TABLE book (id SERIAL NOT NULL PRIMARY KEY, title VARCHAR(20) NOT NULL,"
        " author_id INTEGER NOT NULL REFERENCES author (id) ON DELETE CASCADE,"
        " editor VARCHAR(40) REFERENCES author (name))"
    )
    index = "CREATE INDEX book_title ON book (title)"
    generated = DesiredDDL(
        f"{book};\n{index};",
        "models",
        "postgres",
        (book, index),
        (TableDDL("book", (book, index), frozenset({"author"})),),
    )
    notices: list[str] = []
    got = asyncio.run(desired_schema(user, generated, use_cache=False, notice=notices.append))
    assert notices == [] and got.table_names == ("book",)
    whole = DesiredDDL(
        "CREATE TABLE author (id SERIAL PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE);\n"
        f"{book};\n{index};",
        "schema.sql",
        "postgres",
    )
    assert got.table("book") == asyncio.run(desired_schema(admin, whole, use_cache=False)).table(
        "book"
    )
