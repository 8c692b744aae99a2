"""The database after its migrations, checked against the models by fastapp's own engine:
the same desired schema and diff ``auto_migrate --check`` uses, so "the migrations are
complete" and "auto_migrate has nothing to do" mean the same thing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapp.tortoise.tables import BOOKKEEPING_TABLES

if TYPE_CHECKING:
    from fastapp.apps import AppRegistry


@dataclass(frozen=True)
class Drift:
    """One difference between a connection's database and its models."""

    alias: str
    table: str
    #: The column concerned, ``None`` for a table-level difference.
    column: str | None
    change: str
    safety: str

    def describe(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{self.alias}: {where}: {self.change}"


async def drift(registry: AppRegistry, apps: Sequence[str] = ()) -> list[Drift]:
    """What auto_migrate would still change, per connection, table and column, ignoring
    the bookkeeping tables (``tortoise_migrations``, fastapp's progress table); empty when the database matches."""
    from fastapp.apply.executor import read_live
    from fastapp.connections.raw import raw_connection
    from fastapp.desired.read import desired_schema, models_ddl
    from fastapp.diff.compare import DiffOptions, diff

    found: list[Drift] = []
    connections = registry.connections()
    for alias, ddl in (await models_ddl(registry, apps)).items():
        cfg = connections[alias]
        desired = await desired_schema(cfg, ddl)
        async with raw_connection(cfg) as conn:
            current = await read_live(cfg, conn)
        current = current.only(n for n in current.table_names if n not in BOOKKEEPING_TABLES)
        # Models cannot declare MySQL's ON UPDATE or a live-only clause (UNLOGGED, RLS...):
        # kept, never reported as drift.
        options = DiffOptions(drop_tables=not apps, keep_on_update=True, keep_live_clauses=True)
        plan = diff(current, desired, options)
        for op in plan.ops:
            column = getattr(op, "column", None)
            name = getattr(column, "name", column)
            found.append(Drift(alias, op.table, name, op.describe(), op.safety))
    return found
