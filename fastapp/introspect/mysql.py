"""MySQL and MariaDB: seven information_schema queries for the whole database (one more when
MariaDB sequences exist, one per table whose foreign key actions are hidden)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fastapp.dialects import get_dialect
from fastapp.dialects.mysql import is_implicit_fk_index, json_check_columns, table_options
from fastapp.introspect.base import CatalogReader as BaseCatalogReader
from fastapp.schema.normalize import (
    TypeSpec,
    index_shape,
    normalize_comment,
    normalize_default,
    normalize_expression,
    normalize_fk_action,
    normalize_index_method,
    normalize_type,
)
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

_TABLES_SQL = """
SELECT TABLE_NAME, ENGINE, TABLE_COLLATION, TABLE_COMMENT, CREATE_OPTIONS, TABLE_TYPE
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
ORDER BY TABLE_NAME
"""
_COLUMNS_SQL = """
SELECT TABLE_NAME, COLUMN_NAME, COLUMN_DEFAULT, IS_NULLABLE, COLUMN_TYPE, EXTRA,
       COLUMN_COMMENT, COLLATION_NAME, GENERATION_EXPRESSION
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE()
ORDER BY TABLE_NAME, ORDINAL_POSITION
"""
#: MySQL 8 has functional key parts (COLUMN_NAME NULL, EXPRESSION set); MariaDB has neither.
_INDEXES_SQL = {
    mariadb: f"""
SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, COLLATION, INDEX_TYPE,
       {expression}, INDEX_COMMENT, {unused}
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = DATABASE()
ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
"""
    # An index the optimizer does not use: MariaDB's IGNORED, MySQL's INVISIBLE.
    for mariadb, expression, unused in (
        (True, "NULL", "IF(IGNORED = 'YES', 'IGNORED', '')"),
        (False, "EXPRESSION", "IF(IS_VISIBLE = 'NO', 'INVISIBLE', '')"),
    )
}
#: Partitioned tables: how (method, expression, subpartitioning) and into what (each
#: partition's name and bounds), one row per table.
_PARTITIONS_SQL = """
SELECT TABLE_NAME,
       CONCAT_WS(' ', PARTITION_METHOD, PARTITION_EXPRESSION, SUBPARTITION_METHOD,
                 SUBPARTITION_EXPRESSION),
       GROUP_CONCAT(CONCAT_WS(' ', PARTITION_NAME, PARTITION_DESCRIPTION)
                    ORDER BY PARTITION_ORDINAL_POSITION SEPARATOR ', ')
FROM information_schema.PARTITIONS
WHERE TABLE_SCHEMA = DATABASE() AND PARTITION_NAME IS NOT NULL
  AND (SUBPARTITION_ORDINAL_POSITION IS NULL OR SUBPARTITION_ORDINAL_POSITION = 1)
GROUP BY TABLE_NAME, PARTITION_METHOD, PARTITION_EXPRESSION, SUBPARTITION_METHOD,
         SUBPARTITION_EXPRESSION
"""
_FOREIGN_KEYS_SQL = """
SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA,
       k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
 AND r.TABLE_NAME = k.TABLE_NAME
WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION
"""
#: MariaDB names checks per table and keeps TABLE_NAME in CHECK_CONSTRAINTS; MySQL 8 names
#: them per schema and needs TABLE_CONSTRAINTS for the table.
_CHECKS_SQL = {
    True: """
SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, 'YES'
FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = DATABASE()
ORDER BY TABLE_NAME, CONSTRAINT_NAME
""",
    False: """
SELECT tc.TABLE_NAME, tc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, tc.ENFORCED
FROM information_schema.TABLE_CONSTRAINTS tc
JOIN information_schema.CHECK_CONSTRAINTS cc
  ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE = 'CHECK'
