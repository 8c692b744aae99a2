"""PostgreSQL: transactional DDL, ``USING`` casts for type changes, identity for
auto-increment, ``CREATE INDEX CONCURRENTLY`` after the transaction when asked."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapp.diff import ops as o
from fastapp.diff.compare import UnsupportedChangeError
from fastapp.schema.objects import Column
from fastapp.sql.plan.base import AFTER, Renderer, Statement


class PostgresRenderer(Renderer):
    dialect_name = "postgres"

    def table_comment_sql(self, table: str, comment: str | None, *, created: bool) -> list[str]:
        if created and comment is None:
            return []
        return [self.ddl.comment_on_table(table, comment)]

    def column_comment_sql(self, table: str, column: Column, *, created: bool) -> list[str]:
        if created and column.comment is None:
            return []
        return [self.ddl.comment_on_column(table, column.name, column.comment)]

    # --- ops ------------------------------------------------------------------------------

    def op_create_index(self, op: o.CreateIndex) -> list[Any]:
        sql = self.create_index_sql(op.table, op.index)
        if self.options.concurrently or self.online_for(op.table):
            name = self.named_index(op.table, op.index).name or ""
            sql = sql.replace("INDEX ", "INDEX CONCURRENTLY ", 1)
            drop = f"DROP INDEX CONCURRENTLY IF EXISTS {self.q(name)}"
            # An interrupted CONCURRENTLY build leaves an INVALID index of that name (which
            # the catalog reader does not count as existing): it goes first.
            leftover = (
                f"SELECT {self.literal(drop)} FROM pg_catalog.pg_index ix "
                "JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid "
                f"WHERE ic.relname = {self.literal(name)} AND NOT ix.indisvalid "
                "AND ic.relnamespace = pg_catalog.to_regnamespace(current_schema())"
            )
            return [
                Statement(
                    f"-- {drop}, if an interrupted run left it invalid", op, AFTER, replay=leftover
                ),
                Statement(sql, op, AFTER, retry_cleanup=drop),
            ]
        return [sql]

    # --- --online: validate outside the lock, backfill in batches --------------------------

    def op_add_foreign_key(self, op: o.AddForeignKey) -> list[Any]:
        out = super().op_add_foreign_key(op)
        if not self.online_for(op.table):
            return out
        name = self.fk_name(op.table, op.foreign_key)
        return [f"{out[0]} NOT VALID", *self._validate(op, name)]

    def op_add_check(self, op: o.AddCheck) -> list[Any]:
        out = super().op_add_check(op)
        if not self.online_for(op.table):
            return out
        name = self.check_name(op.table, op.check.expression, op.check.name)
        return [f"{out[0]} NOT VALID", *self._validate(op, name)]

    def _validate(self, op: o.Op, name: str) -> list[Statement]:
        return [
            Statement(
                f"ALTER TABLE {self.q(op.table)} VALIDATE CONSTRAINT {self.q(name)}", op, AFTER
            )
        ]

    def _set_not_null(self, op: o.Op, table: str, column: str) -> list[Any]:
        """SET NOT NULL without a scan under ACCESS EXCLUSIVE: a NOT VALID check, validated
        under a lock that lets writes go on, proves it (PostgreSQL 12+), then goes."""
        t, c = self.q(table), self.q(column)
        name = self.check_name(table, f"{column} IS NOT NULL", None)
        return [
            f"ALTER TABLE {t} ADD CONSTRAINT {self.q(name)} CHECK ({c} IS NOT NULL) NOT VALID",
            *self._validate(replace_table(op, table), name),
            Statement(f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL", op, AFTER),
            Statement(f"ALTER TABLE {t} DROP CONSTRAINT {self.q(name)}", op, AFTER),
        ]

    def op_add_column(self, op: o.AddColumn) -> list[Any]:
        from fastapp.dialects import get_dialect
        from fastapp.lint.rules import volatile_default

        column = op.column
        if not self.online_for(op.table) or not volatile_default(
            column.default, get_dialect(self.dialect_name)
        ):
            return super().op_add_column(op)
        # A volatile default would be computed for every row under the lock: add the column
        # bare, give new rows the default, fill the old ones in batches.
        bare = replace(column, default=None, nullable=True)
        t, c = self.q(op.table), self.q(column.name)
        out = super().op_add_column(o.AddColumn(op.table, bare))
        out.append(f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {column.default}")
        batch = (
            f"WITH batch AS (UPDATE {t} SET {c} = {column.default} WHERE ctid = ANY(ARRAY("
            f"SELECT ctid FROM {t} WHERE {c} IS NULL LIMIT {self.options.batch_size} "
            f"FOR UPDATE SKIP LOCKED)) RETURNING 1) SELECT count(*) FROM batch"
        )
        out.append(Statement(batch, op, AFTER, repeat=True))
        if not column.nullable:
            out.extend(self._set_not_null(op, op.table, column.name))
        return out

    def op_drop_unique(self, op: o.DropUnique) -> list[Any]:
        return [self._drop_constraint(op.table, self.live_name(op.unique.name, op))]

    def op_drop_foreign_key(self, op: o.DropForeignKey) -> list[Any]:
        return [self._drop_constraint(op.table, self.fk_name(op.table, op.foreign_key))]

    def op_drop_check(self, op: o.DropCheck) -> list[Any]:
        return [self._drop_constraint(op.table, self.live_name(op.check.name, op))]

    def op_set_primary_key(self, op: o.SetPrimaryKey) -> list[Any]:
        if op.new is None:
            name = op.old.name if op.old and op.old.name else f"{op.table}_pkey"
            return [self._drop_constraint(op.table, name)]
        named = f"CONSTRAINT {self.q(op.new.name)} " if op.new.name else ""
        return [
            f"ALTER TABLE {self.q(op.table)} ADD {named}PRIMARY KEY ({self.qs(op.new.columns)})"
        ]

    def op_alter_column(self, op: o.AlterColumn) -> list[Any]:
        if self.online_for(op.table) and op.old.nullable and not op.new.nullable:
            rest = o.AlterColumn(op.table, op.old, replace(op.new, nullable=True))
            out = self._alter_column(rest) if rest.changes else []
            return [*out, *self._set_not_null(op, op.table, op.column)]
        return self._alter_column(op)

    def _alter_column(self, op: o.AlterColumn) -> list[Any]:
        t, c = self.q(op.table), self.q(op.column)
        alter = f"ALTER TABLE {t} ALTER COLUMN {c}"
        changes = op.changes
        if "generated" in changes:
            raise UnsupportedChangeError(
                f"{op.table}.{op.column}: PostgreSQL cannot change whether or how a column is "
                "generated in place; drop the column and add it again (or --rename the old one)"
            )
        out: list[Any] = []
        if "autoincrement" in changes and op.old.autoincrement:
            out.append(f"{alter} DROP IDENTITY IF EXISTS")
            if op.old.default is None:
                out.append(f"{alter} DROP DEFAULT")
        retype = "type" in changes or "collation" in changes
        dropped_default = False
        if op.old.default is not None and (
            retype or ("default" in changes and op.new.default is None)
        ):
            out.append(f"{alter} DROP DEFAULT")  # an old default may not cast to the new type
            dropped_default = True
        if retype:
            # USING casts to the bare type (no COLLATE), an enum by its quoted name.
            bare = self.ddl.column_type(None, op.new)
            collate = f" {self.ddl.collation_clause(op.new.collation)}" if op.new.collation else ""
            out.append(f"{alter} TYPE {bare}{collate} USING {c}::{bare}")
        if op.new.default is not None and ("default" in changes or dropped_default):
            out.append(f"{alter} SET DEFAULT {op.new.default}")
        if "nullable" in changes:
            out.append(f"{alter} {'DROP' if op.new.nullable else 'SET'} NOT NULL")
        if "autoincrement" in changes and op.new.autoincrement:
            out.append(f"{alter} ADD GENERATED BY DEFAULT AS IDENTITY")
            out.append(
                f"SELECT setval(pg_get_serial_sequence({self.literal(t)}, {self.literal(op.column)}), "
                f"COALESCE(MAX({c}), 0) + 1, false) FROM {t}"
            )
        if "comment" in changes:
            out.extend(self.column_comment_sql(op.table, op.new, created=False))
        return out

    def op_create_enum(self, op: o.CreateEnumType) -> list[Any]:
        labels = ", ".join(self.literal(v) for v in op.enum.values)
        return [f"CREATE TYPE {self.q(op.enum.name)} AS ENUM ({labels})"]

    def op_drop_enum(self, op: o.DropEnumType) -> list[Any]:
        return [f"DROP TYPE {self.q(op.enum.name)}"]

    def op_add_enum_values(self, op: o.AddEnumValues) -> list[Any]:
        return [f"ALTER TYPE {self.q(op.enum.name)} ADD VALUE {self.literal(v)}" for v in op.values]

    def op_set_table_options(self, op: o.SetTableOptions) -> list[Any]:
        raise UnsupportedChangeError(
            f"{op.table}: PostgreSQL tables have no options fastapp can change "
            f"({op.describe()}); change them by hand"
        )

    # --- helpers --------------------------------------------------------------------------

    def _drop_constraint(self, table: str, name: str) -> str:
        return f"ALTER TABLE {self.q(table)} DROP CONSTRAINT {self.q(name)}"


def replace_table(op: o.Op, table: str) -> o.Op:
    return op if op.table == table else replace(op, table=table)
