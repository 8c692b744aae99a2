"""What reverse generation reads off the Schema before naming anything: which tables are
pure join tables (a ``ManyToManyField``), which columns are keys and unique, which indexes
Tortoise can write, and the order the classes come in.

Pure functions of Schema values; :mod:`fastapp.reverse.model` builds the models from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapp.reverse.types import AUTO_FK_INDEX
from fastapp.schema.objects import Column, Index, Schema, Table
from fastapp.schema.toposort import creation_order

#: Tortoise takes an index "field" holding one of these for an expression and leaves it
#: unquoted, which breaks the DDL: indexes on such columns are left as TODO comments.
UNQUOTED_INDEX_CHARS = (" ", "(", ")", '"', ".", ":")


def index_safe(columns: tuple[str, ...]) -> bool:
    """Whether Tortoise writes an index on ``columns`` with every name quoted."""
    return not any(ch in c for c in columns for ch in UNQUOTED_INDEX_CHARS)


@dataclass(frozen=True)
class Join:
    """A pure join table: column 0 points at ``source`` (backward key), column 1 at ``target``."""

    table: Table
    source: str
    target: str
    backward: str
    forward: str
    on_delete: str


def with_references(schema: Schema, names: Iterable[str]) -> tuple[list[str], list[str]]:
    """``names`` plus every table they reference, transitively: (all sorted, added sorted)."""
    by_name = {t.name: t for t in schema.tables}
    wanted = set(names)
    stack = list(wanted)
    added: set[str] = set()
    while stack:
        table = by_name.get(stack.pop())
        if table is None:
            continue
        for ref in table.references:
            if ref not in wanted and ref in by_name:
                wanted.add(ref)
                added.add(ref)
                stack.append(ref)
    return sorted(wanted), sorted(added)


def dependency_order(tables: list[Table]) -> list[Table]:
    """Referenced tables first, ties by name; tables in a cycle follow in name order."""
    # A cycle: string references make any order importable, so nothing is deferred.
    return creation_order(tables, can_defer=False)[0]


def single_pk(table: Table) -> str | None:
    """The column of ``table``'s one-column primary key, else None."""
    pk = table.primary_key
    return pk.columns[0] if pk is not None and len(pk.columns) == 1 else None


def plain_index(index: Index) -> bool:
    """An index on plain columns only: no method, predicate, order, expression, prefix, nor
    any clause of PostgreSQL's vocabulary (INCLUDE, operator class, COLLATE, NULLS order,
    NULLS NOT DISTINCT, storage parameters, comment)."""
    return not (
        index.method
        or index.where
        or any(index.orders)
        or any(index.expressions)
        or any(index.lengths)
        or extra_clauses(index)
    )


def extra_clauses(index: Index) -> bool:
    """Whether ``index`` uses a clause no Tortoise index class can say."""
    return bool(
        index.include
        or index.opclasses
        or index.collations
        or index.nulls_order
        or index.nulls_not_distinct
        or index.storage
        or index.comment
    )


def unique_columns(table: Table) -> set[tuple[str, ...]]:
    """The column sets of ``table`` that are unique (constraints and plain unique indexes)."""
    found = {u.columns for u in table.uniques}
    found.update(i.columns for i in table.indexes if i.unique and plain_index(i))
    return found


def column_shape(column: Column) -> tuple:
    """What must match between a key and the column referencing it (type and size)."""
    return (column.type, column.length, column.precision, column.scale, column.unsigned)


def join_table(
    dialect: str,
    by_name: dict[str, Table],
    table: Table,
    selected: set[str],
    referenced: set[str],
) -> Join | None:
    """The join-table reading of ``table`` when it is exactly what ManyToManyField creates."""
    if len(table.columns) != 2 or len(table.foreign_keys) != 2 or table.checks:
        return None
    if table.name in referenced:
        return None
    first, second = table.columns
    if any(
        c.nullable or c.default or c.comment or c.autoincrement or c.generated
        for c in (first, second)
    ):
        return None
    fks = {fk.columns: fk for fk in table.foreign_keys}
    fk_a, fk_b = fks.get((first.name,)), fks.get((second.name,))
    if fk_a is None or fk_b is None:
        return None
    if (
        fk_a.on_delete != fk_b.on_delete
        or fk_a.on_update != "NO ACTION"
        or fk_b.on_update != "NO ACTION"
    ):
        return None
    pair = (first.name, second.name)
    pk = table.primary_key.columns if table.primary_key else None
    if pk not in (None, pair) or (pair not in unique_columns(table) and pk != pair):
        return None
    for index in table.indexes:
        if index.columns == pair and index.unique:
            continue
        if not (
            dialect in AUTO_FK_INDEX
            and plain_index(index)
            and not index.unique
            and len(index.columns) == 1
            and index.columns[0] in pair
        ):
            return None
    for column, fk in ((first, fk_a), (second, fk_b)):
        target = by_name.get(fk.ref_table)
        if target is None or fk.ref_table not in selected:
            return None
        ref_pk = single_pk(target)
        if ref_pk is None or fk.ref_columns != (ref_pk,):
            return None
        if column_shape(target.column(ref_pk)) != column_shape(column):
            return None
    return Join(table, fk_a.ref_table, fk_b.ref_table, first.name, second.name, fk_a.on_delete)


def index_todo(index: Index) -> str:
    """Why an index stays a comment, with its definition."""
    text = f"index not expressible in Tortoise: {'UNIQUE ' if index.unique else ''}"
    text += f"({', '.join(index.columns)})"
    text += f" USING {index.method}" if index.method else ""
    text += f" WHERE {index.where}" if index.where else ""
    text += " with DESC columns" if any(index.orders) else ""
    if any(index.lengths):
        prefixes = ", ".join(
            f"{c}({n})" for c, n in zip(index.columns, index.lengths, strict=False) if n
        )
        text += f" with prefix lengths {prefixes}"
    if extra_clauses(index):
        text += " with " + ", ".join(_extra_words(index))
    if any(index.expressions):
        text += " (an expression index)"
    elif plain_index(index) and not index_safe(index.columns):
        text += " (Tortoise leaves names with spaces or punctuation unquoted)"
    return text


def _extra_words(index: Index) -> list[str]:
    words = [
        ("INCLUDE", index.include),
        ("operator classes", index.opclasses),
        ("COLLATE", index.collations),
        ("NULLS FIRST/LAST", index.nulls_order),
        ("NULLS NOT DISTINCT", index.nulls_not_distinct),
        ("storage parameters", index.storage),
        ("a comment", index.comment),
    ]
    return [word for word, value in words if value]
