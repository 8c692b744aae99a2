"""PostgreSQL: transactional DDL, ``USING`` casts for type changes, identity for
auto-increment, ``CREATE INDEX CONCURRENTLY`` after the transaction when asked."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, NoReturn

from fastapp.diff import ops as o
from fastapp.diff.compare import UnsupportedChangeError
from fastapp.schema.objects import Column, Table
from fastapp.sql.ddl.postgres import written
from fastapp.sql.plan.base import AFTER, DataCheck, Renderer, Statement

if TYPE_CHECKING:
    from fastapp.diff.compare import Plan

#: Table clauses the catalog reader reports whole -> the ALTER TABLE action removing it.
_TABLE_CLAUSE_REMOVALS = {
    "UNLOGGED": "SET LOGGED",
    "ENABLE ROW LEVEL SECURITY": "DISABLE ROW LEVEL SECURITY",
    "FORCE ROW LEVEL SECURITY": "NO FORCE ROW LEVEL SECURITY",
}
#: Clauses no statement removes in place: (first words, why, what to do instead).
_KEPT_CLAUSES = (
    (
        "PARTITION BY",
        "a partitioned table cannot become a plain one in place",
        "create the plain table, copy the rows (INSERT ... SELECT), drop the old one and "
        "rename the new one",
    ),
    (
        "SEQUENCE (",
        "its values may lie below 1 (it steps down, or starts below 1), where a new sequence's "
        "cannot go",
        "reset the sequence by hand (ALTER SEQUENCE ... RESTART)",
    ),
    (
        "INCLUDE",
        "the INCLUDE columns of a key's index cannot be removed in place",
        "drop the constraint and add it again without INCLUDE",
    ),
)


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
        # CONCURRENTLY (asked for the run, by --online, or written in the desired file)
        # cannot run in a transaction block: such an index is built after the plan's
        # transaction.
        concurrently = (
            self.options.concurrently or op.index.concurrently or self.online_for(op.table)
        )
        index = self.named_index(op.table, op.index)
        sql = self.ddl.create_index(self.table_of(op.table), index, concurrently=concurrently)
        comment = None
        if index.comment is not None:
            comment = self.ddl.comment_on_index(index.name or "", index.comment)
        if not concurrently:
            return [sql] if comment is None else [sql, comment]
        name = index.name or ""
        drop = f"DROP INDEX CONCURRENTLY IF EXISTS {self.q(name)}"
        # An interrupted CONCURRENTLY build leaves an INVALID index of that name (which the
        # catalog reader does not count as existing): it goes first.
        leftover = (
            f"SELECT {self.literal(drop)} FROM pg_catalog.pg_index ix "
            "JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid "
            f"WHERE ic.relname = {self.literal(name)} AND NOT ix.indisvalid "
            "AND ic.relnamespace = pg_catalog.to_regnamespace(current_schema())"
        )
        out: list[Any] = [
            Statement(
                f"-- {drop}, if an interrupted run left it invalid", op, AFTER, replay=leftover
            ),
            Statement(sql, op, AFTER, retry_cleanup=drop),
        ]
        if comment is not None:
            out.append(Statement(comment, op, AFTER))
        return out

    def op_add_unique(self, op: o.AddUnique) -> list[Any]:
        unique = self.named_unique(op.table, op.unique)
        out: list[Any] = [
            f"ALTER TABLE {self.q(op.table)} ADD {self.ddl.unique_clause(Table(op.table), unique)}"
        ]
        return out + self._constraint_comment(op.table, unique.name, unique.comment)

    def op_add_check(self, op: o.AddCheck) -> list[Any]:
        check = self.named_check(op.table, op.check)
        sql = f"ALTER TABLE {self.q(op.table)} ADD {self.ddl.check_constraint_clause(check)}"
        comment = self._constraint_comment(op.table, check.name, check.comment)
        if not self.online_for(op.table):
            return [sql, *comment]
        return [f"{sql} NOT VALID", *comment, *self._validate(op, check.name or "")]

    def op_add_foreign_key(self, op: o.AddForeignKey) -> list[Any]:
        fk = self.named_foreign_key(op.table, op.foreign_key)
        sql = self.ddl.add_foreign_key(self.table_of(op.table), fk)
        comment = self._constraint_comment(op.table, fk.name, fk.comment)
        if not self.online_for(op.table):
            return [sql, *comment]
        return [f"{sql} NOT VALID", *comment, *self._validate(op, fk.name or "")]

    def op_add_exclusion(self, op: o.AddExclusion) -> list[Any]:
        x = op.exclusion
        out: list[Any] = [f"ALTER TABLE {self.q(op.table)} ADD {self.ddl.exclusion_clause(x)}"]
        return out + self._constraint_comment(op.table, x.name, x.comment)

    def op_drop_exclusion(self, op: o.DropExclusion) -> list[Any]:
        return [self._drop_constraint(op.table, self.live_name(op.exclusion.name, op))]

    # --- --online: validate outside the lock, backfill in batches --------------------------

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

        if not self.online_for(op.table) or not volatile_default(
            op.column.default, get_dialect(self.dialect_name)
        ):
            return super().op_add_column(op)
        column = written(op.column)
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
        clause = self.ddl.primary_key_clause(Table(op.table, primary_key=op.new))
        out: list[Any] = [f"ALTER TABLE {self.q(op.table)} ADD {clause}"]
        name = op.new.name or f"{op.table}_pkey"
        return out + self._constraint_comment(op.table, name, op.new.comment)

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
        counter = "autoincrement" in changes or "identity" in changes
        if counter and op.old.identity and op.new.identity:  # BY DEFAULT <-> ALWAYS
            out.append(f"{alter} SET GENERATED {op.new.identity}")
            counter = False
        elif counter and op.old.identity:
            out.append(f"{alter} DROP IDENTITY")
        elif counter and op.old.autoincrement:  # a serial: its default and owned sequence
            out.append(f"{alter} DROP DEFAULT")
            out.append(self._drop_owned_sequence(t, op.column))
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
            if op.new.autoincrement and not op.new.identity and not counter:
                # A serial's sequence keeps its type (an identity's follows the column): as
                # a new serial of the new type would have it, so the column reads back alike.
                out.append(self._owned_sequence(t, op.column, "AS {type}"))
        if op.new.default is not None and ("default" in changes or dropped_default):
            out.append(f"{alter} SET DEFAULT {written(op.new).default}")
        if "nullable" in changes:
            out.append(f"{alter} {'DROP' if op.new.nullable else 'SET'} NOT NULL")
        if counter and op.new.autoincrement:
            if self.ddl.is_serial(op.new):
                # What SERIAL makes: a sequence of the column's type owned by it, named as
                # PostgreSQL names it, and its nextval() as the default.
                name = serial_sequence_name(op.table, op.column)
                out.append(f"CREATE SEQUENCE {self.q(name)} AS {op.new.type} OWNED BY {t}.{c}")
                out.append(f"{alter} SET DEFAULT nextval({self.literal(self.q(name))}::regclass)")
            else:
                out.append(f"{alter} ADD GENERATED {op.new.identity or 'BY DEFAULT'} AS IDENTITY")
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

    # --- comments of indexes and constraints whose definition stays --------------------------

    def op_set_index_comment(self, op: o.SetIndexComment) -> list[Any]:
        return [self.ddl.comment_on_index(self.live_name(op.index.name, op), op.new)]

    def op_set_constraint_comment(self, op: o.SetConstraintComment) -> list[Any]:
        name = op.name or (f"{op.table}_pkey" if op.what == "primary key" else None)
        return [self.ddl.comment_on_constraint(op.table, self.live_name(name, op), op.new)]

    # --- live clauses the Schema cannot carry, removed ----------------------------------------

    def op_drop_unmodelled(self, op: o.DropUnmodelled) -> list[Any]:
        """The statement taking ``op.item``'s clause away (what it costs is the hub's
        :class:`~fastapp.dialects.base.ClauseRemoval`, said in the plan), or a refusal naming
        it with the reason and the way out."""
        kind, _, name = op.item.object.partition(" ")
        clause = op.item.clause
        t = self.q(op.table)
        if kind == "table":
            if clause in _TABLE_CLAUSE_REMOVALS:
                return [f"ALTER TABLE {t} {_TABLE_CLAUSE_REMOVALS[clause]}"]
            if clause.startswith("INHERITS (") and clause.endswith(")"):
                return [f"ALTER TABLE {t} NO INHERIT {self.q(clause[len('INHERITS (') : -1])}"]
            if clause.startswith("WITH ("):
                return [f"ALTER TABLE {t} RESET ({_option_names(clause)})"]
            if clause.startswith("TABLESPACE "):
                return [self._to_default_tablespace("TABLE", op.table)]
        elif kind == "column":
            alter = f"ALTER TABLE {t} ALTER COLUMN {self.q(name)}"
            if clause.startswith("SET STATISTICS "):
                return [f"{alter} SET STATISTICS -1"]
            if clause.startswith("COMPRESSION"):
                return [f"{alter} SET COMPRESSION default"]
            if clause.startswith("SEQUENCE (") and not _below_one(clause):
                return [self._owned_sequence(t, name, _NEW_SEQUENCE)]
        elif kind == "index" and clause.startswith("TABLESPACE "):
            return [self._to_default_tablespace("INDEX", name)]
        elif kind == "constraint":
            if clause == "NOT VALID":
                return [f"ALTER TABLE {t} VALIDATE CONSTRAINT {self.q(name)}"]
            if clause.startswith("WITH ("):  # a key's index is named after its constraint
                return [f"ALTER INDEX {self.q(name)} RESET ({_option_names(clause)})"]
        self._refuse_removal(op)

    def _to_default_tablespace(self, what: str, name: str) -> str:
        """Move a table or index to the database's default tablespace, which PostgreSQL
        records as none at all (``reltablespace`` 0), as it does for one created without
        a TABLESPACE clause. Its name is the server's to say, hence the block."""
        statement = f"ALTER {what} %I SET TABLESPACE %I"
        default = (
            "(SELECT spcname FROM pg_catalog.pg_tablespace WHERE oid = (SELECT dattablespace "
            "FROM pg_catalog.pg_database WHERE datname = current_database()))"
        )
        return (
            f"DO $fastapp$ BEGIN EXECUTE format({self.literal(statement)}, "
            f"{self.literal(name)}, {default}); END $fastapp$"
        )

    def _refuse_removal(self, op: o.DropUnmodelled) -> NoReturn:
        item, clause = op.item, op.item.clause
        why, fix = next(
            ((why, fix) for start, why, fix in _KEPT_CLAUSES if clause.startswith(start)),
            ("PostgreSQL has no statement removing it in place", "remove it by hand"),
        )
        raise UnsupportedChangeError(
            f"cannot remove {clause} from {item.object} of table {op.table}: {why}; {fix}, "
            "or write it in the desired DDL too so it is kept"
        )

    def data_check(self, op: o.Op, plan: Plan) -> DataCheck | None:
        if not isinstance(op, o.DropUnmodelled) or op.item.clause != "NOT VALID":
            return super().data_check(op, plan)
        # VALIDATE CONSTRAINT: the rows breaking the constraint, counted as when adding it.
        table = plan.current.table(op.table)
        name = op.item.object.partition(" ")[2]
        if table is None:
            return None
        for check in table.checks:
            if check.name == name:
                found = super().data_check(o.AddCheck(op.table, check), plan)
                return replace(found, op=op) if found is not None else None
        for fk in table.foreign_keys:
            if fk.name == name:
                found = super().data_check(o.AddForeignKey(op.table, fk), plan)
                return replace(found, op=op) if found is not None else None
        return None

    # --- helpers --------------------------------------------------------------------------

    def _drop_owned_sequence(self, table: str, column: str) -> str:
        """Drop the sequence a serial column owns."""
        return self._on_owned_sequence(table, column, "'DROP SEQUENCE ' || s")

    def _owned_sequence(self, table: str, column: str, options: str) -> str:
        """``ALTER SEQUENCE`` of the sequence a serial or identity column owns with
        ``options``, where ``{type}`` stands for the column's type."""
        typed = (
            "(SELECT pg_catalog.format_type(atttypid, NULL) FROM pg_catalog.pg_attribute "
            f"WHERE attrelid = {self.literal(table)}::regclass AND attname = {self.literal(column)})"
        )
        statement = self.literal("ALTER SEQUENCE %s " + options.format(type="%s"))
        return self._on_owned_sequence(
            table, column, f"format({statement}, s{', ' + typed if '{type}' in options else ''})"
        )

    def _on_owned_sequence(self, table: str, column: str, statement: str) -> str:
        """A block running ``statement`` (SQL text built from ``s``, the sequence's name:
        the server's to say) on the sequence ``table.column`` owns, if it owns one."""
        found = f"pg_get_serial_sequence({self.literal(table)}, {self.literal(column)})"
        return (
            f"DO $fastapp$ DECLARE s text := {found}; BEGIN IF s IS NOT NULL THEN "
            f"EXECUTE {statement}; END IF; END $fastapp$"
        )

    def _constraint_comment(self, table: str, name: str | None, comment: str | None) -> list[Any]:
        if comment is None or not name:
            return []
        return [self.ddl.comment_on_constraint(table, name, comment)]

    def _drop_constraint(self, table: str, name: str) -> str:
        return f"ALTER TABLE {self.q(table)} DROP CONSTRAINT {self.q(name)}"


