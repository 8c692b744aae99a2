"""PostgreSQL: five pg_catalog queries for a whole schema (namespace), however many tables."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fastapp.errors import SchemaError
from fastapp.introspect.base import CatalogReader as BaseCatalogReader
from fastapp.schema.normalize import (
    TypeSpec,
    index_shape,
    normalize_comment,
    normalize_expression,
    normalize_fk_action,
    normalize_index_method,
)
from fastapp.schema.objects import (
    CheckConstraint,
    EnumType,
    ForeignKey,
    Index,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)

# Also: the columns that own a sequence (serial), as table oid * 65536 + attnum; asking
# per column in the columns query makes the planner's choice fragile and slow.
_NAMESPACE_SQL = """
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1),
       ARRAY(SELECT extname::text FROM pg_catalog.pg_extension ORDER BY 1),
       ARRAY(SELECT dep.refobjid::int8 * 65536 + dep.refobjsubid
             FROM pg_catalog.pg_class s
             JOIN pg_catalog.pg_depend dep
               ON dep.classid = 'pg_catalog.pg_class'::regclass AND dep.objid = s.oid
             WHERE s.relkind = 'S' AND dep.refclassid = 'pg_catalog.pg_class'::regclass
               AND dep.deptype = 'a' AND dep.refobjsubid > 0)
"""

# One row per column (a table without columns still gives one row with NULL attnum).
_COLUMNS_SQL = """
SELECT c.relname, a.attnum, a.attname,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type_text,
       a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default_expr,
       a.attidentity::text AS attidentity, a.attgenerated::text AS attgenerated,
       cd.description AS column_comment,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collation,
       t.oid AS type_oid, t.typtype::text AS typtype,
       td.description AS table_comment,
       c.oid::int8 AS rel_oid
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a
       ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_description cd
       ON cd.objoid = c.oid AND cd.classoid = 'pg_catalog.pg_class'::regclass
      AND cd.objsubid = a.attnum
LEFT JOIN pg_catalog.pg_description td
       ON td.objoid = c.oid AND td.classoid = 'pg_catalog.pg_class'::regclass
      AND td.objsubid = 0
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname, a.attnum
"""

# Key columns come as attribute numbers, named in Python from the columns query (an
# ARRAY(...) subquery per constraint costs more than the rest of the query); only references
# into another schema are named here.
_CONSTRAINTS_SQL = """
SELECT c.relname, con.conname, con.contype::text AS contype, con.conkey,
       fc.relname AS ref_table, fn.nspname AS ref_schema, con.confkey,
       CASE WHEN fn.nspname <> $1 THEN
           ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, i)
                 JOIN pg_catalog.pg_attribute a
                   ON a.attrelid = con.confrelid AND a.attnum = k.num
                 ORDER BY k.i)
       END AS foreign_ref_columns,
       con.confdeltype::text AS confdeltype, con.confupdtype::text AS confupdtype,
       CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_expr(con.conbin, con.conrelid) END
           AS check_expr
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND con.contype IN ('p', 'u', 'f', 'c')
ORDER BY c.relname, con.conname
"""

# Indexes that do not back a primary key, unique or exclusion constraint. Key columns as
# attribute numbers (0 = expression, whose text pg_get_indexdef gives), DESC in indoption.
_INDEXES_SQL = """
SELECT c.relname, ic.relname AS index_name, ix.indisunique, am.amname, ix.indnkeyatts,
       ix.indkey::int2[] AS indkey, ix.indoption::int2[] AS indoption,
       CASE WHEN 0 = ANY (ix.indkey::int2[]) THEN
           ARRAY(SELECT pg_catalog.pg_get_indexdef(ix.indexrelid, k, true)
                 FROM generate_series(1, ix.indnkeyatts) k ORDER BY k)
       END AS definitions,
       pg_catalog.pg_get_expr(ix.indpred, ix.indrelid) AS predicate
