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
