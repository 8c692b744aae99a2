"""PostgreSQL: what the server does with DDL on its own, for the parse path.

Unquoted names fold to lowercase; SERIAL types are integers owning a sequence (the reader
reports autoincrement, no default); identity columns likewise; ``numeric(p)`` is stored as
``numeric(p,0)`` and a bare ``char``/``bit`` has length 1; enum types come from CREATE TYPE.
Expressions are reported by ``pg_get_expr``, which quotes only the names that need it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fastapp.desired.ddl_readers.base import Reader as BaseReader
from fastapp.desired.ddl_readers.drafts import ColumnDraft, TableDraft
from fastapp.schema.normalize import TypeSpec, normalize_type
from fastapp.schema.normalize.defaults import marked_functions

#: SERIAL spellings -> the integer type they create.
SERIAL_TYPES = {
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}
#: Short spellings -> the names ``format_type`` prints (array elements keep them).
ARRAY_ELEMENT_NAMES = {
    "int": "integer",
    "int4": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "bool": "boolean",
    "float8": "double precision",
    "float4": "real",
    "decimal": "numeric",
    "varchar": "character varying",
    "char": "character",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
}
#: Operators (sqlglot classes) whose string-literal operand PostgreSQL casts to the other
#: operand's type.
TYPED_OPERATORS = frozenset(
    {"EQ", "NEQ", "GT", "GTE", "LT", "LTE", "ArrayContainsAll", "ArrayContainedBy"}
)
#: Pattern operators: a varchar operand is compared as text.
PATTERN_OPERATORS = frozenset({"Like", "ILike", "RegexpLike", "RegexpILike"})
#: Functions that take text: a varchar/char argument comes back as ``(col)::text``
#: (``length`` has its own bpchar version, so char is not cast there).
TEXT_FUNCTIONS = {
    "varchar": frozenset({"Lower", "Upper", "Length", "Substring", "DPipe"}),
    "char": frozenset({"Lower", "Upper", "DPipe"}),
}
#: Where a char operand stays as it is (bpchar has its own length and pattern operators).
BPCHAR_OPERATIONS = frozenset({"Length"}) | PATTERN_OPERATORS
#: Column types whose literals come back cast to a text type (normalization drops that).
_UNTYPED = frozenset({"text", ""})
_INTEGERS = frozenset({"smallint", "integer", "bigint"})
#: Types whose one argument is optional and defaults to 1 when omitted.
_LENGTH_ONE = frozenset({"char", "bit"})
#: Keywords ``quote_ident`` quotes (reserved, column-name and type/function-name categories
#: of PostgreSQL's keyword list); other simple lowercase names come back bare.
QUOTED_KEYWORDS = frozenset(
    """
    all analyse analyze and any array as asc asymmetric both case cast check collate column
    constraint create current_catalog current_date current_role current_time
    current_timestamp current_user default deferrable desc distinct do else end except false
    fetch for foreign from grant group having in initially intersect into lateral leading
    limit localtime localtimestamp not null offset on only or order placing primary
    references returning select session_user some symmetric table then to trailing true
    union unique user using variadic when where window with
    authorization binary collation concurrently cross current_schema freeze full ilike inner
    is isnull join left like natural notnull outer overlaps right similar tablesample verbose
    between bigint bit boolean char character coalesce dec decimal exists extract float
    greatest grouping inout int integer interval least national nchar none normalize nullif
    numeric out overlay position precision real row setof smallint substring time timestamp
    treat trim values varchar xmlattributes xmlconcat xmlelement xmlexists xmlforest
    xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable
    """.split()
)


class Reader(BaseReader):
    dialect_name = "postgres"
    sqlglot_name = "postgres"
    virtual_generated = False  # every generated column the catalog reader reads is stored
    enum_types = True
    comment_statements = True
    index_nulls_order = True
    refuses_key_options = True
    rewritten: ClassVar[dict[str, str]] = {
        "Interval": "this INTERVAL literal (PostgreSQL stores its output text; only one "
        "whole-number unit is predicted)",
        "SimilarTo": "SIMILAR TO (PostgreSQL stores a regular expression)",
    }

    def ident(self, node: Any) -> str:
        name = node.name if hasattr(node, "name") else str(node)
        return name if getattr(node, "args", {}).get("quoted") else name.lower()

    def column_type(self, table: TableDraft, column: ColumnDraft) -> None:
        text = column.type_text
        key = text if column.type_quoted else " ".join(text.lower().split())
        if key in self.enums:
            column.spec = TypeSpec("enum", enum_values=self.enums[key])
            column.enum_name = key
            return
        if key in SERIAL_TYPES:
            column.spec = TypeSpec(SERIAL_TYPES[key])
            column.autoincrement, column.nullable = True, False
            return
        if text.endswith("[]"):
            column.spec = TypeSpec(_array_type(text), known=False)
            return
        spec = normalize_type(self.dialect_name, text)
        if spec.type == "decimal" and spec.precision is not None and spec.scale is None:
            spec = TypeSpec("decimal", precision=spec.precision, scale=0)
        elif spec.type in _LENGTH_ONE and spec.length is None and spec.known:
            spec = TypeSpec(spec.type, length=1)
        column.spec = spec

    def identity(self, column: ColumnDraft, *, always: bool = False) -> None:
        column.autoincrement, column.nullable = True, False
        column.identity = "ALWAYS" if always else "BY DEFAULT"

    def statement(self, line: int, sql: str) -> None:
        # now() is not CURRENT_TIMESTAMP to PostgreSQL's catalog, though sqlglot reads both
        # as one node: a stand-in keeps it apart (normalize_default puts it back).
        super().statement(line, marked_functions("postgres", sql)[0])

    def expression_text(self, node: Any) -> str:
        node = _intervals(_in_lists(_between(_requoted(node))))
        if self.current is not None:
            node = self._typed(node, self.current.columns)
        return super().expression_text(node)

    def _typed(self, tree: Any, columns: dict[str, ColumnDraft]) -> Any:
        """The casts PostgreSQL adds when it resolves operators and functions, for the
        contexts modelled here (see :data:`TEXT_FUNCTIONS`); a character column anywhere
        else is refused rather than guessed."""
        from sqlglot import exp

        tree = tree.copy()
        for column in list(tree.find_all(exp.Column)):
            if column.table or column.name not in columns:
                continue
            draft = columns[column.name]
            kind = draft.spec.type if draft.spec else ""
            child, parent = column, column.parent
            while isinstance(parent, exp.Paren):
                child, parent = parent, parent.parent
            other = None
            if parent is not None and parent.args.get("this") is child:
                other = parent.args.get("expression")
            elif parent is not None and parent.args.get("expression") is child:
                other = parent.args.get("this")
            operator = type(parent).__name__
            if kind in ("varchar", "char"):
                self._character_operand(column, draft, kind, parent, operator, other)
            elif operator in TYPED_OPERATORS and _is_string(other) and kind not in _UNTYPED:
                self._canonical_strings(other, draft, column)
                _cast_strings(other, self._cast_type(draft, column))
            elif operator in TYPED_OPERATORS and kind in _INTEGERS and _is_fraction(other):
                # integer vs 1.5: PostgreSQL compares as numeric, casting the column
                column.replace(exp.Cast(this=column.copy(), to=exp.DataType.build("decimal")))
        return tree

    def _character_operand(self, column, draft, kind, parent, operator, other) -> None:
        from sqlglot import exp

        if parent is None or isinstance(parent, (exp.Ordered, exp.Cast, exp.Is)):
            return
        text = exp.DataType.build("text")
        if operator in TEXT_FUNCTIONS[kind]:
            column.replace(exp.Cast(this=column.copy(), to=text))
            return
        if kind == "char" and operator in BPCHAR_OPERATIONS and operator not in TYPED_OPERATORS:
            if operator == "Length" or _is_string(other):
                return
        if _is_string(other) and operator in TYPED_OPERATORS | PATTERN_OPERATORS:
            if kind == "varchar":
                column.replace(exp.Cast(this=column.copy(), to=text))
                return
            if operator in TYPED_OPERATORS:
                bpchar = exp.DataType.build("bpchar", dialect=self.sqlglot_name, udt=True)
                _cast_strings(other, bpchar)
                return
        self.unsupported(
            f"this use of the {kind} column {draft.name!r} (PostgreSQL's implicit casts "
            "are predicted only in comparisons with strings, LIKE and lower/upper/length)",
            column,
        )

    def _canonical_strings(self, node: Any, column: ColumnDraft, where: Any) -> None:
        """PostgreSQL stores a typed literal as the value's output text: rewrite each literal
        of ``node`` so, where that text is predictable (:data:`CANONICAL_LITERALS`)."""
        from sqlglot import exp

        kind = column.spec.type if column.spec else ""
        if column.enum_name is not None or kind in _INTEGERS | {"decimal", "real", "double"}:
            return
        canonical = CANONICAL_LITERALS.get(kind)
        for literal in node.find_all(exp.Literal) if not isinstance(node, exp.Literal) else [node]:
            text = canonical(literal.this) if canonical is not None else None
            if text is not None:
                literal.set("this", text)
            else:
                self.unsupported(
                    f"the {kind or column.type_text} literal {literal.sql()} (PostgreSQL stores "
                    "the value's canonical text; write it that way or use the scratch space)",
                    where,
                )

    def _cast_type(self, column: ColumnDraft, node: Any) -> Any:
        from sqlglot import exp

        if column.spec is not None and column.spec.type == "boolean":
            # PostgreSQL folds 'true'::boolean to true, unlike other typed literals.
            self.unsupported(f"a string compared with the boolean column {column.name!r}", node)
        if column.enum_name is not None:
            return exp.DataType.build(exp.to_identifier(column.enum_name), udt=True)
        text = column.type_text
        if "(" in text or "[" in text or column.type_quoted:
            self.unsupported(f"a string compared with the {text} column {column.name!r}", node)
        return exp.DataType.build(text, dialect=self.sqlglot_name, udt=True)

    def default_text(self, column: ColumnDraft, node: Any) -> str | None:
        """A default as PostgreSQL stores it: a string for a typed column becomes the value's
        output text (``'2020-1-1'`` on a date is ``'2020-01-01'``), or is refused where that
        text depends on the server (time zones, float output)."""
        from sqlglot import exp

        inner = node.unnest()
        while isinstance(inner, exp.Cast) and isinstance(inner.this.unnest(), exp.Literal):
            inner = inner.this.unnest()
        kind = column.spec.type if column.spec else ""
        if not (isinstance(inner, exp.Literal) and inner.is_string) or column.enum_name:
            return super().default_text(column, _intervals(_requoted(node)))
        if kind in _TEXT_KINDS:
            return inner.sql(dialect=self.sqlglot_name)
        convert = DEFAULT_LITERALS.get(kind) or CANONICAL_LITERALS.get(kind)
        text = convert(inner.this) if convert is not None else None
        if text is None:
            self.unsupported(
                f"the default {inner.sql()} of the {kind or column.type_text} column "
                f"{column.name!r} (PostgreSQL stores the value's output text)",
                line=column.line,
            )
        return text if kind in _BARE_DEFAULTS else exp.Literal.string(text).sql(dialect="postgres")


def _array_type(text: str) -> str:
    """An array type as ``format_type`` prints it: the element's full name, one ``[]``
    whatever the dimensions (PostgreSQL does not keep them)."""
    element = text
    while element.endswith("[]"):
        element = element[:-2].rstrip()
    name, paren, args = element.partition("(")
    name = " ".join(name.lower().split())
    name = ARRAY_ELEMENT_NAMES.get(name, name)
    return f"{name}{paren}{args.replace(' ', '')}[]"


def _is_fraction(node: Any) -> bool:
    """A non-integer number, or an ANY/ALL (ARRAY[...]) holding one."""
    from sqlglot import exp

    if isinstance(node, (exp.Any, exp.All)):
        return any(_is_fraction(e) for e in node.find_all(exp.Literal, exp.Neg))
    if isinstance(node, exp.Neg):
        node = node.this
    return isinstance(node, exp.Literal) and not node.is_string and not node.this.isdigit()


def _canonical_date(text: str) -> str | None:
    import datetime

    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _canonical_uuid(text: str) -> str | None:
    import uuid

    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def _canonical_jsonb(text: str) -> str | None:
    """jsonb's output text: object keys ordered by length then bytes, the last of duplicate
    keys kept, ``", "``/``": "``. None when a float is involved (PostgreSQL prints numeric,
    unlike Python)."""
    import json

    def out(value: Any) -> str | None:
        if isinstance(value, dict):
            keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
            parts = [(json.dumps(k, ensure_ascii=False), out(value[k])) for k in keys]
            if any(v is None for _, v in parts):
                return None
            return "{" + ", ".join(f"{k}: {v}" for k, v in parts) + "}"
        if isinstance(value, list):
            items = [out(v) for v in value]
            return None if None in items else "[" + ", ".join(items) + "]"
        if isinstance(value, float):
            return None
        return json.dumps(value, ensure_ascii=False)

    try:
        return out(json.loads(text))
    except ValueError:
        return None


def _interval_string(text: str) -> str | None:
    words = text.split()
    if len(words) != 2 or not words[0].isdigit():
        return None
    return interval_text(int(words[0]), words[1])


#: Typed literals PostgreSQL stores as the value's output text, and how to compute it from
#: the written text (None: not predictable). Types not here are refused.
CANONICAL_LITERALS = {
    "interval": _interval_string,
    "date": _canonical_date,
    "uuid": _canonical_uuid,
    "jsonb": _canonical_jsonb,
    "json": lambda text: text,  # json keeps the text as written
}


def _integer(text: str) -> str | None:
    try:
        return str(int(text.strip()))
    except ValueError:
        return None


def _decimal(text: str) -> str | None:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return str(value) if value.is_finite() and "E" not in str(value) else None


def _boolean(text: str) -> str | None:
    word = text.strip().lower()
    if word in ("t", "true", "y", "yes", "on", "1"):
        return "TRUE"
    if word in ("f", "false", "n", "no", "off", "0"):
        return "FALSE"
    return None


def _timestamp(text: str) -> str | None:
    import datetime

    try:
        value = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is not None or value.microsecond:
        return None
    return value.isoformat(sep=" ")


#: String defaults of these column types -> the text PostgreSQL stores (None: refused).
DEFAULT_LITERALS = {
    "smallint": _integer,
    "integer": _integer,
    "bigint": _integer,
    "decimal": _decimal,
    "boolean": _boolean,
    "timestamp": _timestamp,
}
#: Types whose converted default is a bare number or keyword, not a quoted string.
_BARE_DEFAULTS = frozenset({"smallint", "integer", "bigint", "decimal", "boolean"})
_TEXT_KINDS = frozenset({"text", "varchar", "char"})


def _cast_strings(node: Any, to: Any) -> None:
    """Cast the string literal ``node`` (or each one of an ``ANY/ALL (ARRAY[...])``) in place."""
    from sqlglot import exp

    literals = [node] if isinstance(node, exp.Literal) else list(node.find_all(exp.Literal))
    for literal in literals:
        literal.replace(exp.Cast(this=literal.copy(), to=to.copy()))


def _is_string(node: Any) -> bool:
    """A string literal, or ``ANY/ALL (ARRAY[...])`` of string literals (an IN list)."""
    from sqlglot import exp

    if isinstance(node, (exp.Any, exp.All)):
        array = node.this.this if isinstance(node.this, exp.Paren) else node.this
        return isinstance(array, exp.Array) and all(_is_string(e) for e in array.expressions)
    return isinstance(node, exp.Literal) and node.is_string


def _in_lists(node: Any) -> Any:
    """``x IN (a)`` as PostgreSQL stores it: ``x = a``; ``x IN (a, b)``: ``x = ANY
    (ARRAY[a, b])``; NOT IN with ``<>`` and ``ALL``."""
    from sqlglot import exp

    def rewrite(n: Any, negated: bool) -> Any:
        if n.args.get("query") is not None or n.args.get("unnest") is not None:
            return None
        items = [e.copy() for e in n.expressions]
        op = exp.NEQ if negated else exp.EQ
        if len(items) == 1:
            return op(this=n.this.copy(), expression=items[0])
        quantifier = exp.All if negated else exp.Any
        array = exp.Paren(this=exp.Array(expressions=items))
        return op(this=n.this.copy(), expression=quantifier(this=array))

    def visit(n: Any) -> Any:
        if isinstance(n, exp.Not) and isinstance(n.this, exp.In):
            return rewrite(n.this, True) or n
        if isinstance(n, exp.In):
            return rewrite(n, False) or n
        return n

    return node.transform(visit)


#: Interval units -> (months, seconds) per unit; PostgreSQL prints days on their own.
_INTERVAL_UNITS = {
    "year": (12, 0),
    "month": (1, 0),
    "mon": (1, 0),
    "hour": (0, 3600),
    "minute": (0, 60),
    "min": (0, 60),
    "second": (0, 1),
    "sec": (0, 1),
}


def interval_text(count: int, unit: str) -> str | None:
    """``interval_out`` of ``count unit`` (PostgreSQL's default IntervalStyle), or None
    when not one of the simple shapes: ``1 day``, ``2 days``, ``1 year 2 mons``,
    ``25:00:00``."""
    unit = unit.lower().rstrip("s") if unit.lower() != "s" else unit
    if count < 0:
        return None
    if unit in ("day", "week"):
        days = count * (7 if unit == "week" else 1)
        return f"{days} day" + ("" if days == 1 else "s")
    if unit not in _INTERVAL_UNITS:
        return None
    months, seconds = (n * count for n in _INTERVAL_UNITS[unit])
    if months:
        years, months = divmod(months, 12)
        parts = [f"{years} year" + ("" if years == 1 else "s")] if years else []
        parts += [f"{months} mon" + ("" if months == 1 else "s")] if months else []
        return " ".join(parts)
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _intervals(node: Any) -> Any:
    """``INTERVAL '1 day'`` as PostgreSQL stores it: ``'1 day'::interval`` (its output
    text); shapes :func:`interval_text` does not predict stay and are refused later."""
    from sqlglot import exp

    def visit(n: Any) -> Any:
        if not isinstance(n, exp.Interval) or n.args.get("unit") is None:
            return n
        value, unit = n.this, n.args["unit"]
        if not (isinstance(value, exp.Literal) and value.this.isdigit()):
            return n
        text = interval_text(int(value.this), unit.name)
        if text is None:
            return n
        return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build("interval"))

    return node.transform(visit)


def _between(node: Any) -> Any:
    """``x BETWEEN a AND b`` as PostgreSQL stores it: ``x >= a AND x <= b``."""
    from sqlglot import exp

    def visit(n: Any) -> Any:
        if isinstance(n, exp.Between):
            low = exp.GTE(this=n.this.copy(), expression=n.args["low"].copy())
            high = exp.LTE(this=n.this.copy(), expression=n.args["high"].copy())
            return exp.And(this=low, expression=high)
        return n

    return node.transform(visit)


def _requoted(node: Any) -> Any:
    """``node`` with names quoted exactly where ``quote_ident`` would quote them."""
    from sqlglot import exp

    def visit(n: Any) -> Any:
        if isinstance(n, exp.Identifier):
            name = n.name if n.quoted else n.name.lower()
            simple = (
                (name[:1].isalpha() or name[:1] == "_")
                and name == name.lower()
                and name.replace("_", "a").isalnum()
                and name.isascii()
            )
            requoted = exp.Identifier(this=name, quoted=not simple or name in QUOTED_KEYWORDS)
            requoted.meta.update(n.meta)  # the position, for errors
            return requoted
        return n

    return node.transform(visit)
