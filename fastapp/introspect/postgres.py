"""PostgreSQL: seven pg_catalog queries for a whole schema (namespace), however many tables."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
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
from fastapp.schema.normalize.defaults import is_plain_literal, normalize_default
from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    EnumType,
    ExclusionConstraint,
    ForeignKey,
    Index,
    PrimaryKey,
    Schema,
    SchemaObject,
    Table,
    UniqueConstraint,
    Unmodelled,
)

# Also the columns of the namespace's tables that own a sequence, as table oid * 65536 +
# attnum (asking per column in the columns query makes the planner's choice fragile and slow):
# those of a serial (its nextval() default is then no default) and, for a serial's or an
# identity's sequence, its type and the options it has that differ from a new one's (the
# Schema cannot carry them: the reader makes them an Unmodelled clause of the column, so a
# changed INCREMENT BY is a difference, not a match). Found from the namespace's sequences
# (OWNED BY takes a table of the sequence's own schema), each followed to its column, so no
# plan hangs on the catalog's statistics, which are stale right after a thousand tables are
# created. Last, the namespace's tables (partitions included): pg_class has no index on the
# namespace, so this one scan finds them and the columns, constraints and indexes queries
# take them by oid, an index look-up each (a scratch batch's forty tables no longer cost a
# scan of the whole catalog per query); so does the objects query, its views, materialized
# views and sequences (but a column's).
_NAMESPACE_SQL = """
WITH rel AS MATERIALIZED (
    SELECT c.oid, c.relkind FROM pg_catalog.pg_class c
    WHERE c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1)
      AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
), seq AS MATERIALIZED (
    SELECT dep.refobjid::int8 * 65536 + dep.refobjsubid AS owner, dep.deptype, s.oid
    FROM rel s
    JOIN pg_catalog.pg_depend dep
      ON dep.classid = 'pg_catalog.pg_class'::regclass AND dep.objid = s.oid
    WHERE s.relkind = 'S' AND dep.refclassid = 'pg_catalog.pg_class'::regclass
      AND dep.deptype IN ('a', 'i') AND dep.refobjsubid > 0
)
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1),
       ARRAY(SELECT extname::text FROM pg_catalog.pg_extension ORDER BY 1),
       ARRAY(SELECT owner FROM seq WHERE deptype = 'a'),
       ARRAY(SELECT ROW(seq.owner, q.seqtypid::int8, concat_ws(' ',
                 CASE WHEN q.seqincrement <> 1 THEN 'INCREMENT BY ' || q.seqincrement END,
                 CASE WHEN q.seqmin <> CASE WHEN q.seqincrement > 0 THEN 1 ELSE -top - 1 END
                      THEN 'MINVALUE ' || q.seqmin END,
                 CASE WHEN q.seqmax <> CASE WHEN q.seqincrement > 0 THEN top ELSE -1 END
                      THEN 'MAXVALUE ' || q.seqmax END,
                 CASE WHEN q.seqstart <> CASE WHEN q.seqincrement > 0 THEN q.seqmin
                                              ELSE q.seqmax END
                      THEN 'START WITH ' || q.seqstart END,
                 CASE WHEN q.seqcache <> 1 THEN 'CACHE ' || q.seqcache END,
                 CASE WHEN q.seqcycle THEN 'CYCLE' END))
             FROM seq JOIN pg_catalog.pg_sequence q ON q.seqrelid = seq.oid,
             LATERAL (SELECT CASE q.seqtypid WHEN 'pg_catalog.int2'::regtype THEN 32767
                                             WHEN 'pg_catalog.int4'::regtype THEN 2147483647
                                             ELSE 9223372036854775807 END AS top) t),
       ARRAY(SELECT oid FROM rel WHERE relkind IN ('r', 'p')),
       ARRAY(SELECT oid FROM rel WHERE relkind IN ('v', 'm')
                                    OR (relkind = 'S' AND oid NOT IN (SELECT oid FROM seq)))
"""

# One row per column (a table without columns still gives one row with NULL attnum) of the
# tables whose oids are $1.
_COLUMNS_SQL = """
SELECT c.relname, a.attnum, a.attname,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type_text,
       a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default_expr,
       a.attidentity::text AS attidentity, a.attgenerated::text AS attgenerated,
       cd.description AS column_comment,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collation,
       t.oid AS type_oid, t.typtype::text AS typtype,
       td.description AS table_comment,
       c.oid::int8 AS rel_oid,
       -- what the Schema cannot carry (Unmodelled), read with the column
       CASE WHEN a.attstattarget >= 0 THEN 'SET STATISTICS ' || a.attstattarget END
           AS statistics_clause,
       CASE WHEN a.attcompression <> '' THEN 'COMPRESSION ' ||
           CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4'
                ELSE a.attcompression::text END
       END AS compression_clause
