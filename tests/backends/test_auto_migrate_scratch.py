"""The scratch space at scale: a desired schema too big for one transaction is built on
several connections (PostgreSQL: temporary tables in batches, each rolled back once read,
or committed and dropped when one table is too big for a transaction; or a scratch schema
level by level), and whatever happens nothing is left behind."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import pytest

from fastapp.connections.raw import raw_connection
from fastapp.desired.read import DesiredDDL, DesiredSchemaError, TableDDL, desired_schema
from fastapp.desired.scratch import base as scratch_base
from fastapp.desired.scratch import mysql as mysql_scratch
from fastapp.desired.scratch import postgres as postgres_scratch

#: Where each backend's scratch spaces would linger if they were not removed (other suites
#: may be running on the same servers: only the names this test drew are looked for).
LEFTOVERS = {
    "postgres": "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'fastapp_scratch%'",
    "mysql": "SELECT schema_name FROM information_schema.schemata "
    "WHERE schema_name LIKE 'fastapp_scratch%'",
    "sqlite": "SELECT name FROM sqlite_master WHERE name LIKE 'fastapp_scratch%'",
}


@pytest.fixture
def drawn(monkeypatch) -> list[str]:
    """The scratch names drawn during the test (their random part)."""
    names: list[str] = []

    def uuid4() -> uuid.UUID:
        value = uuid.uuid4()
        names.append(value.hex[:12])
        return value

    for module in (postgres_scratch, mysql_scratch):
        monkeypatch.setattr(module, "uuid", SimpleNamespace(uuid4=uuid4))
    return names


def chains(
    backend: str, chains: int = 4, length: int = 5, broken: str | None = None, hub: bool = True
) -> DesiredDDL:
    """``chains`` chains of ``length`` tables, each referencing the previous one of its
    chain, and (``hub``) a table every chain head references; every table has an index."""
    tables = []
    if hub:
        tables.append(
            TableDDL(
                "hub",
                (
                    "CREATE TABLE hub (id INTEGER NOT NULL PRIMARY KEY, label VARCHAR(20))",
                    "CREATE INDEX ix_hub_label ON hub (label)",
                ),
                frozenset(),
            )
        )
    for c in range(chains):
        for i in range(length):
            name = f"c{c}_t{i}"
            ref = f"c{c}_t{i - 1}" if i else ("hub" if hub else None)
            key = f", FOREIGN KEY (up_id) REFERENCES {ref} (id)" if ref else ""
            body = (
                f"CREATE TABLE {name} (id INTEGER NOT NULL PRIMARY KEY, up_id INTEGER, "
                f"code VARCHAR(20) NOT NULL UNIQUE{key})"
            )
            if name == broken:
                body = body.replace("up_id INTEGER,", "up_id INTEGER, up_id INTEGER,")
            tables.append(
                TableDDL(
                    name,
                    (body, f"CREATE INDEX ix_{name}_code ON {name} (up_id, code)"),
                    frozenset({ref} if ref else ()),
                )
            )
    parts = tuple(s for t in tables for s in t.statements)
    return DesiredDDL("\n".join(f"{p};" for p in parts), "models", backend, parts, tuple(tables))


@pytest.fixture(params=["rolled back", "committed"])
def small_batches(request, monkeypatch):
    """Every PostgreSQL desired schema goes the parallel way in tiny batches: each table in
    its own transaction, rolled back once read (with copies of the tables it references), or
    (a lock budget too small for a table) committed and dropped."""
    monkeypatch.setattr(postgres_scratch.Scratch, "BATCH_LIMIT", 0)
    monkeypatch.setattr(
        postgres_scratch.Scratch, "BATCH", 3 if request.param == "rolled back" else 1
    )
    monkeypatch.setattr(postgres_scratch.Scratch, "WORKERS", 3)
    return request.param


#: PostgreSQL temporary tables of any session still holding a name of :func:`chains`.
TEMPORARY_LEFTOVERS = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname LIKE 'pg_temp%' AND (c.relname = 'hub' OR c.relname ~ '^c[0-9]+_t[0-9]+$')"
)


async def _leftovers(cfg, drawn: list[str]) -> list:
    async with raw_connection(cfg) as conn:
        found = await cfg.dialect.fetch_scalar_list(conn, LEFTOVERS[cfg.dialect_name])
        temporary = []
        if cfg.dialect_name == "postgres":
            temporary = await cfg.dialect.fetch_scalar_list(conn, TEMPORARY_LEFTOVERS)
    return [name for name in found if name.removeprefix("fastapp_scratch_") in drawn] + temporary


def test_levels_and_independent_groups_follow_foreign_keys(backend):
    ddl = chains(backend, chains=2, length=3)
    levels = scratch_base.levels(ddl, ddl.statements())
    names = [[t[0][1].split()[2] for t in level] for level in levels]
    assert names == [["hub"], ["c0_t0", "c1_t0"], ["c0_t1", "c1_t1"], ["c0_t2", "c1_t2"]]
    assert all(len(t) == 2 for level in levels for t in level)  # a table with its index
    # One component (all reach the hub): one group; without the hub, one per chain.
    groups = scratch_base.independent_groups(ddl, 3)
    assert [[t.name for t in g] for g in groups] == [[t.name for t in ddl.tables]]
    free = scratch_base.independent_groups(chains(backend, 2, 3, hub=False), 3)
    assert sorted([t.name for t in g] for g in free) == [
        ["c0_t0", "c0_t1", "c0_t2"],
        ["c1_t0", "c1_t1", "c1_t2"],
    ]
    apart = DesiredDDL(ddl.text, "models", backend, ddl.parts, ddl.tables[1:])
    assert scratch_base.independent_groups(apart, 3) is None  # references a live table
    assert scratch_base.outside_references(apart) == {"hub"}
    # ...unless a copy of it is in every group: then the chains are independent again.
    copied = scratch_base.independent_groups(apart, 3, frozenset({"hub"}))
    assert sorted(len(g) for g in copied) == [3, 3]
    file_ddl = DesiredDDL(ddl.text, "schema.sql", backend)
    assert scratch_base.levels(file_ddl, file_ddl.statements()) == [[file_ddl.statements()]]
    assert scratch_base.independent_groups(file_ddl, 3) is None


def test_batches_pack_components_and_cut_big_ones(backend):
    free = chains(backend, chains=3, length=2, hub=False)  # three components of 4 statements
    packed = scratch_base.batches(free, 8)
    assert [[t.name for t in b.tables] for b in packed] == [
        ["c0_t0", "c0_t1", "c1_t0", "c1_t1"],
        ["c2_t0", "c2_t1"],
    ]
    assert all(not b.needs for b in packed)
    # One component (all reach the hub) bigger than a batch: cut in creation order; a
    # batch needs the tables of earlier ones that its foreign keys reference.
    joined = chains(backend, chains=2, length=2)
    cut = scratch_base.batches(joined, 4)
    assert [[t.name for t in b.tables] for b in cut] == [
        ["hub", "c0_t0"],
        ["c0_t1", "c1_t0"],
        ["c1_t1"],
    ]
    assert [sorted(b.needs) for b in cut] == [[], ["c0_t0", "hub"], ["c1_t0"]]
    assert [b.statements for b in cut] == [4, 6, 3]  # a copy of each needed table counts
    # A table bigger than a batch is never cut; a live table copied everywhere is no need.
    assert [len(b.tables) for b in scratch_base.batches(joined, 0)] == [1] * 5
    apart = DesiredDDL(joined.text, "models", backend, joined.parts, joined.tables[1:])
    assert scratch_base.batches(apart, 100) is None
    assert [b.needs for b in scratch_base.batches(apart, 100, frozenset({"hub"}))] == [frozenset()]
    assert scratch_base.batches(DesiredDDL(free.text, "schema.sql", backend), 100) is None


def test_parallel_build_matches_whole_build(backend, module_db, small_batches, drawn):
    ddl = chains(backend)
    built = asyncio.run(desired_schema(module_db, ddl, use_cache=False))
    assert len(built.tables) == 21
    tail = built.table("c3_t4")
    assert [fk.ref_table for fk in tail.foreign_keys] == ["c3_t3"]
    assert any(ix.columns == ("up_id", "code") for ix in tail.indexes)
    # The same DDL as a file (one connection, in order) reads back the same.
    as_file = DesiredDDL(ddl.text, "schema.sql", backend)
    assert asyncio.run(desired_schema(module_db, as_file, use_cache=False)) == built
    # Independent chains (no hub): built on separate connections.
    free = chains(backend, hub=False)
    assert len(scratch_base.independent_groups(free, 3)) == 3
    apart = asyncio.run(desired_schema(module_db, free, use_cache=False))
    assert len(apart.tables) == 20
    as_file = DesiredDDL(free.text, "schema.sql", backend)
    assert asyncio.run(desired_schema(module_db, as_file, use_cache=False)) == apart
    assert drawn or backend != "mysql"  # a named scratch database was used
    assert asyncio.run(_leftovers(module_db, drawn)) == []


def test_rejected_statement_in_a_later_level_names_its_line(
    backend, module_db, small_batches, drawn
):
    ddl = chains(backend, broken="c2_t3")
    line = next(n for n, s in ddl.statements() if s.count("up_id INTEGER") == 2)
    with pytest.raises(DesiredSchemaError) as caught:
        asyncio.run(desired_schema(module_db, ddl, use_cache=False))
    assert f"models:{line}:" in str(caught.value)
    assert "fix the statement" in str(caught.value)
    assert asyncio.run(_leftovers(module_db, drawn)) == []


def test_empty_generated_ddl_reads_as_an_empty_schema(backend, module_db):
    empty = DesiredDDL("", "models", backend, (), ())
    assert asyncio.run(desired_schema(module_db, empty, use_cache=False)).tables == ()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # PostgreSQL's copies
def test_batches_with_copies_of_live_and_earlier_tables(backend, fresh_db, small_batches):
    """``--apps`` and cut components together: each table in its own rolled-back batch,
    with copies of the live table and of the earlier batches' tables it references."""
    from tests.backends import live

    ddl = chains(backend, chains=2, length=3)
    hub, rest = ddl.tables[0], ddl.tables[1:]
    live.execute(fresh_db, *hub.statements)
    parts = tuple(s for t in rest for s in t.statements)
    apart = DesiredDDL("\n".join(f"{p};" for p in parts), "models", backend, parts, rest)
    got = asyncio.run(desired_schema(fresh_db, apart, use_cache=False))
    assert got.table_names == tuple(sorted(t.name for t in rest))
    whole = DesiredDDL(ddl.text, "schema.sql", backend)
    expected = asyncio.run(desired_schema(fresh_db, whole, use_cache=False))
    assert got == expected.only(t.name for t in rest)
    assert asyncio.run(_leftovers(fresh_db, [])) == []


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # PostgreSQL's copies
def test_copy_of_an_earlier_table_keeps_the_unique_index_a_foreign_key_needs(
    backend, module_db, small_batches
):
    hub = TableDDL(
        "hub",
        (
            "CREATE TABLE hub (id INTEGER NOT NULL PRIMARY KEY, label VARCHAR(20))",
            "CREATE UNIQUE INDEX ux_hub_label ON hub (label)",
        ),
        frozenset(),
    )
    leaf = TableDDL(
        "c0_t0",
        (
            "CREATE TABLE c0_t0 (id INTEGER NOT NULL PRIMARY KEY, label VARCHAR(20) REFERENCES hub (label))",
        ),
        frozenset({"hub"}),
    )
    parts = (*hub.statements, *leaf.statements)
    text = "\n".join(f"{p};" for p in parts)
    ddl = DesiredDDL(text, "models", backend, parts, (hub, leaf))
    got = asyncio.run(desired_schema(module_db, ddl, use_cache=False))
    whole = asyncio.run(
        desired_schema(module_db, DesiredDDL(text, "schema.sql", backend), use_cache=False)
    )
    assert got == whole
    assert [fk.ref_columns for fk in got.table("c0_t0").foreign_keys] == [("label",)]
