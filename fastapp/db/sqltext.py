"""SQL text utilities built on sqlglot's tokenizer (never on regular expressions)."""

from __future__ import annotations

from functools import cache


@cache
def _tokenizer(dialect: str):
    from sqlglot.dialects import Dialect

    return Dialect.get_or_raise(dialect).tokenizer_class()


def split_statements(sql: str, dialect: str) -> list[str]:
    """Split a script into its statements, each without the trailing semicolon.

    Semicolons inside strings, quoted identifiers and comments are not boundaries. Empty
    statements (and comment-only tails) are dropped.
    """
    from sqlglot.tokens import TokenType

    statements: list[str] = []
    start = 0
    tokens = _tokenizer(dialect).tokenize(sql)
    seen_token = False
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if seen_token:
                statements.append(sql[start : token.start].strip())
            start = token.end + 1
            seen_token = False
        else:
            seen_token = True
    if seen_token and sql[start:].strip():
        statements.append(sql[start:].strip())
    return statements