FROM pg_catalog.pg_class c
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
WHERE c.oid = ANY ($1::oid[]) AND NOT c.relispartition
ORDER BY c.relname, a.attnum
"""

# The constraints of the tables whose oids are $2 ($1: the schema's name). Key columns come as
# attribute numbers, named in Python from the columns query (an
# ARRAY(...) subquery per constraint costs more than the rest of the query); only references
# into another schema are named here. The backing index is looked up once, and only for the
# kinds that own one (a foreign key's conindid is the referenced table's index).
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
           AS check_expr,
       con.condeferrable, con.condeferred, con.confmatchtype::text AS confmatchtype,
       con.connoinherit, con.convalidated, cd.description AS comment,
       CASE WHEN con.contype NOT IN ('p', 'u', 'f', 'c') THEN
           pg_catalog.pg_get_constraintdef(con.oid, true)
       END AS definition,
       CASE WHEN con.contype = 'u' THEN ix.indnullsnotdistinct END AS nulls_not_distinct,
       ix.index_options, ix.has_include
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
LEFT JOIN LATERAL (
    SELECT i.indnullsnotdistinct, i.indnatts > i.indnkeyatts AS has_include,
           array_to_string(ic.reloptions, ',') AS index_options
    FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    WHERE con.contype IN ('p', 'u', 'x') AND i.indexrelid = con.conindid
    OFFSET 0  -- kept a subquery: its contype test then gates the look-ups
) ix ON true
LEFT JOIN pg_catalog.pg_description cd
       ON cd.objoid = con.oid AND cd.classoid = 'pg_catalog.pg_constraint'::regclass
WHERE con.conrelid = ANY ($2::oid[]) AND con.contype <> 'n'
ORDER BY c.relname, con.conname
"""

# The indexes of the tables whose oids are $1 that do not back a primary key, unique or
# exclusion constraint. Key columns as
# attribute numbers (0 = expression, whose text pg_get_indexdef gives), DESC and NULLS FIRST
# in indoption; per key its operator class unless the type's default, its collation unless
# the column's (or, for an expression, its type's) own. The default operator classes are
# read once (a join per index scanned all of pg_opclass each time), other look-ups are
# scalar, by oid; the constraint an index backs is found through its table (pg_constraint has
# no index on conindid: NOT IN scanned all of it).
_INDEXES_SQL = """
SELECT c.relname, ic.relname AS index_name, ix.indisunique, am.amname, ix.indnkeyatts,
       ix.indkey::int2[] AS indkey, ix.indoption::int2[] AS indoption,
       CASE WHEN 0 = ANY (ix.indkey::int2[]) THEN
           ARRAY(SELECT pg_catalog.pg_get_indexdef(ix.indexrelid, k, true)
                 FROM generate_series(1, ix.indnkeyatts) k ORDER BY k)
       END AS definitions,
       pg_catalog.pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
       ARRAY(SELECT CASE WHEN u.oid = ANY ((SELECT array_agg(opc.oid)
                                            FROM pg_catalog.pg_opclass opc
                                            WHERE opc.opcdefault)::oid[])
                         THEN NULL
                         ELSE (SELECT opc.opcname::text FROM pg_catalog.pg_opclass opc
                               WHERE opc.oid = u.oid)
                    END
             FROM unnest(ix.indclass::oid[]) WITH ORDINALITY u(oid, i) ORDER BY u.i) AS opclasses,
       ARRAY(SELECT CASE WHEN u.coll = 0 THEN NULL
                         WHEN u.coll = coalesce(
                             (SELECT ta.attcollation FROM pg_catalog.pg_attribute ta
                              WHERE ta.attrelid = ix.indrelid
                                AND ta.attnum = (ix.indkey::int2[])[u.i - 1]),
                             (SELECT ty.typcollation FROM pg_catalog.pg_attribute ia
                              JOIN pg_catalog.pg_type ty ON ty.oid = ia.atttypid
                              WHERE ia.attrelid = ix.indexrelid AND ia.attnum = u.i))
                         THEN NULL
                         ELSE (SELECT co.collname::text FROM pg_catalog.pg_collation co
                               WHERE co.oid = u.coll)
                    END
             FROM unnest(ix.indcollation::oid[]) WITH ORDINALITY u(coll, i)
             ORDER BY u.i) AS collations,
       ix.indnullsnotdistinct AS nulls_not_distinct, ic.reloptions AS storage,
       d.description AS comment, ix.indisvalid
FROM pg_catalog.pg_index ix
JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = ix.indrelid
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = ix.indexrelid AND d.classoid = 'pg_catalog.pg_class'::regclass
      AND d.objsubid = 0
WHERE ix.indrelid = ANY ($1::oid[])
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con
                  WHERE con.conrelid = ix.indrelid AND con.conindid = ix.indexrelid
                    AND con.contype IN ('p', 'u', 'x'))
ORDER BY c.relname, ic.relname
"""

