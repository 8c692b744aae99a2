"""Round trips over the corpus on the three real backends, the example project's migrated
schema against its models, and the export_schema command."""

from __future__ import annotations

import asyncio
import json

import pytest

from fastapp import testing
from fastapp.db.ddl import get_ddl
from fastapp.db.schema import Schema
from tests.conftest import require_backend
from tests.schemas.harness import (
    BACKENDS,
    case_sql,
    check_expectations,
    load_and_dump,
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
        first, dumper = await load_and_dump(source, conn_a, sql)
        first_sql = ddl.schema_script(first)
        second, _ = await load_and_dump(copy, conn_b, first_sql)
        second_sql = ddl.schema_script(second)
    finally:
        await source.dialect.close(conn_a)
        await copy.dialect.close(conn_b)
    return first, first_sql, second, second_sql, dumper


@pytest.mark.parametrize(("backend_name", "case"), CASES)
def test_round_trip(backend_name, case, scratch_pairs):
    source, copy = scratch_pairs(backend_name)
    sql = case_sql(case, backend_name)
    first, first_sql, second, second_sql, dumper = asyncio.run(_round_trip(source, copy, sql))
    assert first.tables, "the case created no table"
    assert first_sql == second_sql
    assert first == second
    assert Schema.from_dict(json.loads(json.dumps(first.to_dict()))) == first
    expect = dict(case.get("expect", {}).get("all", {}))
    expect.update(case.get("expect", {}).get(backend_name, {}))
    assert check_expectations(first, expect) == []
    for column in (c for t in first.tables for c in t.columns if not c.known_type):
        assert any(f"{column.name}:" in w for w in dumper.warnings), column


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


def test_migrated_example_matches_its_models(backend, cli, example_project, fresh_db):
    from fastapp.db.exporter import read_schema

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
    status = schema.table("blog_post").column("status")
    # Tortoise documents enum members in the column comment, joined with "\n" -- which
    # MySQL's string syntax turns into newlines and PostgreSQL's keeps as backslash + n.
    if backend == "mysql":
        assert status.comment == "DRAFT: 0\nPUBLISHED: 1\nARCHIVED: 2"
    elif backend == "postgres":
        assert status.comment == "DRAFT: 0\\nPUBLISHED: 1\\nARCHIVED: 2"
