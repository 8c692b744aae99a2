"""The desired-schema cache: whole scripts, and generated DDL table by table (only changed
tables, with the tables they reference, go through the scratch space again)."""

from __future__ import annotations

import asyncio

import pytest

from fastapp.desired.read import DesiredDDL, TableDDL, desired_schema
from fastapp.desired.scratch import get_scratch


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("FASTAPP_NO_CACHE", raising=False)
    return tmp_path / "cache"


def generated(backend: str, extra: str = "") -> DesiredDDL:
    tables = (
        TableDDL("author", ("CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY)",), frozenset()),
        TableDDL(
            "book",
            (
                "CREATE TABLE book (id INTEGER NOT NULL PRIMARY KEY, author_id INTEGER "
                f"REFERENCES author (id){extra})",
            ),
            frozenset({"author"}),
        ),
        TableDDL("tag", ("CREATE TABLE tag (id INTEGER NOT NULL PRIMARY KEY)",), frozenset()),
    )
    parts = tuple(s for t in tables for s in t.statements)
    return DesiredDDL("\n".join(f"{p};" for p in parts), "models", backend, parts, tables)


def test_changed_table_alone_goes_through_the_scratch_space(backend, module_db, cache, monkeypatch):
    seen: list[str] = []
    strategy = type(get_scratch(backend))
    real = strategy.read

    async def spy(self, cfg, ddl):
        seen.append(ddl.text)
        return await real(self, cfg, ddl)

    monkeypatch.setattr(strategy, "read", spy)
    first = asyncio.run(desired_schema(module_db, generated(backend)))
    assert len(seen) == 1 and "tag" in seen[0]
    assert asyncio.run(desired_schema(module_db, generated(backend))) == first
    assert len(seen) == 1  # whole-script hit
    changed = asyncio.run(desired_schema(module_db, generated(backend, ", title VARCHAR(20)")))
    assert len(seen) == 2
    assert "book" in seen[1] and "author" in seen[1] and "tag" not in seen[1]
    assert changed.table("book").column("title") is not None
    assert changed.table("tag") == first.table("tag")
    uncached = asyncio.run(
        desired_schema(module_db, generated(backend, ", title VARCHAR(20)"), use_cache=False)
    )
    assert uncached == changed


def test_cache_off(module_db, cache, monkeypatch, backend):
    monkeypatch.setenv("FASTAPP_NO_CACHE", "1")
    asyncio.run(desired_schema(module_db, generated(backend)))
    assert not cache.exists()


def test_entries_round_trip_in_one_file(cache):
    from fastapp.desired import cache as desired_cache
    from fastapp.schema.objects import Column, ForeignKey, Index, Schema, Table

    book = Table(
        "book",
        (Column("id", "integer", nullable=False), Column("title", "varchar", length=20)),
        indexes=(Index(("title",), unique=True, name="book_title"),),
        foreign_keys=(ForeignKey(("id",), "author", ("id",), on_delete="CASCADE"),),
        options=(("engine", "InnoDB"),),
    )
    whole = Schema("mysql", (book, Table("author", (Column("id", "integer"),))))
    desired_cache.store("whole", whole)
    desired_cache.store_tables({"t1": book, "t2": whole.tables[0]})
    assert desired_cache.load("whole") == whole
    assert desired_cache.load_tables(["t2", "t1", "nope"]) == {"t1": book, "t2": whole.tables[0]}
    assert desired_cache.load("nope") is None
    assert [p.name for p in cache.iterdir()] == [desired_cache.FILE_NAME]


def test_sqlite_declared_types_round_trip_and_an_older_format_cannot_be_reached(
    cache, monkeypatch
):
    from pathlib import Path

    from fastapp.desired import cache as desired_cache
    from fastapp.schema.objects import Column, Schema, Table

    spelled = Column("ratio", "double", declared_type="DOUBLE PRECISION")
    schema = Schema("sqlite", (Table("item", (spelled,)),))
    desired_cache.store("spelled", schema)
    assert desired_cache.load("spelled").tables[0].columns[0].declared_type == "DOUBLE PRECISION"

    # An entry stored by a fastapp whose Column had no declared_type would load without it
    # (and differ from every live SQLite column): the key hashes the Schema's own module,
    # so such an entry is never looked up.
    key = desired_cache.key("sqlite", "3", "CREATE TABLE item (ratio DOUBLE PRECISION)")
    objects = (Path(desired_cache.__file__).parent.parent / "schema" / "objects.py").resolve()
    read_bytes = Path.read_bytes

    def without_the_field(path: Path) -> bytes:
        data = read_bytes(path)
        return data.replace(b"declared_type", b"") if path.resolve() == objects else data

    desired_cache.code_version.cache_clear()
    with monkeypatch.context() as patched:
        patched.setattr(Path, "read_bytes", without_the_field)
        older = desired_cache.key("sqlite", "3", "CREATE TABLE item (ratio DOUBLE PRECISION)")
    desired_cache.code_version.cache_clear()
    assert older != key


