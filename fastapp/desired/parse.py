"""The desired Schema read from DDL text with sqlglot, for when no scratch space is allowed.

The scratch-space path (:mod:`fastapp.desired.read`) applies the DDL and reads it back with the
backend's catalog reader; this module predicts that result from the text alone. Statements are split
by :mod:`fastapp.schema.sqltext`, parsed by sqlglot in the backend's dialect, and collected
into drafts (:mod:`fastapp.desired.ddl_readers.drafts`); what the server does on its own (PostgreSQL
SERIAL, MySQL's implicit foreign-key indexes, SQLite keeping type names verbatim...) is said
by the backend's module under :mod:`fastapp.desired.ddl_readers`; every value goes through
:mod:`fastapp.schema.normalize`, the same rules the readers use.

What the text alone cannot say (so the scratch space stays the reference):

* MySQL/MariaDB: the database's default charset and collation, each charset's default
  collation, and whether the server is MariaDB; pass them as ``server`` (see
  :class:`~fastapp.desired.ddl_readers.drafts.ServerHint`), else MariaDB with utf8mb4 is assumed.
* Statements other than CREATE TABLE / CREATE [UNIQUE] INDEX / CREATE TYPE ... AS ENUM
  (PostgreSQL) / ALTER TABLE ... ADD / COMMENT ON (PostgreSQL): views, functions, triggers,
  sequences, extensions, DROP/RENAME... are refused, never skipped.
* Expressions a server rewrites in ways not modelled here (PostgreSQL ``IN`` lists and
  ``BETWEEN`` in checks, MySQL index methods) are refused with the same error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fastapp.errors import ParsedSchemaError

if TYPE_CHECKING:
    from fastapp.desired.ddl_readers.drafts import ServerHint
    from fastapp.schema.objects import Schema

__all__ = ["ParsedSchemaError", "parse_schema"]


def parse_schema(
    text: str,
    dialect_name: str,
    source: str = "<sql>",
    server: ServerHint | Mapping[str, Any] | None = None,
) -> Schema:
    """The Schema the ``dialect_name`` catalog reader would read back after applying ``text``.

    ``source`` names the text in errors (a file path, ``models of connection 'default'``).
    ``server`` tells what the text cannot (MySQL: ``mariadb``, ``charset``, ``collation``,
    ``charset_collations``); a dict with those keys or a
    :class:`~fastapp.desired.ddl_readers.drafts.ServerHint`.

    Raises :class:`ParsedSchemaError` (a :class:`~fastapp.errors.SchemaError`) naming
    ``source:line`` for a statement it cannot represent (view, function, trigger, unknown
    syntax, an expression the server would rewrite unpredictably), for SQL sqlglot cannot
    parse, and for references to tables or columns the script does not define.
    ``DatabaseURLError`` for an unknown ``dialect_name``.
    """
    from sqlglot.errors import TokenError

    from fastapp.desired.ddl_readers import get_reader
    from fastapp.dialects import get_dialect
    from fastapp.schema.sqltext import split_statements, with_lines

    dialect = get_dialect(dialect_name)
    reader = get_reader(dialect_name, source, server)
    try:
        parts = split_statements(text, dialect.sqlglot_name)
    except Exception as exc:  # the scanner is total, but keep the promise of one typed error
        raise ParsedSchemaError(source, 1, f"cannot split the script: {exc}") from exc
    for line, statement in with_lines(text, parts):
        try:
            reader.statement(line, statement)
        except TokenError as exc:
            # The splitter is lenient where sqlglot's tokenizer is not (a comment or quote
            # left open at the end); its message quotes the SQL over several lines.
            raise ParsedSchemaError(
                source, line, "cannot tokenize the statement (a quote or a comment left open?)"
            ) from exc
    return reader.schema()
