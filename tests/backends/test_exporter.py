"""Round trips over the corpus on the three real backends, the example project's migrated
schema against its models, and the export_schema command."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from fastapp import testing
from fastapp.schema.objects import Schema
from fastapp.sql.ddl import get_ddl
from tests.conftest import require_backend
from tests.corpus.schemas.harness import (
    BACKENDS,
    case_sql,
    check_expectations,
    load_and_read,
    load_corpus,
)

CORPUS = load_corpus()
CASES = [
    pytest.param(backend, case, id=f"{backend}-{case['name']}")
    for backend in BACKENDS
    for case in CORPUS
    if case_sql(case, backend) is not None
]


@pytest.fixture(scope="module")
def scratch_pairs(tmp_path_factory):
    """Two scratch databases per backend (source and copy), created on first use."""
    created: dict[str, tuple] = {}

    def get(backend: str):
        if backend not in created:
            require_backend(backend)
            folder = tmp_path_factory.mktemp(backend)
            pair = (
                testing.scratch_config(backend, folder),
                testing.scratch_config(backend, folder),
            )
            for cfg in pair:
                asyncio.run(cfg.dialect.create_database(cfg))
            created[backend] = pair
        return created[backend]

    yield get
    for pair in created.values():
        for cfg in pair:
            asyncio.run(cfg.dialect.drop_database(cfg))


async def _round_trip(source, copy, sql: str):
    ddl = get_ddl(source.dialect_name)
    conn_a = await source.dialect.connect(source)
    conn_b = await copy.dialect.connect(copy)
    try:
        first, reader = await load_and_read(source, conn_a, sql)
        first_sql = ddl.schema_script(first)
        second, _ = await load_and_read(copy, conn_b, first_sql)
        second_sql = ddl.schema_script(second)
    finally:
        await source.dialect.close(conn_a)
        await copy.dialect.close(conn_b)
    return first, first_sql, second, second_sql, reader


@pytest.mark.parametrize(("backend_name", "case"), CASES)
def test_round_trip(backend_name, case, scratch_pairs):
    source, copy = scratch_pairs(backend_name)
    sql = case_sql(case, backend_name)
    first, first_sql, second, second_sql, reader = asyncio.run(_round_trip(source, copy, sql))
    assert first.tables, "the case created no table"
    assert first_sql == second_sql
    assert first == second
    assert Schema.from_dict(json.loads(json.dumps(first.to_dict()))) == first
    expect = dict(case.get("expect", {}).get("all", {}))
    expect.update(case.get("expect", {}).get(backend_name, {}))
    assert check_expectations(first, expect) == []
    for column in (c for t in first.tables for c in t.columns if not c.known_type):
        assert any(f"{column.name}:" in w for w in reader.warnings), column


# -- the example project: what `fastapp migrate` creates is what the models declare ----------

#: Tortoise field kind -> (type, length, precision, scale) per backend, from Tortoise's docs
#: of each field's database type.
FIELD_TYPES = {
    "int": {b: ("integer", None, None, None) for b in BACKENDS},
    "smallint": {b: ("smallint", None, None, None) for b in BACKENDS},
    "bigint": {b: ("bigint", None, None, None) for b in BACKENDS},
    "date": {b: ("date", None, None, None) for b in BACKENDS},
    "bool": {
        "postgres": ("boolean", None, None, None),
        "mysql": ("boolean", None, None, None),
        "sqlite": ("integer", None, None, None),
    },
    "text": {
        "postgres": ("text", None, None, None),
        "mysql": ("longtext", None, None, None),
        "sqlite": ("text", None, None, None),
    },
    "decimal(12,2)": {
        "postgres": ("decimal", None, 12, 2),
        "mysql": ("decimal", None, 12, 2),
        "sqlite": ("varchar", 40, None, None),
    },
    "datetime": {
        "postgres": ("timestamptz", None, None, None),
        "mysql": ("datetime", None, 6, None),
        "sqlite": ("timestamp", None, None, None),
    },
    "uuid": {
        "postgres": ("uuid", None, None, None),
        "mysql": ("char", 36, None, None),
        "sqlite": ("char", 36, None, None),
    },
    "json": {
        "postgres": ("jsonb", None, None, None),
        "mysql": ("json", None, None, None),
        "sqlite": ("json", None, None, None),
    },
    "binary": {
        "postgres": ("blob", None, None, None),
        "mysql": ("longblob", None, None, None),
        "sqlite": ("blob", None, None, None),
    },
    "float": {
        "postgres": ("double", None, None, None),
        "mysql": ("double", None, None, None),
        "sqlite": ("real", None, None, None),
    },
}


def _varchar(n: int) -> dict:
    return {b: ("varchar", n, None, None) for b in BACKENDS}


FIELD_TYPES.update({f"varchar({n})": _varchar(n) for n in (6, 50, 80, 150, 200, 254)})

# (name, kind, nullable) in declaration order; relations come after the plain fields, as
# Tortoise adds them when it resolves them.
EXAMPLE_TABLES = {
    "users_group": {
        "columns": [("id", "int", False), ("name", "varchar(80)", False)]
        + [("description", "text", False)],
        "uniques": [("name",)],
        "comment": "Groups users belong to",
    },
    "users_user": {
        "columns": [
            ("id", "int", False),
            ("username", "varchar(150)", False),
            ("email", "varchar(254)", False),
            ("full_name", "varchar(200)", False),
            ("is_active", "bool", False),
            ("role", "varchar(6)", False),
            ("karma", "bigint", False),
            ("balance", "decimal(12,2)", False),
            ("birth_date", "date", True),
            ("date_joined", "datetime", False),
            ("api_key", "uuid", True),
            ("preferences", "json", False),
            ("avatar", "binary", True),
        ],
        "uniques": [("username",)],
        "indexes": [("email",)],
        "comment": "People who can sign in",
    },
    "users_user_groups": {
        "columns": [("users_user_id", "int", False), ("group_id", "int", False)],
        "pk": None,
        "unique_indexes": [("users_user_id", "group_id")],
        "fks": [
            (("users_user_id",), "users_user", "CASCADE"),
            (("group_id",), "users_group", "CASCADE"),
        ],
    },
    "blog_tag": {
        "columns": [("id", "int", False), ("name", "varchar(50)", False)],
        "uniques": [("name",)],
    },
    "blog_post": {
        "columns": [
            ("id", "int", False),
            ("title", "varchar(200)", False),
            ("slug", "varchar(200)", False),
            ("body", "text", False),
            ("status", "smallint", False),
            ("views", "int", False),
            ("rating", "float", True),
            ("published_at", "datetime", True),
            ("created_at", "datetime", False),
            ("updated_at", "datetime", False),
            ("metadata", "json", True),
            ("author_id", "int", False),
        ],
        "uniques": [("slug",)],
        "indexes": [("status", "published_at")],
        "fks": [(("author_id",), "users_user", "CASCADE")],
    },
    "blog_post_tags": {
        "columns": [("blog_post_id", "int", False), ("tag_id", "int", False)],
        "pk": None,
        "unique_indexes": [("blog_post_id", "tag_id")],
        "fks": [(("blog_post_id",), "blog_post", "CASCADE"), (("tag_id",), "blog_tag", "CASCADE")],
    },
    "blog_comment": {
        "columns": [
            ("id", "int", False),
            ("body", "text", False),
            ("created_at", "datetime", False),
            ("author_id", "int", True),
            ("parent_id", "int", True),
            ("post_id", "int", False),
        ],
        "fks": [
            (("post_id",), "blog_post", "CASCADE"),
            (("author_id",), "users_user", "SET NULL"),
            (("parent_id",), "blog_comment", "CASCADE"),
        ],
    },
}
#: Backends that store table comments (SQLite has no place for them).
COMMENTING = {"postgres", "mysql"}


def _expected_columns(backend: str, spec: dict) -> list[tuple]:
    rows = []
    for name, kind, nullable in spec["columns"]:
        type_, length, precision, scale = FIELD_TYPES[kind][backend]
        auto = name == "id"
        rows.append((name, type_, length, precision, scale, nullable, auto))
    return rows


def _reapplied(schema: Schema, backend: str) -> Schema:
    from fastapp.introspect.exporter import read_schema
    from tests.corpus.schemas.harness import execute_script

    async def go():
        async with testing.scratch_database(backend) as copy:
            conn = await copy.dialect.connect(copy)
            try:
                await execute_script(copy, conn, get_ddl(backend).schema_script(schema))
            finally:
                await copy.dialect.close(conn)
            return await read_schema(copy)

    return asyncio.run(go())


def test_migrated_example_matches_its_models(backend, cli, example_project, fresh_db):
    from fastapp.introspect.exporter import read_schema

    result = cli("migrate", env={"DATABASE_URL": fresh_db.url(masked=False)})
    assert result.exit_code == 0, result.output
    warnings: list[str] = []
    schema = asyncio.run(read_schema(fresh_db, on_warning=warnings.append))
    assert warnings == []
    assert set(schema.table_names) == set(EXAMPLE_TABLES)
    for name, spec in EXAMPLE_TABLES.items():
        table = schema.table(name)
        got = [
            (c.name, c.type, c.length, c.precision, c.scale, c.nullable, c.autoincrement)
            for c in table.columns
        ]
        assert got == _expected_columns(backend, spec), name
        pk = spec.get("pk", ("id",))
        assert (table.primary_key.columns if table.primary_key else None) == pk, name
        uniques = spec.get("uniques", [])
        expected_indexes = sorted(
            [(cols, False) for cols in spec.get("indexes", [])]
            + [(cols, True) for cols in spec.get("unique_indexes", [])]
        )
        if backend == "mysql":  # a unique index is a unique constraint in MySQL
            expected_indexes = [i for i in expected_indexes if not i[1]]
            uniques = uniques + spec.get("unique_indexes", [])
        assert [u.columns for u in table.uniques] == sorted(uniques), name
        assert sorted((i.columns, i.unique) for i in table.indexes) == expected_indexes, name
        assert sorted((fk.columns, fk.ref_table, fk.on_delete) for fk in table.foreign_keys) == (
            sorted(spec.get("fks", []))
        ), name
        assert all(fk.ref_columns == ("id",) for fk in table.foreign_keys)
        if backend in COMMENTING:
            assert table.comment == spec.get("comment"), name
    # Tortoise's DDL and our export of it read back as the same Schema.
    assert _reapplied(schema, fresh_db.dialect_name) == schema
    status = schema.table("blog_post").column("status")
    # Tortoise documents enum members in the column comment, joined with "\n" -- which
    # MySQL's string syntax turns into newlines and PostgreSQL's keeps as backslash + n.
    if backend == "mysql":
        assert status.comment == "DRAFT: 0\nPUBLISHED: 1\nARCHIVED: 2"
    elif backend == "postgres":
        assert status.comment == "DRAFT: 0\\nPUBLISHED: 1\\nARCHIVED: 2"


# -- the command -------------------------------------------------------------------------------


@pytest.fixture
def exported_db(backend, fresh_db, tmp_path, monkeypatch):
    """A scratch database with a few related tables and one unknown column type; the
    command runs from an empty directory (no settings module)."""
    from tests.corpus.schemas.harness import execute_script, requote

    odd = {"postgres": "CIDR", "mysql": "POINT", "sqlite": "GEOGRAPHY"}[backend]
    sql = requote(
        'CREATE TABLE "authors" ("id" INTEGER PRIMARY KEY, "name" VARCHAR(50) NOT NULL UNIQUE);'
        'CREATE TABLE "books" ("id" INTEGER PRIMARY KEY, "author_id" INTEGER NOT NULL '
        'REFERENCES "authors" ("id") ON DELETE CASCADE, "title" VARCHAR(100));'
        f'CREATE TABLE "odd" ("id" INTEGER PRIMARY KEY, "v" {odd});',
        backend,
    )
    if backend == "mysql":
        sql = sql.replace(
            "`author_id` INTEGER NOT NULL REFERENCES `authors` (`id`) ON DELETE CASCADE",
            "`author_id` INTEGER NOT NULL, FOREIGN KEY (`author_id`) REFERENCES `authors` "
            "(`id`) ON DELETE CASCADE",
        )

    async def apply():
        conn = await fresh_db.dialect.connect(fresh_db)
        try:
            await execute_script(fresh_db, conn, sql)
        finally:
            await fresh_db.dialect.close(conn)

    asyncio.run(apply())
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    return fresh_db


def test_command_prints_deterministic_ddl_in_fk_order(cli, exported_db):
    url = exported_db.url(masked=False)
    first = cli("export_schema", "--database", url)
    assert first.exit_code == 0, first.output
    second = cli("export_schema", "--database", url)
    assert first.stdout == second.stdout
    text = first.stdout
    creates = [line.split()[2] for line in text.splitlines() if line.startswith("CREATE TABLE")]
    assert [name.strip('"`') for name in creates] == ["authors", "books", "odd"]
    assert "ON DELETE CASCADE" in text
    assert "Warning:" in first.stderr and "odd.v" in first.stderr
    assert "Warning" not in text


def test_command_writes_json_to_a_file(cli, exported_db, tmp_path):
    from fastapp.introspect.exporter import read_schema

    target = tmp_path / "schema.json"
    result = cli(
        "export_schema", "-d", exported_db.url(masked=False), "-f", "json", "-o", str(target),
        "--tables", "auth*,books",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Wrote 2 table(s)" in result.stderr and "catalog queries" in result.stderr
    data = json.loads(target.read_text(encoding="utf-8"))
    assert Schema.from_dict(data) == asyncio.run(read_schema(exported_db, ["authors", "books"]))


def test_command_sql_output_file_applies_cleanly(cli, exported_db, tmp_path):
    from fastapp.introspect.exporter import read_schema
    from tests.corpus.schemas.harness import execute_script

    target = tmp_path / "schema.sql"
    url = exported_db.url(masked=False)
    assert cli("export_schema", "-d", url, "-o", str(target)).exit_code == 0

    async def reapply():
        async with testing.scratch_database(exported_db.dialect_name, tmp_path) as copy:
            conn = await copy.dialect.connect(copy)
            try:
                await execute_script(copy, conn, target.read_text(encoding="utf-8"))
            finally:
                await copy.dialect.close(conn)
            return await read_schema(copy)

    assert asyncio.run(reapply()) == asyncio.run(read_schema(exported_db))


def test_command_errors(cli, exported_db):
    url = exported_db.url(masked=False)
    result = cli("export_schema", "-d", url, "--tables", "nothing_like_this")
    assert result.exit_code == 1
    assert "'nothing_like_this' matches no table" in result.stderr
    assert "authors" in result.stderr
    bad_format = cli("export_schema", "-d", url, "--format", "yaml")
    assert bad_format.exit_code == 2


def test_command_needs_a_database(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    # Whatever other tests left importable, "settings" is not (None blocks the import).
    monkeypatch.setitem(sys.modules, "settings", None)
    result = cli("export_schema")
    assert result.exit_code == 1
    assert "no settings module" in result.stderr


def test_command_reads_database_url_without_settings(cli, exported_db, monkeypatch):
    monkeypatch.setitem(sys.modules, "settings", None)
    result = cli(
        "export_schema", "-t", "authors", env={"DATABASE_URL": exported_db.url(masked=False)}
    )
    assert result.exit_code == 0, result.output
    assert "authors" in result.stdout and "books" not in result.stdout


def test_command_unreachable_server(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("export_schema", "-d", "postgres://u:topsecret@127.0.0.1:1/db")
    assert result.exit_code == 1
    assert "cannot connect" in result.stderr
    assert "topsecret" not in result.stderr + result.stdout


def test_command_uses_the_settings_database(cli, example_project, fresh_db):
    env = {"DATABASE_URL": fresh_db.url(masked=False)}
    assert cli("migrate", env=env).exit_code == 0
    result = cli("export_schema", "--tables", "users_*", env=env)
    assert result.exit_code == 0, result.output
    assert "users_user_groups" in result.stdout and "blog_post" not in result.stdout
