"""The desired side: DDL (from the models or a file) applied in a scratch space and read back
with the same catalog reader as the live database, so both sides are normalized by the same code.

Scratch spaces, one strategy per backend, live in :mod:`fastapp.desired.scratch` (PostgreSQL
temporary tables, a MySQL/MariaDB scratch database, an in-memory SQLite database).

A statement the scratch space rejects is reported with the file (or model source), the line
it starts on and the database's message; nothing is left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from fastapp.desired.ddl import DesiredDDL, DesiredSchemaError, TableDDL, read_ddl_file
from fastapp.desired.ddl import first_line as _first_line
from fastapp.desired.ddl import sqlglot_name as _sqlglot_name
from fastapp.desired.scratch import get_scratch
from fastapp.errors import FastappError, SchemaError

if TYPE_CHECKING:
    from fastapp.connections.url import DatabaseConfig
    from fastapp.desired.scratch.base import ScratchSpace
    from fastapp.schema.objects import Schema


#: The values live in :mod:`fastapp.desired.ddl` (a leaf, so the scratch spaces can name them);
#: callers keep importing them from the entry point.
__all__ = [
    "DesiredDDL",
    "DesiredSchemaError",
    "TableDDL",
    "declared_object_renames",
    "declared_renames",
    "desired_schema",
    "models_ddl",
    "read_ddl_file",
]


async def desired_schema(
    cfg: DatabaseConfig,
    ddl: DesiredDDL,
    *,
    use_cache: bool = True,
    notice: Callable[[str], None] | None = None,
) -> Schema:
    """Apply ``ddl`` in a scratch space next to ``cfg`` and read it back as a Schema.

    Results are cached by DDL text, server and reader code (:mod:`fastapp.desired.cache`),
    so an unchanged desired schema costs one small query instead of creating every table.
    Generated DDL is also cached table by table: after a change only the changed tables (and
    the tables their foreign keys need) are created in the scratch space.

    Where the user may not create the scratch space, the DDL text is parsed instead
    (:func:`fastapp.desired.parse.parse_schema`) and ``notice`` is told so, once. Raises
    :class:`DesiredSchemaError` for DDL the scratch space rejects, or that cannot be parsed
    when no scratch space is allowed.
    """
    from fastapp.desired.names import local_names
    from fastapp.desired.statements import refuse_unread

    refuse_unread(ddl, cfg.dialect)
    ddl = local_names(ddl, cfg)
    strategy = get_scratch(cfg.dialect_name)
    try:
        return await _through_scratch(strategy, cfg, ddl, use_cache)
    except _ScratchRefused as refused:
        return await _parsed_instead(strategy, cfg, ddl, refused.cause, notice)


async def _through_scratch(
    strategy: ScratchSpace, cfg: DatabaseConfig, ddl: DesiredDDL, use_cache: bool
) -> Schema:
    from fastapp.desired import cache as desired_cache

    if not use_cache or desired_cache.cache_dir() is None:
        return await _scratch_read(strategy, cfg, ddl)
    server = await strategy.server_identity(cfg)
    entry = desired_cache.key(cfg.dialect_name, server, ddl.text)
    hit = desired_cache.load(entry)
    if hit is not None:
        return hit
    if ddl.tables is not None:
        schema = await _read_by_table(cfg, ddl, strategy, server)
    else:
        schema = await _scratch_read(strategy, cfg, ddl)
    desired_cache.store(entry, schema)
    return schema


class _ScratchRefused(Exception):
    """The user may not create the scratch space (a missing right, nothing else)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


