"""The text of an object the Schema keeps whole (a view's query, a routine's or a trigger's
body): what the server stores as written, made comparable.

The body is all there is to compare (issue 14), so only what cannot change its meaning goes:
comments, whitespace and the case of keywords. Tokens are joined by one space; strings and
quoted or bare identifiers keep their text exactly.
"""

from __future__ import annotations


def normalize_body(dialect: str, text: str | None) -> str:
    """``text`` as one line of tokens, keywords upper-cased (sqlglot's tokenizer for the
    backend ``dialect``); whitespace runs collapsed when the tokenizer cannot read it."""
    from sqlglot.tokens import TokenType

    from fastapp.schema.normalize.syntax import tokenizer

    text = (text or "").strip()
    try:
        tokens = tokenizer(dialect).tokenize(text)
    except Exception:  # a body the tokenizer does not know is still compared, as text
        return " ".join(text.split())
    kept = (TokenType.STRING, TokenType.IDENTIFIER, TokenType.VAR, TokenType.NATIONAL_STRING)
    words = []
    for token in tokens:
        raw = text[token.start : token.end + 1]
        words.append(raw if token.token_type in kept else raw.upper())
    while words and words[-1] == ";":
        words.pop()
    return " ".join(words)
