"""The one place for normalization rules: what a database reports -> the abstract Schema's values.

Every catalog reader (and anything else that builds a :class:`~fastapp.schema.objects.Schema`, such as a DDL
parser) calls these functions, so the same spelling always lands on the same value:

* :func:`normalize_type` maps a dialect's type text (``character varying(50)``, ``int(11)
  unsigned``, ``tinyint(1)``, ``VARCHAR(40)``) onto the canonical vocabulary of
  :data:`~fastapp.schema.objects.CANONICAL_TYPES`; what it does not know is kept verbatim with
  ``known=False``.
* :func:`normalize_expression` re-renders SQL expression text through sqlglot in the same
  dialect (defaults, checks, index expressions and predicates, generated columns), so
  spelling differences (case, redundant outer parentheses) vanish.
* :func:`normalize_default`, :func:`normalize_fk_action`, :func:`normalize_index_method` and
  :func:`index_shape` say what "no default", "the default action", "the default method" and
  "all ascending" look like.

The type tables below are data: one alias table per dialect, keyed by the lowercase words of
the type name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapp.schema.objects import FK_ACTIONS

#: Dialect type names (lowercase words joined by one space) -> canonical type.
TYPE_ALIASES: dict[str, dict[str, str]] = {
    "postgres": {
        "smallint": "smallint",
        "int2": "smallint",
        "integer": "integer",
        "int": "integer",
        "int4": "integer",
        "bigint": "bigint",
        "int8": "bigint",
        "boolean": "boolean",
        "bool": "boolean",
        "numeric": "decimal",
        "decimal": "decimal",
        "real": "real",
        "float4": "real",
        "double precision": "double",
        "float8": "double",
        "character varying": "varchar",
        "varchar": "varchar",
        "character": "char",
        "char": "char",
        "bpchar": "char",
        "text": "text",
        "bytea": "blob",
        "date": "date",
        "time": "time",
        "time without time zone": "time",
        "time with time zone": "timetz",
        "timetz": "timetz",
        "timestamp": "timestamp",
        "timestamp without time zone": "timestamp",
        "timestamp with time zone": "timestamptz",
        "timestamptz": "timestamptz",
        "interval": "interval",
        "json": "json",
        "jsonb": "jsonb",
        "uuid": "uuid",
        "inet": "inet",
        "bit": "bit",
        "vector": "vector",
    },
    "mysql": {
        "tinyint": "tinyint",
        "smallint": "smallint",
        "mediumint": "mediumint",
        "int": "integer",
        "integer": "integer",
        "bigint": "bigint",
        "bool": "boolean",
        "boolean": "boolean",
        "decimal": "decimal",
        "numeric": "decimal",
        "float": "real",
        "double": "double",
        "double precision": "double",
        "real": "double",
        "char": "char",
        "varchar": "varchar",
        "binary": "binary",
        "varbinary": "varbinary",
        "tinytext": "tinytext",
        "text": "text",
        "mediumtext": "mediumtext",
        "longtext": "longtext",
        "tinyblob": "tinyblob",
        "blob": "blob",
        "mediumblob": "mediumblob",
        "longblob": "longblob",
        "date": "date",
        "time": "time",
        "datetime": "datetime",
        "timestamp": "timestamp",
        "year": "year",
        "json": "json",
        "enum": "enum",
        "set": "set",
        "bit": "bit",
        "uuid": "uuid",
    },
    # SQLite keeps the declared name; these spellings share the canonical name's affinity.
    "sqlite": {
        "int": "integer",
        "integer": "integer",
        "tinyint": "tinyint",
        "smallint": "smallint",
        "mediumint": "mediumint",
        "bigint": "bigint",
        "int8": "bigint",
        "bool": "boolean",
        "boolean": "boolean",
        "numeric": "decimal",
        "decimal": "decimal",
        "real": "real",
        "float": "real",
        "double": "double",
        "double precision": "double",
        "char": "char",
        "character": "char",
        "varchar": "varchar",
        "character varying": "varchar",
        "text": "text",
        "clob": "text",
        "blob": "blob",
        "date": "date",
        "time": "time",
        "datetime": "datetime",
        "timestamp": "timestamp",
        "json": "json",
        "jsonb": "jsonb",
        "uuid": "uuid",
    },
}

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
#: ``tinyint(1)`` is how MySQL stores BOOL.
_BOOLEAN_SPELLINGS = {("mysql", "tinyint", 1)}
#: MariaDB stores JSON as LONGTEXT plus this check, named after the column.
JSON_CHECK_FUNCTION = "json_valid"

#: Actions a dialect treats as the same thing: InnoDB's RESTRICT is checked immediately,
#: exactly like NO ACTION, and MariaDB reports RESTRICT when nothing was said.
_FK_EQUIVALENTS = {"mysql": {"RESTRICT": "NO ACTION"}}
#: Default spellings common enough to skip the parser (importing sqlglot costs ~0.15 s per
#: process). Each maps to exactly what the sqlglot path returns; tests/test_normalize.py
#: checks that, so both paths always agree.
FAST_DEFAULTS: dict[str, dict[str, str]] = {
    "postgres": {
        "true": "TRUE",
        "false": "FALSE",
        "now()": "CURRENT_TIMESTAMP",
        "CURRENT_TIMESTAMP": "CURRENT_TIMESTAMP",
        "CURRENT_DATE": "CURRENT_DATE",
        "gen_random_uuid()": "GEN_RANDOM_UUID()",
    },
    "mysql": {
        "current_timestamp()": "CURRENT_TIMESTAMP()",
        "current_timestamp(6)": "CURRENT_TIMESTAMP(6)",
        "current_timestamp(3)": "CURRENT_TIMESTAMP(3)",
        "CURRENT_TIMESTAMP": "CURRENT_TIMESTAMP()",
    },
    "sqlite": {"CURRENT_TIMESTAMP": "CURRENT_TIMESTAMP", "CURRENT_DATE": "CURRENT_DATE"},
}
#: ``'literal'::type`` casts whose type takes a string literal as it is (PostgreSQL).
FAST_LITERAL_CASTS: dict[str, frozenset[str]] = {
    "postgres": frozenset(
        {"text", "character varying", "character", "bpchar", "json", "jsonb", "uuid"}
    ),
}
_FK_CODES = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
#: Index methods that are the backend default and therefore not worth distinguishing.
_DEFAULT_INDEX_METHODS = frozenset({"btree"})


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


def _sqlglot_name(dialect: str) -> str:
    from fastapp.dialects import get_dialect

    return get_dialect(dialect).sqlglot_name


@lru_cache(maxsize=8)
def _tokenizer(dialect: str):
    from sqlglot.dialects import Dialect

    return Dialect.get_or_raise(_sqlglot_name(dialect)).tokenizer_class()


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
        tokens = _tokenizer(dialect).tokenize(text)
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

    Never raises: a type it cannot place is returned verbatim (lowercase, arguments included)
    with ``known=False``, so the caller can warn and keep the column.
    """
    return _normalize_type(dialect, " ".join(text.split()))


