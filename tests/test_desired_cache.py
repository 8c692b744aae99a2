"""The desired-schema cache: whole scripts, and generated DDL table by table (only changed
tables, with the tables they reference, go through the scratch space again)."""

from __future__ import annotations

import asyncio

import pytest

from fastapp.db import desired as desired_module
from fastapp.db.desired import DesiredDDL, TableDDL, desired_schema


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
    strategy = desired_module.SCRATCH[backend]
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