FROM pg_catalog.pg_index ix
JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = ix.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND ix.indisvalid
  AND ix.indexrelid NOT IN (SELECT con.conindid FROM pg_catalog.pg_constraint con
                            WHERE con.contype IN ('p', 'u', 'x'))
ORDER BY c.relname, ic.relname
"""

_ENUMS_SQL = """
SELECT t.oid, n.nspname, t.typname, e.enumlabel
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid
ORDER BY t.oid, e.enumsortorder
"""


@dataclass
class Catalog:
    table_names: list[str]
    columns: dict[str, list[Any]] = field(default_factory=dict)
    table_comments: dict[str, str | None] = field(default_factory=dict)
    constraints: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    indexes: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    enums: dict[int, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    extensions: tuple[str, ...] = ()
    owned: frozenset[int] = frozenset()
    attnames: dict[str, dict[int, str]] = field(default_factory=dict)


class CatalogReader(BaseCatalogReader):
    """Reads one PostgreSQL schema (``namespace``, default ``public``) through asyncpg."""

    dialect_name = "postgres"

    async def _fetch(self, connection: Any, sql: str) -> list[Any]:
        self.queries += 1
        return await connection.fetch(sql, self.schema_name)

    @property
    def schema_name(self) -> str:
        return self.namespace or "public"

    async def fetch_catalog(self, connection: Any) -> Catalog:
        head = await self._head(connection)
        tail = await self._tail(connection)
        (exists, extensions, owned), column_rows = head
        if not exists:
            raise SchemaError(
                f"PostgreSQL schema {self.schema_name!r} does not exist in this database: "
                "pass --schema with an existing schema (default: public)"
            )
        columns: dict[str, list[Any]] = {}
        comments: dict[str, str | None] = {}
        attnames: dict[str, dict[int, str]] = {}
        for row in column_rows:
            table = row["relname"]
            columns.setdefault(table, [])
            comments[table] = row["table_comment"]
            if row["attnum"] is not None:
                columns[table].append(row)
                attnames.setdefault(table, {})[row["attnum"]] = row["attname"]
        catalog = Catalog(
            table_names=list(columns),
            columns=columns,
            table_comments=comments,
            extensions=tuple(extensions),
            owned=frozenset(owned),
            attnames=attnames,
        )
        constraint_rows, index_rows, enum_rows = tail
        for row in constraint_rows:
            catalog.constraints[row["relname"]].append(row)
        for row in index_rows:
            catalog.indexes[row["relname"]].append(row)
        enums: dict[int, tuple[str, str, list[str]]] = {}
        for oid, schema, name, label in enum_rows:
            enums.setdefault(oid, (schema, name, []))[2].append(label)
        catalog.enums = {oid: (s, n, tuple(v)) for oid, (s, n, v) in enums.items()}
        return catalog

    async def _head(self, connection: Any) -> tuple[Any, list[Any]]:
        (namespace,) = await self._fetch(connection, _NAMESPACE_SQL)
        return namespace, await self._fetch(connection, _COLUMNS_SQL)

    async def _tail(self, connection: Any) -> tuple[list[Any], list[Any], list[Any]]:
        constraints = await self._fetch(connection, _CONSTRAINTS_SQL)
        indexes = await self._fetch(connection, _INDEXES_SQL)
        return constraints, indexes, await self._fetch_enums(connection)

    async def _fetch_enums(self, connection: Any) -> list[Any]:
        self.queries += 1
        return await connection.fetch(_ENUMS_SQL)

    def build(self, catalog: Catalog, tables: list[str]) -> Schema:
        used_enums: dict[str, tuple[str, ...]] = {}
        built = []
        for name in tables:
            built.append(self._table(catalog, name, used_enums))
        own = {
            name: values
            for schema, name, values in catalog.enums.values()
            if schema == self.schema_name
        }
        own.update(used_enums)
        return Schema(
            dialect=self.dialect_name,
            tables=tuple(built),
            enums=tuple(EnumType(n, v) for n, v in own.items()),
            extensions=catalog.extensions,
        )

    def _enum_name(self, schema: str, name: str) -> str:
        return name if schema == self.schema_name else f"{schema}.{name}"

    def _table(self, catalog: Catalog, name: str, used_enums: dict) -> Table:
        columns = []
        for row in catalog.columns[name]:
            # Unpacked by position: thousands of rows, and Record look-ups by key add up.
            (_, attnum, attname, type_text, notnull, default, identity, generated_kind,
             comment, collation, type_oid, typtype, _, rel_oid) = row  # fmt: skip
            autoincrement = identity in ("a", "d")
            if default and rel_oid * 65536 + attnum in catalog.owned:
                if default.startswith("nextval("):
                    autoincrement, default = True, None
            generated = None
            if generated_kind:
                generated, default = normalize_expression("postgres", default or ""), None
            spec = None
            enum_name = None
            if typtype == "e" and type_oid in catalog.enums:
                schema, type_name, labels = catalog.enums[type_oid]
                enum_name = self._enum_name(schema, type_name)
                used_enums[enum_name] = labels
                spec = TypeSpec("enum", enum_values=labels)
            columns.append(
                self.column(
                    name,
                    attname,
                    type_text,
                    nullable=not notnull,
                    default=default,
                    spec=spec,
                    enum_name=enum_name,
                    autoincrement=autoincrement,
                    generated=generated,
                    comment=comment,
                    collation=collation,
                )
            )
        primary_key = None
        uniques, fks, checks = [], [], []
        names = catalog.attnames.get(name, {})
        for row in catalog.constraints.get(name, ()):
            kind, cols = row["contype"], tuple(names[n] for n in row["conkey"])
            if kind == "p":
                primary_key = PrimaryKey(cols, name=row["conname"])
            elif kind == "u":
                uniques.append(UniqueConstraint(cols, name=row["conname"]))
            elif kind == "f":
                ref = row["ref_table"]
                if row["ref_schema"] != self.schema_name:
                    ref = f"{row['ref_schema']}.{ref}"
                    ref_columns = tuple(row["foreign_ref_columns"])
                else:
                    ref_names = catalog.attnames.get(row["ref_table"], {})
                    ref_columns = tuple(ref_names[n] for n in row["confkey"])
                fks.append(
                    ForeignKey(
                        cols,
                        ref,
                        ref_columns,
                        on_delete=normalize_fk_action(row["confdeltype"], "postgres"),
                        on_update=normalize_fk_action(row["confupdtype"], "postgres"),
                        name=row["conname"],
                    )
                )
            else:
                checks.append(
                    CheckConstraint(
                        normalize_expression("postgres", row["check_expr"]), name=row["conname"]
                    )
                )
        indexes = []
        for row in catalog.indexes.get(name, ()):
            keys = list(row["indkey"])[: row["indnkeyatts"]]
            definitions = row["definitions"] or ()
            cols = tuple(
                names[n] if n else normalize_expression("postgres", definitions[i])
                for i, n in enumerate(keys)
            )
            descending = list(row["indoption"])[: row["indnkeyatts"]]
            orders, expressions = index_shape(
                ["DESC" if d & 1 else None for d in descending], [n == 0 for n in keys]
            )
            indexes.append(
                Index(
                    cols,
                    unique=row["indisunique"],
                    method=normalize_index_method(row["amname"]),
                    where=normalize_expression("postgres", row["predicate"])
                    if row["predicate"]
                    else None,
                    orders=orders,
                    expressions=expressions,
                    name=row["index_name"],
                )
            )
        return Table(
            name=name,
            columns=tuple(columns),
            primary_key=primary_key,
            uniques=tuple(uniques),
            indexes=tuple(indexes),
            foreign_keys=tuple(fks),
            checks=tuple(checks),
            comment=normalize_comment(catalog.table_comments.get(name)),
        )
