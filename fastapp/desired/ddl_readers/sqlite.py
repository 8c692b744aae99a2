"""SQLite: what the server does with DDL on its own, for the parse path.

SQLite keeps a column's declared type verbatim (any words, any arguments; kept in
``Column.declared_type`` as the catalog reader reads it back) and its default as written; a
primary key column is not implicitly NOT NULL (except the AUTOINCREMENT rowid alias, which
the reader reports as such); names keep their case. ``WITHOUT ROWID`` and
``STRICT`` follow the column list, where sqlglot does not read them: they are taken from the
tokens and the rest is parsed.
"""

from __future__ import annotations

from typing import Any

from fastapp.desired.ddl_readers.base import Reader as BaseReader
from fastapp.desired.ddl_readers.drafts import ColumnDraft, TableDraft
from fastapp.dialects.sqlite import dialect as hub

#: Words after a CREATE TABLE's column list -> the table option the catalog reader reports.
_TABLE_OPTIONS = {("WITHOUT", "ROWID"): "without_rowid", ("STRICT",): "strict"}


class Reader(BaseReader):
    dialect_name = "sqlite"
    sqlglot_name = "sqlite"
    primary_key_not_null = False

    def parse(self, sql: str) -> Any:
        from sqlglot.tokens import TokenType

        from fastapp.schema.normalize.syntax import outer_close

        self._options: list[str] = []
        tokens = self._tokens()
        words = [t.text.upper() for t in tokens[:3]]
        if words[:2] != ["CREATE", "TABLE"]:
            return super().parse(sql)
        close = outer_close(tokens)
        if close is None:
            return super().parse(sql)
        tail = tokens[close + 1 :]
        groups: list[tuple[str, ...]] = [()]
        for token in tail:
            if token.token_type == TokenType.COMMA:
                groups.append(())
            else:
                groups[-1] += (token.text.upper(),)
        for group in groups:
            if not group:
                continue
            if group not in _TABLE_OPTIONS:
                self.unsupported(f"the table option {' '.join(group)}")
            self._options.append(_TABLE_OPTIONS[group])
        return super().parse(sql[: tokens[close].end + 1])

    def create_table(self, node: Any) -> None:
        super().create_table(node)
        name = self.table_name(node.this.this)
        for option in self._options:
            self.tables[name].options[option] = "1"

    def column_type(self, table: TableDraft, column: ColumnDraft) -> None:
        super().column_type(table, column)
        column.declared_type = hub.declared_type(self._declared(column))

    def _declared(self, column: ColumnDraft) -> str:
        """The declared type as SQLite keeps it: as written, one quoted word without quotes."""
        from sqlglot.tokens import TokenType

        from fastapp.schema.normalize.syntax import tokenizer

        text = column.type_text
        if column.type_quoted or not text or text[0] not in "\"'`[":
            return text
        tokens = tokenizer(self.sqlglot_name).tokenize(text)
        if len(tokens) == 1 and tokens[0].token_type in (TokenType.STRING, TokenType.IDENTIFIER):
            return tokens[0].text
        # SQLite cuts such a type at its own places ("double" precision is reported as
        # double): refused rather than guessed.
        self.unsupported(
            f"the column type {text} (a quoted word followed by more)", line=column.line
        )

    def table_constraint(self, table: TableDraft, node: Any, name: str | None = None) -> None:
        from sqlglot import exp

        if isinstance(node, exp.Identifier) and name is None:  # a column without a type
            self.add_column(table, exp.ColumnDef(this=node))
            return
        super().table_constraint(table, node, name)

    def column_constraint(self, table: TableDraft, column: ColumnDraft, kind: Any, name) -> None:
        from sqlglot import exp

        if isinstance(kind, exp.CollateColumnConstraint):
            column.collation = kind.this.name
            return
        super().column_constraint(table, column, kind, name)

    def index_part(self, table: TableDraft, draft: Any, target: Any, desc: bool) -> None:
        from sqlglot import exp

        # A key collated as its column is the column; another collation is a clause the
        # Schema cannot carry (the catalog reader keeps it as an unsupported option).
        if isinstance(target, exp.Collate) and isinstance(target.this, exp.Column):
            column = table.columns.get(target.this.name)
            wanted = (target.expression.name if target.expression else "").upper()
            if column is None or (column.collation or "BINARY").upper() != wanted:
                self.unsupported(f"the index key collation {target.sql(dialect='sqlite')}")
            target = target.this
        super().index_part(table, draft, target, desc)

    def finish_table(self, table: TableDraft) -> None:
        super().finish_table(table)
        auto = [c for c in table.columns.values() if c.autoincrement]
        for column in auto:
            # AUTOINCREMENT is only allowed on the INTEGER PRIMARY KEY (the rowid).
            if table.primary_key != [column.name]:
                self.fail(f"{table.name}.{column.name}: AUTOINCREMENT needs INTEGER PRIMARY KEY")
            # Nullability as declared: SQLite reports the key's NOT NULL only when written.
        if table.options.get("without_rowid") and table.primary_key:
            for name in table.primary_key:
                self.column_of(table, name).nullable = False