# What a table has that the Schema cannot carry, one row per thing: (table, object, clause,
# definition: a trigger's, policy's or rule's).
# pg_class has no index on the namespace, so each branch reading it by namespace would be a
# whole scan of it (together more than all the other catalog queries of a scratch batch): the
# namespace's relations (tables, and the indexes that name a tablespace) are read once and
# every branch starts from them; a branch's clauses are built only for the rows that have
# one. A column's clauses come with the columns query, which reads every column anyway.
_UNMODELLED_SQL = """
WITH rel AS MATERIALIZED (
    SELECT c.oid, c.relname, c.relkind, c.relispartition, c.relpersistence, c.relrowsecurity,
           c.relforcerowsecurity, c.reloptions, c.reltablespace
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = $1
      AND (c.relkind IN ('r', 'p') OR (c.relkind IN ('i', 'I') AND c.reltablespace <> 0))
), tab AS MATERIALIZED (
    SELECT * FROM rel WHERE relkind IN ('r', 'p')
), trg AS MATERIALIZED (
    SELECT oid, tgrelid, tgname FROM pg_catalog.pg_trigger WHERE NOT tgisinternal
)
SELECT c.relname, 'table ' || c.relname,
       'PARTITION BY ' || pg_catalog.pg_get_partkeydef(c.oid), NULL
FROM tab c
WHERE c.relkind = 'p'
UNION ALL
SELECT c.relname, 'table ' || c.relname, 'INHERITS (' || p.relname || ')', NULL
FROM pg_catalog.pg_inherits i
JOIN tab c ON c.oid = i.inhrelid
JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
WHERE c.relkind = 'r' AND NOT c.relispartition
UNION ALL
SELECT c.relname, 'table ' || c.relname, clause, NULL
FROM tab c,
LATERAL (VALUES (CASE WHEN c.relpersistence = 'u' THEN 'UNLOGGED' END),
                (CASE WHEN c.relrowsecurity THEN 'ENABLE ROW LEVEL SECURITY' END),
                (CASE WHEN c.relforcerowsecurity THEN 'FORCE ROW LEVEL SECURITY' END),
                ('WITH (' || array_to_string(c.reloptions, ', ') || ')'),
                (CASE WHEN c.reltablespace <> 0 THEN 'TABLESPACE ' ||
                    (SELECT spcname FROM pg_catalog.pg_tablespace WHERE oid = c.reltablespace)
                 END)) v(clause)
WHERE (c.relpersistence = 'u' OR c.relrowsecurity OR c.relforcerowsecurity
       OR c.reloptions IS NOT NULL OR c.reltablespace <> 0)
  AND v.clause IS NOT NULL
UNION ALL
SELECT c.relname, 'policy ' || p.polname, 'CREATE POLICY',
       -- what it does: kind, command, roles and expressions
       concat_ws(' ', CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
                 'FOR ' || CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
                               WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                 'TO ' || (SELECT string_agg(CASE WHEN r.oid = 0 THEN 'PUBLIC'
                                                  ELSE quote_ident(pg_catalog.pg_get_userbyid(r.oid))
                                             END, ', ' ORDER BY 1)
                           FROM unnest(p.polroles) r(oid)),
                 'USING (' || pg_catalog.pg_get_expr(p.polqual, p.polrelid) || ')',
                 'WITH CHECK (' || pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) || ')')
FROM pg_catalog.pg_policy p JOIN tab c ON c.oid = p.polrelid
UNION ALL
SELECT c.relname, 'trigger ' || t.tgname, 'CREATE TRIGGER',
       -- what it does, without the table (a renamed table keeps its triggers)
       replace(pg_catalog.pg_get_triggerdef(t.oid, true), ' ON ' || quote_ident(c.relname) || ' ',
               ' ')
FROM trg t JOIN tab c ON c.oid = t.tgrelid
UNION ALL
SELECT c.relname, 'rule ' || r.rulename, 'CREATE RULE',
       -- what it does, without the table (as for triggers)
       replace(pg_catalog.pg_get_ruledef(r.oid, true), ' TO ' || quote_ident(c.relname) || ' ',
               ' ')
FROM pg_catalog.pg_rewrite r JOIN tab c ON c.oid = r.ev_class
UNION ALL
SELECT c.relname, 'index ' || ic.relname, 'TABLESPACE ' || s.spcname, NULL
FROM rel ic JOIN pg_catalog.pg_index ix ON ix.indexrelid = ic.oid
JOIN rel c ON c.oid = ix.indrelid
JOIN pg_catalog.pg_tablespace s ON s.oid = ic.reltablespace
WHERE ic.relkind IN ('i', 'I') AND ic.reltablespace <> 0
ORDER BY 1, 2, 3
"""

