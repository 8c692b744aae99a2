"""Property: for random pairs of schemas on each backend, migrating a database from one to
the other converges (the second diff is empty, the result reads back as the desired schema,
and the server reports it exactly as a database built directly from the desired DDL). Schemas come from a portable DDL subset; columns keep a type family per name so
every type change has a cast path on every backend."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapp import testing
from fastapp.apply.executor import ApplyOptions, migrate_database
from fastapp.connections.raw import raw_connection
from fastapp.desired.read import DesiredDDL, desired_schema
from fastapp.diff.compare import diff
from tests.corpus.convergence.harness import (
    comparable,
    execute_script,
    fast_commits,
    read,
    reference_differences,
    reset,
)

#: Column name -> the types it may take (one family per name).
FAMILIES = {
    "c1": ["INTEGER", "BIGINT", "VARCHAR(10)", "VARCHAR(40)", "DECIMAL(8,2)"],
    "c2": ["INTEGER", "BIGINT", "VARCHAR(10)", "VARCHAR(40)", "TEXT"],
    "c3": ["VARCHAR(10)", "VARCHAR(40)", "TEXT", "INTEGER"],
    "qty": ["INTEGER", "BIGINT", "SMALLINT"],
    "flag": ["BOOLEAN"],
    "day": ["DATE"],
}
DEFAULTS = {
    "INTEGER": "7",
    "BIGINT": "7",
    "SMALLINT": "7",
    "DECIMAL(8,2)": "1.5",
    "BOOLEAN": "FALSE",
}
TABLES = ("ta", "tb", "tc")


@st.composite
def column(draw, name: str) -> tuple[str, str]:
    sql_type = draw(st.sampled_from(FAMILIES[name]))
    not_null = draw(st.booleans())
    default = DEFAULTS.get(sql_type) if sql_type.startswith("VARCHAR") is False else "'x'"
    if sql_type.startswith("VARCHAR"):
        default = "'x'"
    text = f"{name} {sql_type}"
    if draw(st.booleans()) and default is not None:
        text += f" DEFAULT {default}"
    if not_null:
        text += " NOT NULL"
    return sql_type, text


@st.composite
def schema_ddl(draw) -> str:
    names = draw(st.lists(st.sampled_from(TABLES), min_size=1, max_size=3, unique=True))
    names.sort()
    statements = []
    for position, table in enumerate(names):
        chosen = draw(
            st.lists(st.sampled_from(sorted(FAMILIES)), min_size=1, max_size=4, unique=True)
        )
        parts = ["id INTEGER NOT NULL PRIMARY KEY"]
        indexable = []
        for name in sorted(chosen):
            sql_type, text = draw(column(name))
            parts.append(text)
            if sql_type != "TEXT":
                indexable.append(name)
        if position and draw(st.booleans()):
            parent = draw(st.sampled_from(names[:position]))
            action = draw(st.sampled_from(["", " ON DELETE CASCADE", " ON DELETE SET NULL"]))
            parts.append(f"ref_id INTEGER REFERENCES {parent} (id){action}")
        if indexable and draw(st.booleans()):
            unique = draw(st.lists(st.sampled_from(indexable), min_size=1, max_size=2, unique=True))
            parts.append(f"UNIQUE ({', '.join(unique)})")
        if "qty" in chosen and draw(st.booleans()):
            parts.append(draw(st.sampled_from(["CHECK (qty >= 0)", "CHECK (qty < 1000)"])))
        statements.append(f"CREATE TABLE {table} ({', '.join(parts)})")
        if len(indexable) >= 1 and draw(st.booleans()):
            cols = draw(st.lists(st.sampled_from(indexable), min_size=1, max_size=2, unique=True))
            statements.append(f"CREATE INDEX {table}_ix ON {table} ({', '.join(cols)})")
    return ";\n".join(statements) + ";\n"


def test_random_schema_pairs_converge(backend, module_db, tmp_path):
    reference = testing.scratch_config(backend, tmp_path)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(reference.dialect.create_database(reference))
    loop.run_until_complete(fast_commits(module_db))
    loop.run_until_complete(fast_commits(reference))

    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(current=schema_ddl(), desired=schema_ddl())
    def converge(current: str, desired: str) -> None:
        async def scenario():
            async with raw_connection(module_db) as conn:
                await reset(module_db, conn)
                await execute_script(module_db, current, conn)
            wanted = await desired_schema(
                module_db, DesiredDDL(desired, "generated", backend), use_cache=False
            )
            await migrate_database(
                module_db, wanted, ApplyOptions(guided=False, allow_destructive=True)
            )
            async with raw_connection(module_db) as conn:
                after = await read(module_db, conn)
                second = diff(after, wanted)
                assert second.is_empty, f"second diff: {second.describe()}"
                assert comparable(after) == comparable(wanted)
                lines = await reference_differences(module_db, conn, reference, desired)
                assert not lines, "differs from the desired DDL built directly: " + "; ".join(lines)

        loop.run_until_complete(scenario())

    try:
        converge()
    finally:
        loop.run_until_complete(reference.dialect.drop_database(reference))
        loop.close()
