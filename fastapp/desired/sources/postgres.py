"""PostgreSQL expressions whose printed text is not a fixed point.

PostgreSQL stores an expression as a tree and prints it back (``pg_get_expr``,
``pg_get_constraintdef``, ``pg_get_indexdef``) with the casts it inferred spelled out. Written
again, that text is sometimes stored as another tree, printed differently:
``CHECK (state IN ('open', 'closed'))`` on a VARCHAR column prints
``(state)::text = ANY ((ARRAY['open'::character varying, ...])::text[])``, which, written
again, is stored as ``ARRAY[('open'::character varying)::text, ...]``. The Schema carries the
printed text (normalized), and that is what a DDL writer would write back: such an
expression would never be reproduced.

:func:`attach_sources` runs in the scratch session, after the desired DDL was applied and read
back, before the scratch space is rolled back or dropped. For every check, exclusion
constraint, index predicate and expression, default and generation expression whose printed
text holds a cast (text without one is printed as it was written), it writes the text a DDL
writer would write next to the original (in a savepoint, rolled back) and compares what the
server prints. For one that differs it probes the same way the texts the desired DDL wrote on
that table (read by sqlglot), then the printed text itself: the first one the server prints
exactly as the original becomes the object's ``sources`` entry, which the DDL writers write.
When none does, the table gets an :class:`~fastapp.schema.objects.Unmodelled` naming the
object, which the diff refuses before anything runs.

The catalog reader keeps each printed text (``printed``) and the diff compares it where both
sides have it, so a live object stored from another text that normalizes alike is made again
from the source text.

Cost: nothing for a Schema without such expressions (plain literal defaults do not count:
the server stores a literal coerced to the column's type, whatever its spelling), else one
catalog query, and probes only for the expressions with a cast.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapp.desired.ddl import DesiredDDL
    from fastapp.schema.objects import Schema, Table

#: The name of the object a probe creates (in a savepoint, rolled back).
_PROBE = "fastapp_probe"

# One row per expression of the named tables ($2) of the namespace whose printed text holds a
# cast: (table, table oid, kind, object name, part, printed text, column type). The tables are
# found once by name (pg_class's index on name and namespace; a filter on the namespace alone
# scanned all of pg_class, once per branch) and every branch starts from them.
_PRINTED_SQL = """
WITH tab AS MATERIALIZED (
    SELECT c.oid, c.relname FROM pg_catalog.pg_class c
    WHERE c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1)
      AND c.relname = ANY ($2::name[])
)
SELECT * FROM (
SELECT c.relname, c.oid, 'check' AS kind, con.conname, 'expression' AS part,
       pg_catalog.pg_get_expr(con.conbin, con.conrelid) AS printed, NULL::text AS type_text
FROM pg_catalog.pg_constraint con JOIN tab c ON c.oid = con.conrelid
WHERE con.contype = 'c'
UNION ALL
SELECT c.relname, c.oid, 'exclusion', con.conname, 'definition',
       pg_catalog.pg_get_constraintdef(con.oid, true), NULL
FROM pg_catalog.pg_constraint con JOIN tab c ON c.oid = con.conrelid
WHERE con.contype = 'x'
UNION ALL
SELECT c.relname, c.oid, 'index', ic.relname, 'where',
       pg_catalog.pg_get_expr(ix.indpred, ix.indrelid), NULL
FROM pg_catalog.pg_index ix JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid
JOIN tab c ON c.oid = ix.indrelid
WHERE ix.indpred IS NOT NULL
UNION ALL
SELECT c.relname, c.oid, 'index', ic.relname, 'columns.' || (k.i - 1),
       pg_catalog.pg_get_indexdef(ix.indexrelid, k.i::int, true), NULL
FROM pg_catalog.pg_index ix JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid
JOIN tab c ON c.oid = ix.indrelid,
LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, i)
WHERE k.attnum = 0 AND k.i <= ix.indnkeyatts
UNION ALL
SELECT c.relname, c.oid, 'column', a.attname,
       CASE WHEN a.attgenerated = '' THEN 'default' ELSE 'generated' END,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid),
       pg_catalog.format_type(a.atttypid, a.atttypmod)
