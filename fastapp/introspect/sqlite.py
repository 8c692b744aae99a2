"""SQLite: one query joining sqlite_master with the pragma table-valued functions.

Each column keeps its type as declared (``Column.declared_type``) next to the canonical
reading: ``PRAGMA table_info`` reports that spelling, and it is what SQLite compares.

What the pragmas do not say (AUTOINCREMENT, WITHOUT ROWID, CHECK constraints, column
collations, generated expressions, index expressions and predicates) is read from the stored
CREATE statements with sqlglot's tokenizer and parser, only for the tables that need it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fastapp.dialects.sqlite import dialect as hub
from fastapp.introspect.base import CatalogReader as BaseCatalogReader
from fastapp.schema.normalize import index_shape, normalize_expression, normalize_fk_action
from fastapp.schema.normalize.bodies import normalize_body
from fastapp.schema.objects import (
    CheckConstraint,
    ForeignKey,
    Index,
    PrimaryKey,
    Schema,
    SchemaObject,
    Table,
    UniqueConstraint,
    Unmodelled,
)

# Ordinary tables only: a virtual table (FTS, R*Tree) is an object of its own, compared by
# its CREATE text (its shadow tables are the module's business and are skipped).
_ORDINARY = (
    "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name IN "
    "(SELECT tl.name FROM pragma_table_list tl WHERE tl.schema = 'main' AND tl.type = 'table')"
)
_CATALOG_SQL = f"""
SELECT 'table', m.name, m.sql, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM sqlite_master m WHERE {_ORDINARY}
UNION ALL
SELECT 'column', m.name, x.name, x.type, x."notnull", x.dflt_value, x.pk, x.hidden, x.cid, NULL, NULL
FROM sqlite_master m, pragma_table_xinfo(m.name) x WHERE {_ORDINARY}
UNION ALL
SELECT 'index', m.name, il.name, il."unique", il.origin, il.partial, ii.seqno, ii.cid, ii.name,
       ii."desc", ii.coll