async def _parsed_instead(
    strategy: ScratchSpace,
    cfg: DatabaseConfig,
    ddl: DesiredDDL,
    cause: BaseException,
    notice: Callable[[str], None] | None,
) -> Schema:
    """The sqlglot fallback: the Schema predicted from the DDL text (never cached: the cache
    holds what servers read back)."""
    from fastapp.connections.raw import raw_connection
    from fastapp.desired.ddl_readers import server_hint
    from fastapp.desired.parse import ParsedSchemaError, parse_schema

    why = f"cannot create a {strategy.scratch_kind} on {cfg.url()} ({cfg.mask(_first_line(cause))})"
    grant = f"grant the right to {strategy.needs}"
    async with raw_connection(cfg) as conn:
        hint = await server_hint(cfg.dialect_name, conn)
    try:
        schema = parse_schema(ddl.text, cfg.dialect_name, ddl.source, hint)
    except ParsedSchemaError as exc:
        raise DesiredSchemaError(
            f"{why}, and without one the DDL cannot be read: {exc.source}:{exc.line}: "
            f"{exc.reason}; {grant}"
        ) from exc
    if notice is not None:
        notice(
            f"{why}: the desired schema was parsed from the DDL instead; {grant} to have "
            "the server read it back"
        )
    return schema


async def _read_by_table(
    cfg: DatabaseConfig, ddl: DesiredDDL, strategy: ScratchSpace, server: str
) -> Schema:
    """Cached tables as they are; the others created in the scratch space with the tables
    their foreign keys reference (transitively), then cached one by one."""
    from dataclasses import replace

    from fastapp.desired import cache as desired_cache
    from fastapp.schema.objects import Schema, Table

    assert ddl.tables is not None
    keys = {
        t.name: desired_cache.key(cfg.dialect_name, server, "table\0" + ";\n".join(t.statements))
        for t in ddl.tables
    }
    cached = desired_cache.load_tables(keys.values())
    found: dict[str, Table] = {}
    for t in ddl.tables:
        table = cached.get(keys[t.name])
        if table is not None and table.name == t.name:
            found[t.name] = table
    missing = [t for t in ddl.tables if t.name not in found]
    if missing:
        by_name = {t.name: t for t in ddl.tables}
        needed: set[str] = set()
        todo = [t.name for t in missing]
        while todo:
            name = todo.pop()
            if name in needed or name not in by_name:
                continue
            needed.add(name)
            todo.extend(by_name[name].references)
        parts = tuple(s for t in ddl.tables if t.name in needed for s in t.statements)
        text = "\n".join(f"{s};" for s in parts)
        tables = tuple(t for t in ddl.tables if t.name in needed)
        partial = await _scratch_read(
            strategy, cfg, replace(ddl, text=text, parts=parts, tables=tables)
        )
        if partial.enums:  # schema-level objects: not cacheable per table
            return await _scratch_read(strategy, cfg, ddl)
        read_back = {table.name: table for table in partial.tables}
        for t in missing:
            table = read_back.get(t.name)
            if table is None:
                return await _scratch_read(strategy, cfg, ddl)
            found[t.name] = table
        desired_cache.store_tables({keys[t.name]: found[t.name] for t in missing})
    return Schema(cfg.dialect_name, tuple(found[t.name] for t in ddl.tables))


async def _scratch_read(strategy: ScratchSpace, cfg: DatabaseConfig, ddl: DesiredDDL) -> Schema:
    """``strategy.read`` with driver failures (rights, server limits) as one clear line."""
    try:
        return await strategy.read(cfg, ddl)
    except FastappError:
        raise
    except Exception as exc:
        if cfg.dialect.is_permission_error(exc):
            raise _ScratchRefused(exc) from exc
        raise DesiredSchemaError(
            f"cannot build the desired schema in a {strategy.scratch_kind} on {cfg.url()}: "
            f"{cfg.mask(_first_line(exc))} (the user needs the right to {strategy.needs})"
        ) from exc


# --- declared renames inside a desired DDL file --------------------------------------------

RENAMED_MARK = "@renamed"


def declared_renames(ddl: DesiredDDL) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """``-- @renamed from=old`` comments: (table renames, column renames) of ``ddl``.

    On the line of a ``CREATE TABLE`` header it renames the table; on a column's line it
    renames that column. Read with sqlglot's tokenizer, which keeps comments and lines.
    Index and constraint renames are :func:`declared_object_renames`.
    """
    tables, columns, _ = _declared(ddl)
    return tables, columns


