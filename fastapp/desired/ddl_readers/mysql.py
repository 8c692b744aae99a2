"""MySQL/MariaDB: what the server does with DDL on its own, for the parse path.

Types: BOOL is ``tinyint(1)``, ``decimal`` without arguments is ``decimal(10,0)``, a bare
``char``/``bit`` has length 1, fractional-second precision 0 is not shown. Defaults come back
in the column's type (``0`` on a VARCHAR is ``'0'``, ``0`` on DECIMAL(18,4) is ``0.0000``).
Tables get the engine and collation of the server/database unless they say otherwise, a
charset without COLLATE means that charset's default collation. A UNIQUE index is a unique
constraint (the reader cannot tell them apart); InnoDB's implicit foreign-key indexes are
not part of the Schema (:func:`fastapp.dialects.mysql.is_implicit_fk_index`). On MariaDB, JSON
is LONGTEXT with a ``json_valid`` check (read back as JSON without that check) and inline
``REFERENCES`` create foreign keys; MySQL 8 ignores them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from fastapp.desired.ddl_readers.base import Reader as BaseReader
from fastapp.desired.ddl_readers.drafts import ColumnDraft, IndexDraft, ServerHint, TableDraft
from fastapp.dialects.mysql import is_implicit_fk_index, json_check_columns, table_options
from fastapp.schema.normalize import TypeSpec, normalize_type

#: Each charset's default collation when a table names the charset without COLLATE.
MARIADB_CHARSET_COLLATIONS = {
    "utf8mb4": "utf8mb4_general_ci",
    "utf8mb3": "utf8mb3_general_ci",
    "utf8": "utf8mb3_general_ci",
    "latin1": "latin1_swedish_ci",
    "ascii": "ascii_general_ci",
    "binary": "binary",
}
MYSQL_CHARSET_COLLATIONS = {**MARIADB_CHARSET_COLLATIONS, "utf8mb4": "utf8mb4_0900_ai_ci"}
#: Index kinds InnoDB keeps; any other USING is silently a BTREE.
INNODB_METHODS = frozenset({None, "fulltext", "spatial"})
_NUMERIC = frozenset(
    {"tinyint", "smallint", "mediumint", "integer", "bigint", "boolean", "decimal", "real"}
    | {"double", "bit", "year"}
)
_TEXT = frozenset({"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"})
_FRACTIONAL = frozenset({"datetime", "timestamp", "time"})
_TEMPORAL = _FRACTIONAL | {"date"}
_LENGTH_ONE = frozenset({"char", "bit", "binary"})


_HINT_SQL = (
    "SELECT VERSION(), default_character_set_name, default_collation_name "
    "FROM information_schema.schemata WHERE schema_name = DATABASE()"
)


async def read_server_hint(connection: Any) -> ServerHint:
    """MariaDB or MySQL, and the connected database's default charset and collation."""
    async with connection.cursor() as cur:
        await cur.execute(_HINT_SQL)
        row = await cur.fetchone()
    if row is None:
        return ServerHint()
    version, charset, collation = row
    return ServerHint(
        mariadb="mariadb" in str(version).lower(), charset=charset, collation=collation
    )