@lru_cache(maxsize=4096)
def _normalize_type(dialect: str, text: str) -> TypeSpec:
    verbatim = TypeSpec(type=text.lower() if "'" not in text else text, known=False)
    words, args, strings, ok = _split_type(text, dialect)
    unsigned = "unsigned" in words
    name_words = [w for w in words if w not in _MODIFIERS]
    name = " ".join(name_words)
    canonical = TYPE_ALIASES.get(dialect, {}).get(name)
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
        if numbers and (dialect, canonical, numbers[0]) in _BOOLEAN_SPELLINGS and not unsigned:
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


def _parse(dialect: str, text: str):
    import sqlglot

    return sqlglot.parse_one(text, read=_sqlglot_name(dialect))


def _unwrap(node):
    from sqlglot import exp

    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _is_constant(node) -> bool:
    from sqlglot import exp

    node = _unwrap(node)
    if isinstance(node, exp.Neg):
        node = _unwrap(node.this)
    return isinstance(node, (exp.Literal, exp.Boolean, exp.Null))


def _redundant_parentheses(paren) -> bool:
    """Parentheses that change nothing: around a constant or a column, around a comparison
    that is an operand of AND/OR/NOT, around arithmetic compared, around AND inside AND (OR
    inside OR), doubled. Databases print them generously and unlike what was written."""
    from sqlglot import exp

    inner, parent = paren.this, paren.parent
    arithmetic = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.DPipe)
    arithmetic += (exp.JSONExtract, exp.JSONExtractScalar, exp.JSONBExtract)
    arithmetic += (exp.JSONBExtractScalar,)
    if isinstance(inner, (exp.Paren, exp.Column)) or _is_constant(inner):
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


def _simplify(node):
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
        inner = _unwrap(n.this)
        if _is_constant(inner) and target.is_type(*exp.DataType.TEXT_TYPES):
            return inner
        if _is_constant(inner) and target.is_type(*exp.DataType.NUMERIC_TYPES):
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
            and all(_is_constant(e) for e in inner.expressions)
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
        node = _parse(dialect, text)
    except Exception:
        return None
    if node is None:
        return None
    return _simplify(_unwrap(node)).sql(dialect=_sqlglot_name(dialect))


def _fast_default(dialect: str, text: str) -> str | None:
    """The normalized default without the parser, for the common spellings; else None."""
    if _is_plain_literal(text):
        return text
    known = FAST_DEFAULTS.get(dialect, {}).get(text)
    if known is not None:
        return known
    literal, sep, target = text.rpartition("::")
    if sep and target in FAST_LITERAL_CASTS.get(dialect, ()) and _is_plain_literal(literal):
        if literal.startswith("'"):
            return literal
    return None