FROM sqlite_master m, pragma_index_list(m.name) il, pragma_index_xinfo(il.name) ii
WHERE {_ORDINARY} AND ii.key = 1
UNION ALL
SELECT 'index_sql', i.tbl_name, i.name, i.sql, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM sqlite_master i WHERE i.type = 'index' AND i.sql IS NOT NULL
UNION ALL
SELECT 'virtual', l.name, m.sql, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM pragma_table_list l JOIN sqlite_master m ON m.name = l.name
WHERE l.schema = 'main' AND l.type = 'virtual'
UNION ALL
SELECT 'trigger', t.tbl_name, t.name, t.sql, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM sqlite_master t WHERE t.type = 'trigger'
UNION ALL
SELECT 'view', v.name, v.sql, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM sqlite_master v WHERE v.type = 'view'
UNION ALL
SELECT 'fk', m.name, f.id, f.seq, f."table", f."from", f."to", f.on_delete, f.on_update, NULL, NULL
FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE {_ORDINARY}
"""
# Hidden values of pragma_table_xinfo: 0 normal, 1 virtual-table hidden, 2/3 generated
# (2 VIRTUAL, 3 STORED).
_GENERATED = (2, 3)
_VIRTUAL = 2


@dataclass
class Catalog:
    table_names: list[str]
    sql: dict[str, str] = field(default_factory=dict)
    columns: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    indexes: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    index_sql: dict[str, str] = field(default_factory=dict)
    foreign_keys: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    virtual: dict[str, str] = field(default_factory=dict)
    #: ``(name, CREATE TRIGGER text)`` by table (or view: INSTEAD OF triggers).
    triggers: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    #: CREATE VIEW text by view name.
    views: dict[str, str] = field(default_factory=dict)


@dataclass
class _TableSQL:
    """What only the CREATE TABLE text says."""

    autoincrement: bool = False
    without_rowid: bool = False
    strict: bool = False
    checks: list[str] = field(default_factory=list)
    collations: dict[str, str] = field(default_factory=dict)
    generated: dict[str, str] = field(default_factory=dict)
    #: ``(object, clause)`` the Schema cannot carry (DEFERRABLE keys, ON CONFLICT).
    unmodelled: list[Unmodelled] = field(default_factory=list)


class CatalogReader(BaseCatalogReader):
    """Reads an SQLite database (the ``main`` schema) through aiosqlite."""

    dialect_name = "sqlite"

    async def fetch_catalog(self, connection: Any) -> Catalog:
        self.queries += 1
        async with connection.execute(_CATALOG_SQL) as cur:
            rows = await cur.fetchall()
        catalog = Catalog(table_names=[])
        for row in rows:
            kind, table = row[0], row[1]
            if kind == "table":
                catalog.table_names.append(table)
                catalog.sql[table] = row[2]
            elif kind == "column":
                catalog.columns[table].append(row)
            elif kind == "index":
                catalog.indexes[table].append(row)
            elif kind == "index_sql":
                catalog.index_sql[row[2]] = row[3]
            elif kind == "virtual":
                catalog.virtual[table] = row[2]
            elif kind == "trigger":
                catalog.triggers[table].append((row[2], row[3]))
            elif kind == "view":
                catalog.views[table] = row[2]
            else:
                catalog.foreign_keys[table].append(row)
        return catalog

    def build(self, catalog: Catalog, tables: list[str]) -> Schema:
        views = [_view(catalog, name, sql) for name, sql in catalog.views.items()]
        virtual = [
            SchemaObject("virtual table", name, _after_name(sql))
            for name, sql in catalog.virtual.items()
        ]
        return Schema(
            dialect=self.dialect_name,
            tables=tuple(self._table(catalog, t) for t in tables),
            objects=tuple(views + virtual),
        )

    def _table(self, catalog: Catalog, name: str) -> Table:
        rows = sorted(catalog.columns.get(name, ()), key=lambda r: r[8])
        info = self._parse_table(name, catalog.sql[name], any(r[7] in _GENERATED for r in rows))
        pk_rows = sorted((r for r in rows if r[6]), key=lambda r: r[6])
        pk_columns = tuple(r[2] for r in pk_rows)
        columns = []
        for row in rows:
            _, _, col, type_text, notnull, default, _pk, hidden, _cid, _, _ = row
            generated = info.generated.get(col) if hidden in _GENERATED else None
            columns.append(
                self.column(
                    name,
                    col,
                    type_text or "",
                    declared_type=hub.declared_type(type_text or ""),
                    # As declared: an AUTOINCREMENT key without NOT NULL reports notnull 0.
                    nullable=not notnull,
                    default=default,
                    autoincrement=info.autoincrement and pk_columns == (col,),
                    generated=generated,
                    virtual=generated is not None and hidden == _VIRTUAL,
                    collation=info.collations.get(col),
                )
            )
        primary_key = PrimaryKey(pk_columns) if pk_columns else None
        uniques, indexes = [], []
        unmodelled = list(info.unmodelled)
        # A trigger is an object of its own: kept, noted, or refused in a desired file; what
        # it does (its text after the name) is compared.
        unmodelled += [
            Unmodelled(f"trigger {t}", "CREATE TRIGGER", definition=_after_name(sql))
            for t, sql in sorted(catalog.triggers[name])
        ]
        groups: dict[str, list[tuple]] = {}
        for row in catalog.indexes.get(name, ()):
            groups.setdefault(row[2], []).append(row)
        for index_name in sorted(groups):
            parts = sorted(groups[index_name], key=lambda r: r[6])
            origin, unique, partial = parts[0][4], bool(parts[0][3]), bool(parts[0][5])
            if origin == "pk":
                continue
            cols = [r[8] for r in parts]
            if origin == "u":
                uniques.append(UniqueConstraint(tuple(cols), name=None))
                continue
            exprs = [r[7] == -2 for r in parts]
            where = None
            if partial or any(exprs):
                parsed = self._parse_index(name, index_name, catalog.index_sql.get(index_name))
                if parsed is not None:
                    parsed_cols, where = parsed
                    cols = [
                        p if e else c for c, p, e in zip(cols, parsed_cols, exprs, strict=False)
                    ]
            for r in parts:  # a key collation other than its column's (BINARY by default)
                if r[8] is not None and (r[10] or "BINARY").upper() != (
                    info.collations.get(r[8]) or "BINARY"
                ).upper():
                    unmodelled.append(Unmodelled(f"index {index_name}", f"{r[8]} COLLATE {r[10]}"))
            orders, expressions = index_shape(["DESC" if r[9] else None for r in parts], exprs)
            indexes.append(
                Index(
                    tuple(cols),
                    unique=unique,
                    where=where,
                    orders=orders,
                    expressions=expressions,
                    name=index_name,
                )
            )
        return Table(
            name=name,
            columns=tuple(columns),
            primary_key=primary_key,
            uniques=tuple(uniques),
            indexes=tuple(indexes),
            foreign_keys=tuple(self._foreign_keys(catalog, name)),
            checks=tuple(CheckConstraint(c) for c in info.checks),
            options=tuple(
                (key, "1")
                for key, on in (("without_rowid", info.without_rowid), ("strict", info.strict))
                if on
            ),
            unmodelled=tuple(unmodelled),
        )

    def _foreign_keys(self, catalog: Catalog, name: str) -> list[ForeignKey]:
        groups: dict[int, list[tuple]] = {}
        for row in catalog.foreign_keys.get(name, ()):
            groups.setdefault(row[2], []).append(row)
        fks = []
        for fk_id in sorted(groups):
            parts = sorted(groups[fk_id], key=lambda r: r[3])
            ref_table = parts[0][4]
            ref_columns = tuple(r[6] for r in parts)
            if any(c is None for c in ref_columns):
                # REFERENCES t without columns means t's primary key.
                ref_rows = sorted(
                    (r for r in catalog.columns.get(ref_table, ()) if r[6]), key=lambda r: r[6]
                )
                ref_columns = tuple(r[2] for r in ref_rows)
            fks.append(
                ForeignKey(
                    tuple(r[5] for r in parts),
                    ref_table,
                    ref_columns,
                    on_delete=normalize_fk_action(parts[0][7], "sqlite"),
                    on_update=normalize_fk_action(parts[0][8], "sqlite"),
                )
            )
        return fks

    def _parse_table(self, name: str, sql: str, has_generated: bool) -> _TableSQL:
        from sqlglot.tokens import TokenType

        from fastapp.schema.normalize.syntax import outer_close, tokenizer

        info = _TableSQL()
        tokens = tokenizer("sqlite").tokenize(sql)
        at = outer_close(tokens)
        body = tokens if at is None else tokens[:at]
        words = {
            "@" + t.text.upper()
            for t in body
            if t.token_type not in (TokenType.STRING, TokenType.IDENTIFIER)
        }
        if at is not None:
            words |= {t.text.upper() for t in tokens[at + 1 :]}
        close = None if at is None else tokens[at]
        info.without_rowid = "ROWID" in words
        info.strict = "STRICT" in words
        info.autoincrement = "@AUTOINCREMENT" in words
        if {"@DEFERRABLE", "@CONFLICT"} & words:
            info.unmodelled = _unmodelled_clauses(body)
        if not (has_generated or {"@CHECK", "@COLLATE"} & words) or close is None:
            return info
        self._read_constraints(name, sql[: close.end + 1], info)
        return info

    def _read_constraints(self, name: str, sql: str, info: _TableSQL) -> None:
        import sqlglot
        from sqlglot import exp

        try:
            tree = sqlglot.parse_one(sql, read="sqlite")
        except Exception as exc:
            self.warn(f"{name}: cannot parse its CREATE TABLE ({exc}); checks not read")
            return
        for check in tree.find_all(exp.CheckColumnConstraint):
            info.checks.append(self._expr(check.this))
        for column in tree.find_all(exp.ColumnDef):
            for constraint in column.args.get("constraints") or ():
                kind = constraint.args.get("kind")
                if isinstance(kind, exp.CollateColumnConstraint):
                    info.collations[column.name] = kind.this.name
                elif isinstance(kind, (exp.ComputedColumnConstraint,)):
                    info.generated[column.name] = self._expr(kind.this)
                elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint) and kind.args.get(
                    "expression"
                ):
                    info.generated[column.name] = self._expr(kind.args["expression"])

    def _expr(self, node) -> str:
        return normalize_expression("sqlite", node.sql(dialect="sqlite"))

    def _parse_index(self, table: str, index: str, sql: str | None):
        import sqlglot
        from sqlglot import exp

        if not sql:
            return None
        try:
            tree = sqlglot.parse_one(sql, read="sqlite")
            params = tree.this.args["params"]
        except Exception as exc:
            self.warn(f"{table}: cannot parse index {index!r} ({exc}); expressions not read")
            return None
        columns = []
        for ordered in params.args.get("columns") or ():
            node = ordered.this if isinstance(ordered, exp.Ordered) else ordered
            columns.append(self._expr(node))
        where = params.args.get("where")
        return columns, self._expr(where.this) if where is not None else None


def _view(catalog: Catalog, name: str, sql: str) -> SchemaObject:
    """A view: its column list and query as written (normalized), and its INSTEAD OF
    triggers, which live and die with it."""
    parts = [_after_name(sql)]
    parts += [f"TRIGGER {t} {_after_name(text)}" for t, text in sorted(catalog.triggers[name])]
    return SchemaObject("view", name, "; ".join(parts))


def _after_name(sql: str | None) -> str:
    """A CREATE VIEW/TRIGGER/VIRTUAL TABLE text from after the object's name (``TEMP``, ``IF NOT EXISTS``
    and the name's quoting say nothing about what it does), normalized."""
    from sqlglot.tokens import TokenType

    from fastapp.schema.normalize.syntax import tokenizer

    sql = sql or ""
    try:
        tokens = tokenizer("sqlite").tokenize(sql)
    except Exception:
        return normalize_body("sqlite", sql)
    at = next(
        (i for i, t in enumerate(tokens) if t.text.upper() in ("VIEW", "TRIGGER", "TABLE")),
        len(tokens),
    )
    at += 1
    if [t.text.upper() for t in tokens[at : at + 3]] == ["IF", "NOT", "EXISTS"]:
        at += 3
    at += 1  # the name, or the schema of a qualified one
    if at < len(tokens) and tokens[at].token_type == TokenType.DOT:
        at += 2
    if at >= len(tokens):
        return normalize_body("sqlite", sql)
    return normalize_body("sqlite", sql[tokens[at].start :])


def _unmodelled_clauses(tokens: list) -> list[Unmodelled]:
    """``DEFERRABLE [INITIALLY ...]`` (foreign keys) and ``ON CONFLICT <action>`` clauses of a
    CREATE TABLE's tokens (:class:`Unmodelled`): SQLite keeps them only in that text."""
    from sqlglot.tokens import TokenType

    found = []
    words = [t.text.upper() if t.token_type != TokenType.IDENTIFIER else "" for t in tokens]
    for i, word in enumerate(words):
        if word == "DEFERRABLE":
            tail = words[i + 1 : i + 3] if words[i + 1 : i + 2] == ["INITIALLY"] else []
            found.append(Unmodelled("foreign key", " ".join([word, *tail])))
        elif word == "CONFLICT" and words[i - 1 : i] == ["ON"]:
            found.append(Unmodelled("constraint", " ".join(words[i - 1 : i + 2])))
    return found
