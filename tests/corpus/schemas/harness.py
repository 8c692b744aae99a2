"""Helpers for the export tests: load the corpus, apply DDL on a raw connection, reset a
scratch database between cases, and check a case's expectations against a Schema.

Per-backend SQL is fine here: this is test code, standing in for a human with a SQL shell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from fastapp.connections.url import DatabaseConfig
from fastapp.introspect import get_catalog_reader
from fastapp.schema.objects import Schema
from fastapp.schema.sqltext import split_statements

CORPUS_FILE = Path(__file__).with_name("corpus.yaml")
BACKENDS = ("postgres", "mysql", "sqlite")


def load_corpus() -> list[dict[str, Any]]:
    return yaml.safe_load(CORPUS_FILE.read_text(encoding="utf-8"))


def case_sql(case: dict[str, Any], backend: str) -> str | None:
    """The case's DDL for ``backend`` (None when the case does not apply to it)."""
    if backend in case:
        return case[backend]
    if "sql" not in case:
        return None
    return requote(case["sql"], backend)


def requote(sql: str, backend: str) -> str:
    """Portable DDL uses "double quotes"; MySQL gets backticks (found by sqlglot's tokenizer,
    so quotes inside strings are left alone)."""
    if backend != "mysql":
        return sql
    from sqlglot.dialects import Dialect
    from sqlglot.tokens import TokenType

    tokens = Dialect.get_or_raise("postgres").tokenizer_class().tokenize(sql)
    out, last = [], 0
    for token in tokens:
        if token.token_type == TokenType.IDENTIFIER:
            out.append(sql[last : token.start])
            out.append("`" + token.text.replace("`", "``") + "`")
            last = token.end + 1
    out.append(sql[last:])
    return "".join(out)


async def execute_script(cfg: DatabaseConfig, conn: Any, sql: str) -> None:
    dialect = cfg.dialect
    for statement in split_statements(sql, dialect.sqlglot_name):
        try:
            await dialect.execute_raw(conn, statement)
        except Exception as exc:
            raise AssertionError(f"statement failed: {statement}\n{exc}") from exc


async def reset(cfg: DatabaseConfig, conn: Any) -> None:
    """Empty the scratch database behind ``conn``."""
    dialect = cfg.dialect
    if cfg.dialect_name == "postgres":
        await dialect.execute_raw(conn, "DROP SCHEMA public CASCADE")
        await dialect.execute_raw(conn, "CREATE SCHEMA public")
    elif cfg.dialect_name == "mysql":
        name = dialect.quote(cfg.name)
        await dialect.execute_raw(conn, f"DROP DATABASE {name}")
        await dialect.execute_raw(
            conn, f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        await dialect.execute_raw(conn, f"USE {name}")
    else:
        await dialect.execute_raw(conn, "PRAGMA foreign_keys=OFF")
        names = await dialect.fetch_scalar_list(conn, dialect.list_tables_sql)
        for table in names:
            await dialect.execute_raw(conn, f"DROP TABLE {dialect.quote(table)}")
        await dialect.execute_raw(conn, "PRAGMA foreign_keys=ON")


async def load_and_read(cfg: DatabaseConfig, conn: Any, sql: str) -> tuple[Schema, Any]:
    """Reset, apply ``sql``, read the schema back; returns (schema, catalog reader)."""
    await reset(cfg, conn)
    await execute_script(cfg, conn, sql)
    reader = get_catalog_reader(cfg.dialect_name)
    return await reader.read(conn), reader


def _matches(obj: Any, expected: dict[str, Any]) -> bool:
    for key, value in expected.items():
        actual = getattr(obj, key)
        if isinstance(actual, tuple):
            actual = list(actual)
        if actual != value:
            return False
    return True


def check_expectations(schema: Schema, expect: dict[str, Any]) -> list[str]:
    """Problems with ``schema`` against a case's ``expect`` block (empty when all hold)."""
    problems = []
    for key, wanted in expect.items():
        if schema.table(key) is not None:
            table_name, column_name = key, ""
        else:
            table_name, _, column_name = key.partition(".")
        table = schema.table(table_name)
        if table is None:
            problems.append(f"{key}: no table {table_name!r} in {schema.table_names}")
            continue
        if column_name:
            column = table.column(column_name)
            if column is None:
                problems.append(f"{key}: no such column in {table.column_names}")
            elif not _matches(column, wanted):
                problems.append(f"{key}: expected {wanted}, got {column}")
            continue
        problems.extend(_check_table(key, table, wanted))
    return problems


def _check_table(key: str, table, wanted: dict[str, Any]) -> list[str]:
    problems = []
    for field, value in wanted.items():
        if field == "primary_key":
            actual = list(table.primary_key.columns) if table.primary_key else None
        elif field == "uniques":
            actual = sorted(list(u.columns) for u in table.uniques)
            value = sorted(value)
        elif field in ("indexes", "foreign_keys"):
            objects = getattr(table, field)
            if not value and objects:
                problems.append(f"{key}: expected no {field}, got {objects}")
            for item in value:
                if not any(_matches(o, item) for o in objects):
                    problems.append(f"{key}: no {field[:-1]} matching {item} in {objects}")
            continue
        elif field == "checks":
            actual = len(table.checks)
        elif field == "options":
            actual = {k: v for k, v in table.options if k in value}
        elif field == "columns":
            actual = list(table.column_names)
        else:
            actual = getattr(table, field)
        if actual != value:
            problems.append(f"{key}.{field}: expected {value!r}, got {actual!r}")
    return problems
