"""Column types: a backend's type text -> :class:`TypeSpec` in the canonical vocabulary of
:data:`~fastapp.schema.objects.CANONICAL_TYPES`.

The spellings are the backend's facts (``type_aliases`` and ``boolean_spellings`` on its hub
in :mod:`fastapp.dialects`); the shape rules (which types take a length, a precision, a value
list; which arguments are display widths) are the same for every backend and live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from fastapp.schema.normalize.syntax import tokenizer

#: Canonical types whose single argument is a length; the others with arguments take
#: precision (and scale). Integer display widths (``int(11)``) are dropped.
_LENGTH_TYPES = frozenset({"char", "varchar", "binary", "varbinary", "bit", "vector"})
_PRECISION_TYPES = frozenset(
    {"decimal", "real", "double", "time", "timetz", "timestamp", "timestamptz", "datetime"}
)
_DISPLAY_WIDTH_TYPES = frozenset({"tinyint", "smallint", "mediumint", "integer", "bigint", "year"})
_VALUE_LIST_TYPES = frozenset({"enum", "set"})
#: Trailing words that are modifiers, not part of the type name.
_MODIFIERS = frozenset({"unsigned", "signed"})


@dataclass(frozen=True)
class TypeSpec:
    """A normalized column type, ready to spread over :class:`~fastapp.schema.objects.Column`."""

    type: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    unsigned: bool = False
    enum_values: tuple[str, ...] = ()
    known: bool = True


def _split_type(text: str, dialect: str) -> tuple[list[str], list[str], list[str], bool]:
    """(name words, argument texts, string arguments, ok) of a type's text.

    Plain names and numeric arguments are split without a tokenizer (the common case, and
    cheap); quoted arguments (enum labels) go through sqlglot's tokenizer.
    """
    head, paren, rest = text.partition("(")
    if "'" not in text and '"' not in text and "`" not in text:
        words = head.lower().split()
        if not paren:
            return words, [], [], True
        inner, close, tail = rest.partition(")")
        if not close or "(" in inner:
            return words, [], [], False
        args = [a.strip() for a in inner.split(",")]
        return words + tail.lower().split(), args, [], True
    from sqlglot.tokens import TokenType

    words: list[str] = []
    strings: list[str] = []
    args: list[str] = []
    depth = 0
    try:
        tokens = tokenizer(dialect).tokenize(text)
    except Exception:
        return text.lower().split(), [], [], False
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0:
            words.append(token.text.lower())
        elif token.token_type == TokenType.STRING:
            strings.append(token.text)
        elif token.token_type != TokenType.COMMA:
            args.append(token.text)
    return words, args, strings, depth == 0


def normalize_type(dialect: str, text: str) -> TypeSpec:
    """Map a column type as ``dialect`` reports it onto the canonical vocabulary.

    Never raises for a known ``dialect``: a type it cannot place is returned verbatim
    (lowercase, arguments included) with ``known=False``, so the caller can warn and keep
    the column.
    """
    return _normalize_type(dialect, " ".join(text.split()))


@lru_cache(maxsize=4096)
def _normalize_type(dialect: str, text: str) -> TypeSpec:
    from fastapp.dialects import get_dialect

    facts = get_dialect(dialect)
    verbatim = TypeSpec(type=text.lower() if "'" not in text else text, known=False)
    words, args, strings, ok = _split_type(text, dialect)
    unsigned = "unsigned" in words
    name_words = [w for w in words if w not in _MODIFIERS]
    name = " ".join(name_words)
    canonical = facts.type_aliases.get(name)
    if not ok or canonical is None:
        return verbatim
    if canonical in _VALUE_LIST_TYPES:
        return TypeSpec(canonical, enum_values=tuple(strings), unsigned=unsigned)
    if strings:
        return verbatim
    try:
        numbers = [int(a) for a in args]
    except ValueError:
        return verbatim
    if canonical in _DISPLAY_WIDTH_TYPES:
        if numbers and (canonical, numbers[0]) in facts.boolean_spellings and not unsigned:
            return TypeSpec("boolean")
        return TypeSpec(canonical, unsigned=unsigned)
    if not numbers:
        return TypeSpec(canonical, unsigned=unsigned)
    if canonical in _LENGTH_TYPES and len(numbers) == 1:
        return TypeSpec(canonical, length=numbers[0], unsigned=unsigned)
    if canonical in _PRECISION_TYPES and len(numbers) <= 2:
        scale = numbers[1] if len(numbers) == 2 else None
        return TypeSpec(canonical, precision=numbers[0], scale=scale, unsigned=unsigned)
    return verbatim
