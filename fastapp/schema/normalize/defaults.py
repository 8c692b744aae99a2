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
    text, _ = marked_functions(dialect, text)
    found = _parsed_default(dialect, text)
    return _restored(dialect, found) if found is not None and _MARK in found.upper() else found


def _restored(dialect: str, text: str) -> str:
    """``text`` with the stand-ins of :func:`marked_functions` back as the calls they were."""
    from fastapp.dialects import get_dialect

    for name in get_dialect(dialect).verbatim_functions:
        for mark in (f"{_MARK}{name.upper()}()", f"{_MARK}{name.upper()}()".lower()):
            text = text.replace(mark, f"{name}()")
    return text


def _parsed_default(dialect: str, text: str) -> str | None:
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


#: Prefix of the stand-in for a function sqlglot would respell (see ``verbatim_functions``).
_MARK = "FASTAPP_VERBATIM_"


def marked_functions(dialect: str, text: str) -> tuple[str, list[str]]:
    """``text`` with each argument-less call of a ``verbatim_functions`` function renamed to a
    stand-in sqlglot keeps as it is, found by the tokenizer; and the names it renamed."""
    from fastapp.dialects import get_dialect

    names = get_dialect(dialect).verbatim_functions
    if not names or not any(n in text.lower() for n in names):
        return text, []
    from sqlglot.tokens import TokenType

    from fastapp.schema.normalize.syntax import tokenizer

    try:
        tokens = tokenizer(dialect).tokenize(text)
    except Exception:
        return text, []
    out, last, found = [], 0, []
    for i, token in enumerate(tokens[:-2]):
        name = token.text.lower()
        if (
            name in names
            and token.token_type != TokenType.STRING
            and tokens[i + 1].token_type == TokenType.L_PAREN
            and tokens[i + 2].token_type == TokenType.R_PAREN
        ):
            out.append(text[last : token.start])
            out.append(f"{_MARK}{name.upper()}")
            last = token.end + 1
            found.append(name)
    out.append(text[last:])
    return "".join(out), sorted(set(found))


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