FROM pg_catalog.pg_attrdef d
JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
JOIN tab c ON c.oid = d.adrelid
) printed WHERE printed.printed LIKE '%::%'
ORDER BY 1, 3, 4, 5
"""

# What the server prints for the probe object, by part kind ($1 the table's oid).
_READ_BACK = {
    "expression": "SELECT pg_catalog.pg_get_expr(conbin, conrelid) FROM pg_catalog.pg_constraint "
    f"WHERE conrelid = $1 AND conname = '{_PROBE}'",
    "definition": "SELECT pg_catalog.pg_get_constraintdef(oid, true) FROM pg_catalog.pg_constraint "
    f"WHERE conrelid = $1 AND conname = '{_PROBE}'",
    "where": "SELECT pg_catalog.pg_get_expr(ix.indpred, ix.indrelid) FROM pg_catalog.pg_index ix "
    "JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid "
    f"WHERE ix.indrelid = $1 AND ic.relname = '{_PROBE}'",
    "columns": "SELECT pg_catalog.pg_get_indexdef(ix.indexrelid, $2, true) "
    "FROM pg_catalog.pg_index ix JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid "
    f"WHERE ix.indrelid = $1 AND ic.relname = '{_PROBE}'",
    "default": "SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d "
    "JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
    "WHERE d.adrelid = $1 AND a.attname = $2",
}
_READ_BACK["generated"] = _READ_BACK["default"]

#: How a refusal names the clause of each part kind.
_CLAUSE = {
    "expression": "CHECK",
    "definition": "EXCLUDE",
    "where": "WHERE",
    "columns": "index expression",
    "default": "DEFAULT",
    "generated": "GENERATED ALWAYS AS",
}


@dataclass(frozen=True)
class Printed:
    """One expression as the server printed it: ``part`` of object ``name`` (``kind``:
    check, exclusion, index, column) of ``table``."""

    table: str
    oid: int
    kind: str
    name: str
    part: str
    text: str
    type_text: str | None = None

    @property
    def part_kind(self) -> str:
        """``columns.2`` -> ``columns``."""
        return self.part.split(".", 1)[0]

    @property
    def position(self) -> int:
        return int(self.part.split(".", 1)[1])


async def attach_sources(
    conn: Any, namespace: str, schema: Schema, ddl: DesiredDDL, skip: frozenset[str] = frozenset()
) -> Schema:
    """``schema`` (just read from ``namespace`` on ``conn``, the scratch session) with a
    ``sources`` entry on every expression whose printed text does not reproduce itself, and an
    :class:`~fastapp.schema.objects.Unmodelled` on its table when nothing in ``ddl`` does.
    Tables in ``skip`` (copies of tables the script only references) are left alone."""
    tables = {t.name: t for t in schema.tables if t.name not in skip and _has_expressions(t)}
    if not tables:
        return schema
    found: dict[str, list[Printed]] = defaultdict(list)
    for row in await conn.fetch(_PRINTED_SQL, namespace, sorted(tables)):
        found[row[0]].append(Printed(*row))
    if not found:
        return schema
    candidates: dict[tuple[str, str], list[str]] | None = None
    changed: dict[str, Table] = {}
    for name in sorted(found):
        table = tables[name]
        sources: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        refused = []
        for printed in found[name]:
            written = _written(table, printed)
            if written is None or await _prints(conn, table, printed, written) == printed.text:
                continue
            if candidates is None:
                candidates = file_candidates(ddl)
            source = await _reproducing(conn, table, printed, written, candidates)
            if source is None:
                refused.append(_refusal(printed))
            else:
                sources[(printed.kind, printed.name)].append((printed.part, source))
        if sources or refused:
            changed[name] = _with_sources(table, sources, refused)
    if not changed:
        return schema
    return replace(schema, tables=tuple(changed.get(t.name, t) for t in schema.tables))


def _has_expressions(table: Table) -> bool:
    from fastapp.schema.normalize.defaults import is_plain_literal

    return bool(
        table.checks
        or table.exclusions
        or any(ix.where or any(ix.expressions) for ix in table.indexes)
        or any(
            c.generated or (c.default is not None and not is_plain_literal(c.default))
            for c in table.columns
        )
    )


def _written(table: Table, printed: Printed) -> str | None:
    """The text a DDL writer would write for ``printed`` (the Schema's), or None when the
    Schema does not carry it (a serial's sequence default, a plain literal default)."""
    from fastapp.schema.normalize.defaults import is_plain_literal

    value = _object(table, printed)
    if value is None:
        return None
    if printed.kind == "index":
        if printed.part == "where":
            return value.where
        position = printed.position
        expression = position < len(value.expressions) and value.expressions[position]
        return value.columns[position] if expression else None
    text = getattr(value, printed.part)
    if printed.part == "default" and text is not None and is_plain_literal(text):
        return None
    return text


def _object(table: Table, printed: Printed) -> Any:
    if printed.kind == "column":
        return table.column(printed.name)
    values = {"check": table.checks, "exclusion": table.exclusions, "index": table.indexes}
    return next((v for v in values[printed.kind] if v.name == printed.name), None)


async def _reproducing(
    conn: Any,
    table: Table,
    printed: Printed,
    written: str,
    candidates: dict[tuple[str, str], list[str]],
) -> str | None:
    """The first text that the server prints exactly as ``printed``: the desired DDL's texts
    for this table and part (those that normalize as the Schema's text first), then the
    printed text itself."""
    from fastapp.schema.normalize import normalize_expression

    texts = candidates.get((table.name.lower(), printed.part_kind), [])
    first = [t for t in texts if normalize_expression("postgres", t) == written]
    ordered = [*first, *(t for t in texts if t not in first)]
    for text in [*ordered, printed.text]:
        if await _prints(conn, table, printed, text) == printed.text:
            return text
    return None


async def _prints(conn: Any, table: Table, printed: Printed, text: str) -> str | None:
    """What the server prints for ``text`` written as ``printed``'s part on the same table,
    in a savepoint (or transaction) rolled back; None when the server refuses it."""
    import asyncpg

    args: list[Any] = [printed.oid]
    if printed.part_kind == "columns":
        args.append(printed.position + 1)
    elif printed.part_kind == "default":
        args.append(printed.name)
    elif printed.part_kind == "generated":
        args.append(_PROBE)
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(_probe_statement(table, printed, text))
        return await conn.fetchval(_READ_BACK[printed.part_kind], *args)
    except asyncpg.PostgresError:
        return None
    finally:
        await transaction.rollback()


def _probe_statement(table: Table, printed: Printed, text: str) -> str:
    from fastapp.sql.ddl import get_ddl

    ddl = get_ddl("postgres")
    q = ddl.quote
    alter = f"ALTER TABLE {q(table.name)}"
    kind = printed.part_kind
    if kind == "expression":
        return f"{alter} ADD CONSTRAINT {_PROBE} CHECK ({text}) NOT VALID"
    if kind == "definition":
        return f"{alter} ADD CONSTRAINT {_PROBE} {text}"
    if kind == "default":
        return f"{alter} ALTER COLUMN {q(printed.name)} SET DEFAULT {text}"
    if kind == "generated":
        return (
            f"{alter} ADD COLUMN {_PROBE} {printed.type_text} GENERATED ALWAYS AS ({text}) STORED"
        )
    index = _object(table, printed)
    sources = tuple(s for s in index.sources if s[0] != printed.part)
    probe = replace(index, name=_PROBE, sources=sources, comment=None)
    if kind == "where":
        probe = replace(probe, where=text)
    else:
        columns = list(index.columns)
        columns[printed.position] = text
        probe = replace(probe, columns=tuple(columns))
    return ddl.create_index(table, probe)


def _refusal(printed: Printed) -> Any:
    from fastapp.schema.objects import Unmodelled

    what = "column" if printed.kind == "column" else printed.kind
    if printed.kind in ("check", "exclusion"):
        what = "constraint"
    return Unmodelled(
        f"{what} {printed.name}",
        f"{_CLAUSE[printed.part_kind]} {printed.text}: PostgreSQL stores this text otherwise "
        "when it is written again, and no text of the desired DDL is stored as it; write the "
        "expression with its casts spelled out so that it reads back unchanged",
    )


def _with_sources(
    table: Table,
    sources: dict[tuple[str, str], list[tuple[str, str]]],
    refused: list[Any],
) -> Table:
    def attached(kind: str, values: tuple) -> tuple:
        return tuple(
            replace(v, sources=tuple(sorted(sources[(kind, v.name)])))
            if (kind, v.name) in sources
            else v
            for v in values
        )

    return replace(
        table,
        columns=attached("column", table.columns),
        checks=attached("check", table.checks),
        exclusions=attached("exclusion", table.exclusions),
        indexes=attached("index", table.indexes),
        unmodelled=(*table.unmodelled, *refused),
    )


def file_candidates(ddl: DesiredDDL) -> dict[tuple[str, str], list[str]]:
    """``{(table, part kind): texts}``: every check, exclusion constraint, index predicate and
    expression, default and generation expression of ``ddl`` exactly as written, in script
    order, by the table its statement names (lowercase). Found by sqlglot's tokenizer (quotes,
    comments and dollar bodies are single tokens); a statement it cannot read gives none."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for _, statement in ddl.statements():
        try:
            texts = written_texts(statement)
        except Exception:  # sqlglot's tokenizer errors have no common base worth naming
            continue
        if texts is None:
            continue
        table, parts = texts
        for kind, text in parts:
            if text and text not in found[(table, kind)]:
                found[(table, kind)].append(text)
    return dict(found)


#: Words ending a column's DEFAULT expression (at its own parenthesis depth).
_AFTER_DEFAULT = frozenset(
    {
        "NOT",
        "NULL",
        "CONSTRAINT",
        "CHECK",
        "PRIMARY",
        "UNIQUE",
        "REFERENCES",
        "GENERATED",
        "COLLATE",
    }
)


def written_texts(statement: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The table a CREATE TABLE, CREATE INDEX or ALTER TABLE names (lowercase, last part of
    a qualified name) and ``(part kind, text as written)`` of its expressions; None for
    another statement."""
    from sqlglot.tokens import TokenType

    from fastapp.schema.normalize.syntax import tokenizer

    tokens = tokenizer("postgres").tokenize(statement)
    plain = (TokenType.STRING, TokenType.IDENTIFIER)
    words = [None if t.token_type in plain else t.text.upper() for t in tokens]
    table = _table_named(tokens, words)
    if table is None:
        return None
    n = len(tokens)

    def close(i: int) -> int:
        """The index of the parenthesis closing the one at ``i``."""
        depth = 0
        for j in range(i, n):
            if tokens[j].token_type == TokenType.L_PAREN:
                depth += 1
            elif tokens[j].token_type == TokenType.R_PAREN:
                depth -= 1
                if depth == 0:
                    return j
        return n - 1

    def text(i: int, j: int) -> str:
        return statement[tokens[i].start : tokens[j].end + 1] if i <= j < n else ""

    def end_of_clause(i: int, stop: frozenset[str] = frozenset()) -> int:
        """The last token of the clause starting at ``i``: before a comma or a closing
        parenthesis of the enclosing list, or a ``stop`` word, at its own depth."""
        depth = 0
        for j in range(i, n):
            kind = tokens[j].token_type
            if kind == TokenType.L_PAREN:
                depth += 1
            elif kind == TokenType.R_PAREN:
                depth -= 1
                if depth < 0:
                    return j - 1
            elif depth == 0 and (kind == TokenType.COMMA or words[j] in stop):
                return j - 1
        return n - 1

    def opens(i: int) -> bool:
        return i < n and tokens[i].token_type == TokenType.L_PAREN

    parts: list[tuple[str, str]] = []
    is_index = words[0] == "CREATE" and "INDEX" in words[1:3]
    depth = 0
    elements_at = None
    for i, word in enumerate(words):
        kind = tokens[i].token_type
        if kind == TokenType.L_PAREN:
            if is_index and depth == 0 and elements_at is None:
                elements_at = i
            depth += 1
        elif kind == TokenType.R_PAREN:
            depth -= 1
        elif word == "CHECK" and opens(i + 1):
            parts.append(("expression", text(i + 2, close(i + 1) - 1)))
        elif word == "GENERATED" and words[i + 1 : i + 3] == ["ALWAYS", "AS"] and opens(i + 3):
            parts.append(("generated", text(i + 4, close(i + 3) - 1)))
        elif word == "DEFAULT":
            parts.append(("default", text(i + 1, end_of_clause(i + 1, _AFTER_DEFAULT))))
        elif word == "EXCLUDE":
            parts.append(("definition", text(i, end_of_clause(i))))
        elif is_index and depth == 0 and word == "WHERE":
            parts.append(("where", text(i + 1, n - 1)))
    if elements_at is not None:
        i, last = elements_at + 1, close(elements_at)
        while i < last:
            end = min(end_of_clause(i), last - 1)
            if opens(i):  # (expression)
                parts.append(("columns", text(i + 1, close(i) - 1)))
            elif opens(i + 1):  # a function call
                parts.append(("columns", text(i, close(i + 1))))
            i = end + 2
    return table, parts


def _table_named(tokens: list, words: list) -> str | None:
    """The last part of the table name a CREATE TABLE / CREATE INDEX ... ON / ALTER TABLE
    statement names, lowercase."""
    from sqlglot.tokens import TokenType

    head = words[:3]
    if head[:1] == ["CREATE"] and "INDEX" in head[1:]:
        start = next((i + 1 for i, w in enumerate(words) if w == "ON"), None)
    elif head[:1] in (["CREATE"], ["ALTER"]) and "TABLE" in words[:4]:
        start = words.index("TABLE") + 1
    else:
        return None
    skip = {"IF", "NOT", "EXISTS", "ONLY"}
    while start is not None and start < len(words) and words[start] in skip:
        start += 1
    if start is None or start >= len(tokens):
        return None
    name = start
    while name + 2 < len(tokens) and tokens[name + 1].token_type == TokenType.DOT:
        name += 2
    return tokens[name].text.lower()
