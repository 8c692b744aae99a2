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