#: A serial's or identity's sequence as a new one has it (removing a ``SEQUENCE (...)``
#: clause): the column's type, step 1 from 1, no cycle, no cache. Values
#: already taken stay taken; the next one follows the last.
_NEW_SEQUENCE = "AS {type} INCREMENT BY 1 NO MINVALUE NO MAXVALUE START WITH 1 CACHE 1 NO CYCLE"


def _below_one(clause: str) -> bool:
    """A ``SEQUENCE (...)`` clause of a sequence whose values may lie below 1."""
    return "INCREMENT BY -" in clause or "MINVALUE -" in clause


def _option_names(clause: str) -> str:
    """The storage parameter names of a ``WITH (name=value, ...)`` clause, for ``RESET``;
    the catalog gives them as plain lowercase words (``fillfactor``, ``autovacuum_enabled``)."""
    names = [pair.partition("=")[0].strip() for pair in clause[len("WITH (") : -1].split(",")]
    return ", ".join(name for name in names if name)


#: PostgreSQL's identifier limit, in bytes (NAMEDATALEN - 1).
_NAME_BYTES = 63


def serial_sequence_name(table: str, column: str) -> str:
    """The name PostgreSQL gives a serial column's sequence: ``table_column_seq``, the longer
    of the two parts shortened first to fit 63 bytes (its ``makeObjectName``)."""
    a, b = table.encode(), column.encode()
    room = _NAME_BYTES - len("_seq") - 1
    while len(a) + len(b) > room:
        if len(a) > len(b):
            a = a[:-1]
        else:
            b = b[:-1]
    left = a.decode(errors="ignore")
    right = b.decode(errors="ignore")
    return f"{left}_{right}_seq"


def replace_table(op: o.Op, table: str) -> o.Op:
    return op if op.table == table else replace(op, table=table)
