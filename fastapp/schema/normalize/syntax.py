"""sqlglot in a backend's dialect, for the normalization rules: the tokenizer, the parser, and
the few node helpers the rules share. sqlglot is imported on first use (it costs ~0.2 s)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


def sqlglot_name(dialect: str) -> str:
    """The sqlglot dialect that reads and writes the backend ``dialect``'s SQL."""
    from fastapp.dialects import get_dialect

    return get_dialect(dialect).sqlglot_name


@lru_cache(maxsize=8)
def tokenizer(dialect: str) -> Any:
    """A sqlglot tokenizer for the backend ``dialect`` (shared: tokenizers keep no state
    between ``tokenize`` calls)."""
    from sqlglot.dialects import Dialect

    return Dialect.get_or_raise(sqlglot_name(dialect)).tokenizer_class()


def outer_close(tokens: list) -> int | None:
    """Index of the token closing the first top-level parenthesis (a CREATE TABLE's column
    list), or ``None``; what follows it is the table's options."""
    from sqlglot.tokens import TokenType

    depth = 0
    for index, token in enumerate(tokens):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return index
    return None


def parse(dialect: str, text: str) -> Any:
    """One expression or statement of ``text`` as a sqlglot tree; raises what sqlglot raises."""
    import sqlglot

    return sqlglot.parse_one(text, read=sqlglot_name(dialect))


def unwrap(node: Any) -> Any:
    """``node`` without the parentheses around it."""
    from sqlglot import exp

    while isinstance(node, exp.Paren):
        node = node.this
    return node


def is_constant(node: Any) -> bool:
    """A literal, boolean or NULL, possibly negated and parenthesized."""
    from sqlglot import exp

    node = unwrap(node)
    if isinstance(node, exp.Neg):
        node = unwrap(node.this)
    return isinstance(node, (exp.Literal, exp.Boolean, exp.Null))
