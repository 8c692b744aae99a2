"""The trigger mode on PostgreSQL: one PL/pgSQL function, one row trigger per table.

The actor comes from the transaction-local setting ``fastapp.audit_actor`` (set by
:func:`name_actor`; anything else writing, ``psql`` included, may set it too:
``SELECT set_config('fastapp.audit_actor', 'dba', true)``). Values are PostgreSQL's JSON of
the row (``to_jsonb``), keyed by column.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapp.contrib.audit.triggers import TriggerTable

TRIGGER = "fastapp_audit"
FUNCTION = "fastapp_audit_row"

_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    o jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    n jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    excluded text[] := TG_ARGV[4]::text[];
    soft text := TG_ARGV[3];
    changes jsonb := '{{}}'::jsonb;
    k text;
    act text := CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update'
                           ELSE 'delete' END;
BEGIN
    FOR k IN SELECT jsonb_object_keys(coalesce(n, o)) LOOP
        CONTINUE WHEN k = ANY(excluded);
        CONTINUE WHEN TG_OP = 'UPDATE' AND (o -> k) IS NOT DISTINCT FROM (n -> k);
        changes := changes || jsonb_build_object(k, jsonb_build_array(o -> k, n -> k));
    END LOOP;
    IF TG_OP = 'UPDATE' THEN
        IF changes = '{{}}'::jsonb THEN
            RETURN NULL;
        END IF;
        IF soft <> '' AND (SELECT array_agg(x) FROM jsonb_object_keys(changes) x) = ARRAY[soft]
        THEN
            IF (o ->> soft) IS NULL THEN
                act := 'soft_delete';
            ELSIF (n ->> soft) IS NULL THEN
                act := 'restore';
            END IF;
        END IF;
    END IF;
    INSERT INTO fastapp_audit_entry
        (at, actor, action, app_label, model, object_pk, changes, bulk, source)
    VALUES (clock_timestamp(), nullif(current_setting('fastapp.audit_actor', true), ''), act,
            TG_ARGV[0], TG_ARGV[1], coalesce(n, o) ->> TG_ARGV[2], changes, false, 'trigger');
    RETURN NULL;
END
$fn$
"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _array(items: Iterable[str]) -> str:
    inner = ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items)
    return "{" + inner + "}"


async def install(connection: Any, tables: list[TriggerTable]) -> list[str]:
    """Create (or re-create) the function and a trigger on each of ``tables``; drop this
    mode's triggers from other tables. Returns a line per change."""
    lines = []
    await connection.execute_script(_FUNCTION_SQL)
    wanted = {t.table for t in tables}
    found = await connection.execute_query_dict(
        "SELECT c.relname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace s ON s.oid = c.relnamespace "
        "WHERE t.tgname = $1 AND s.nspname = current_schema()",
        [TRIGGER],
    )
    for table in sorted({row["name"] for row in found} - wanted):
        await connection.execute_script(f"DROP TRIGGER {TRIGGER} ON {_ident(table)}")
        lines.append(f"removed the trigger of {table}")
    have = {row["name"] for row in found}
    for t in tables:
        args = ", ".join(
            _literal(a)
            for a in (
                t.app_label,
                t.model,
                t.pk_column,
                t.soft_delete_column,
                _array(t.excluded_columns),
            )
        )
        await connection.execute_script(
            f"DROP TRIGGER IF EXISTS {TRIGGER} ON {_ident(t.table)};\n"
            f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON {_ident(t.table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}({args})"
        )
        if t.table not in have:
            lines.append(f"installed the trigger of {t.table}")
    return lines


async def name_actor(connection: Any, actor: str | None) -> None:
    """Name ``actor`` for the rest of ``connection``'s transaction."""
    await connection.execute_query(
        "SELECT set_config('fastapp.audit_actor', $1, true)", [actor or ""]
    )


async def installed(connection: Any, table: str) -> bool:
    """Whether ``table`` (of the current schema) has this mode's trigger."""
    found = await connection.execute_query_dict(
        "SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace s ON s.oid = c.relnamespace "
        "WHERE t.tgname = $1 AND c.relname = $2 AND s.nspname = current_schema()",
        [TRIGGER, table],
    )
    return bool(found)