def test_least_recently_used_entries_are_pruned(cache, monkeypatch):
    from fastapp.desired import cache as desired_cache
    from fastapp.schema.objects import Schema

    monkeypatch.setattr(desired_cache, "MAX_ENTRIES", 2)
    clock = iter(range(100))
    monkeypatch.setattr(desired_cache.time, "time", lambda: next(clock))
    for name in ("a", "b"):
        desired_cache.store(name, Schema("sqlite"))
    assert desired_cache.load("a") is not None  # "a" used again: "b" is now the oldest
    desired_cache.store("c", Schema("sqlite"))
    assert desired_cache.load("b") is None
    assert desired_cache.load("a") is not None and desired_cache.load("c") is not None


def test_a_broken_cache_file_is_not_used_and_never_fails(cache):
    from fastapp.desired import cache as desired_cache
    from fastapp.schema.objects import Schema

    cache.mkdir(parents=True)
    (cache / desired_cache.FILE_NAME).write_bytes(b"not a database" * 100)
    desired_cache.store("x", Schema("sqlite"))
    assert desired_cache.load("x") is None


# --- the server's part of the key: every setting that changes what is read back -------------


def _reads(monkeypatch, backend: str) -> list[str]:
    """The scripts the scratch space of ``backend`` reads from now on (a spy on the real one)."""
    seen: list[str] = []
    strategy = type(get_scratch(backend))
    real = strategy.read

    async def spy(self, cfg, ddl):
        seen.append(ddl.text)
        return await real(self, cfg, ddl)

    monkeypatch.setattr(strategy, "read", spy)
    return seen


def _script(backend: str, text: str) -> DesiredDDL:
    return DesiredDDL(text, "desired.sql", backend)


def _assert_a_change_misses(monkeypatch, before, after, text: str, change=None, differs=True):
    """Read ``text`` on ``before`` (cached), apply ``change``, read it on ``after``: the
    second read must go to the server again and give what an uncached read gives."""
    backend = before.dialect_name
    seen = _reads(monkeypatch, backend)
    first = asyncio.run(desired_schema(before, _script(backend, text)))
    assert asyncio.run(desired_schema(before, _script(backend, text))) == first
    assert len(seen) == 1  # cached
    if change is not None:
        asyncio.run(change())
    second = asyncio.run(desired_schema(after, _script(backend, text)))
    assert len(seen) == 2, "the changed setting reached the old entry"
    assert second == asyncio.run(desired_schema(after, _script(backend, text), use_cache=False))
    if differs:  # the setting does shape the result: a hit would have been stale
        assert second != first
    return first, second


@pytest.fixture
def server_db(request, tmp_path):
    """A scratch database on the backend named by the test's parameter."""
    from tests.conftest import _create, require_backend

    backend = request.param
    require_backend(backend)
    cfg = _create(backend, tmp_path)
    yield cfg
    asyncio.run(cfg.dialect.drop_database(cfg))


async def _execute(cfg, sql: str, *, maintenance: bool = False) -> None:
    from fastapp.connections.raw import raw_connection

    target = cfg.dialect.maintenance_config(cfg) if maintenance else cfg
    async with raw_connection(target) as conn:
        await cfg.dialect.execute_raw(conn, sql)


POSTGRES_DATABASE_SETTINGS = [
    # (setting, value, a column whose read-back default the setting changes)
    ("TimeZone", "'Asia/Tokyo'", "at timestamptz DEFAULT '2024-01-01 12:00:00+00'"),
    ("DateStyle", "'SQL, DMY'", "d date DEFAULT '2024-03-04'"),
    ("IntervalStyle", "'iso_8601'", "i interval DEFAULT '1 day 2 hours'"),
    ("extra_float_digits", "-3", "f float8 DEFAULT '0.1234567890123'::float8"),
    ("bytea_output", "'escape'", "b bytea DEFAULT '\\x41'::bytea"),
]


@pytest.mark.parametrize("server_db", ["postgres"], indirect=True)
@pytest.mark.parametrize(("setting", "value", "column"), POSTGRES_DATABASE_SETTINGS)
def test_postgres_session_settings_miss_the_cache(
    server_db, cache, monkeypatch, setting, value, column
):
    text = f"CREATE TABLE ev (id integer PRIMARY KEY, {column});"
    change = lambda: _execute(  # noqa: E731
        server_db, f'ALTER DATABASE "{server_db.name}" SET {setting} = {value}'
    )
    _assert_a_change_misses(monkeypatch, server_db, server_db, text, change)


