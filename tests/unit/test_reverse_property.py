"""Property: whatever the Schema, reverse generation gives a module Python and Tortoise accept.

Random schemas mix awkward names (keywords, spaces, unicode, digits, names that collide once
sanitized), known and unknown types, defaults, unique and plain indexes and foreign keys; the
module must compile, name every table once, and (for a sample) load into Tortoise.
"""

from __future__ import annotations

import asyncio
import re
import sys
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapp.reverse import generate_models
from fastapp.schema.objects import (
    Column,
    ForeignKey,
    Index,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)

NAMES = [
    "id", "name", "class", "First Name", "first_name", "2nd", "pk", "filter", "prénom",
    "user_id", "user", "order", "a-b", "x.y", "_hidden", "Meta", "fields", "None", "ключ",
]  # fmt: skip
TYPES = [
    Column("c", "integer"),
    Column("c", "bigint"),
    Column("c", "varchar", length=30),
    Column("c", "char", length=36),
    Column("c", "text"),
    Column("c", "boolean"),
    Column("c", "decimal", precision=8, scale=2),
    Column("c", "decimal"),
    Column("c", "double"),
    Column("c", "timestamptz"),
    Column("c", "date"),
    Column("c", "uuid"),
    Column("c", "jsonb"),
    Column("c", "blob"),
    Column("c", "enum", enum_values=("a", "b c", "")),
    Column("c", "inet"),
    Column("c", "geometry(point)", known_type=False),
]
DEFAULTS = [
    None,
    "0",
    "-3",
    "1.50",
    "'x'",
    "'it''s'",
    "TRUE",
    "CURRENT_TIMESTAMP",
    "now()",
    "1 + 2",
]


@st.composite
def schemas(draw) -> Schema:
    dialect = draw(st.sampled_from(["postgres", "mysql", "sqlite"]))
    table_names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True))
    tables = []
    for name in table_names:
        columns = [Column("id", "integer", nullable=False, autoincrement=True)]
        for col_name in draw(st.lists(st.sampled_from(NAMES[1:]), max_size=6, unique=True)):
            kind = draw(st.sampled_from(TYPES))
            columns.append(
                Column(
                    col_name,
                    kind.type,
                    length=kind.length,
                    precision=kind.precision,
                    scale=kind.scale,
                    nullable=draw(st.booleans()),
                    default=draw(st.sampled_from(DEFAULTS)),
                    enum_values=kind.enum_values,
                    known_type=kind.known_type,
                    comment=draw(st.sampled_from([None, 'say "hi"', "a\\b"])),
                )
            )
        others = [c.name for c in columns[1:]]
        uniques = [
            UniqueConstraint((c,)) for c in others if draw(st.booleans()) and draw(st.booleans())
        ]
        indexes = [Index((c,)) for c in others if draw(st.booleans()) and draw(st.booleans())]
        if len(others) >= 2 and draw(st.booleans()):
            indexes.append(Index(tuple(others[:2]), unique=draw(st.booleans())))
        fks = []
        for c in columns[1:]:
            if c.type == "integer" and draw(st.booleans()):
                target = draw(st.sampled_from(table_names))
                action = draw(st.sampled_from(["NO ACTION", "CASCADE", "SET NULL", "RESTRICT"]))
                fks.append(ForeignKey((c.name,), target, ("id",), on_delete=action))
        tables.append(
            Table(
                name,
                columns=tuple(columns),
                primary_key=PrimaryKey(("id",)),
                uniques=tuple(uniques),
                indexes=tuple(indexes),
                foreign_keys=tuple(fks),
                comment=draw(st.sampled_from([None, "a table"])),
            )
        )
    for n in range(draw(st.integers(0, 2))):
        # A join table: exactly what ManyToManyField creates, sometimes to the same table twice.
        left, right = draw(st.sampled_from(table_names)), draw(st.sampled_from(table_names))
        a, b = f"{left}_id", f"{right}_ref" if left == right else f"{right}_id"
        tables.append(
            Table(
                f"join {n}",
                columns=(
                    Column(a, "integer", nullable=False),
                    Column(b, "integer", nullable=False),
                ),
                uniques=(UniqueConstraint((a, b)),),
                foreign_keys=(
                    ForeignKey((a,), left, ("id",), on_delete="CASCADE"),
                    ForeignKey((b,), right, ("id",), on_delete="CASCADE"),
                ),
            )
        )
    if draw(st.booleans()):
        # Without its primary key, or with a composite one.
        first = tables[0]
        pk = draw(st.sampled_from([None, PrimaryKey(first.column_names[:2])]))
        tables[0] = Table(first.name, columns=first.columns, primary_key=pk)
    return Schema(dialect, tables=tuple(tables))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas())
def test_any_schema_gives_a_module_that_compiles(schema):
    generated = generate_models(schema)
    compile(generated.source, "<generated>", "exec")
    assert sorted(generated.models + generated.join_tables) == sorted(schema.table_names)
    classes = re.findall(r"^class (\w+)\(", generated.source, re.MULTILINE)
    assert len(classes) == len(set(classes))
    assert generated.source.count("(Model):") == len(generated.models)


def _load_into_tortoise(source: str, tmp_path) -> None:
    package = f"prop_{uuid.uuid4().hex[:10]}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "models.py").write_text(source.replace('"models.', f'"{package}.'))
    sys.path.insert(0, str(tmp_path))

    async def init() -> None:
        from tortoise.context import TortoiseContext

        from fastapp.tortoise.generated import connection_models, generated_tables

        ctx = TortoiseContext()
        with ctx:
            await ctx.init(db_url="sqlite://:memory:", modules={package: [f"{package}.models"]})
            try:
                # Table by table, as `migrate` renders them (get_schema_sql refuses FK cycles).
                client = ctx.db("default")
                tables = generated_tables(client, connection_models(client, ctx.apps))
                assert tables and all(t.statements for t in tables)
            finally:
                await ctx.close_connections()

    try:
        asyncio.run(init())
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(schema=schemas())
def test_any_schema_gives_models_tortoise_accepts(tmp_path, schema):
    _load_into_tortoise(generate_models(schema).source, tmp_path)
