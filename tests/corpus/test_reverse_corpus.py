"""Reverse generation over the exporter's schema corpus (tests/corpus/schemas/corpus.yaml), per backend.

For every case: apply its DDL, read the Schema, generate the module, install it as an app,
``migrate`` into a second database and read that one. Every case must generate, import and
migrate. Every table whose class carries no ``# TODO:`` / ``# database type:`` comment must come
back equal, up to the documented exceptions (column order, MySQL table collation, unique index
versus unique constraint, options Tortoise cannot set). One test per backend, so the whole
corpus shares two scratch databases and one pass.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sys
import uuid

import pytest

from fastapp import testing
from fastapp.apply.create_missing import MigrateOptions, migrate
from fastapp.apps import AppRegistry
from fastapp.introspect import get_catalog_reader
from fastapp.reverse import generate_models
from fastapp.schema.objects import Schema, Table, UniqueConstraint
from fastapp.settings import Settings
from tests.corpus.schemas.harness import case_sql, load_and_read, load_corpus, reset

CASES = load_corpus()
_FLAGGED = re.compile(r"# (TODO|database type):")
#: Table options a Tortoise model cannot set (see docs/commands/reverse_generation.md).
_UNSETTABLE_OPTIONS = frozenset({"collation", "engine", "without_rowid", "strict", "charset"})


def flagged_tables(source: str) -> set[str]:
    """Tables whose generated class carries a TODO or database-type comment."""
    flagged = set()
    for block in source.split("\nclass ")[1:]:
        table = re.search(r'^        table = "((?:[^"\\]|\\.)*)"$', block, re.MULTILINE)
        if table and _FLAGGED.search(block):
            flagged.add(table.group(1).encode().decode("unicode_escape"))
    return flagged


def _comment(dialect: str, comment: str | None) -> str | None:
    """Tortoise's PostgreSQL DDL escapes comments the MySQL way (a documented exception)."""
    if dialect == "postgres" and comment and any(ch in comment for ch in '\\"\n\r'):
        return "<escaped by Tortoise>"
    return comment


def comparable(table: Table, dialect: str) -> Table:
    """``table`` without what a Tortoise model cannot say (the documented exceptions)."""
    unique_sets = {u.columns for u in table.uniques} | {
        i.columns for i in table.indexes if i.unique and not (i.method or i.where)
    }
    pk = table.primary_key.columns if table.primary_key else ()
    columns = (
        # SQLite lets a primary-key column be declared without NOT NULL; Tortoise says it.
        # ON UPDATE CURRENT_TIMESTAMP becomes auto_now=True, which Tortoise applies in Python
        # and does not write into the table. A model says the canonical type; how SQLite
        # spells it (INT or INTEGER) is Tortoise's choice.
        dataclasses.replace(
            c,
            nullable=False,
            comment=_comment(dialect, c.comment),
            on_update=None,
            declared_type=None,
        )
        if (c.name,) == pk
        else dataclasses.replace(
            c, comment=_comment(dialect, c.comment), on_update=None, declared_type=None
        )
        for c in table.columns
    )
    return dataclasses.replace(
        table,
        columns=tuple(sorted(columns, key=lambda c: c.name)),
        uniques=tuple(UniqueConstraint(c) for c in unique_sets),
        # every clause of an index round-trips (Tortoise's classes or fastapp's DbIndex)
        indexes=tuple(i for i in table.indexes if not (i.unique and not (i.method or i.where))),
        options=tuple(o for o in table.options if o[0] not in _UNSETTABLE_OPTIONS),
        comment=_comment(dialect, table.comment),
    )


async def _round_trip(
    original, copy, conn_a, conn_b, sql: str, tmp_path, compared: list[str]
) -> list[str]:
    first, _ = await load_and_read(original, conn_a, sql)
    label = f"revc_{uuid.uuid4().hex[:10]}"
    generated = generate_models(first, app=label)
    package = tmp_path / label
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(generated.source, encoding="utf-8")
    await reset(copy, conn_b)
    problems: list[str] = []
    try:
        settings = Settings(module=None, installed_apps=(label,), databases={"default": copy})
        await migrate(AppRegistry(settings), MigrateOptions())
    except Exception as exc:
        # Expected failures: `migrate` creates tables one by one, so a foreign-key cycle needs
        # auto_migrate; a name with a quote in it is flagged by a TODO (Tortoise cannot write it).
        if (
            "form a cycle" in str(exc)
            or "TODO: Tortoise does not escape quotes" in generated.source
        ):
            return []
        return [f"migrate failed: {type(exc).__name__}: {exc}\n{generated.source}"]
    finally:
        for name in [m for m in sys.modules if m == label or m.startswith(label + ".")]:
            del sys.modules[name]
    second = await get_catalog_reader(copy.dialect_name).read(conn_b)
    flagged = flagged_tables(generated.source)
    for table in first.tables:
        other = second.table(table.name)
        if other is None:
            problems.append(f"{table.name}: not created")
            continue
        if table.name not in flagged:
            compared.append(table.name)
        if table.name not in flagged and comparable(table, first.dialect) != comparable(
            other, first.dialect
        ):
            a, b = comparable(table, first.dialect), comparable(other, first.dialect)
            diff = [
                f"{f.name}: {getattr(a, f.name)!r} != {getattr(b, f.name)!r}"
                for f in dataclasses.fields(a)
                if getattr(a, f.name) != getattr(b, f.name)
            ]
            problems.append(f"{table.name}: " + "; ".join(diff))
    return problems


def test_every_corpus_case_generates_migrates_and_round_trips(backend, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))

    compared: list[str] = []

    async def run() -> tuple[dict[str, list[str]], int]:
        failures: dict[str, list[str]] = {}
        checked = 0
        async with testing.scratch_database(backend, tmp_path) as original:
            async with testing.scratch_database(backend, tmp_path) as copy:
                conn_a = await original.dialect.connect(original)
                conn_b = await copy.dialect.connect(copy)
                try:
                    for case in CASES:
                        sql = case_sql(case, backend)
                        if sql is None:
                            continue
                        checked += 1
                        problems = await _round_trip(
                            original, copy, conn_a, conn_b, sql, tmp_path, compared
                        )
                        if problems:
                            failures[case["name"]] = problems
                finally:
                    await original.dialect.close(conn_a)
                    await copy.dialect.close(conn_b)
        return failures, checked

    failures, checked = asyncio.run(run())
    assert checked >= 40
    print(f"{backend}: {checked} cases, {len(compared)} tables compared exactly")
    assert len(compared) >= 20  # the exact comparison is not vacuous
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in failures.items())


def test_flagged_tables_reads_the_generated_classes():
    schema = Schema(
        "postgres",
        tables=(Table("a b", columns=()),),
    )
    source = generate_models(schema).source
    assert flagged_tables(source) == {"a b"}  # no primary key: a TODO
    assert not flagged_tables(source.replace("# TODO:", "# note"))


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
