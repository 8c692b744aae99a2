"""Catalog readers on the three real backends: constant catalog queries, the table filter, warnings,
namespaces, errors, and the public read_schema / get_catalog_reader API."""

from __future__ import annotations

import asyncio

import pytest

from fastapp.connections.raw import raw_connection
from fastapp.errors import DatabaseURLError, SchemaError
from fastapp.introspect import get_catalog_reader
from fastapp.introspect.base import select_tables
from fastapp.introspect.exporter import read_schema
from fastapp.testing import scratch_database
from tests.conftest import require_backend
from tests.corpus.schemas.harness import execute_script, requote, reset


def chain_sql(backend: str, start: int, count: int) -> str:
    """``count`` tables, each with a unique column, a two-column index and a key to the
    previous one."""
    statements = []
    for i in range(start, start + count):
        ref = f', "prev" INTEGER REFERENCES "t{i - 1:03d}" ("id")' if i else ""
        if backend == "mysql" and i:
            ref = f', "prev" INTEGER, FOREIGN KEY ("prev") REFERENCES "t{i - 1:03d}" ("id")'
        statements.append(
            f'CREATE TABLE "t{i:03d}" ("id" INTEGER PRIMARY KEY, "code" VARCHAR(20) UNIQUE, '
            f'"a" INTEGER, "b" VARCHAR(10) DEFAULT \'x\'{ref});\n'
            f'CREATE INDEX "ix_t{i:03d}" ON "t{i:03d}" ("a", "b");'
        )
    return requote("\n".join(statements), backend)


async def _dump_counts(cfg) -> list[tuple[int, int]]:
    counts = []
    async with raw_connection(cfg) as conn:
        await reset(cfg, conn)
        for start, count in ((0, 2), (2, 30)):
            await execute_script(cfg, conn, chain_sql(cfg.dialect_name, start, count))
            reader = get_catalog_reader(cfg.dialect_name)
            schema = await reader.read(conn)
            counts.append((len(schema.tables), reader.queries))
    return counts


def test_catalog_queries_do_not_grow_with_tables(module_db):
    (few, q_few), (many, q_many) = asyncio.run(_dump_counts(module_db))
    assert (few, many) == (2, 32)
    assert q_few == q_many
    assert 1 <= q_many <= 7  # MySQL: version, tables, columns, indexes, keys, checks, objects


@pytest.fixture(scope="module")
def filled(module_db):
    async def fill():
        async with raw_connection(module_db) as conn:
            await reset(module_db, conn)
            await execute_script(
                module_db,
                conn,
                chain_sql(module_db.dialect_name, 0, 3)
                + requote(
                    '\nCREATE TABLE "blog_post" ("id" INTEGER PRIMARY KEY);'
                    '\nCREATE TABLE "blog_tag" ("id" INTEGER PRIMARY KEY);',
                    module_db.dialect_name,
                ),
            )

    asyncio.run(fill())
    return module_db


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (None, ["blog_post", "blog_tag", "t000", "t001", "t002"]),
        (["t001"], ["t001"]),
        (["blog_*"], ["blog_post", "blog_tag"]),
        (["t00[02]", "blog_tag"], ["blog_tag", "t000", "t002"]),
        (["t*", "t001"], ["t000", "t001", "t002"]),
    ],
)
def test_table_filter(filled, patterns, expected):
    schema = asyncio.run(read_schema(filled, patterns))
    assert list(schema.table_names) == expected
    assert schema.dialect == filled.dialect_name


def test_filtered_table_keeps_its_foreign_keys(filled):
    schema = asyncio.run(read_schema(filled, ["t002"]))
    (fk,) = schema.tables[0].foreign_keys
    assert (fk.columns, fk.ref_table, fk.ref_columns) == (("prev",), "t001", ("id",))


def test_filter_matching_nothing_names_it_and_some_tables(filled):
    with pytest.raises(SchemaError) as info:
        asyncio.run(read_schema(filled, ["t001", "nope_*"]))
    message = str(info.value)
    assert "'nope_*' matches no table" in message
    assert "blog_post" in message and "t000" in message


def test_read_schema_equals_dumper_on_an_open_connection(filled):
    async def both():
        async with raw_connection(filled) as conn:
            direct = await get_catalog_reader(filled.dialect_name).read(conn)
        return direct, await read_schema(filled)

    direct, via_cfg = asyncio.run(both())
    assert direct == via_cfg
    assert direct.to_dict() == via_cfg.to_dict()


def test_unknown_types_are_kept_with_a_warning(fresh_db):
    type_for = {"postgres": "CIDR", "mysql": "POINT", "sqlite": "GEOGRAPHY"}[fresh_db.dialect_name]

    async def go():
        async with raw_connection(fresh_db) as conn:
            await execute_script(fresh_db, conn, f"CREATE TABLE odd (id INTEGER, v {type_for})")
        warnings: list[str] = []
        return await read_schema(fresh_db, on_warning=warnings.append), warnings

    schema, warnings = asyncio.run(go())
    column = schema.table("odd").column("v")
    assert column.known_type is False and column.type == type_for.lower()
    assert len(warnings) == 1 and "odd.v" in warnings[0] and "kept verbatim" in warnings[0]


