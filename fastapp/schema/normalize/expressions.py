"""SQL expressions (checks, index expressions and predicates, generated columns, defaults):
parsed and re-rendered by sqlglot in the backend's dialect, so that spelling differences
(case, redundant parentheses, casts a database adds around constants) vanish."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapp.schema.normalize.syntax import is_constant, parse, sqlglot_name, unwrap


def _redundant_parentheses(paren: Any) -> bool:
    """Parentheses that change nothing: around a constant or a column, around a comparison
    that is an operand of AND/OR/NOT, around arithmetic compared, around AND inside AND (OR
    inside OR), doubled. Databases print them generously and unlike what was written."""
    from sqlglot import exp

    inner, parent = paren.this, paren.parent
    arithmetic = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.DPipe)
    arithmetic += (exp.JSONExtract, exp.JSONExtractScalar, exp.JSONBExtract)
    arithmetic += (exp.JSONBExtractScalar,)
    if isinstance(inner, (exp.Paren, exp.Column)) or is_constant(inner):
        return True
    if parent is None or isinstance(parent, exp.Paren):
        return True
    operator = (exp.Binary, exp.Unary)  # AND, OR, || ... are Func subclasses in sqlglot too
    if isinstance(parent, exp.Func) and not isinstance(parent, operator):
        return True  # an argument: the call's own parentheses delimit it
    if isinstance(inner, exp.Predicate) and isinstance(parent, (exp.Connector, exp.Not)):
        return True
    if isinstance(inner, arithmetic) and isinstance(parent, exp.Predicate):
        return True
    # ``(a || b) || c`` is ``a || b || c``: PostgreSQL prints left-nested operators with
    # parentheses, people write them without.
    left_associative = (exp.DPipe, exp.Add, exp.Sub, exp.Mul, exp.Div)
    if type(inner) is type(parent) and isinstance(inner, left_associative):
        return parent.this is paren
    return type(inner) is type(parent) and isinstance(inner, exp.Connector)


def simplify(node: Any) -> Any:
    """Drop what databases add around constants: ``(0)``, ``'a'::text``, ``'-1'::integer``,
    ``ARRAY['a'::varchar]::text[]``. The database re-adds them the same way on the next
    apply, so removing them makes stored text idempotent and comparable to written text."""
    from sqlglot import exp

    def visit(n):
        if isinstance(n, exp.Paren) and _redundant_parentheses(n):
            return n.this
        if not isinstance(n, exp.Cast):
            return n
        target = n.to
        inner = unwrap(n.this)
        if is_constant(inner) and target.is_type(*exp.DataType.TEXT_TYPES):
            return inner
        if is_constant(inner) and target.is_type(*exp.DataType.NUMERIC_TYPES):
            if isinstance(inner, exp.Literal) and inner.is_string:
                try:
                    float(inner.this)
                except ValueError:
                    return n
                text = inner.this.lstrip("-")
                number = exp.Literal.number(text)
                return exp.Neg(this=number) if inner.this.startswith("-") else number
            return inner
        if (
            isinstance(inner, exp.Array)
            and target.is_type(exp.DataType.Type.ARRAY)
            and target.expressions
            and target.expressions[0].is_type(*exp.DataType.TEXT_TYPES)
            and all(is_constant(e) for e in inner.expressions)
        ):
            return inner
        return n

    for _ in range(8):
        before = node.sql()
        node = node.transform(visit)
        if node.sql() == before:
            break
    return node


@lru_cache(maxsize=8192)
def normalize_expression(dialect: str, text: str) -> str:
    """An expression's canonical text in ``dialect``: parsed and re-rendered by sqlglot,
    outer parentheses and casts the database adds around constants removed. Text sqlglot
    cannot parse is returned stripped."""
    text = text.strip()
    once = _render_expression(dialect, text)
    # Guard: a rendering that would change again when read back is not canonical; keep
    # what the database said rather than drift on every round trip.
    if once is None or _render_expression(dialect, once) != once:
        return text
    return once


def _render_expression(dialect: str, text: str) -> str | None:
    try:
        node = parse(dialect, text)
    except Exception:
        return None
    if node is None:
        return None
    return simplify(unwrap(node)).sql(dialect=sqlglot_name(dialect))
