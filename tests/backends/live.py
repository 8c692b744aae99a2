"""Small catalog readers for assertions in the foundation tests (the real reader is the
SchemaExporter); per-backend SQL is fine here, this is test code."""

from __future__ import annotations

import asyncio

from fastapp.connections.raw import raw_connection
from fastapp.connections.url import DatabaseConfig

_INDEXED_COLUMNS = {
    "postgres": """
        SELECT t.relname, a.attname FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey)
        WHERE n.nspname = current_schema() AND NOT i.indisprimary""",
    "mysql": """
        SELECT table_name, column_name FROM information_schema.statistics
        WHERE table_schema = DATABASE() AND index_name <> 'PRIMARY'""",
    "sqlite": """
        SELECT m.name, ii.name FROM sqlite_master m, pragma_index_list(m.name) il,
        pragma_index_info(il.name) ii WHERE m.type = 'table'""",
}
_REFERENCES = {
    "postgres": """
        SELECT cl.relname, rf.relname FROM pg_constraint c
        JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class rf ON rf.oid = c.confrelid
        JOIN pg_namespace n ON n.oid = cl.relnamespace
        WHERE c.contype = 'f' AND n.nspname = current_schema()""",
    "mysql": """
        SELECT table_name, referenced_table_name FROM information_schema.key_column_usage
        WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL""",
    "sqlite": """
        SELECT m.name, fk."table" FROM sqlite_master m, pragma_foreign_key_list(m.name) fk
        WHERE m.type = 'table'""",
}


async def _fetch(cfg: DatabaseConfig, sql: str) -> list[tuple]:
    async with raw_connection(cfg) as conn:
        if cfg.dialect_name == "postgres":
            return [tuple(r) for r in await conn.fetch(sql)]
        if cfg.dialect_name == "mysql":
            async with conn.cursor() as cur:
                await cur.execute(sql)
                return [tuple(r) for r in await cur.fetchall()]
        async with conn.execute(sql) as cur:
            return [tuple(r) for r in await cur.fetchall()]


def tables(cfg: DatabaseConfig) -> set[str]:
    return {r[0] for r in asyncio.run(_fetch(cfg, cfg.dialect.list_tables_sql))}


def indexed_columns(cfg: DatabaseConfig) -> set[tuple[str, str]]:
    return set(asyncio.run(_fetch(cfg, _INDEXED_COLUMNS[cfg.dialect_name])))


def references(cfg: DatabaseConfig) -> set[tuple[str, str]]:
    return set(asyncio.run(_fetch(cfg, _REFERENCES[cfg.dialect_name])))


def rows(cfg: DatabaseConfig, sql: str) -> list[tuple]:
    return asyncio.run(_fetch(cfg, sql))


def execute(cfg: DatabaseConfig, *statements: str) -> None:
    async def run():
        async with raw_connection(cfg) as conn:
            for statement in statements:
                await cfg.dialect.execute_raw(conn, statement)

    asyncio.run(run())


_COLUMNS = {
    "postgres": """
        SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
        WHERE table_schema = current_schema()""",
    "mysql": """
        SELECT table_name, column_name, column_type, is_nullable FROM information_schema.columns
        WHERE table_schema = DATABASE()""",
    "sqlite": """
        SELECT m.name, p.name, p.type, p."notnull" FROM sqlite_master m, pragma_table_info(m.name) p
        WHERE m.type = 'table'""",
}


def columns(cfg: DatabaseConfig) -> set[tuple]:
    return set(asyncio.run(_fetch(cfg, _COLUMNS[cfg.dialect_name])))


def schema_snapshot(cfg: DatabaseConfig) -> tuple:
    """Tables, columns, indexed columns and references, read from the catalog: equal
    snapshots mean the schema did not change."""
    return tables(cfg), columns(cfg), indexed_columns(cfg), references(cfg)


def desired_sql_runner(cli, tmp_path, cfg: DatabaseConfig, monkeypatch, setup: str):
    """``run(sql, *flags)``: ``fastapp auto_migrate --desired-sql`` with ``sql`` as the file,
    against ``cfg`` (made by ``setup`` first), from ``tmp_path`` with a cache of its own and no
    settings in the environment. The body of a ``run`` fixture."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))
    execute(cfg, setup)

    def invoke(sql: str, *args: str):
        path = tmp_path / "schema.sql"
        path.write_text(sql)
        url = cfg.url(masked=False)
        return cli("auto_migrate", "--database", url, "--desired-sql", str(path), *args)

    return invoke