class Reader(BaseReader):
    dialect_name = "mysql"
    #: The registry finds the hint reader on the part the hub names (one rule for every part).
    read_server_hint = staticmethod(read_server_hint)
    sqlglot_name = "mysql"

    def __init__(self, source: str, server: ServerHint) -> None:
        super().__init__(source, server)
        self.inline_references = server.mariadb

    def charset_collation(self, charset: str) -> str:
        charset = charset.lower()
        known = dict(
            MARIADB_CHARSET_COLLATIONS if self.server.mariadb else MYSQL_CHARSET_COLLATIONS
        )
        known.update(self.server.charset_collations)
        if charset not in known:
            self.unsupported(f"the charset {charset!r} without COLLATE (its default collation)")
        return known[charset]

    # -- columns ---------------------------------------------------------------------------

    def column_type(self, table: TableDraft, column: ColumnDraft) -> None:
        spec = normalize_type(self.dialect_name, column.type_text)
        if spec.type == "decimal" and spec.precision is None:
            spec = TypeSpec("decimal", precision=10, scale=0, unsigned=spec.unsigned)
        elif spec.type == "decimal" and spec.scale is None:
            spec = TypeSpec("decimal", precision=spec.precision, scale=0, unsigned=spec.unsigned)
        elif spec.type in _LENGTH_ONE and spec.length is None:
            spec = TypeSpec(spec.type, length=1)
        elif spec.type in _FRACTIONAL and spec.precision == 0:
            spec = TypeSpec(spec.type)
        column.spec = spec

    def default_text(self, column: ColumnDraft, node: Any) -> str | None:
        """A default as MariaDB reports it: in the column's type (``0`` on a VARCHAR is
        ``'0'``, on DECIMAL(5,2) ``0.00``, on BIT ``b'0'``), temporal strings in their full
        form, NOW() as CURRENT_TIMESTAMP()."""
        from sqlglot import exp

        self.check_rewritten(node)
        spec = column.spec
        kind = spec.type if spec is not None else ""
        inner = node.this if isinstance(node, exp.Paren) else node
        if isinstance(inner, exp.Anonymous) and inner.name.lower() == "now":
            precision = inner.expressions[0].copy() if inner.expressions else None
            return exp.CurrentTimestamp(this=precision).sql(dialect=self.sqlglot_name)
        constant = _constant(inner)
        if constant is None:
            return node.sql(dialect=self.sqlglot_name)
        if constant is True or constant is False:
            constant = "1" if constant else "0"
        text = str(constant)
        if kind in _TEXT or kind in ("binary", "varbinary"):
            return _quoted(text)
        if kind == "bit":
            return _bit(text) or self._refuse_default(column, text)
        if kind in _NUMERIC:
            scale = spec.scale if kind == "decimal" else None
            number = _float(text) if kind in ("real", "double") else _number(text, scale)
            return number or self._refuse_default(column, text)
        if kind in _TEMPORAL:
            return _temporal(kind, text, spec.precision) or self._refuse_default(column, text)
        if isinstance(inner, exp.Literal) and inner.is_string:
            return _quoted(text)
        return node.sql(dialect=self.sqlglot_name)

    def _refuse_default(self, column: ColumnDraft, text: str) -> str:
        self.unsupported(
            f"the default {text!r} of the {column.type_text} column {column.name!r} "
            "(MariaDB reports it rewritten)",
            line=column.line,
        )

    def expression_text(self, node: Any) -> str:
        from sqlglot import exp

        node = _backquoted(node)
        if self.server.mariadb:
            node = self._mariadb_stored(node)
        elif any(n.is_string for n in node.find_all(exp.Literal)):
            # MySQL 8 stores string literals with a charset introducer (_utf8mb4'a').
            self.unsupported("a string literal in a MySQL 8 expression", node)
        return super().expression_text(node)

    def _mariadb_stored(self, node: Any) -> Any:
        """What MariaDB makes of an expression when it stores it: ``LENGTH`` is
        ``octet_length``, TRUE/FALSE are 1/0, ``x IN (a)`` is ``x = a``, and a NOT is pushed
        into a comparison (``NOT x > 1`` is ``x <= 1``); other negations are refused."""
        from sqlglot import exp

        inverses = _inverse_comparisons()

        def visit(n: Any) -> Any:
            if isinstance(n, exp.Length) and n.args.get("binary"):
                return exp.Anonymous(this="octet_length", expressions=[n.this.copy()])
            if isinstance(n, exp.Boolean):
                return exp.Literal.number(1 if n.this else 0)
            if isinstance(n, exp.In) and _single(n):
                return exp.EQ(this=n.this.copy(), expression=n.expressions[0].copy())
            if not isinstance(n, exp.Not):
                return n
            inner = n.this.unnest()
            if isinstance(inner, exp.In) and _single(inner):
                return exp.NEQ(this=inner.this.copy(), expression=inner.expressions[0].copy())
            if type(inner) in inverses:
                inverse = inverses[type(inner)]
                return inverse(this=inner.this.copy(), expression=inner.expression.copy())
            if isinstance(inner, exp.Column):
                return exp.EQ(this=inner.copy(), expression=exp.Literal.number(0))
            if isinstance(inner, exp.Like) and not inner.args.get("negate"):
                negated = inner.copy()
                negated.set("negate", True)
                return negated
            if isinstance(inner, (exp.Is, exp.Between, exp.In, exp.RegexpLike)):
                return n
            self.unsupported("this NOT (MariaDB stores negations rewritten)", n)

        return node.transform(visit)

    # -- keys and indexes ------------------------------------------------------------------

    def unique_key(self, table: TableDraft, target: Any, name: str | None) -> None:
        if target.this is not None:
            name = self.ident(target.this)
        draft = IndexDraft([], unique=True, name=name)
        for part in target.expressions:
            self.key_part(table, draft, part)
        self.add_index(table, draft)

    def inline_index(self, table: TableDraft, node: Any) -> None:
        kind = node.args.get("kind")
        method = str(kind).lower() if kind else None
        for option in node.args.get("options") or ():
            using = option.args.get("using")
            if using is None or len([v for v in option.args.values() if v]) != 1:
                self.unsupported(f"the index option {option.sql(dialect='mysql')}", node)
            method = method or str(using.name if hasattr(using, "name") else using).lower()
        if node.args.get("index_type"):
            self.unsupported("an index type before the key parts", node)
        name = node.this.name if node.this is not None else None
        draft = IndexDraft([], unique=False, method=method, name=name)
        for part in node.expressions:
            self.key_part(table, draft, part)
        self.add_index(table, draft)

    def key_part(self, table: TableDraft, draft: IndexDraft, part: Any) -> None:
        from sqlglot import exp

        desc = isinstance(part, exp.Ordered) and bool(part.args.get("desc"))
        target = part.this if isinstance(part, exp.Ordered) else part
        if isinstance(target, exp.ColumnPrefix):
            name = self.column_ref(target.this)
            self.column_of(table, name)
            draft.columns.append(name)
            draft.expressions.append(False)
            draft.orders.append("DESC" if desc else None)
            draft.lengths.append(int(target.expression.name))
            return
        self.index_part(table, draft, target, desc)

    def index_part(self, table: TableDraft, draft: IndexDraft, target: Any, desc: bool) -> None:
        from sqlglot import exp

        if isinstance(target, exp.Anonymous) and not target.expressions:
            self.unsupported("a key part with a prefix length written as a call")
        if not isinstance(target, (exp.Column, exp.Identifier)) and self.server.mariadb:
            self.unsupported("an expression in an index (MariaDB has no functional key parts)")
        super().index_part(table, draft, target, desc)

    def add_index(self, table: TableDraft, draft: IndexDraft) -> None:
        plain = not any(draft.expressions) and not any(n is not None for n in draft.lengths)
        if draft.unique and draft.method is None and plain:
            table.uniques.append((draft.columns, draft.name))
        else:
            table.indexes.append(draft)

    # -- table options and what the server adds --------------------------------------------

    def table_property(self, table: TableDraft, prop: Any) -> None:
        from sqlglot import exp

        IGNORED_PROPERTIES = (exp.AutoIncrementProperty, exp.RowFormatProperty)  # noqa: N806

        if isinstance(prop, exp.EngineProperty):
            table.written["engine"] = prop.this.name
        elif isinstance(prop, exp.CharacterSetProperty):
            table.written["charset"] = prop.this.name
        elif isinstance(prop, exp.CollateProperty):
            table.written["collation"] = prop.this.name
        elif isinstance(prop, exp.SchemaCommentProperty):
            table.comment = prop.this.name
        elif isinstance(prop, IGNORED_PROPERTIES):
            pass  # not part of the Schema, and not read back by the catalog reader
        else:
            super().table_property(table, prop)

    def finish_table(self, table: TableDraft) -> None:
        super().finish_table(table)
        collation = table.written.get("collation")
        if collation is None and "charset" in table.written:
            collation = self.charset_collation(table.written["charset"])
        if collation is None:
            collation = self.server.collation or self.charset_collation(self.server.charset)
        engine = table.written.get("engine") or self.server.engine
        table.options = dict(table_options(engine, collation))
        if engine.lower() == "innodb":
            for index in table.indexes:
                if index.method not in INNODB_METHODS:
                    index.method = None  # InnoDB builds a BTREE whatever USING says
        columns = list(table.columns.values())
        if self.server.mariadb:
            json_columns, json_checks = json_check_columns(
                [(c.name, c.spec.type if c.spec else "") for c in columns],
                [(str(i), text) for i, (text, _) in enumerate(table.checks)],
            )
            for column in columns:
                if column.name in json_columns:
                    column.spec = TypeSpec("json")
            table.checks = [c for i, c in enumerate(table.checks) if str(i) not in json_checks]
        for column in columns:
            if column.autoincrement:
                column.nullable = False
            column.collation = self._collation(column, collation)
        fks = [_Key(tuple(fk.columns), fk.name) for fk in table.foreign_keys]
        table.indexes = [
            i
            for i in table.indexes
            if not is_implicit_fk_index(i.name, tuple(i.columns), i.unique, fks)
        ]

    def _collation(self, column: ColumnDraft, table_collation: str) -> str | None:
        if column.spec is None or column.spec.type not in _TEXT:
            return None
        collation = column.collation
        if collation is None and column.charset:
            collation = self.charset_collation(column.charset)
        return collation if collation and collation != table_collation else None


