"""Column defaults: what "no default" looks like, the common spellings a backend stores (read
without the parser), and which defaults every backend accepts without parentheses.

The stored spellings are the backend's facts (``fast_defaults`` and ``fast_literal_casts`` on
its hub in :mod:`fastapp.dialects`); each maps to exactly what the parser path returns, and
tests/unit/test_normalize.py checks that both paths agree.
"""

from __future__ import annotations

from functools import lru_cache

from fastapp.schema.normalize.expressions import simplify
from fastapp.schema.normalize.syntax import is_constant, parse, sqlglot_name, unwrap


def is_plain_literal(text: str) -> bool:
    """Numbers and simple string literals: already canonical, no parser needed."""
    if not text:
        return False
    if text[0] == "'" and text[-1] == "'" and len(text) >= 2:
        body = text[1:-1]
        return "\\" not in body and body.replace("''", "").find("'") < 0
    digits = text[1:] if text[0] == "-" else text
    return digits.replace(".", "", 1).isdigit()


def _fast_default(dialect: str, text: str) -> str | None:
    """The normalized default without the parser, for the common spellings; else None.

    The parser costs ~0.15 s to import per process, and most defaults are one of these."""
    from fastapp.dialects import get_dialect

    if is_plain_literal(text):
        return text
    facts = get_dialect(dialect)
    known = facts.fast_defaults.get(text)
    if known is not None:
        return known
    literal, sep, target = text.rpartition("::")
    if sep and target in facts.fast_literal_casts and is_plain_literal(literal):
        if literal.startswith("'"):
            return literal
    return None


@lru_cache(maxsize=8192)
def normalize_default(dialect: str, text: str | None) -> str | None:
    """A column default as normalized expression text; ``None`` for no default.

    A cast of a literal (``'abc'::character varying``, ``'{}'::jsonb``) becomes the literal:
    the column's type gives it that type anyway, and it is what was written.
    """
    if text is None:
        return None
    text = text.strip()
    if not text or text.upper() == "NULL":
        return None
    fast = _fast_default(dialect, text)
    return fast if fast is not None else parsed_default(dialect, text)


def parsed_default(dialect: str, text: str) -> str | None:
    """:func:`normalize_default` through sqlglot, without the fast path."""
    try:
        node = parse(dialect, text)
    except Exception:
        return text
    if node is None:
        return text
    from sqlglot import exp

    node = unwrap(node)
    # A cast of a constant (``'abc'::character varying``, ``'{}'::jsonb``, ``NULL::text``)
    # is the constant: the column's type converts it anyway, and it is what was written.
    node = simplify(node)
    while isinstance(node, exp.Cast) and is_constant(node.this):
        node = unwrap(node.this)
    if isinstance(node, exp.Null):
        return None
    return node.sql(dialect=sqlglot_name(dialect))


@lru_cache(maxsize=4096)
def is_simple_default(dialect: str, text: str) -> bool:
    """A literal or a CURRENT_* keyword: what every backend accepts after DEFAULT without
    parentheses (SQLite and MySQL need them around any other expression)."""
    if is_plain_literal(text):
        return True
    try:
        node = unwrap(parse(dialect, text))
    except Exception:
        return False
    from sqlglot import exp

    if isinstance(node, exp.Neg):
        node = node.this
    return isinstance(
        node,
        (
            exp.Literal,
            exp.Boolean,
            exp.Null,
            exp.CurrentTimestamp,
            exp.CurrentDate,
            exp.CurrentTime,
        ),
    )