def declared_object_renames(ddl: DesiredDDL) -> list[tuple[str, str, str]]:
    """``(table, old, new)`` of ``-- @renamed from=old`` on a ``CREATE INDEX`` line or a
    ``CONSTRAINT name ...`` line of a ``CREATE TABLE``."""
    return _declared(ddl)[2]


def _declared(
    ddl: DesiredDDL,
) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    from sqlglot.tokens import TokenType

    try:
        tokens = _tokenize(ddl)
    except Exception as exc:
        raise DesiredSchemaError(f"{ddl.source}: cannot read the SQL: {_first_line(exc)}") from exc
    tables: list[tuple[str, str]] = []
    columns: list[tuple[str, str, str]] = []
    objects: list[tuple[str, str, str]] = []
    statements = _split_tokens(tokens, TokenType.SEMICOLON)
    for stmt in statements:
        marks = [(t.line, c) for t in stmt for c in t.comments if RENAMED_MARK in c]
        if not marks:
            continue
        index = _create_index_shape(stmt)
        if index is not None:
            lines, index_table, index_name = index
            for line, comment in marks:
                old = _renamed_from(comment, ddl, line)
                if line not in lines:
                    raise DesiredSchemaError(
                        f"{ddl.source}:{line}: '-- {RENAMED_MARK}' belongs on the CREATE INDEX line"
                    )
                objects.append((index_table, old, index_name))
            continue
        header, body_lines, table = _create_table_shape(stmt)
        constraint_lines = _constraint_lines(stmt)
        for line, comment in marks:
            old = _renamed_from(comment, ddl, line)
            if table is not None and line in constraint_lines:
                objects.append((table, old, constraint_lines[line]))
                continue
            if table is None:
                raise DesiredSchemaError(
                    f"{ddl.source}:{line}: '-- {RENAMED_MARK}' belongs on a CREATE TABLE line "
                    "or a column line"
                )
            if line in header:
                tables.append((old, table))
            elif line in body_lines:
                columns.append((table, old, body_lines[line]))
            else:
                raise DesiredSchemaError(
                    f"{ddl.source}:{line}: '-- {RENAMED_MARK}' is not on a column line of "
                    f"table {table!r}"
                )
    return tables, columns, objects


def _create_index_shape(stmt: list) -> tuple[set[int], str, str] | None:
    """``CREATE [UNIQUE] INDEX name ON table``: the lines up to the table, the table and the
    index name (the last part of a qualified one); None for any other statement."""
    from sqlglot.tokens import TokenType

    words = [t.text.upper() for t in stmt[:4]]
    if not words or words[0] != "CREATE" or "INDEX" not in words[1:3]:
        return None
    names = (TokenType.VAR, TokenType.IDENTIFIER)
    lines: set[int] = set()
    name = table = None
    seen_on = False
    for token in stmt:
        lines.add(token.line)
        word = token.text.upper()
        if word == "ON" and token.token_type != TokenType.IDENTIFIER:
            seen_on = True
        elif token.token_type in names and word not in ("IF", "NOT", "EXISTS", "CONCURRENTLY"):
            if seen_on:
                table = token.text  # the last part of a qualified name wins
            else:
                name = token.text
        if token.token_type == TokenType.L_PAREN or (
            seen_on and table and token.text.upper() == "USING"
        ):
            break
    if name is None or table is None:
        return None
    return lines, table, name


def _constraint_lines(stmt: list) -> dict[int, str]:
    """``{line: name}`` of ``CONSTRAINT name`` clauses at the top level of a CREATE TABLE."""
    from sqlglot.tokens import TokenType

    found: dict[int, str] = {}
    depth = 0
    for i, token in enumerate(stmt):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 1 and token.text.upper() == "CONSTRAINT" and i + 1 < len(stmt):
            if token.token_type != TokenType.IDENTIFIER:
                found[token.line] = stmt[i + 1].text
    return found