#: The types a sequence may have, by oid.
_SEQUENCE_TYPES = {21: "smallint", 23: "integer", 20: "bigint"}


def _sequence_clause(type_oid: int, options: str, column_type: int) -> str:
    """The Unmodelled clause of a column's sequence whose type or options are not those of
    the sequence a new serial or identity column gets: ``SEQUENCE (INCREMENT BY 5)``."""
    parts = [] if type_oid == column_type else [f"AS {_SEQUENCE_TYPES.get(type_oid, type_oid)}"]
    if options:
        parts.append(options)
    return f"SEQUENCE ({' '.join(parts)})" if parts else ""


#: How _UNMODELLED_SQL writes an inheritance parent: ``INHERITS (parent)``.
_INHERITS = "INHERITS ("

_ENUMS_SQL = """
SELECT t.oid, n.nspname, t.typname, e.enumlabel
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid
ORDER BY t.oid, e.enumsortorder
"""


# The schema's objects that are no table's (issue 14), one row each: (kind, name,
# definition). Read on the session whose search_path starts with the schema (the live
# connection's, the scratch space's), so the server prints the schema's own names bare and
# both sides read alike. Definitions are the server's own text, not respaced: it prints a
# view or trigger the same however it was written, and a function body is kept as written,
# where respacing could hide a changed string literal. A view's definition holds its
# triggers (INSTEAD OF) and a materialized view's its indexes; each object's comment too.
# Objects an extension owns (pgcrypto's functions) are the extension's, and sequences owned
# by a column (serial) or an identity are the column's. $1: the schema's name; $2: its
# views, materialized views and sequences but a column's (from _NAMESPACE_SQL).
_OBJECTS_SQL = """
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ELSE 'sequence' END,
       c.relname::text,
       CASE WHEN c.relkind = 'S' THEN
           (SELECT 'AS ' || pg_catalog.format_type(s.seqtypid, NULL)
                   || ' INCREMENT BY ' || s.seqincrement || ' MINVALUE ' || s.seqmin
                   || ' MAXVALUE ' || s.seqmax || ' START WITH ' || s.seqstart
                   || ' CACHE ' || s.seqcache
                   || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END
            FROM pg_catalog.pg_sequence s WHERE s.seqrelid = c.oid)
       ELSE
           coalesce('WITH (' || array_to_string(c.reloptions, ', ') || ') ', '')
           || 'AS ' || pg_catalog.pg_get_viewdef(c.oid, true)
           || coalesce((SELECT ' ' || string_agg(
                                  replace(pg_catalog.pg_get_indexdef(i.indexrelid),
                                          ' ON ' || quote_ident($1) || '.', ' ON ') || ';',
                                  ' ' ORDER BY i.indexrelid::regclass::text)
                        FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid), '')
           || coalesce((SELECT ' ' || string_agg(pg_catalog.pg_get_triggerdef(t.oid, true) || ';',
                                                 ' ' ORDER BY t.tgname)
                        FROM pg_catalog.pg_trigger t
                        WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), '')
       END
       || coalesce(' COMMENT ' || quote_literal(pg_catalog.obj_description(c.oid, 'pg_class')), '')
FROM pg_catalog.pg_class c
WHERE c.oid = ANY ($2::oid[])
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                  WHERE e.classid = 'pg_catalog.pg_class'::regclass AND e.objid = c.oid
                    AND e.deptype IN ('e', 'i'))
UNION ALL
SELECT CASE p.prokind WHEN 'f' THEN 'function' WHEN 'p' THEN 'procedure'
                      WHEN 'a' THEN 'aggregate' ELSE 'window function' END,
       p.proname || '(' || coalesce((SELECT string_agg(pg_catalog.format_type(u.t, NULL), ', '
                                                       ORDER BY u.i)
                                     FROM unnest(p.proargtypes) WITH ORDINALITY u(t, i)), '')
       || ')',
       '(' || pg_catalog.pg_get_function_arguments(p.oid) || ')'
       || coalesce(' RETURNS ' || pg_catalog.pg_get_function_result(p.oid), '')
       || ' LANGUAGE ' || l.lanname
       || CASE p.provolatile WHEN 'i' THEN ' IMMUTABLE' WHEN 's' THEN ' STABLE' ELSE '' END
       || CASE WHEN p.proisstrict THEN ' STRICT' ELSE '' END
       || CASE WHEN p.prosecdef THEN ' SECURITY DEFINER' ELSE '' END
       || CASE WHEN p.proleakproof THEN ' LEAKPROOF' ELSE '' END
       || CASE p.proparallel WHEN 's' THEN ' PARALLEL SAFE' WHEN 'r' THEN ' PARALLEL RESTRICTED'
                             ELSE '' END
       || coalesce(' SET ' || array_to_string(p.proconfig, ', SET '), '')
       || CASE WHEN p.prokind = 'a' THEN
              (SELECT ' SFUNC ' || a.aggtransfn::regprocedure::text
                      || ' STYPE ' || pg_catalog.format_type(a.aggtranstype, NULL)
                      || coalesce(' FINALFUNC ' || nullif(a.aggfinalfn, 0)::regprocedure::text, '')
                      || coalesce(' COMBINEFUNC '
                                  || nullif(a.aggcombinefn, 0)::regprocedure::text, '')
                      || coalesce(' INITCOND ' || quote_literal(a.agginitval), '')
               FROM pg_catalog.pg_aggregate a WHERE a.aggfnoid = p.oid)
          ELSE ' AS ' || coalesce(pg_catalog.pg_get_function_sqlbody(p.oid),
                                  quote_literal(p.prosrc)
                                  || coalesce(', ' || quote_literal(p.probin), ''))
       END
       || coalesce(' COMMENT ' || quote_literal(pg_catalog.obj_description(p.oid, 'pg_proc')), '')
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE n.nspname = $1
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                  WHERE e.classid = 'pg_catalog.pg_proc'::regclass AND e.objid = p.oid
                    AND e.deptype = 'e')
UNION ALL
SELECT 'domain', t.typname::text,
       pg_catalog.format_type(t.typbasetype, t.typtypmod)
       || coalesce(' COLLATE ' || quote_ident(co.collname), '')
       || coalesce(' DEFAULT ' || t.typdefault, '')
       || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
       || coalesce((SELECT ' ' || string_agg('CONSTRAINT ' || quote_ident(k.conname) || ' '
                                             || pg_catalog.pg_get_constraintdef(k.oid, true),
                                             ' ' ORDER BY k.conname)
                    FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid), '')
       || coalesce(' COMMENT ' || quote_literal(pg_catalog.obj_description(t.oid, 'pg_type')), '')
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_collation co
       ON co.oid = t.typcollation AND t.typcollation <> 0
      AND t.typcollation <> (SELECT b.typcollation FROM pg_catalog.pg_type b
                             WHERE b.oid = t.typbasetype)
WHERE n.nspname = $1 AND t.typtype = 'd'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                  WHERE e.classid = 'pg_catalog.pg_type'::regclass AND e.objid = t.oid
                    AND e.deptype = 'e')
ORDER BY 1, 2
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
    #: Per column owning a sequence (serial or identity): its type's oid and its options
    #: that differ from a new sequence's (:data:`_NAMESPACE_SQL`).
    sequences: dict[int, tuple[int, str]] = field(default_factory=dict)
    attnames: dict[str, dict[int, str]] = field(default_factory=dict)
    unmodelled: dict[str, list[Unmodelled]] = field(default_factory=lambda: defaultdict(list))
    objects: tuple[SchemaObject, ...] = ()


class CatalogReader(BaseCatalogReader):
    """Reads one PostgreSQL schema (``namespace``, default ``public``) through asyncpg."""

    dialect_name = "postgres"

    async def _fetch(self, connection: Any, sql: str, *args: Any) -> list[Any]:
        self.queries += 1
        return await connection.fetch(sql, *args)

    @property
    def schema_name(self) -> str:
        return self.namespace or "public"

    async def fetch_catalog(self, connection: Any) -> Catalog:
        schema = self.schema_name
        namespace = await self._fetch(connection, _NAMESPACE_SQL, schema)
        ((exists, extensions, owned, sequences, tables, relations),) = namespace
        if not exists:
            raise SchemaError(
                f"PostgreSQL schema {schema!r} does not exist in this database: "
                "pass --schema with an existing schema (default: public)"
            )
        column_rows = await self._fetch(connection, _COLUMNS_SQL, tables)
        constraint_rows = await self._fetch(connection, _CONSTRAINTS_SQL, schema, tables)
        index_rows = await self._fetch(connection, _INDEXES_SQL, tables)
        enum_rows = await self._fetch(connection, _ENUMS_SQL)
        # A session's temporary schema holds only the tables of generated DDL, which can say
        # nothing the Schema cannot carry beyond its columns' and makes no views or functions
        # (a file, which may, goes to a scratch schema): neither is read there.
        temporary = schema.startswith("pg_temp")
        unmodelled_rows = (
            [] if temporary else await self._fetch(connection, _UNMODELLED_SQL, schema)
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
            sequences={column: (type_oid, options) for column, type_oid, options in sequences},
            attnames=attnames,
        )
        for row in column_rows:
            for clause in (row["statistics_clause"], row["compression_clause"]):
                if clause is not None:
                    what = f"column {row['attname']}"
                    catalog.unmodelled[row["relname"]].append(Unmodelled(what, clause))
        for table, what, clause, definition in unmodelled_rows:
            parent = clause[len(_INHERITS) : -1] if clause.startswith(_INHERITS) else None
            catalog.unmodelled[table].append(Unmodelled(what, clause, parent, definition or ""))
        if not temporary:
            catalog.objects = tuple(
                SchemaObject(kind, name, definition)
                for kind, name, definition in await self._fetch(
                    connection, _OBJECTS_SQL, schema, relations
                )
            )
        for row in constraint_rows:
            catalog.constraints[row["relname"]].append(row)
        for row in index_rows:
            catalog.indexes[row["relname"]].append(row)
        enums: dict[int, tuple[str, str, list[str]]] = {}
        for oid, schema, name, label in enum_rows:
            enums.setdefault(oid, (schema, name, []))[2].append(label)
        catalog.enums = {oid: (s, n, tuple(v)) for oid, (s, n, v) in enums.items()}
        return catalog

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
            objects=catalog.objects,
        )

    def normalize_default(self, text: str | None) -> str | None:
        return stored_default(text)

    def _enum_name(self, schema: str, name: str) -> str:
        return name if schema == self.schema_name else qualified(schema, name)

    def _table(self, catalog: Catalog, name: str, used_enums: dict) -> Table:
        columns = []
        unmodelled = list(catalog.unmodelled.get(name, ()))
        for row in catalog.columns[name]:
            # Unpacked by position: thousands of rows, and Record look-ups by key add up.
            (_, attnum, attname, type_text, notnull, default, identity, generated_kind,
             comment, collation, type_oid, typtype, _, rel_oid, _, _) = row  # fmt: skip
            autoincrement = identity in ("a", "d")
            key = rel_oid * 65536 + attnum  # as _NAMESPACE_SQL names a column
            sequence = catalog.sequences.get(key)
            if sequence is not None and (clause := _sequence_clause(*sequence, type_oid)):
                unmodelled.append(Unmodelled(f"column {attname}", clause))
            if default and key in catalog.owned:
                if default.startswith("nextval("):
                    autoincrement, default = True, None
            generated = None
            raw = default
            if generated_kind:
                generated, default = normalize_expression("postgres", default or ""), None
            spec = None
            enum_name = None
            if typtype == "e" and type_oid in catalog.enums:
                schema, type_name, labels = catalog.enums[type_oid]
                enum_name = self._enum_name(schema, type_name)
                used_enums[enum_name] = labels
                spec = TypeSpec("enum", enum_values=labels)
            column = self.column(
                name,
                attname,
                type_text,
                nullable=not notnull,
                default=default,
                spec=spec,
                enum_name=enum_name,
                autoincrement=autoincrement,
                identity=_IDENTITY.get(identity),
                generated=generated,
                comment=comment,
                collation=collation,
            )
            columns.append(_with_printed(column, raw))
        primary_key = None
        uniques, fks, checks, exclusions = [], [], [], []
        names = catalog.attnames.get(name, {})
        for row in catalog.constraints.get(name, ()):
            kind, cols = row["contype"], tuple(names[n] for n in row["conkey"] or ())
            conname = row["conname"]
            comment = normalize_comment(row["comment"])
            timing = {
                "deferrable": row["condeferrable"],
                "initially_deferred": row["condeferred"],
            }
            if not row["convalidated"]:
                unmodelled.append(Unmodelled(f"constraint {conname}", "NOT VALID"))
            if kind in ("p", "u") and (row["index_options"] or row["has_include"]):
                clause = "INCLUDE (...)" if row["has_include"] else f"WITH ({row['index_options']})"
                unmodelled.append(Unmodelled(f"constraint {conname}", clause))
            if kind == "p":
                primary_key = PrimaryKey(cols, name=conname, comment=comment, **timing)
            elif kind == "u":
                uniques.append(
                    UniqueConstraint(
                        cols,
                        name=conname,
                        nulls_not_distinct=bool(row["nulls_not_distinct"]),
                        comment=comment,
                        **timing,
                    )
                )
            elif kind == "f":
                ref = row["ref_table"]
                if row["ref_schema"] != self.schema_name:
                    ref = qualified(row["ref_schema"], ref)
                    ref_columns = tuple(row["foreign_ref_columns"])
                else:
                    ref_names = catalog.attnames.get(row["ref_table"], {})
                    ref_columns = tuple(ref_names[n] for n in row["confkey"])
                if row["confmatchtype"] == "p":
                    unmodelled.append(Unmodelled(f"constraint {conname}", "MATCH PARTIAL"))
                fks.append(
                    ForeignKey(
                        cols,
                        ref,
                        ref_columns,
                        on_delete=normalize_fk_action(row["confdeltype"], "postgres"),
                        on_update=normalize_fk_action(row["confupdtype"], "postgres"),
                        name=conname,
                        match="FULL" if row["confmatchtype"] == "f" else None,
                        comment=comment,
                        **timing,
                    )
                )
            elif kind == "c":
                checks.append(
                    CheckConstraint(
                        normalize_expression("postgres", row["check_expr"]),
                        name=conname,
                        no_inherit=row["connoinherit"],
                        comment=comment,
                        printed=(("expression", row["check_expr"]),),
                    )
                )
            elif kind == "x":
                exclusions.append(
                    ExclusionConstraint(row["definition"], name=conname, comment=comment)
                )
            else:  # a constraint trigger, or a kind a later server adds
                unmodelled.append(
                    Unmodelled(f"constraint {conname}", row["definition"] or f"contype {kind}")
                )
        indexes = []
        for row in catalog.indexes.get(name, ()):
            nkeys = row["indnkeyatts"]
            keys = list(row["indkey"])[:nkeys]
            definitions = row["definitions"] or ()
            cols = tuple(
                names[n] if n else normalize_expression("postgres", definitions[i])
                for i, n in enumerate(keys)
            )
            options = list(row["indoption"])[:nkeys]
            orders, expressions = index_shape(
                ["DESC" if d & 1 else None for d in options], [n == 0 for n in keys]
            )
            if not row["indisvalid"]:
                # The leftover of a failed CREATE INDEX CONCURRENTLY: an object of its own
                # (standalone: its clause is the statement that made it), not counted as an
                # index, so the plan builds the index again (--online and --concurrently drop
                # the leftover first) and its notes say the leftover is there.
                unmodelled.append(
                    Unmodelled(
                        f"index {row['index_name']}",
                        "CREATE INDEX CONCURRENTLY that failed: INVALID (drop it or REINDEX it; "
                        "--online drops it before building the index again)",
                    )
                )
                continue
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
                    include=tuple(names[n] for n in list(row["indkey"])[nkeys:]),
                    opclasses=_per_key(row["opclasses"]),
                    collations=_per_key(row["collations"]),
                    nulls_order=_nulls_order(options),
                    nulls_not_distinct=bool(row["nulls_not_distinct"]),
                    storage=storage_pairs(row["storage"]),
                    comment=normalize_comment(row["comment"]),
                    printed=_printed_parts(row["predicate"], keys, definitions),
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
            exclusions=tuple(exclusions),
            unmodelled=tuple(unmodelled),
        )


def qualified(schema: str, name: str) -> str:
    """A name outside the read schema, as SQL text (``"other"."t"``): quoted, so a table
    whose own name holds a dot is never taken for one in another schema."""
    return '"{}"."{}"'.format(schema.replace('"', '""'), name.replace('"', '""'))


def _with_printed(column: Column, text: str | None) -> Column:
    """``column`` keeping its default or generation expression exactly as the server printed
    it (:attr:`Column.printed`); not for a plain literal (stored as the column's type reads it,
    however written) nor a serial's sequence default (not a default in the Schema)."""
    if column.generated is not None and text:
        return replace(column, printed=(("generated", text),))
    if column.default is None or not text or is_plain_literal(column.default):
        return column
    return replace(column, printed=(("default", text),))