def test_empty_database(fresh_db):
    schema = asyncio.run(read_schema(fresh_db))
    assert schema.tables == ()
    with pytest.raises(SchemaError, match="none, the database is empty"):
        asyncio.run(read_schema(fresh_db, ["x"]))


def test_postgres_schema_option():
    """Namespaces inside a database are a PostgreSQL feature: --schema picks one."""
    require_backend("postgres")

    async def go():
        async with scratch_database("postgres") as cfg:
            async with raw_connection(cfg) as conn:
                await execute_script(
                    cfg,
                    conn,
                    "CREATE SCHEMA \"Sales\"; CREATE TYPE \"Sales\".kind AS ENUM ('a', 'b');"
                    'CREATE TABLE "Sales".orders (id SERIAL PRIMARY KEY, k "Sales".kind);'
                    "CREATE TABLE public.other (id INTEGER);",
                )
            sales, public = await read_schema(cfg, pg_schema="Sales"), await read_schema(cfg)
            with pytest.raises(SchemaError, match="schema 'missing' does not exist"):
                await read_schema(cfg, pg_schema="missing")
            return sales, public

    sales, public = asyncio.run(go())
    assert sales.table_names == ("orders",) and public.table_names == ("other",)
    assert sales.table("orders").column("k").enum_name == "kind"
    assert sales.table("orders").column("id").autoincrement
    assert [e.name for e in sales.enums] == ["kind"] and public.enums == ()


def test_select_tables_is_pure_and_sorted():
    assert select_tables(["b", "a"], None) == ["a", "b"]
    assert select_tables(["a[1]", "a1"], ["a[1]"]) == ["a1", "a[1]"]


def test_unknown_dumper():
    with pytest.raises(DatabaseURLError, match="no schema reader"):
        get_catalog_reader("oracle")


def test_sqlite_virtual_tables_are_objects_not_tables(tmp_path):
    from fastapp.connections.url import parse_database_url

    cfg = parse_database_url(f"sqlite:///{tmp_path / 'fts.db'}")

    async def go():
        async with raw_connection(cfg) as conn:
            await execute_script(
                cfg, conn, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
                "CREATE VIRTUAL TABLE notes_fts USING fts5(body);",
            )  # fmt: skip
        warnings: list[str] = []
        return await read_schema(cfg, on_warning=warnings.append), warnings

    schema, warnings = asyncio.run(go())
    assert schema.table_names == ("notes",)  # not the virtual table's shadow tables
    assert [(x.kind, x.name, x.definition) for x in schema.objects] == [
        ("virtual table", "notes_fts", "USING fts5 ( body )")
    ]
    assert warnings == []


def test_mysql_user_with_select_alone_reads_the_same_foreign_keys():
    """MariaDB lists REFERENTIAL_CONSTRAINTS only to users with a right beyond SELECT; the
    catalog reader reads the actions from SHOW CREATE TABLE for them instead."""
    import uuid
    from dataclasses import replace

    require_backend("mysql")
    user = f"fastapp_ro_{uuid.uuid4().hex[:8]}"
    hosts = ("%", "localhost")

    async def go():
        async with scratch_database("mysql") as cfg:
            async with raw_connection(cfg) as conn:
                await execute_script(
                    cfg,
                    conn,
                    "CREATE TABLE a (id INT PRIMARY KEY, u INT UNIQUE, c INT CHECK (c > 0));"
                    "CREATE TABLE `b``q` (id INT PRIMARY KEY, a_id INT, a2 INT, a3 INT,"
                    " CONSTRAINT cascade_fk FOREIGN KEY (a_id) REFERENCES a (id)"
                    " ON DELETE CASCADE ON UPDATE SET NULL,"
                    " CONSTRAINT plain_fk FOREIGN KEY (a2) REFERENCES a (id),"
                    " CONSTRAINT null_fk FOREIGN KEY (a3) REFERENCES a (u) ON DELETE SET NULL);",
                )
                for host in hosts:
                    await cfg.dialect.execute_raw(conn, f"CREATE USER '{user}'@'{host}'")
                    await cfg.dialect.execute_raw(
                        conn, f"GRANT SELECT ON `{cfg.name}`.* TO '{user}'@'{host}'"
                    )
                try:
                    full = await read_schema(cfg)
                    limited = await read_schema(replace(cfg, user=user, password=None))
                finally:
                    for host in hosts:
                        await cfg.dialect.execute_raw(conn, f"DROP USER '{user}'@'{host}'")
            return full, limited

    full, limited = asyncio.run(go())
    assert limited == full
    actions = {fk.name: (fk.on_delete, fk.on_update) for fk in full.table("b`q").foreign_keys}
    assert actions["cascade_fk"] == ("CASCADE", "SET NULL")
    assert actions["null_fk"][0] == "SET NULL"