def _tokenize(ddl: DesiredDDL):
    from sqlglot.dialects import Dialect

    tokenizer = Dialect.get_or_raise(_sqlglot_name(ddl.dialect)).tokenizer_class()
    return tokenizer.tokenize(ddl.text)


def _split_tokens(tokens, separator) -> list[list]:
    parts: list[list] = [[]]
    for token in tokens:
        if token.token_type == separator:
            # A trailing comment of the last line rides on the semicolon.
            if token.comments and parts[-1]:
                parts[-1][-1].comments.extend(token.comments)
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]


def _create_table_shape(stmt: list) -> tuple[set[int], dict[int, str], str | None]:
    """Lines of the header, ``{line: column}`` of column definitions, and the table name."""
    from sqlglot.tokens import TokenType

    words = [t.text.upper() for t in stmt[:6]]
    if len(words) < 3 or words[0] != "CREATE" or "TABLE" not in words:
        return set(), {}, None
    header: set[int] = set()
    body: dict[int, str] = {}
    table = None
    depth = 0
    expect_column = False
    after_table = False
    for token in stmt:
        kind = token.token_type
        if depth == 0:
            header.add(token.line)
            if token.text.upper() == "TABLE":
                after_table = True
            elif (
                after_table
                and kind in (TokenType.VAR, TokenType.IDENTIFIER)
                and token.text.upper() not in ("IF", "NOT", "EXISTS")
            ):
                table = token.text  # the last name part wins (schema.table)
            if kind == TokenType.L_PAREN:
                depth, expect_column = 1, True
            continue
        if kind == TokenType.L_PAREN:
            depth += 1
        elif kind == TokenType.R_PAREN:
            depth -= 1
        elif depth == 1 and kind == TokenType.COMMA:
            expect_column = True
        elif depth == 1 and expect_column:
            expect_column = False
            if token.text.upper() not in _CONSTRAINT_WORDS:
                body.setdefault(token.line, token.text)
    return header, body, table


_CONSTRAINT_WORDS = {"CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "KEY", "INDEX"}


def _renamed_from(comment: str, ddl: DesiredDDL, line: int) -> str:
    _, _, rest = comment.partition(RENAMED_MARK)
    key, eq, value = rest.strip().partition("=")
    value = value.split()[0].strip("\"`'") if value.split() else ""
    if key.strip() != "from" or not eq or not value:
        raise DesiredSchemaError(
            f"{ddl.source}:{line}: cannot read {comment.strip()!r}: write '-- @renamed from=OLD_NAME'"
        )
    return value


# --- the models' DDL ------------------------------------------------------------------------


async def models_ddl(registry: Any, apps: Sequence[str] = ()) -> dict[str, DesiredDDL]:
    """``{connection alias: DesiredDDL}`` of the tables the selected apps' models need, as
    Tortoise generates them (through the linear-time generator of ``fastapp.tortoise.generated``)."""
    from fastapp.tortoise.context import tortoise_context
    from fastapp.tortoise.generated import connection_models, creation_order, generated_tables

    labels = {app.label for app in registry.select(apps)}
    found: dict[str, DesiredDDL] = {}
    async with tortoise_context(registry, schema_only=True, offline=True) as ctx:
        for alias, cfg in registry.connections().items():
            client = ctx.db(alias)
            all_models = connection_models(client, ctx.apps)
            chosen = [m for m in all_models if m._meta.app in labels]
            if not chosen and apps:
                continue
            generated = generated_tables(client, all_models, chosen, safe=False)
            tables = None
            try:
                ordered = creation_order(generated)
                parts = tuple(s for t in ordered for s in t.statements)
                tables = tuple(TableDDL(t.table, t.statements, t.references) for t in ordered)
            except SchemaError:  # foreign keys in a cycle: fine for a declarative tool
                parts = get_scratch(cfg.dialect_name).cyclic_script(generated)
            text = "\n".join(f"{s};" for s in parts)
            found[alias] = DesiredDDL(
                text, f"models of connection {alias!r}", cfg.dialect_name, parts, tables
            )
    return found