def _printed_parts(
    predicate: str | None, keys: list[int], definitions: Any
) -> tuple[tuple[str, str], ...]:
    """An index's predicate and expressions exactly as the server printed them
    (:attr:`Index.printed`: two texts normalized alike may be stored differently)."""
    parts = [("where", predicate)] if predicate else []
    parts.extend((f"columns.{i}", definitions[i]) for i, n in enumerate(keys) if not n)
    return tuple(parts)


def _per_key(values: Any) -> tuple[str | None, ...]:
    """A per-key-column tuple, empty when no key has a value (the Index convention)."""
    found = tuple(values or ())
    return found if any(found) else ()


def _nulls_order(options: list[int]) -> tuple[str | None, ...]:
    """``NULLS FIRST``/``LAST`` where the key's indoption differs from its order's default."""
    found = []
    for option in options:
        descending, nulls_first = bool(option & 1), bool(option & 2)
        if nulls_first == descending:
            found.append(None)
        else:
            found.append("NULLS FIRST" if nulls_first else "NULLS LAST")
    return tuple(found) if any(found) else ()


def storage_pairs(options: Any) -> tuple[tuple[str, str], ...]:
    """``reloptions`` (``['fillfactor=70']``) as ``(name, value)`` pairs, in the order the
    server keeps (it prints them in that order, so two orders are two definitions)."""
    pairs = []
    for option in options or ():
        key, _, value = option.partition("=")
        pairs.append((key.strip().lower(), value.strip()))
    return tuple(pairs)