def _is_plain_literal(text: str) -> bool:
    """Numbers and simple string literals: already canonical, no parser needed."""
    if not text:
        return False
    if text[0] == "'" and text[-1] == "'" and len(text) >= 2:
        body = text[1:-1]
        return "\\" not in body and body.replace("''", "").find("'") < 0
    digits = text[1:] if text[0] == "-" else text
    return digits.replace(".", "", 1).isdigit()


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
        node = _parse(dialect, text)
    except Exception:
        return text
    if node is None:
        return text
    from sqlglot import exp

    node = _unwrap(node)
    # A cast of a constant (``'abc'::character varying``, ``'{}'::jsonb``, ``NULL::text``)
    # is the constant: the column's type converts it anyway, and it is what was written.
    node = _simplify(node)
    while isinstance(node, exp.Cast) and _is_constant(node.this):
        node = _unwrap(node.this)
    if isinstance(node, exp.Null):
        return None
    return node.sql(dialect=_sqlglot_name(dialect))


def normalize_fk_action(action: str | None, dialect: str | None = None) -> str:
    """``ON DELETE``/``ON UPDATE`` action in the spelling of :data:`FK_ACTIONS`.

    Accepts words in any case and spacing (``set null``, ``SET_NULL``) and PostgreSQL's
    one-letter codes; nothing means ``NO ACTION``; actions ``dialect`` treats as equivalent
    collapse onto one spelling.
    """
    if not action:
        return "NO ACTION"
    if action in _FK_CODES:
        words = _FK_CODES[action]
    else:
        words = " ".join(action.replace("_", " ").upper().split())
    words = _FK_EQUIVALENTS.get(dialect or "", {}).get(words, words)
    return words if words in FK_ACTIONS else "NO ACTION"


def normalize_index_method(method: str | None) -> str | None:
    """Index method, lowercase; the default (btree) is ``None`` so it compares equal to unsaid."""
    if not method:
        return None
    method = method.lower()
    return None if method in _DEFAULT_INDEX_METHODS else method


def index_shape(
    orders: list[str | None] | tuple[str | None, ...],
    expressions: list[bool] | tuple[bool, ...],
) -> tuple[tuple[str | None, ...], tuple[bool, ...]]:
    """``Index.orders`` and ``Index.expressions``: empty when all ascending / all plain columns."""
    normalized = tuple("DESC" if o and o.upper().startswith("DESC") else None for o in orders)
    flags = tuple(bool(e) for e in expressions)
    return (normalized if any(normalized) else (), flags if any(flags) else ())


def is_json_check(expression: str, column: str) -> bool:
    """True for MariaDB's implicit ``json_valid(col)`` check of a JSON column."""
    try:
        node = _unwrap(_parse("mysql", expression))
    except Exception:
        return False
    from sqlglot import exp

    name = node.name if isinstance(node, exp.Anonymous) else node.key
    args = node.expressions if isinstance(node, exp.Anonymous) else [node.this]
    return (
        str(name).lower() in (JSON_CHECK_FUNCTION, "jsonvalid", "is_json")
        and len(args) == 1
        and isinstance(args[0], exp.Column)
        and args[0].name == column
    )


def json_check_columns(
    columns: list[tuple[str, str]], checks: list[tuple[str, str]]
) -> tuple[set[str], set[str]]:
    """MariaDB's JSON: ``(columns, checks)`` where ``columns`` (name, canonical type) holds
    LONGTEXT columns guarded by a ``json_valid(col)`` check among ``checks`` (name,
    expression). Returns the names of the columns that are JSON and of the checks that only
    say so (not reported as checks)."""
    json_columns, json_checks = set(), set()
    for column, canonical in columns:
        if canonical != "longtext":
            continue
        for check_name, expression in checks:
            if is_json_check(expression, column):
                json_columns.add(column)
                json_checks.add(check_name)
    return json_columns, json_checks


def is_implicit_fk_index(
    name: str | None, columns: tuple[str, ...], unique: bool, foreign_keys: Iterable[Any]
) -> bool:
    """An index InnoDB added for a foreign key that had none: named after the constraint
    (or its first column when unnamed), on exactly its columns. Not part of the Schema: the
    key recreates it."""
    if unique:
        return False
    return any(fk.columns == columns and name in (fk.name, fk.columns[0]) for fk in foreign_keys)


def table_options(engine: str | None, collation: str | None) -> tuple[tuple[str, str], ...]:
    """MySQL table options as the Schema keeps them: engine, collation and the charset it
    belongs to (the collation's first word)."""
    options = []
    if engine:
        options.append(("engine", engine))
    if collation:
        options.append(("charset", collation.split("_", 1)[0]))
        options.append(("collation", collation))
    return tuple(options)


def normalize_comment(comment: str | None) -> str | None:
    """Comments: empty means none (MySQL reports ``''`` for no comment)."""
    return comment or None


@lru_cache(maxsize=4096)
@lru_cache(maxsize=4096)
def is_simple_default(dialect: str, text: str) -> bool:
    """A literal or a CURRENT_* keyword: what every backend accepts after DEFAULT without
    parentheses (SQLite and MySQL need them around any other expression)."""
    if _is_plain_literal(text):
        return True
    try:
        node = _unwrap(_parse(dialect, text))
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
