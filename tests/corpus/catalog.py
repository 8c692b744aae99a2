"""What each server itself reports about a database, read without fastapp's catalog readers.

The convergence contract (a migrated database equals one built directly from the desired DDL)
must not be judged by fastapp's own reader: a clause that reader drops would be dropped on both
sides and the two would agree on a schema that exists in neither. So these snapshots ask the
servers in their own words (``pg_get_indexdef``, ``pg_get_constraintdef``, ``format_type``,
``information_schema``, SQLite's pragmas and stored ``CREATE`` text) and keep every clause.

Only what a migration cannot reproduce by design is left out: generated object names (a
server names unnamed constraints and indexes its own way; objects are compared by
definition) and column order (``ADD COLUMN`` appends). SQLite keeps no catalog of checks,
partial-index predicates or generated-column expressions, only the ``CREATE`` text; those
parts are read from that text with sqlglot and compared as sqlglot prints them.
"""

from __future__ import annotations

from typing import Any

from fastapp.connections.url import DatabaseConfig

Snapshot = dict[str, list[tuple]]

_POSTGRES = {
    "tables": """
        SELECT c.relname, c.relkind::text, coalesce(array_to_string(c.reloptions, ','), ''),
               coalesce(obj_description(c.oid, 'pg_class'), ''), c.relpersistence::text,
               c.relrowsecurity, c.relforcerowsecurity,
               coalesce(pg_get_partkeydef(c.oid), ''),
               coalesce((SELECT string_agg(p.relname, ',' ORDER BY i.inhseqno)
                         FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                         WHERE i.inhrelid = c.oid), ''),
               coalesce((SELECT s.spcname FROM pg_tablespace s WHERE s.oid = c.reltablespace), '')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')""",
    # Sequences: a serial column's is named by the server and owned by the column (a
    # standalone one is among the schema_objects).
    "sequences": """
        SELECT s.relname, format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement,
               q.seqmin, q.seqmax, q.seqcache, q.seqcycle,
               coalesce((SELECT t.relname || '.' || a.attname FROM pg_depend d
                         JOIN pg_class t ON t.oid = d.refobjid
                         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                         WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid
                           AND d.deptype IN ('a', 'i')), '')
        FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
        JOIN pg_sequence q ON q.seqrelid = s.oid
        WHERE n.nspname = current_schema() AND s.relkind = 'S' AND EXISTS (
            SELECT 1 FROM pg_depend d WHERE d.objid = s.oid AND d.deptype IN ('a', 'i'))""",
    "policies": """
        SELECT c.relname, p.polname, p.polcmd::text, p.polpermissive,
               coalesce(pg_get_expr(p.polqual, p.polrelid), ''),
               coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
        FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()""",
    "rules": """
        SELECT c.relname, pg_get_ruledef(r.oid) FROM pg_rewrite r
        JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')""",
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity::text,
               a.attgenerated::text, coalesce(co.collname, ''), a.attndims,
               coalesce(col_description(c.oid, a.attnum), ''), a.attstattarget,
               a.attcompression::text
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        LEFT JOIN pg_collation co ON co.oid = a.attcollation AND co.collname <> 'default'
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0
          AND NOT a.attisdropped""",
    # Names aside: a constraint is its table, kind and the server's own definition text.
    "constraints": """
        SELECT c.relname, k.contype::text, pg_get_constraintdef(k.oid), k.condeferrable,
               k.condeferred, k.connoinherit, k.convalidated,
               coalesce(obj_description(k.oid, 'pg_constraint'), ''),
               -- its index's storage parameters and tablespace, which the definition lacks
               coalesce((SELECT coalesce(array_to_string(ic.reloptions, ','), '') || ':'
                                || coalesce(s.spcname, '')
                         FROM pg_class ic LEFT JOIN pg_tablespace s ON s.oid = ic.reltablespace
                         WHERE ic.oid = k.conindid), '')
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema()""",
    # Indexes that no constraint owns; the name is cut out of the server's definition.
    "indexes": """
        SELECT t.relname,
               regexp_replace(pg_get_indexdef(i.indexrelid),
                              '^CREATE (UNIQUE )?INDEX .* ON ', 'CREATE \\1INDEX ON '),
               coalesce(obj_description(i.indexrelid, 'pg_class'), ''),
               coalesce(array_to_string(ic.reloptions, ','), ''), i.indisvalid,
               coalesce((SELECT s.spcname FROM pg_tablespace s WHERE s.oid = ic.reltablespace), '')
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p')
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                                                        AND k.conrelid = i.indrelid)""",
    "types": """
        SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        JOIN pg_enum e ON e.enumtypid = t.oid
        WHERE n.nspname = current_schema() GROUP BY t.typname""",
    "triggers": """
        SELECT c.relname, pg_get_triggerdef(g.oid) FROM pg_trigger g
        JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND NOT g.tgisinternal""",
    # The schema's objects that are no table's, each as the server writes it back (a
    # function's whole CREATE statement); those of extensions are the extension's.
    "schema_objects": """
        SELECT 'view', c.relname, c.relkind::text, pg_get_viewdef(c.oid),
               coalesce(array_to_string(c.reloptions, ','), '') || ':'
               || coalesce(obj_description(c.oid, 'pg_class'), '')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm')
        UNION ALL
        SELECT 'view index', t.relname, '', pg_get_indexdef(i.indexrelid), ''
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = current_schema() AND t.relkind = 'm'
        UNION ALL
        SELECT 'routine', p.oid::regprocedure::text, p.prokind::text,
               CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid)
                    ELSE (SELECT a.aggtransfn::text || ' ' || a.aggtranstype::regtype::text
                          FROM pg_aggregate a WHERE a.aggfnoid = p.oid) END,
               coalesce(obj_description(p.oid, 'pg_proc'), '')
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND NOT EXISTS (
            SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
        UNION ALL
        SELECT 'sequence', c.relname, s.seqtypid::regtype::text,
               concat_ws(' ', s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
                         s.seqcycle), coalesce(obj_description(c.oid, 'pg_class'), '')
        FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND NOT EXISTS (
            SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
        UNION ALL
        SELECT 'domain', t.typname, format_type(t.typbasetype, t.typtypmod),
               concat_ws(' ', t.typdefault, t.typnotnull, t.typcollation,
                         (SELECT string_agg(k.conname || ' ' || pg_get_constraintdef(k.oid), ' '
                                            ORDER BY k.conname)
                          FROM pg_constraint k WHERE k.contypid = t.oid)),
               coalesce(obj_description(t.oid, 'pg_type'), '')
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = current_schema() AND t.typtype = 'd'""",
}

_MYSQL = {
    "tables": """
        SELECT table_name, table_type, engine, table_collation, table_comment,
               create_options
        FROM information_schema.tables
        WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'""",
    "columns": """
        SELECT c.table_name, c.column_name, c.column_type, c.is_nullable, c.column_default,
               c.extra, coalesce(c.collation_name, ''), c.column_comment,
               coalesce(c.generation_expression, '')
        FROM information_schema.columns c JOIN information_schema.tables t
          ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = DATABASE() AND t.table_type = 'BASE TABLE'""",
    # One row per index: everything but its name (PRIMARY aside, which is fixed).
    "indexes": """
        SELECT table_name, IF(index_name = 'PRIMARY', 'PRIMARY', ''), non_unique,
               GROUP_CONCAT(CONCAT_WS(':', column_name, coalesce(sub_part, ''),
                                      coalesce(collation, '')) ORDER BY seq_in_index SEPARATOR ','),
               index_type, index_comment, {unused}
        FROM information_schema.statistics WHERE table_schema = DATABASE()
        GROUP BY table_name, index_name, non_unique, index_type, index_comment, {unused}""",
    "partitions": """
        SELECT table_name, partition_name, subpartition_name, partition_method,
               partition_expression, subpartition_method, subpartition_expression,
               partition_description
        FROM information_schema.partitions
        WHERE table_schema = DATABASE() AND partition_name IS NOT NULL""",
    "foreign_keys": """
        SELECT k.table_name,
               GROUP_CONCAT(k.column_name ORDER BY k.ordinal_position SEPARATOR ','),
               k.referenced_table_name,
               GROUP_CONCAT(k.referenced_column_name ORDER BY k.ordinal_position SEPARATOR ','),
               r.update_rule, r.delete_rule, r.match_option
        FROM information_schema.key_column_usage k
        JOIN information_schema.referential_constraints r
          ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name
         AND r.table_name = k.table_name
        WHERE k.table_schema = DATABASE() AND k.referenced_table_name IS NOT NULL
        GROUP BY k.table_name, k.constraint_name, k.referenced_table_name, r.update_rule,
                 r.delete_rule, r.match_option""",
    "checks": """
        SELECT c.table_name, c.check_clause, {enforced} FROM information_schema.check_constraints c
        WHERE c.constraint_schema = DATABASE()""",
    "triggers": """
        SELECT event_object_table, action_timing, event_manipulation, action_statement
        FROM information_schema.triggers WHERE trigger_schema = DATABASE()""",
    # Views, routines, events, sequences (each sequence's settings are added from SHOW
    # CREATE SEQUENCE); views' text without the database's name, which the server prints.
    "objects": """
        SELECT 'view', table_name,
               REPLACE(view_definition, CONCAT('`', DATABASE(), '`.'), ''), check_option,
               security_type, ''
        FROM information_schema.views WHERE table_schema = DATABASE()
        UNION ALL
        SELECT r.routine_type, r.routine_name, r.routine_definition,
               coalesce(r.dtd_identifier, ''),
               CONCAT_WS(' ', r.is_deterministic, r.sql_data_access, r.security_type),
               coalesce((SELECT GROUP_CONCAT(CONCAT_WS(' ', p.parameter_mode, p.parameter_name,
                                                       p.dtd_identifier)
                                             ORDER BY p.ordinal_position)
                         FROM information_schema.parameters p
                         WHERE p.specific_schema = r.routine_schema
                           AND p.specific_name = r.specific_name AND p.ordinal_position > 0), '')
        FROM information_schema.routines r WHERE r.routine_schema = DATABASE()
        UNION ALL
        SELECT 'event', event_name, event_definition, event_type,
               CONCAT_WS(' ', interval_value, interval_field, on_completion, status), ''
        FROM information_schema.events WHERE event_schema = DATABASE()
        UNION ALL
        SELECT 'sequence', table_name, '', '', '', '' FROM information_schema.tables
        WHERE table_schema = DATABASE() AND table_type = 'SEQUENCE'""",
}

# A virtual table's kind is 'virtual', its shadow tables' 'shadow' (the module's own).
_SQLITE_OBJECTS = """
    SELECT CASE WHEN l.type IN ('virtual', 'shadow') THEN l.type ELSE m.type END,
           m.name, m.tbl_name, m.sql
    FROM sqlite_master m LEFT JOIN pragma_table_list l ON l.schema = 'main' AND l.name = m.name
    WHERE m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2"""


async def _rows(cfg: DatabaseConfig, conn: Any, sql: str) -> list[tuple]:
    from tests.corpus.convergence.harness import fetch

    return await fetch(cfg, sql, conn)


def _sorted(rows: list[tuple]) -> list[tuple]:
    return sorted(rows, key=lambda r: tuple("" if v is None else str(v) for v in r))


async def snapshot(cfg: DatabaseConfig, conn: Any) -> Snapshot:
    """The database on ``conn`` as its server reports it, by category, in a stable order."""
    if cfg.dialect_name == "sqlite":
        return await _sqlite_snapshot(cfg, conn)
    if cfg.dialect_name == "postgres":
        queries = _POSTGRES
    else:  # the words of each server for an unused index and an unenforced check
        ((version,),) = await _rows(cfg, conn, "SELECT VERSION()")
        mariadb = "mariadb" in str(version).lower()
        words = {
            "unused": "ignored" if mariadb else "is_visible",
            "enforced": "'YES'" if mariadb else "(SELECT t.enforced FROM "
            "information_schema.table_constraints t WHERE t.constraint_schema = "
            "c.constraint_schema AND t.constraint_name = c.constraint_name "
            "AND t.table_name = c.table_name)",
        }
        queries = {name: sql.format(**words) for name, sql in _MYSQL.items()}
    found = {name: await _rows(cfg, conn, sql) for name, sql in queries.items()}
    if cfg.dialect_name == "mysql":
        found["objects"] = [await _mysql_sequence(cfg, conn, row) for row in found["objects"]]
    return {name: _sorted(rows) for name, rows in found.items()}


async def _mysql_sequence(cfg: DatabaseConfig, conn: Any, row: tuple) -> tuple:
    """A sequence's row with its settings, as SHOW CREATE SEQUENCE prints them."""
    if row[0] != "sequence":
        return row
    ((_, create),) = await _rows(cfg, conn, f"SHOW CREATE SEQUENCE `{row[1]}`")
    return (*row[:2], create)


async def _sqlite_snapshot(cfg: DatabaseConfig, conn: Any) -> Snapshot:
    objects = await _rows(cfg, conn, _SQLITE_OBJECTS)
    found: Snapshot = {k: [] for k in ("tables", "columns", "indexes", "foreign_keys", "checks")}
    found["other"] = []
    for kind, name, table, sql in objects:
        if kind == "table":
            found["tables"].append((name, *_sqlite_table_clauses(sql)))
            for _cid, col, type_, notnull, default, pk, hidden in await _rows(
                cfg, conn, f"SELECT * FROM pragma_table_xinfo('{_q(name)}')"
            ):
                found["columns"].append((name, col, type_, notnull, default, pk, hidden))
            for row in await _rows(
                cfg, conn, f"SELECT * FROM pragma_foreign_key_list('{_q(name)}')"
            ):
                _id, seq, ref, frm, to, on_update, on_delete, match = row
                found["foreign_keys"].append(
                    (name, _id, seq, ref, frm, to, on_update, on_delete, match)
                )
            found["checks"].extend((name, c) for c in _sqlite_checks(sql))
        elif kind == "index":
            found["indexes"].append(await _sqlite_index(cfg, conn, name, table, sql))
        elif kind == "shadow":
            continue  # a virtual table's storage, as its module made it
        else:  # views, triggers and virtual tables: their text is all there is
            found["other"].append((kind, table, _normalized_sql(sql)))
    # Foreign keys by definition: the pragma numbers them in storage order.
    found["foreign_keys"] = _sqlite_foreign_keys(found["foreign_keys"])
    return {k: _sorted(v) for k, v in found.items()}


def _q(name: str) -> str:
    return name.replace("'", "''")


async def _sqlite_index(cfg: DatabaseConfig, conn: Any, name: str, table: str, sql: str | None):
    unique = origin = partial = None
    for _seq, index_name, uniq, orig, part in await _rows(
        cfg, conn, f"SELECT * FROM pragma_index_list('{_q(table)}')"
    ):
        if index_name == name:
            unique, origin, partial = uniq, orig, part
    keys = [
        (col if col is not None else f"expr#{cid}", desc, coll)
        for seqno, cid, col, desc, coll, key in await _rows(
            cfg, conn, f"SELECT * FROM pragma_index_xinfo('{_q(name)}')"
        )
        if key
    ]
    where = expressions = ""
    if sql:
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(sql, read="sqlite")
        condition = tree.find(exp.Where)
        where = _unquoted(condition.this) if condition is not None else ""
        columns = tree.find(exp.IndexParameters)
        if columns is not None:  # only expression keys: plain columns are in ``keys``
            keys_text = [
                c.this if isinstance(c, exp.Ordered) else c
                for c in columns.args.get("columns") or ()
            ]
            expressions = ",".join(
                _unquoted(c) for c in keys_text if not isinstance(c, (exp.Column, exp.Identifier))
            )
    return (table, unique, origin, partial, tuple(keys), where, expressions)


def _sqlite_foreign_keys(rows: list[tuple]) -> list[tuple]:
    groups: dict[tuple, list[tuple]] = {}
    for table, fk_id, seq, ref, frm, to, on_update, on_delete, match in rows:
        groups.setdefault((table, fk_id, ref, on_update, on_delete, match), []).append(
            (seq, frm, to)
        )
    return [
        (
            table,
            ref,
            tuple(f for _, f, _ in sorted(cols)),
            tuple(t for *_, t in sorted(cols)),
            on_update,
            on_delete,
            match,
        )
        for (table, _id, ref, on_update, on_delete, match), cols in groups.items()
    ]


def _sqlite_table_clauses(sql: str) -> tuple:
    """What only the CREATE TABLE text says of the table: options, AUTOINCREMENT, generated
    columns, DEFERRABLE and ON CONFLICT clauses (a text sqlglot cannot parse: all of it)."""
    import sqlglot
    from sqlglot import exp

    words = [t.text.upper() for t in sqlglot.tokenize(sql, read="sqlite")]
    clauses = tuple(
        " ".join(words[i : i + 3] if w == "DEFERRABLE" else words[i - 1 : i + 2])
        for i, w in enumerate(words)
        if w == "DEFERRABLE" or (w == "CONFLICT" and words[i - 1] == "ON")
    )
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except sqlglot.errors.ParseError:
        return (" ".join(words), clauses)
    options = sorted(p.sql("sqlite") for p in tree.find_all(exp.Property))
    autoincrement = sorted(
        c.this.name
        for c in tree.find_all(exp.ColumnDef)
        if any(isinstance(k.kind, exp.AutoIncrementColumnConstraint) for k in c.constraints)
    )
    generated = sorted(
        (c.this.name, k.kind.sql("sqlite"))
        for c in tree.find_all(exp.ColumnDef)
        for k in c.constraints
        if isinstance(k.kind, exp.ComputedColumnConstraint)
    )
    return (tuple(options), tuple(autoincrement), tuple(generated), clauses)


def _unquoted(node: Any) -> str:
    """sqlglot's text of ``node`` with identifiers unquoted (SQLite folds their case anyway) and
    outer parentheses dropped (``(lower(x))`` and ``lower(x)`` index the same thing)."""
    from sqlglot import exp

    while isinstance(node, exp.Paren):
        node = node.this
    return node.transform(
        lambda n: exp.to_identifier(n.name) if isinstance(n, exp.Identifier) else n
    ).sql("sqlite")


def _sqlite_checks(sql: str) -> list[str]:
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except sqlglot.errors.ParseError:
        return []  # the table's whole text is compared instead (_sqlite_table_clauses)
    return sorted(_unquoted(c.this) for c in tree.find_all(exp.CheckColumnConstraint))


def _normalized_sql(sql: str | None) -> str:
    import sqlglot

    return sqlglot.parse_one(sql, read="sqlite").sql("sqlite") if sql else ""


#: Objects the Schema does not model (views, triggers): a migration keeps the live ones and
#: says so, so only those the desired DDL creates must be there.
KEPT_AS_FOUND = ("other", "triggers", "policies", "rules", "schema_objects", "objects")


def differences(got: Snapshot, want: Snapshot) -> list[str]:
    """Lines naming what one snapshot has and the other lacks, by category."""
    lines = []
    for category in sorted(set(got) | set(want)):
        have, need = got.get(category, []), want.get(category, [])
        missing = [r for r in need if r not in have]
        extra = [] if category in KEPT_AS_FOUND else [r for r in have if r not in need]
        lines += [f"{category}: missing {r!r}" for r in missing]
        lines += [f"{category}: unexpected {r!r}" for r in extra]
    return lines