def stored_default(text: str | None) -> str | None:
    """A default as the Schema carries it, such that writing it back makes PostgreSQL store
    what it printed (``pg_get_expr``): the shared normalization, except where that would lose
    what the server keeps apart. A typed string (``'0101'::"bit"``, ``'1'::numeric``,
    ``'1 day'::interval``) stays a string the column's type casts again, a number only where
    the server itself stores a written number that way (negative, or too wide for the
    smaller type); ``ARRAY[]::text[]`` keeps its cast. ``NULL::text`` is no default, as everywhere:
    PostgreSQL stores a written ``DEFAULT NULL`` so too."""
    if text is None:
        return None
    text = text.strip()
    literal, sep, target = text.rpartition("::")
    if sep and is_plain_literal(literal) and literal.startswith("'"):
        body = literal[1:-1]
        if target in _NUMERIC_CASTS and is_plain_literal(body) and not body.startswith("'"):
            return body if _stored_as_typed_string(body, target) else literal
        return literal
    if "ARRAY[]" in text:
        return text
    return normalize_default("postgres", text)


def _stored_as_typed_string(number: str, target: str) -> bool:
    """Whether PostgreSQL stores the written number ``number`` as ``'number'::target``."""
    if number.startswith("-"):
        return True
    if "." in number:
        return False
    value = int(number)
    return (target == "bigint" and value > 2**31 - 1) or (target == "numeric" and value > 2**63 - 1)


_IDENTITY = {"a": "ALWAYS", "d": "BY DEFAULT"}
_NUMERIC_CASTS = frozenset({"smallint", "integer", "bigint", "numeric", "real", "double precision"})
