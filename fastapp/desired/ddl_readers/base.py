"""What every DDL reader shares: walking sqlglot's AST of each statement into drafts
(:mod:`~fastapp.desired.ddl_readers.drafts`), which
:mod:`~fastapp.desired.ddl_readers.build` turns into a Schema through
:mod:`fastapp.schema.normalize`.

A backend's module subclasses :class:`Reader` and says what its server does on its own
(type spellings, implicit NOT NULL, identifier case, how expressions come back) through the
hooks and class attributes below; this module never asks which backend it is.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from fastapp.desired.ddl_readers.build import build_table
from fastapp.desired.ddl_readers.drafts import (
    ColumnDraft,
    ForeignKeyDraft,
    IndexDraft,
    ServerHint,
    TableDraft,
)
from fastapp.schema.normalize import normalize_expression, normalize_type
from fastapp.schema.objects import EnumType, Schema

#: Words that end a column's type and start its constraints (any backend).
_CONSTRAINT_WORDS = frozenset(
    {
        "CONSTRAINT", "NOT", "NULL", "DEFAULT", "PRIMARY", "UNIQUE", "REFERENCES", "CHECK",
        "COLLATE", "GENERATED", "AS", "AUTO_INCREMENT", "AUTOINCREMENT", "COMMENT", "ON",
        "KEY", "CHARACTER", "CHARSET", "INVISIBLE", "VISIBLE", "STORAGE", "COLUMN_FORMAT",
    }
)  # fmt: skip


class Reader:
    """Collects one script's statements (:meth:`statement`), then builds the Schema
    (:meth:`schema`). Raises :class:`~fastapp.errors.ParsedSchemaError` naming the line."""

    dialect_name: ClassVar[str]
    sqlglot_name: ClassVar[str]
    #: ``CREATE TYPE name AS ENUM (...)`` is a statement of this backend.
    enum_types: ClassVar[bool] = False
    #: ``AS (...)`` without STORED makes a VIRTUAL column (SQLite, MySQL/MariaDB).
    virtual_generated: ClassVar[bool] = True
    #: ``COMMENT ON TABLE/COLUMN`` is a statement of this backend.
    comment_statements: ClassVar[bool] = False
    #: A primary key column is NOT NULL even when not declared so.
    primary_key_not_null: ClassVar[bool] = True
    #: A column-level ``REFERENCES`` creates a foreign key.
    inline_references: ClassVar[bool] = True
    #: Options after a key (``DEFERRABLE``, ``INCLUDE``, ``NULLS NOT DISTINCT``) are refused.
    refuses_key_options: ClassVar[bool] = False
    #: Index keys carry ``NULLS FIRST/LAST`` (read where written against the order's default).
    index_nulls_order: ClassVar[bool] = False
    #: sqlglot expression classes the server rewrites in ways not predicted here, with what
    #: to say about them.
    rewritten: ClassVar[dict[str, str]] = {}

    def __init__(self, source: str, server: ServerHint) -> None:
        self.source = source
        self.server = server
        self.tables: dict[str, TableDraft] = {}
        self.enums: dict[str, tuple[str, ...]] = {}
        self.line = self.part_line = 1
        self.sql = ""
        self._token_list: list[Any] = []
        self._tokens_of: str | None = None
        #: The table whose statement is being read (expressions may need its columns).
        self.current: TableDraft | None = None

    # -- errors ----------------------------------------------------------------------------

    def fail(self, reason: str, line: int | None = None) -> NoReturn:
        from fastapp.errors import ParsedSchemaError

        raise ParsedSchemaError(self.source, line or self.line, reason)

    def unsupported(self, what: str, node: Any = None, line: int | None = None) -> NoReturn:
        """Refuse ``what``; the line is ``node``'s when sqlglot kept a position in it."""
        tokens = self._tokens()
        start = tokens[0].start if tokens else 0
        head = " ".join(self.sql[start:].split())[:60]
        line = self.node_line(node) or line
        self.fail(f"{what} is not supported by the DDL parser (in: {head})", line)

    def node_line(self, node: Any) -> int | None:
        """The script line of ``node`` (sqlglot keeps positions on identifiers only)."""
        if node is None:
            return None
        for part in node.walk():
            line = part.meta.get("line")
            if line:
                return self.part_line + line - 1
        return None

    # -- statements ------------------------------------------------------------------------

    def statement(self, line: int, sql: str) -> None:
        """Read one statement (without its semicolon) that starts on ``line``."""
        from sqlglot import exp

        self.line, self.sql, self.part_line = line, sql, line
        tokens = self._tokens()
        if tokens:  # leading comments belong to the statement but say nothing
            self.line = line + tokens[0].line - 1
        node = self.parse(sql)
        if isinstance(node, exp.Create):
            kind = (node.args.get("kind") or "").upper()
            handler = {
                "TABLE": self.create_table,
                "INDEX": self.create_index,
                "TYPE": self.create_type,
            }.get(kind)
            if handler is None or node.args.get("replace"):
                replace = "OR REPLACE " if node.args.get("replace") else ""
                self.unsupported(f"CREATE {replace}{kind}")
            handler(node)
        elif isinstance(node, exp.Alter) and (node.args.get("kind") or "").upper() == "TABLE":
            self.alter_table(node)
        elif isinstance(node, exp.Comment) and self.comment_statements:
            self.comment_on(node)
        else:
            words = sql.split()[:2]
            self.unsupported(f"the statement {' '.join(words).upper()} ...")

    def parse(self, sql: str) -> Any:
        import logging

        import sqlglot
        from sqlglot import exp

        # sqlglot logs (and falls back to an opaque Command) for syntax it does not know;
        # that is reported as unsupported below, so its warning would only be noise.
        logger = logging.getLogger("sqlglot")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            nodes = sqlglot.parse(sql, read=self.sqlglot_name)
        except Exception as exc:
            # sqlglot's own text counts lines from the statement: say the script's line.
            errors = getattr(exc, "errors", None) or [{}]
            message = errors[0].get("description") or str(exc).strip() or type(exc).__name__
            line = errors[0].get("line")
            message = message.splitlines()[0]
            self.fail(f"cannot parse the statement: {message}", line and self.part_line + line - 1)
        finally:
            logger.setLevel(level)
        if len(nodes) != 1 or nodes[0] is None:
            # A routine's or trigger's BEGIN ... END body parses as several statements.
            kind = self._created_object()
            if kind:
                self.unsupported(f"CREATE {kind}")
            self.fail("expected one statement")
        node = nodes[0]
        if isinstance(node, exp.Command):
            words = [node.name.upper(), *str(node.expression or "").split()[:1]]
            self.unsupported(f"the statement {' '.join(words).upper()}")
        return node

    def _created_object(self) -> str | None:
        """The kind of object a ``CREATE [OR REPLACE] [DEFINER=...] ...`` statement makes,
        when it is one with a body of statements (a trigger, routine or event)."""
        words = [t.text.upper() for t in self._tokens()[:12]]
        if words[:1] != ["CREATE"]:
            return None
        return next((w for w in words if w in ("TRIGGER", "PROCEDURE", "FUNCTION", "EVENT")), None)

    # -- names -----------------------------------------------------------------------------

    def ident(self, node: Any) -> str:
        """The stored name of an identifier (backends differ in case folding)."""
        return node.name if hasattr(node, "name") else str(node)

    def table_name(self, table: Any) -> str:
        from sqlglot import exp

        if not isinstance(table, exp.Table):
            self.unsupported("this table reference")
        if table.args.get("db") is not None or table.args.get("catalog") is not None:
            self.unsupported(f"the qualified table name {table.sql(dialect=self.sqlglot_name)}")
        return self.ident(table.this)

    def column_ref(self, node: Any) -> str:
        from sqlglot import exp

        if isinstance(node, exp.Ordered):
            node = node.this
        if isinstance(node, exp.Column) and not node.table:
            return self.ident(node.this)
        if isinstance(node, exp.Identifier):
            return self.ident(node)
        self.unsupported(f"the column reference {node.sql(dialect=self.sqlglot_name)}")

    def table(self, name: str) -> TableDraft:
        draft = self.tables.get(name)
        if draft is None:
            self.fail(f"table {name!r} is not created earlier in the script")
        return draft

    def column_of(self, table: TableDraft, name: str) -> ColumnDraft:
        column = table.columns.get(name)
        if column is None:
            self.fail(f"table {table.name!r} has no column {name!r}")
        return column

    # -- CREATE TABLE ----------------------------------------------------------------------

    def create_table(self, node: Any) -> None:
        from sqlglot import exp

        schema = node.this
        if not isinstance(schema, exp.Schema) or node.expression is not None:
            self.unsupported("CREATE TABLE without a column list (AS SELECT, LIKE)")
        name = self.table_name(schema.this)
        if name in self.tables:
            if node.args.get("exists"):
                return
            self.fail(f"table {name!r} is created twice")
        draft = TableDraft(name, self.line)
        self.tables[name] = self.current = draft
        for part in schema.expressions:
            if isinstance(part, exp.ColumnDef):
                self.add_column(draft, part)
            else:
                self.table_constraint(draft, part)
        properties = node.args.get("properties")
        for prop in properties.expressions if properties is not None else ():
            self.table_property(draft, prop)

    def add_column(self, table: TableDraft, node: Any) -> None:
        from sqlglot import exp

        name = self.ident(node.this)
        if name in table.columns:
            self.fail(f"table {table.name!r} has two columns named {name!r}")
        text, quoted = self.type_span(node)
        column = ColumnDraft(name, text, type_quoted=quoted, line=self.node_line(node))
        table.columns[name] = column
        self.column_type(table, column)
        for constraint in node.args.get("constraints") or ():
            if isinstance(constraint, exp.ColumnConstraint):
                kind, cname = constraint.args.get("kind"), constraint.name or None
            else:
                kind, cname = constraint, None
            self.column_constraint(table, column, kind, cname)

    def column_constraint(self, table: TableDraft, column: ColumnDraft, kind: Any, name) -> None:
        from sqlglot import exp

        if isinstance(kind, exp.NotNullColumnConstraint):
            column.nullable = bool(kind.args.get("allow_null"))
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            if kind.args.get("desc"):
                self.unsupported("PRIMARY KEY DESC on a column")
            self.set_primary_key(table, [column.name], name)
        elif isinstance(kind, exp.UniqueColumnConstraint):
            self.refuse_key_options(kind)
            table.uniques.append(([column.name], name))
        elif isinstance(kind, exp.DefaultColumnConstraint):
            column.default = self.default_text(column, kind.this)
        elif isinstance(kind, exp.Reference):
            if self.inline_references:
                table.foreign_keys.append(self.reference(kind, [column.name], name))
        elif isinstance(kind, exp.CheckColumnConstraint):
            table.checks.append((self.check_text(kind.this), name))
        elif isinstance(kind, exp.CommentColumnConstraint):
            column.comment = kind.this.name
        elif isinstance(kind, exp.CollateColumnConstraint):
            target = kind.this.this if isinstance(kind.this, exp.Column) else kind.this
            column.collation = self.ident(target)
        elif isinstance(kind, exp.CharacterSetColumnConstraint):
            column.charset = kind.this.name.lower()
        elif isinstance(kind, exp.AutoIncrementColumnConstraint):
            column.autoincrement = True
        elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
            expression = kind.args.get("expression")
            if expression is not None:
                column.generated = self.expression_text(expression)
            else:
                self.identity(column, always=bool(kind.this))
        elif isinstance(kind, exp.ComputedColumnConstraint):
            column.generated = self.expression_text(kind.this)
            column.virtual = self.virtual_generated and not kind.args.get("persisted")
        elif isinstance(kind, exp.OnUpdateColumnConstraint):
            column.on_update = self.default_text(column, kind.this)
        else:
            text = kind.sql(dialect=self.sqlglot_name)
            self.unsupported(f"the column constraint {text}", line=column.line)

    def table_constraint(self, table: TableDraft, node: Any, name: str | None = None) -> None:
        from sqlglot import exp

        if isinstance(node, exp.Constraint):
            for part in node.expressions:
                self.table_constraint(table, part, self.ident(node.this))
        elif isinstance(node, exp.PrimaryKey):
            self.refuse_key_options(node)
            self.set_primary_key(table, [self.column_ref(c) for c in node.expressions], name)
        elif isinstance(node, exp.UniqueColumnConstraint):
            self.refuse_key_options(node)
            target = node.this
            if not isinstance(target, exp.Schema):
                self.unsupported("UNIQUE without a column list")
            self.unique_key(table, target, name)
        elif isinstance(node, exp.ForeignKey):
            columns = [self.column_ref(c) for c in node.expressions]
            table.foreign_keys.append(self.reference(node.args["reference"], columns, name))
        elif isinstance(node, exp.CheckColumnConstraint):
            table.checks.append((self.check_text(node.this), name))
        elif isinstance(node, exp.IndexColumnConstraint):
            self.inline_index(table, node)
        else:
            text = node.sql(dialect=self.sqlglot_name)
            self.unsupported(f"the table constraint {text}", node)

    def refuse_key_options(self, node: Any) -> None:
        """Key options this reader does not read (``DEFERRABLE``, ``NULLS NOT DISTINCT``,
        ``INCLUDE``) are refused, never dropped: only the scratch space reads them."""
        if not self.refuses_key_options:
            return
        include = node.args.get("include")
        for option in node.args.get("options") or ():
            text = option if isinstance(option, str) else option.sql(dialect=self.sqlglot_name)
            self.unsupported(f"the key option {text}", node)
        if node.args.get("nulls"):
            self.unsupported("UNIQUE NULLS NOT DISTINCT", node)
        if include is not None and any(
            include.args.get(k) for k in ("include", "with_storage", "tablespace", "using")
        ):
            self.unsupported(f"the key option {include.sql(dialect=self.sqlglot_name)}", node)

    def unique_key(self, table: TableDraft, target: Any, name: str | None) -> None:
        """``UNIQUE (cols)``; a backend where it is an index with key parts overrides."""
        if target.this is not None:
            name = self.ident(target.this)
        table.uniques.append(([self.column_ref(c) for c in target.expressions], name))

    def inline_index(self, table: TableDraft, node: Any) -> None:
        self.unsupported("an index inside CREATE TABLE")

    def set_primary_key(self, table: TableDraft, columns: list[str], name: str | None) -> None:
        if table.primary_key is not None:
            self.fail(f"table {table.name!r} has two primary keys")
        table.primary_key, table.primary_key_name = columns, name

    def reference(self, node: Any, columns: list[str], name: str | None) -> ForeignKeyDraft:
        from sqlglot import exp

        target = node.this
        if isinstance(target, exp.Schema):
            ref_table = self.table_name(target.this)
            ref_columns = [self.column_ref(c) for c in target.expressions]
        else:
            ref_table, ref_columns = self.table_name(target), []
        actions: dict[str, str] = {}
        for option in node.args.get("options") or ():
            words = str(option).upper().split()
            if len(words) < 3 or words[0] != "ON" or words[1] not in ("DELETE", "UPDATE"):
                self.unsupported(f"the foreign key option {option}")
            actions[words[1]] = " ".join(words[2:])
        return ForeignKeyDraft(
            columns,
            ref_table,
            ref_columns,
            on_delete=actions.get("DELETE"),
            on_update=actions.get("UPDATE"),
            name=name,
            line=self.line,
        )

    def table_property(self, table: TableDraft, prop: Any) -> None:
        self.unsupported(f"the table option {prop.sql(dialect=self.sqlglot_name)}")

    # -- other statements ------------------------------------------------------------------

    def create_index(self, node: Any) -> None:
        from sqlglot import exp

        index = node.this
        params = index.args.get("params")
        if node.args.get("concurrently") or params is None:
            self.unsupported("this CREATE INDEX")
        table = self.current = self.table(self.table_name(index.args.get("table")))
        for key in ("include", "with_storage", "tablespace", "partition_by", "on"):
            if params.args.get(key):
                self.unsupported(f"CREATE INDEX ... {key.upper().replace('_', ' ')}")
        draft = IndexDraft([], unique=bool(node.args.get("unique")), name=index.name or None)
        using = params.args.get("using")
        draft.method = using.name if using is not None else None
        for part in params.args.get("columns") or ():
            desc = isinstance(part, exp.Ordered) and bool(part.args.get("desc"))
            target = part.this if isinstance(part, exp.Ordered) else part
            self.index_part(table, draft, target, desc)
            nulls_first = part.args.get("nulls_first") if isinstance(part, exp.Ordered) else None
            if not self.index_nulls_order or nulls_first is None or bool(nulls_first) == desc:
                draft.nulls_order.append(None)  # the default: last ascending, first descending
            else:
                draft.nulls_order.append("NULLS FIRST" if nulls_first else "NULLS LAST")
        where = params.args.get("where")
        if where is not None:
            draft.where = self.expression_text(where.this)
        self.add_index(table, draft)

    def index_part(self, table: TableDraft, draft: IndexDraft, target: Any, desc: bool) -> None:
        from sqlglot import exp

        if isinstance(target, exp.Paren):
            target = target.this
        plain = isinstance(target, (exp.Column, exp.Identifier)) and not (
            isinstance(target, exp.Column) and target.table
        )
        if plain:
            name = self.column_ref(target)
            self.column_of(table, name)
            draft.columns.append(name)
        else:
            draft.columns.append(self.expression_text(target))
        draft.expressions.append(not plain)
        draft.orders.append("DESC" if desc else None)
        draft.lengths.append(None)

    def add_index(self, table: TableDraft, draft: IndexDraft) -> None:
        table.indexes.append(draft)

    def create_type(self, node: Any) -> None:
        from sqlglot import exp

        kind = node.expression
        if not self.enum_types or not (
            isinstance(kind, exp.DataType) and kind.is_type(exp.DataType.Type.ENUM)
        ):
            self.unsupported("CREATE TYPE other than AS ENUM")
        name = self.table_name(node.this)
        self.enums[name] = tuple(e.name for e in kind.expressions)

    def alter_table(self, node: Any) -> None:
        from sqlglot import exp

        table = self.current = self.table(self.table_name(node.this))
        for action in node.args.get("actions") or ():
            if isinstance(action, exp.AddConstraint):
                for part in action.expressions:
                    self.table_constraint(table, part)
            elif isinstance(action, exp.ColumnDef):
                self.add_column(table, action)
            else:
                self.unsupported(f"ALTER TABLE {action.sql(dialect=self.sqlglot_name)}")

    def comment_on(self, node: Any) -> None:
        from sqlglot import exp

        kind = (node.args.get("kind") or "").upper()
        text = node.expression
        value = None if isinstance(text, exp.Null) else text.name
        if kind == "TABLE":
            self.table(self.table_name(node.this)).comment = value
        elif kind == "COLUMN" and isinstance(node.this, exp.Column):
            column = node.this
            if column.args.get("db") is not None:
                self.unsupported("a schema-qualified COMMENT ON COLUMN")
            table = self.table(self.ident(column.args["table"]))
            self.column_of(table, self.ident(column.this)).comment = value
        else:
            self.unsupported(f"COMMENT ON {kind}")

    # -- hooks a backend refines -----------------------------------------------------------

    def type_span(self, node: Any) -> tuple[str, bool]:
        """The column type exactly as written (what the server parses), and whether it is
        one quoted identifier. Read from the tokens between the column name and its first
        constraint, since sqlglot's DataType re-spells some types (MySQL REAL is DOUBLE)."""
        from sqlglot.tokens import TokenType

        start = node.this.meta.get("end")
        if start is None or node.args.get("kind") is None:
            return "", False
        tokens = [t for t in self._tokens() if t.start > start]
        picked, depth = [], 0
        for token in tokens:
            kind = token.token_type
            if depth == 0 and kind in (TokenType.COMMA, TokenType.R_PAREN):
                break
            if depth == 0 and picked and token.text.upper().split()[0] in _CONSTRAINT_WORDS:
                break
            if kind == TokenType.L_PAREN:
                depth += 1
            elif kind == TokenType.R_PAREN:
                depth -= 1
            picked.append(token)
        if not picked:
            return "", False
        if len(picked) == 1 and picked[0].token_type == TokenType.IDENTIFIER:
            return picked[0].text, True
        return self.sql[picked[0].start : picked[-1].end + 1], False

    def _tokens(self) -> list[Any]:
        if self._tokens_of != self.sql:
            from fastapp.schema.normalize.syntax import tokenizer as _tokenizer

            self._token_list = _tokenizer(self.dialect_name).tokenize(self.sql)
            self._tokens_of = self.sql
        return self._token_list

    def column_type(self, table: TableDraft, column: ColumnDraft) -> None:
        """Set ``column.spec`` (and what the type implies) from ``column.type_text``."""
        column.spec = normalize_type(self.dialect_name, column.type_text)

    def identity(self, column: ColumnDraft, *, always: bool = False) -> None:
        self.unsupported("GENERATED ... AS IDENTITY")

    def expression_text(self, node: Any) -> str:
        """An expression as the server would report it, normalized."""
        self.check_rewritten(node)
        return normalize_expression(self.dialect_name, node.sql(dialect=self.sqlglot_name))

    def check_rewritten(self, node: Any) -> None:
        for part in node.walk():
            said = self.rewritten.get(type(part).__name__)
            if said:
                self.unsupported(said, part.parent or part)

    def check_text(self, node: Any) -> str:
        return self.expression_text(node)

    def default_text(self, column: ColumnDraft, node: Any) -> str | None:
        self.check_rewritten(node)
        return node.sql(dialect=self.sqlglot_name)

    # -- the Schema ------------------------------------------------------------------------

    def schema(self) -> Schema:
        """The Schema of everything read so far."""
        tables = []
        for draft in self.tables.values():
            self.line = draft.line
            self.finish_table(draft)
            self.referenced_columns(draft)
            tables.append(build_table(self.dialect_name, draft))
        return Schema(
            dialect=self.dialect_name,
            tables=tuple(tables),
            enums=tuple(EnumType(n, v) for n, v in self.enums.items()),
        )

    def finish_table(self, table: TableDraft) -> None:
        """What the server does to a whole table on its own (implicit options, checks)."""
        if table.primary_key and self.primary_key_not_null:
            for name in table.primary_key:
                self.column_of(table, name).nullable = False

    def referenced_columns(self, draft: TableDraft) -> None:
        """Fill in the columns of ``REFERENCES t`` without a list: ``t``'s primary key."""
        for fk in draft.foreign_keys:
            if not fk.ref_columns:
                target = self.tables.get(fk.ref_table)
                if target is None or not target.primary_key:
                    self.fail(
                        f"{draft.name}: REFERENCES {fk.ref_table} without columns needs that "
                        "table's primary key earlier in the script",
                        fk.line,
                    )
                fk.ref_columns = list(target.primary_key)
