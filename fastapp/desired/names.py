"""Schema-qualified names in a desired DDL file.

A file may write ``public.t`` / ``"public"."t"`` (PostgreSQL), ``db.t`` (MySQL/MariaDB) or
``main.t`` (SQLite) where the target connection's tables live: those mean exactly the
unqualified ``t``. Applied as written in the scratch space, such a statement would reach past
it into the live schema, so the qualifier is cut out of the text (by token position, the rest
of the text untouched) before the file goes anywhere. A table, index or view named in another
schema is refused by name: the migration works on one schema.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from fastapp.desired.ddl import DesiredDDL, DesiredSchemaError
from fastapp.desired.ddl import first_line as _first_line
from fastapp.desired.ddl import sqlglot_name as _sqlglot_name

if TYPE_CHECKING:
    from fastapp.connections.url import DatabaseConfig

#: Words after which a name is a table (or index, view...) of the schema, so a qualifier
#: there must be the target's.
_OBJECT_WORDS = frozenset({"TABLE", "ON", "REFERENCES", "EXISTS", "INDEX", "VIEW"})


def local_names(ddl: DesiredDDL, cfg: DatabaseConfig) -> DesiredDDL:
    """``ddl`` with qualifiers naming ``cfg``'s own schema removed (a file only: generated
    DDL never qualifies). Raises :class:`DesiredSchemaError` for a table, index or view
    qualified with another schema, naming it and its line."""
    if ddl.parts is not None or "." not in ddl.text:
        return ddl
    from sqlglot.dialects import Dialect
    from sqlglot.tokens import TokenType

    dialect = cfg.dialect
    target = dialect.namespace(cfg)
    try:
        tokens = (
            Dialect.get_or_raise(_sqlglot_name(ddl.dialect)).tokenizer_class().tokenize(ddl.text)
        )
    except Exception as exc:
        raise DesiredSchemaError(f"{ddl.source}: cannot read the SQL: {_first_line(exc)}") from exc
    cuts: list[tuple[int, int]] = []
    names = (TokenType.VAR, TokenType.IDENTIFIER)
    for i in range(len(tokens) - 2):
        first, dot, second = tokens[i], tokens[i + 1], tokens[i + 2]
        if dot.token_type != TokenType.DOT or first.token_type not in names:
            continue
        if i and tokens[i - 1].token_type == TokenType.DOT:
            continue  # the middle of a longer name (schema.table.column)
        if second.token_type == TokenType.L_PAREN or second.token_type == TokenType.STAR:
            continue
        if _same(first.text, first.token_type == TokenType.IDENTIFIER, target, dialect):
            cuts.append((first.start, dot.end + 1))
        elif i and tokens[i - 1].text.upper() in _OBJECT_WORDS:
            raise DesiredSchemaError(
                f"{ddl.source}:{first.line}: {first.text}.{second.text} is in schema "
                f"{first.text!r}, but the migration works on {target!r} only; write "
                f"{second.text} (or {target}.{second.text}), or migrate {first.text!r} "
                "through a connection to it"
            )
    if not cuts:
        return ddl
    text, end = [], 0
    for start, stop in cuts:
        text.append(ddl.text[end:start])
        end = stop
    text.append(ddl.text[end:])
    return replace(ddl, text="".join(text))


def _same(written: str, quoted: bool, target: str, dialect) -> bool:
    if dialect.unquoted_names == "any":
        return written.lower() == target.lower()
    if quoted or dialect.unquoted_names == "exact":
        return written == target
    return written.lower() == target  # folded to lower case
