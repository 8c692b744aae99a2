"""What every scratch space shares: the strategy interface, and how a generated script is cut
into parts that may be created side by side (levels, independent groups of tables)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from fastapp.connections.url import DatabaseConfig
    from fastapp.desired.ddl import DesiredDDL, TableDDL
    from fastapp.schema.objects import Schema

#: ``(line, statement)`` pairs, as :meth:`DesiredDDL.statements` gives them.
Statements = Sequence[tuple[int, str]]


class ScratchSpace:
    """Applies DDL somewhere disposable and reads it back."""

    dialect_name: ClassVar[str]
    #: For messages: where the desired DDL is applied, and the right that takes.
    scratch_kind: ClassVar[str] = "scratch space"
    needs: ClassVar[str] = "create tables"
    #: The backend accepts a foreign key to a table created later in the same script
    #: (SQLite always; MySQL with foreign key checks off, as the scratch database runs).
    forward_references: ClassVar[bool] = True
    identity_sql: ClassVar[str] = "SELECT 1"

    async def read(self, cfg: DatabaseConfig, ddl: DesiredDDL) -> Schema:
        raise NotImplementedError

    async def server_identity(self, cfg: DatabaseConfig) -> str:
        """What, besides the DDL and fastapp's code, shapes the Schema read back: the server
        version and every setting that changes what the catalog prints (for the cache key).
        One query on a session opened as the scratch sessions are (``cfg``'s parameters)."""
        from fastapp.connections.raw import raw_connection

        async with raw_connection(cfg) as conn:
            values = await cfg.dialect.fetch_scalar_list(conn, self.identity_sql)
        return "|".join(str(v) for v in values)

    async def apply_each(self, dialect: Any, conn: Any, ddl: DesiredDDL) -> None:
        """Run ``ddl`` statement by statement; the first failure names its line."""
        for line, statement in ddl.statements():
            try:
                await dialect.execute_raw(conn, statement)
            except Exception as exc:
                raise ddl.error(line, statement, exc) from exc

    def cyclic_script(self, tables: Sequence[Any]) -> tuple[str, ...]:
        """The statements of generated ``tables`` whose foreign keys form a cycle.

        Where forward references are accepted, tables simply come in name order. Elsewhere
        (PostgreSQL) the tables come in dependency order; a table stuck in a cycle is created
        without its column references to tables not yet created, which are added with
        ``ALTER TABLE ... ADD FOREIGN KEY`` at the end.
        """
        if self.forward_references:
            return tuple(s for t in sorted(tables, key=lambda t: t.table) for s in t.statements)
        from fastapp.schema.toposort import toposort

        by_name = {t.table: t for t in tables}
        result = toposort(by_name, lambda name: by_name[name].references, break_cycles=True)
        broken = set(result.broken)
        outside = set().union(*(t.references for t in tables)) - by_name.keys()
        parts: list[str] = []
        deferred: list[str] = []
        for i, name in enumerate(result.order):
            if name not in broken:
                parts.extend(by_name[name].statements)
                continue
            create, *rest = by_name[name].statements
            create, later = split_references(create, {*result.order[: i + 1], *outside}, self)
            parts.append(create)
            parts.extend(rest)
            deferred.extend(later)
        return tuple(parts + deferred)


def split_references(create: str, keep: set[str], space: ScratchSpace) -> tuple[str, list[str]]:
    """``create`` without its column references to tables outside ``keep``, and the
    ``ALTER TABLE`` statements adding them back (sqlglot does the rewriting)."""
    import sqlglot
    from sqlglot import exp

    from fastapp.dialects import get_dialect

    name = get_dialect(space.dialect_name).sqlglot_name
    tree = sqlglot.parse_one(create, read=name)
    table = tree.find(exp.Table)
    later = []
    for column in tree.find_all(exp.ColumnDef):
        for constraint in list(column.args.get("constraints") or ()):
            reference = constraint.args.get("kind")
            if not isinstance(reference, exp.Reference):
                continue
            target = reference.find(exp.Table)
            if target is None or target.name in keep:
                continue
            constraint.pop()
            later.append(
                f"ALTER TABLE {table.sql(dialect=name)} ADD FOREIGN KEY "
                f"({column.this.sql(dialect=name)}) {reference.sql(dialect=name)}"
            )
    return tree.sql(dialect=name), later


def catalog_reader(dialect: str, namespace: str | None = None):
    from fastapp.introspect import get_catalog_reader

    return get_catalog_reader(dialect, namespace=namespace)


async def run_together(coroutines: Any) -> None:
    """Run ``coroutines`` together; on the first failure the others are cancelled (their
    connections free again) and that failure is raised as it is."""
    try:
        async with asyncio.TaskGroup() as group:
            for coroutine in coroutines:
                group.create_task(coroutine)
    except BaseExceptionGroup as failures:
        first = failures.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from first.__cause__


def table_statements(ddl: DesiredDDL, statements: Statements) -> list[list] | None:
    """Each generated table's ``(line, statement)`` pairs, in creation order; ``None`` when
    the script is not per-table generated DDL (a file, or foreign keys in a cycle)."""
    if ddl.tables is None or sum(len(t.statements) for t in ddl.tables) != len(statements):
        return None
    pairs = iter(statements)
    return [[next(pairs) for _ in table.statements] for table in ddl.tables]


def levels(ddl: DesiredDDL, statements: Statements) -> list[list[list]]:
    """Levels of tables, each table its ``(line, statement)`` pairs: the tables of a level
    only need those of the levels before it, so a level's tables may go to any connection.

    A table's level is one more than the highest level among the tables its foreign keys
    reference (tables outside the script do not count). Without per-table DDL the whole
    script is one unit, run in order on one connection.
    """
    per_table = table_statements(ddl, statements)
    if per_table is None:
        return [[list(statements)]]
    assert ddl.tables is not None
    level_of: dict[str, int] = {}
    found: list[list[list]] = []
    for table, pairs in zip(ddl.tables, per_table, strict=True):  # referenced tables first
        level = 1 + max(
            (level_of[r] for r in table.references if r in level_of and r != table.name),
            default=-1,
        )
        level_of[table.name] = level
        while len(found) <= level:
            found.append([])
        found[level].append(pairs)
    return found


def outside_references(ddl: DesiredDDL) -> set[str]:
    """Tables the script's foreign keys reference without creating them (live ones:
    ``--apps`` leaves the other apps' tables out)."""
    if ddl.tables is None:
        return set()
    names = {t.name for t in ddl.tables}
    return {ref for t in ddl.tables for ref in t.references} - names


def _components(ddl: DesiredDDL, everywhere: frozenset[str]) -> list[list[str]] | None:
    """The script's tables in foreign-key components (names in creation order, components
    by their first table); ``None`` as :func:`independent_groups` says."""
    if ddl.tables is None:
        return None
    names = {t.name for t in ddl.tables}
    parent = {name: name for name in names}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for table in ddl.tables:
        for ref in table.references:
            if ref in everywhere:
                continue
            if ref not in names:
                return None
            parent[root(ref)] = root(table.name)
    components: dict[str, list[str]] = {}
    for table in ddl.tables:
        components.setdefault(root(table.name), []).append(table.name)
    return list(components.values())


def independent_groups(
    ddl: DesiredDDL, count: int, everywhere: frozenset[str] = frozenset()
) -> list[list[TableDDL]] | None:
    """The script's tables in at most ``count`` groups, no foreign key between two groups,
    each group in creation order; sizes balanced by table count. ``None`` when that cannot
    be known (no per-table DDL) or a table references one outside the script, unless that
    one is in ``everywhere`` (a table every group will have)."""
    components = _components(ddl, everywhere)
    if components is None:
        return None
    assert ddl.tables is not None
    groups: list[list[str]] = [[] for _ in range(max(1, count))]
    for members in sorted(components, key=len, reverse=True):
        min(groups, key=len).extend(members)
    order = {t.name: i for i, t in enumerate(ddl.tables)}
    by_name = {t.name: t for t in ddl.tables}
    return [[by_name[n] for n in sorted(g, key=order.__getitem__)] for g in groups if g]


@dataclass(frozen=True)
class TableBatch:
    """Tables created together (in creation order), and the tables of earlier batches their
    foreign keys reference (``needs``: present as copies while this batch is built)."""

    tables: tuple[TableDDL, ...]
    needs: frozenset[str] = frozenset()

    @property
    def statements(self) -> int:
        """Statements run for this batch, a copy of each needed table included."""
        return sum(len(t.statements) for t in self.tables) + len(self.needs)


def batches(
    ddl: DesiredDDL, limit: int, everywhere: frozenset[str] = frozenset()
) -> list[TableBatch] | None:
    """The script's tables cut into batches of about ``limit`` statements: whole foreign-key
    components packed together, a component bigger than ``limit`` cut in creation order
    (a batch then ``needs`` tables of earlier ones; a table is never cut). ``None`` as
    :func:`independent_groups` says."""
    components = _components(ddl, everywhere)
    if components is None:
        return None
    assert ddl.tables is not None
    by_name = {t.name: t for t in ddl.tables}
    found: list[TableBatch] = []
    packed: list[TableDDL] = []
    size = 0

    def flush() -> None:
        nonlocal packed, size
        if packed:
            found.append(_cut(packed, everywhere))
        packed, size = [], 0

    for names in components:
        members = [by_name[n] for n in names]
        whole = sum(len(t.statements) for t in members)
        if size + whole > limit:
            flush()
        if whole <= limit:
            packed.extend(members)
            size += whole
            continue
        for table in members:  # too big for one batch: cut in creation order
            if packed and size + len(table.statements) > limit:
                flush()
            packed.append(table)
            size += len(table.statements)
    flush()
    return found


def _cut(tables: Sequence[TableDDL], everywhere: frozenset[str]) -> TableBatch:
    inside = {t.name for t in tables}
    needs = {r for t in tables for r in t.references} - inside - everywhere
    return TableBatch(tuple(tables), frozenset(needs))
