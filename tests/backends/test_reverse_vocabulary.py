"""Reverse generation keeps the index vocabulary (issue 14): a database with indexes Tortoise's
own classes cannot declare -> ``fastapp reverse_generation`` -> the module (``DbIndex``
declarations) -> ``fastapp migrate`` into a fresh database -> the two databases' indexes are
equal as the server itself reports them (PostgreSQL ``pg_get_indexdef`` and
``obj_description``, SQLite ``PRAGMA index_xinfo`` and the partial flag, MariaDB
``information_schema.statistics``), read here without fastapp's catalog readers. What the
models still cannot say (an identity column, a DEFERRABLE unique, an exclusion constraint) is
one warning line per object on stderr and a TODO in the code."""

from __future__ import annotations

import asyncio
import sys

import pytest

from fastapp import testing
from fastapp.connections.raw import raw_connection
from tests.backends.runtime_project import make_project

pytestmark = pytest.mark.backends

DDL = {
    "postgres": [
        "CREATE TABLE acct (id INT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "email VARCHAR(100) NOT NULL, name TEXT, tenant INT NOT NULL, created TIMESTAMPTZ, "
        "data JSONB, code VARCHAR(5), during TSTZRANGE, "
        "CONSTRAINT acct_code_key UNIQUE (code) DEFERRABLE INITIALLY DEFERRED, "
        "CONSTRAINT acct_no_overlap EXCLUDE USING gist (during WITH &&))",
        "CREATE INDEX acct_email_pat ON acct (email text_pattern_ops) INCLUDE (name) "
        "WITH (fillfactor = 70)",
        "COMMENT ON INDEX acct_email_pat IS 'prefix search'",
        "CREATE INDEX acct_recent ON acct (created DESC NULLS LAST, name)",
        'CREATE INDEX acct_name_c ON acct (name COLLATE "C")',
        "CREATE UNIQUE INDEX acct_tenant_name ON acct (tenant, name) NULLS NOT DISTINCT",
        "CREATE INDEX acct_data ON acct USING gin (data jsonb_path_ops)",
        "CREATE UNIQUE INDEX acct_tenant_email ON acct (tenant, lower(email)) "
        "WHERE tenant > 0 AND code = ANY (ARRAY['a', 'b'])",
        "CREATE INDEX acct_brin ON acct USING brin (created) WITH (pages_per_range = 32)",
        "CREATE INDEX acct_hash ON acct USING hash (code)",
    ],
    "sqlite": [
        "CREATE TABLE acct (id INTEGER PRIMARY KEY AUTOINCREMENT, email VARCHAR(100) NOT NULL, "
        "name TEXT, tenant INT NOT NULL)",
        "CREATE UNIQUE INDEX acct_tenant_email ON acct (tenant, lower(email)) WHERE tenant > 0",
        "CREATE INDEX acct_recent ON acct (name DESC, tenant)",
        "CREATE INDEX acct_named ON acct (email) WHERE name IS NOT NULL",
    ],
    "mysql": [
        "CREATE TABLE acct (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100) NOT NULL, "
        "name VARCHAR(100), tenant INT NOT NULL, KEY acct_recent (name DESC, tenant), "
        "KEY acct_email_prefix (email(10), tenant), UNIQUE KEY acct_name_prefix (name(20)))",
    ],
}

#: The warning lines (their beginnings) for what the models cannot say, per backend.
WARNINGS = {
    "postgres": [
        "acct: column id: identity column (GENERATED ALWAYS AS IDENTITY)",
        "acct: unique constraint acct_code_key (code): DEFERRABLE, INITIALLY DEFERRED",
        "acct: exclusion constraint acct_no_overlap",
    ],
    "sqlite": [],
    "mysql": [],
}


async def _catalog(cfg) -> dict:
    """The table's indexes as the server reports them (constraint-backed ones apart)."""
    async with raw_connection(cfg) as conn:
        if cfg.dialect_name == "postgres":
            rows = await conn.fetch(
                "SELECT c.relname, pg_get_indexdef(c.oid) AS def, "
                "obj_description(c.oid, 'pg_class') AS comment FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = 'public.acct'::regclass AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
            )
            return {r["relname"]: (r["def"], r["comment"]) for r in rows}
        if cfg.dialect_name == "sqlite":
            found = {}
            for _, name, unique, origin, partial in await conn.execute_fetchall(
                "PRAGMA index_list(acct)"
            ):
                if origin != "c":
                    continue
                keys = await conn.execute_fetchall(f'PRAGMA index_xinfo("{name}")')
                found[name] = (unique, partial, [(k[2], k[3], k[4], k[5]) for k in keys if k[5]])
            return found
        async with conn.cursor() as cursor:
            await cursor.execute(
                "SELECT index_name, seq_in_index, column_name, sub_part, collation, non_unique, "
                "index_type FROM information_schema.statistics WHERE table_schema = DATABASE() "
                "AND table_name = 'acct' AND index_name <> 'PRIMARY' "
                "ORDER BY index_name, seq_in_index"
            )
            found: dict[str, list] = {}
            for name, *rest in await cursor.fetchall():
                found.setdefault(name, []).append(tuple(rest))
            return found


async def _apply(cfg, statements: list[str]) -> None:
    async with raw_connection(cfg) as conn:
        for statement in statements:
            await cfg.dialect.execute_raw(conn, statement)


def test_indexes_round_trip_through_reverse_generation_and_migrate(
    cli, fresh_db, tmp_path, monkeypatch
):
    backend = fresh_db.dialect_name
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SCHEMA_CHECK", raising=False)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    asyncio.run(_apply(fresh_db, DDL[backend]))
    original = asyncio.run(_catalog(fresh_db))
    assert len(original) >= 2

    out = tmp_path / "generated.py"
    result = cli(
        "reverse_generation",
        "--all",
        "--database",
        fresh_db.url(masked=False),
        "--app",
        "shop",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    source = out.read_text()
    assert "DbIndex(" in source
    warned = [line for line in result.output.splitlines() if line.startswith("Warning: ")]
    for start in WARNINGS[backend]:
        assert sum(line.startswith(f"Warning: {start}") for line in warned) == 1, result.output
        assert f"TODO: {start.split(': ', 1)[1].removeprefix('column id: ')}" in source

    proj = make_project(tmp_path, source)
    copy_dir = tmp_path / "copy"
    copy_dir.mkdir()

    async def migrate_copy():
        async with testing.scratch_database(backend, copy_dir) as copy:
            settings = proj.settings(f"DATABASES = {{'default': {copy.url(masked=False)!r}}}")
            testing.forget_tortoise_queries()
            migrated = await asyncio.to_thread(cli, "--settings", settings, "migrate")
            assert migrated.exit_code == 0, migrated.output + source
            return await _catalog(copy)

    try:
        copied = asyncio.run(migrate_copy())
    finally:
        proj.forget()
    assert copied == original, source
