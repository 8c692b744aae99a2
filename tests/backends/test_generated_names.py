"""The names fastapp gives unnamed objects are the names the server stores (no truncation)."""

from __future__ import annotations

import asyncio

from fastapp.diff import ops as o
from fastapp.introspect.exporter import read_schema
from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    PrimaryKey,
    Table,
    UniqueConstraint,
)
from fastapp.sql.plan import get_renderer
from tests.backends import live

#: 57 characters, 60 bytes: within every limit; the generated names are longer than
#: PostgreSQL's 63 bytes but (mostly) within MySQL's 64 characters.
TABLE = "übersicht_der_größenangaben_für_artikel_im_lager_ab_jahr"
COLUMNS = ("länge_in_zentimetern", "breite_in_zentimetern")


def test_server_keeps_generated_names(fresh_db):
    dialect = fresh_db.dialect_name
    key = Column("id", "integer", nullable=False)
    columns = (key, *(Column(n, "integer", nullable=False) for n in COLUMNS))
    table = Table(
        TABLE,
        columns,
        PrimaryKey(("id",)),
        uniques=(UniqueConstraint(COLUMNS),),
        foreign_keys=(ForeignKey((COLUMNS[0],), TABLE, ("id",)),),
        checks=(CheckConstraint(f"{COLUMNS[1]} > 0"),),
        indexes=(Index((COLUMNS[1], COLUMNS[0])),),
    )
    renderer = get_renderer(dialect)
    named = renderer.named(table)
    live.execute(fresh_db, *renderer.op_create_table(o.CreateTable(TABLE, table)))

    (read,) = asyncio.run(read_schema(fresh_db)).tables
    assert read.name == TABLE
    assert [ix.name for ix in read.indexes] == [named.indexes[0].name]
    if dialect != "sqlite":  # SQLite reports neither constraint names nor keeps them apart
        assert [u.name for u in read.uniques] == [named.uniques[0].name]
        assert [fk.name for fk in read.foreign_keys] == [named.foreign_keys[0].name]
        assert [c.name for c in read.checks] == [named.checks[0].name]
    # The readable name has more bytes than PostgreSQL keeps: the case the byte count is for.
    assert len(f"{TABLE}_{COLUMNS[1]}_{COLUMNS[0]}_idx".encode()) > 63