@pytest.mark.parametrize("server_db", ["postgres"], indirect=True)
def test_postgres_database_locale_and_extensions_are_part_of_the_key(server_db, cache):
    scratch = get_scratch("postgres")
    base = asyncio.run(scratch.server_identity(server_db))
    asyncio.run(_execute(server_db, "CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    with_extension = asyncio.run(scratch.server_identity(server_db))
    assert with_extension != base
    other = server_db.with_name(server_db.name + "_c")
    asyncio.run(
        _execute(
            server_db,
            f"CREATE DATABASE \"{other.name}\" TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C' "
            "ENCODING 'SQL_ASCII'",
            maintenance=True,
        )
    )
    try:
        assert asyncio.run(scratch.server_identity(other)) not in (base, with_extension)
    finally:
        asyncio.run(other.dialect.drop_database(other))


def _with_params(cfg, **params: str):
    from dataclasses import replace

    return replace(cfg, params=tuple(sorted({**dict(cfg.params), **params}.items())))


MYSQL_SESSION_SETTINGS = [
    # (URL parameters, a column whose read-back the setting changes, whether it shows)
    # asyncmy sends ``SET sql_mode=<value>`` as given (for Tortoise too): a list is quoted.
    ({"sql_mode": "'REAL_AS_FLOAT,STRICT_TRANS_TABLES'"}, "r REAL", True),
    ({"init_command": "SET SESSION default_storage_engine = MyISAM"}, "n INT", True),
    ({"init_command": "SET SESSION explicit_defaults_for_timestamp = OFF"}, "t TIMESTAMP", True),
    # Stored in UTC, shown in the session's zone: the same text, another instant.
    (
        {"init_command": "SET SESSION time_zone = '+09:00'"},
        "t TIMESTAMP NOT NULL DEFAULT '2024-01-01 12:00:00'",
        False,
    ),
    (
        {"init_command": "SET SESSION collation_connection = 'utf8mb4_bin'"},
        "s VARCHAR(10) DEFAULT 'x'",
        False,
    ),
]


@pytest.mark.parametrize("server_db", ["mysql"], indirect=True)
@pytest.mark.parametrize(("params", "column", "differs"), MYSQL_SESSION_SETTINGS)
def test_mysql_session_settings_miss_the_cache(
    server_db, cache, monkeypatch, params, column, differs
):
    text = f"CREATE TABLE ev (id INT PRIMARY KEY, {column});"
    after = _with_params(server_db, **params)
    _assert_a_change_misses(monkeypatch, server_db, after, text, differs=differs)


@pytest.mark.parametrize("server_db", ["mysql"], indirect=True)
def test_mysql_database_character_set_and_collation_miss_the_cache(server_db, cache, monkeypatch):
    text = "CREATE TABLE ev (id INT PRIMARY KEY, name VARCHAR(10));"
    change = lambda: _execute(  # noqa: E731
        server_db,
        f"ALTER DATABASE `{server_db.name}` CHARACTER SET latin1 COLLATE latin1_swedish_ci",
    )
    first, second = _assert_a_change_misses(monkeypatch, server_db, server_db, text, change)
    assert "latin1" in repr(second) and "latin1" not in repr(first)


DESIRED_FILE = """
CREATE TABLE users_group (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(80) NOT NULL UNIQUE,
    description TEXT,
    created DATE DEFAULT '2024-03-04'
);
CREATE TABLE note (
    id INTEGER NOT NULL PRIMARY KEY,
    group_id INTEGER REFERENCES users_group (id),
    body VARCHAR(200) DEFAULT 'x'
);
CREATE INDEX note_body ON note (body);
"""


def test_cached_and_uncached_runs_plan_the_same(
    backend, fresh_db, cli, example_project, cache, monkeypatch, tmp_path
):
    """The models (cached table by table) and a DDL file (cached whole), each planned against
    a database that differs from both: cold cache, warm cache and no cache print one plan."""
    url = fresh_db.url(masked=False)
    asyncio.run(
        _execute(fresh_db, "CREATE TABLE users_group (id INTEGER NOT NULL PRIMARY KEY, name TEXT)")
    )
    desired = tmp_path / "desired.sql"
    desired.write_text(DESIRED_FILE)
    seen = _reads(monkeypatch, backend)
    for source in ((), ("--desired-sql", str(desired))):
        plans, reads, start = [], [], len(seen)
        for no_cache in ("0", "0", "1"):  # cold, warm, off
            monkeypatch.setenv("FASTAPP_NO_CACHE", no_cache)
            result = cli("auto_migrate", "--dry-run", "--database", url, *source)
            assert result.exit_code == 0, result.output
            plans.append(result.stdout)
            reads.append(len(seen))
        assert plans[0] == plans[1] == plans[2]
        assert "CREATE TABLE" in plans[0] and "users_group" in plans[0]
        # Cold: read by the server; warm: from the cache alone; off: by the server again.
        assert reads[0] > start and reads[1] == reads[0] and reads[2] > reads[1]