ORDER BY tc.TABLE_NAME, tc.CONSTRAINT_NAME
""",
}
#: The schema's objects that are no table's (issue 14) and the tables' triggers, one row
#: each: kind, name, the trigger's table, up to five attributes, the body. The definer is left
#: out (the user who ran the DDL: a scratch database's differs from the live one's), and so
#: are an event's STARTS/ENDS/EXECUTE_AT (stamped at creation when written relative to now).
_OBJECTS_SQL = """
SELECT 'view', TABLE_NAME, NULL, CHECK_OPTION, SECURITY_TYPE, NULL, NULL, NULL,
       VIEW_DEFINITION, DATABASE()
FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()
UNION ALL
SELECT LOWER(r.ROUTINE_TYPE), r.ROUTINE_NAME, NULL,
       (SELECT GROUP_CONCAT(CONCAT_WS(' ', p.PARAMETER_MODE, p.PARAMETER_NAME, p.DTD_IDENTIFIER)
                            ORDER BY p.ORDINAL_POSITION SEPARATOR ', ')
        FROM information_schema.PARAMETERS p
        WHERE p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA AND p.SPECIFIC_NAME = r.SPECIFIC_NAME
          AND p.ROUTINE_TYPE = r.ROUTINE_TYPE AND p.ORDINAL_POSITION > 0),
       r.DTD_IDENTIFIER, r.IS_DETERMINISTIC, r.SQL_DATA_ACCESS,
       CONCAT_WS(' ', r.SECURITY_TYPE, NULLIF(r.ROUTINE_COMMENT, '')),
       r.ROUTINE_DEFINITION, NULL
FROM information_schema.ROUTINES r WHERE r.ROUTINE_SCHEMA = DATABASE()
UNION ALL
SELECT 'event', EVENT_NAME, NULL, EVENT_TYPE, CONCAT_WS(' ', INTERVAL_VALUE, INTERVAL_FIELD),
       ON_COMPLETION, STATUS, NULLIF(EVENT_COMMENT, ''), EVENT_DEFINITION, NULL
FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()
UNION ALL
SELECT 'sequence', TABLE_NAME, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'SEQUENCE'
UNION ALL
SELECT 'trigger', TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION,
       ACTION_ORIENTATION, NULL, NULL, ACTION_STATEMENT, NULL
FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
"""
#: A MariaDB sequence's settings live in the sequence itself (one row); the current value
#: (``next_not_cached_value``) is state, not definition.
_SEQUENCE_SQL = (
    "SELECT {name}, start_value, minimum_value, maximum_value, increment, cache_size, "
    "cycle_option FROM {table}"
)
_NUMERIC_TYPES = frozenset(
    {"tinyint", "smallint", "mediumint", "integer", "bigint", "boolean", "decimal", "real"}
    | {"double", "bit", "year"}
)


@dataclass
class Catalog:
    table_names: list[str]
    mariadb: bool
    tables: dict[str, tuple] = field(default_factory=dict)
    columns: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    indexes: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    foreign_keys: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    checks: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    partitions: dict[str, tuple] = field(default_factory=dict)
    #: Rows of :data:`_OBJECTS_SQL` but the triggers, and the triggers by table.
    objects: list[tuple] = field(default_factory=list)
    triggers: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    #: A sequence's settings by name.
    sequences: dict[str, tuple] = field(default_factory=dict)


class CatalogReader(BaseCatalogReader):
    """Reads the connected MySQL/MariaDB database through asyncmy."""

    dialect_name = "mysql"

    async def _fetch(self, connection: Any, sql: str) -> list[tuple]:
        self.queries += 1
        async with connection.cursor() as cur:
            await cur.execute(sql)
            return list(await cur.fetchall())

    async def fetch_catalog(self, connection: Any) -> Catalog:
        ((version,),) = await self._fetch(connection, "SELECT VERSION()")
        mariadb = "mariadb" in str(version).lower()
        tables = await self._fetch(connection, _TABLES_SQL)
        catalog = Catalog(table_names=[t[0] for t in tables], mariadb=mariadb)
        catalog.tables = {t[0]: t for t in tables}
        for sql, target in (
            (_COLUMNS_SQL, catalog.columns),
            (_INDEXES_SQL[mariadb], catalog.indexes),
            (_FOREIGN_KEYS_SQL, catalog.foreign_keys),
            (_CHECKS_SQL[mariadb], catalog.checks),
        ):
            for row in await self._fetch(connection, sql):
                target[row[0]].append(row)
        for row in await self._fetch(connection, _OBJECTS_SQL):
            if row[0] == "trigger":
                catalog.triggers[row[2]].append(row)
            else:
                catalog.objects.append(row)
        sequences = [row[1] for row in catalog.objects if row[0] == "sequence"]
        if sequences:  # one query for all of them
            quote, literal = get_dialect(self.dialect_name).quote, _string
            sql = " UNION ALL ".join(
                _SEQUENCE_SQL.format(name=literal(name), table=quote(name)) for name in sequences
            )
            catalog.sequences = {row[0]: row[1:] for row in await self._fetch(connection, sql)}
        if any("partitioned" in str(t[4] or "").lower() for t in tables):
            for row in await self._fetch(connection, _PARTITIONS_SQL):
                catalog.partitions[row[0]] = row
        # MariaDB shows REFERENTIAL_CONSTRAINTS only to a user with a right beyond SELECT on
        # the table; such a user still reads SHOW CREATE TABLE (one query per table so hit).
        for table, rows in catalog.foreign_keys.items():
            if any(row[6] is None for row in rows):
                quoted = get_dialect(self.dialect_name).quote(table)
                ((_, create),) = await self._fetch(connection, f"SHOW CREATE TABLE {quoted}")
                actions = _foreign_key_actions(create)
                catalog.foreign_keys[table] = [
                    row[:6] + actions.get(row[1], ("RESTRICT", "RESTRICT")) for row in rows
                ]
        return catalog

    def build(self, catalog: Catalog, tables: list[str]) -> Schema:
        return Schema(
            dialect=self.dialect_name,
            tables=tuple(self._table(catalog, t) for t in tables),
            objects=tuple(_schema_object(catalog, row) for row in catalog.objects),
        )

    def _default(self, catalog: Catalog, raw: str | None, extra: str, spec: TypeSpec):
        # MariaDB reports defaults as SQL text ('abc', NULL, current_timestamp()); MySQL 8
        # reports literals bare and flags expressions with DEFAULT_GENERATED.
        if raw is None or catalog.mariadb or "DEFAULT_GENERATED" in extra.upper():
            return raw
        if spec.type in _NUMERIC_TYPES:
            return raw
        return "'" + raw.replace("'", "''") + "'"

    def _table(self, catalog: Catalog, name: str) -> Table:
        _, engine, collation, comment, _options, _type = catalog.tables[name]
        unmodelled: list[Unmodelled] = []
        checks = list(catalog.checks.get(name, ()))
        rows = catalog.columns.get(name, ())
        specs = [normalize_type(self.dialect_name, row[4]) for row in rows]
        json_columns, json_checks = json_check_columns(
            [(row[1], spec.type) for row, spec in zip(rows, specs, strict=True)],
            [(c[1], c[2]) for c in checks],
        )
        columns = []
        for row, spec in zip(rows, specs, strict=True):
            _, col, raw_default, nullable, type_text, extra, col_comment, col_coll, gen = row
            extra = extra or ""
            if col in json_columns:
                spec = TypeSpec("json")
            on_update = _on_update(extra)
            generated = None
            default = self._default(catalog, raw_default, extra, spec)
            if "GENERATED" in extra.upper() and gen:
                generated, default = normalize_expression("mysql", gen), None
            keep_collation = col_coll and col_coll != collation and spec.type != "json"
            columns.append(
                self.column(
                    name,
                    col,
                    type_text,
                    nullable=nullable == "YES",
                    default=default,
                    spec=spec if spec.known else None,
                    autoincrement="auto_increment" in extra.lower(),
                    generated=generated,
                    virtual=generated is not None and "VIRTUAL" in extra.upper(),
                    comment=col_comment,
                    collation=col_coll if keep_collation else None,
                    on_update=on_update,
                )
            )
        fks = self._foreign_keys(catalog.foreign_keys.get(name, ()))
        primary_key, uniques, indexes = None, [], []
        for index_name, rows in _group(catalog.indexes.get(name, ()), 1).items():
            cols = tuple(
                r[3] if r[3] is not None else normalize_expression("mysql", r[7]) for r in rows
            )
            exprs = [r[3] is None for r in rows]
            lengths = tuple(int(r[4]) if r[4] is not None else None for r in rows)
            lengths = lengths if any(lengths) else ()
            method = normalize_index_method(rows[0][6])
            if method == "spatial":
                lengths = ()  # MariaDB reports a SUB_PART of 32 that no CREATE accepts
            unique = rows[0][2] in (0, "0")
            what = "primary key" if index_name == "PRIMARY" else f"index {index_name}"
            if rows[0][9]:
                unmodelled.append(Unmodelled(what, rows[0][9]))
            if rows[0][8] and index_name != "PRIMARY":
                unmodelled.append(Unmodelled(what, f"COMMENT {rows[0][8]!r}"))
            if index_name == "PRIMARY":
                if lengths:
                    self.warn(
                        f"{name}: primary key prefix lengths {lengths} are not represented; "
                        "the whole columns are exported"
                    )
                primary_key = PrimaryKey(cols, name=None, comment=rows[0][8] or None)
            elif unique and method is None and not any(exprs) and not lengths:
                uniques.append(UniqueConstraint(cols, name=index_name))
            elif is_implicit_fk_index(index_name, cols, unique, fks):
                continue
            else:
                orders, expressions = index_shape([r[5] == "D" and "DESC" for r in rows], exprs)
                indexes.append(
                    Index(
                        cols,
                        unique=unique,
                        method=method,
                        orders=orders,
                        expressions=expressions,
                        lengths=lengths,
                        name=index_name,
                    )
                )
        return Table(
            name=name,
            columns=tuple(columns),
            primary_key=primary_key,
            uniques=tuple(uniques),
            indexes=tuple(indexes),
            foreign_keys=tuple(fks),
            checks=tuple(
                CheckConstraint(normalize_expression("mysql", c[2]), name=c[1])
                for c in checks
                if c[1] not in json_checks
            ),
            comment=normalize_comment(comment),
            options=table_options(engine, collation),
            unmodelled=self._unmodelled(catalog, name, unmodelled),
        )

    @staticmethod
    def _unmodelled(catalog: Catalog, name: str, found: list[Unmodelled]) -> tuple:
        """What the Schema cannot carry (:class:`Unmodelled`): partitioning, unused
        (IGNORED/INVISIBLE) indexes, index comments, checks NOT ENFORCED, table options
        beyond engine and charset (``ROW_FORMAT=COMPRESSED``...), system versioning."""
        found = list(found)
        _, _, _, _, options, table_type = catalog.tables[name]
        found.extend(Unmodelled(f"table {name}", clause) for clause in _table_options(options))
        if table_type == "SYSTEM VERSIONED":
            found.append(Unmodelled(f"table {name}", "WITH SYSTEM VERSIONING"))
        partitions = catalog.partitions.get(name)
        if partitions is not None:
            found.append(Unmodelled("partitioning", f"PARTITION BY {partitions[1]} ({partitions[2]})"))
        for check in catalog.checks.get(name, ()):
            if str(check[3]).upper() == "NO":
                found.append(Unmodelled(f"check {check[1]}", "NOT ENFORCED"))
        # A trigger is an object of its own: kept, noted, or refused in a desired file; its
        # timing, event and body are compared.
        for row in sorted(catalog.triggers.get(name, ()), key=lambda r: r[1]):
            _, trigger, _, timing, event, level, _, _, body, _ = row
            definition = f"{timing} {event} FOR EACH {level} {normalize_body('mysql', body)}"
            found.append(Unmodelled(f"trigger {trigger}", "CREATE TRIGGER", definition=definition))
        return tuple(found)

    def _foreign_keys(self, rows) -> list[ForeignKey]:
        fks = []
        for fk_name, group in _group(rows, 1).items():
            first = group[0]
            fks.append(
                ForeignKey(
                    tuple(r[2] for r in group),
                    first[4],
                    tuple(r[5] for r in group),
                    on_delete=normalize_fk_action(first[6], "mysql"),
                    on_update=normalize_fk_action(first[7], "mysql"),
                    name=fk_name,
                )
            )
        return fks


#: One option of CREATE_OPTIONS: ``row_format=COMPRESSED``, ```ENCRYPTED`='NO'``.
_CREATE_OPTION = re.compile(r"`?(\w+)`?=('[^']*'|\S+)")


def _table_options(create_options: str | None) -> list[str]:
    """The table options a table was created or altered with beyond engine and charset, as
    ``KEY=value`` clauses (``ROW_FORMAT=COMPRESSED``); partitioning is read on its own."""
    return [
        f"{key.upper()}={value}"
        for key, value in _CREATE_OPTION.findall(create_options or "")
    ]


def _foreign_key_actions(create: str) -> dict[str, tuple[str, str]]:
    """``{constraint name: (on delete, on update)}`` from ``SHOW CREATE TABLE`` text, which
    leaves out the default action (RESTRICT)."""
    import sqlglot
    from sqlglot import exp

    found = {}
    for key in sqlglot.parse_one(create, read="mysql").find_all(exp.ForeignKey):
        if not isinstance(key.parent, exp.Constraint):
            continue
        actions = {"DELETE": "RESTRICT", "UPDATE": "RESTRICT"}
        reference = key.args.get("reference")
        for option in (reference.args.get("options") if reference else None) or ():
            words = str(option).upper().split()
            if len(words) > 2 and words[0] == "ON" and words[1] in actions:
                actions[words[1]] = " ".join(words[2:])
        found[key.parent.name] = (actions["DELETE"], actions["UPDATE"])
    return found


def _schema_object(catalog: Catalog, row: tuple) -> SchemaObject:
    """The :class:`SchemaObject` of a row of :data:`_OBJECTS_SQL` (not a trigger): what the
    object does, free of the database's name (a scratch database's differs)."""
    kind, name, _, a, b, c, d, e, body, database = row
    if kind == "view":  # the server qualifies every table and column with the database
        body = (body or "").replace(f"`{str(database).replace('`', '``')}`.", "")
        parts = [f"AS {normalize_body('mysql', body)}"]
        parts += [f"WITH {a} CHECK OPTION"] if a and a != "NONE" else []
        parts.append(f"SQL SECURITY {b}")
    elif kind in ("function", "procedure"):
        parts = [f"({a or ''})"]
        parts += [f"RETURNS {b}"] if b else []
        parts += ["DETERMINISTIC" if c == "YES" else "NOT DETERMINISTIC", d, f"SQL SECURITY {e}"]
        parts.append(normalize_body("mysql", body))
    elif kind == "event":
        parts = [a, f"EVERY {b}" if b else "", f"ON COMPLETION {c}", d]
        parts += [f"COMMENT {e!r}"] if e else []
        parts.append(f"DO {normalize_body('mysql', body)}")
    else:  # a sequence
        start, low, high, step, cache, cycle = catalog.sequences.get(name, (None,) * 6)
        parts = [
            f"START WITH {start} MINVALUE {low} MAXVALUE {high} INCREMENT BY {step}",
            f"CACHE {cache} {'CYCLE' if cycle else 'NOCYCLE'}",
        ]
    return SchemaObject(kind, name, " ".join(str(p) for p in parts if p))


def _string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _group(rows, key: int) -> dict[Any, list[tuple]]:
    groups: dict[Any, list[tuple]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return groups


def _on_update(extra: str) -> str | None:
    """The expression of ``on update ...`` in a column's EXTRA (MariaDB: ``on update
    current_timestamp()``; MySQL 8: ``DEFAULT_GENERATED on update CURRENT_TIMESTAMP``),
    normalized like a default so both servers' spellings compare equal."""
    at = extra.lower().find("on update ")
    if at < 0:
        return None
    return normalize_default("mysql", extra[at + len("on update ") :].strip())