@lru_cache(maxsize=1)
def _inverse_comparisons() -> dict[type, type]:
    from sqlglot import exp

    pairs = [(exp.EQ, exp.NEQ), (exp.LT, exp.GTE), (exp.GT, exp.LTE)]
    return {**dict(pairs), **{b: a for a, b in pairs}}


class _Key:
    def __init__(self, columns: tuple[str, ...], name: str | None) -> None:
        self.columns, self.name = columns, name


def _constant(node: Any) -> Any:
    from sqlglot import exp

    negative = isinstance(node, exp.Neg)
    if negative:
        node = node.this
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        return ("-" if negative else "") + node.name
    return None


def _quoted(text: str) -> str:
    """A string literal as MariaDB prints it (backslashes escaped, quotes doubled)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _number(text: str, scale: int | None) -> str | None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or "E" in str(number):
        return None
    if scale is not None:
        return f"{number:.{scale}f}"
    return str(number)


def _float(text: str) -> str | None:
    """A DOUBLE/FLOAT default: MariaDB prints the shortest form, integers without ``.0``."""
    try:
        value = float(text)
    except ValueError:
        return None
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    shown = repr(value)
    return None if "e" in shown or "inf" in shown or "nan" in shown else shown


def _bit(text: str) -> str | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return f"b'{value:b}'" if value >= 0 else None


def _temporal(kind: str, text: str, precision: int | None) -> str | None:
    """A DATE/DATETIME/TIMESTAMP/TIME string default in MariaDB's full form."""
    import datetime

    try:
        if kind == "date":
            return "'" + datetime.date.fromisoformat(text).isoformat() + "'"
        if kind == "time":
            value = datetime.time.fromisoformat(text)
            shown = value.strftime("%H:%M:%S")
        else:
            value = datetime.datetime.fromisoformat(text)
            if value.tzinfo is not None:
                return None
            shown = value.strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    if precision:
        shown += "." + f"{value.microsecond:06d}"[:precision]
    elif value.microsecond:
        return None
    return "'" + shown + "'"


def _backquoted(node: Any) -> Any:
    """MariaDB reports every name in an expression in backquotes."""
    from sqlglot import exp

    def visit(n: Any) -> Any:
        if isinstance(n, exp.Identifier) and not n.quoted:
            quoted = exp.Identifier(this=n.name, quoted=True)
            quoted.meta.update(n.meta)  # the position, for errors
            return quoted
        return n

    return node.transform(visit)


def _single(node: Any) -> bool:
    return node.args.get("query") is None and len(node.expressions) == 1
