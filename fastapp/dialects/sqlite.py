"""SQLite through aiosqlite: the embedded default."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapp.dialects.base import (
    COMMON_STATEMENTS,
    DATA_STATEMENT,
    ClauseRemoval,
    ConnectionSettings,
    Dialect,
    OnlineFacts,
    StatementRule,
)


class SQLiteDialect(Dialect):
    name = "sqlite"
    parts = {
        "catalog_reader": "fastapp.introspect.sqlite:CatalogReader",
        "ddl_reader": "fastapp.desired.ddl_readers.sqlite:Reader",
        "scratch": "fastapp.desired.scratch.sqlite:Scratch",
        "ddl_writer": "fastapp.sql.ddl.sqlite:SQLiteDDL",
        "plan_renderer": "fastapp.sql.plan.sqlite:SQLiteRenderer",
        "lock_session": "fastapp.apply.locks.sqlite:SQLiteLockSession",
        "bulk_writer": "fastapp.data.writers.sqlite:Writer",
    }
    url_schemes = ("sqlite",)
    url_defaults = {"journal_mode": "WAL", "journal_size_limit": 16384}
    url_casts = {"journal_size_limit": int, "install_regexp_functions": bool}
    url_path_key = "file_path"
    url_path_in_netloc = True
    engine_aliases = ("sqlite", "sqlite3", "aiosqlite")
    tortoise_engine = "tortoise.backends.sqlite"
    sqlglot_name = "sqlite"
    needs_server = False
    unquoted_names = "any"
    online = OnlineFacts(
        advice={
            "FA006": "SQLite rebuilds the table to change a column type, holding the one write "
            "lock for the whole copy; run it when writes can wait",
            "FA007": "expand and contract: add the new name, write both, deploy code reading the "
            "new one, then remove the old one in a later release",
            "FA008": "first deploy code that no longer uses it, then drop it in a later release",
            "FA010": "SQLite rebuilds the table to remove the clause, holding the one write "
            "lock for the whole copy; run it when writes can wait",
        },
        volatile_functions=frozenset({"random", "randomblob"}),
        summary="SQLite has one writer at a time: every change holds the database's write lock "
        "until it commits, so --online changes nothing (the plan runs as it is)",
    )
    desired_statements = (
        *COMMON_STATEMENTS,
        StatementRule(r"PRAGMA (FOREIGN_KEYS|DEFER_FOREIGN_KEYS|LEGACY_ALTER_TABLE)\b"),
        StatementRule(r"PRAGMA\b", "a lasting PRAGMA (user_version, journal_mode...) is not read"),
        StatementRule(r"ANALYZE\b"),  # statistics, not a declaration
        StatementRule(r"(CREATE|ALTER) (TEMP |TEMPORARY )?TABLE\b"),
        StatementRule(r"CREATE (UNIQUE )?INDEX\b"),
        StatementRule(r"CREATE (TEMP |TEMPORARY )?(VIEW|TRIGGER)\b"),
        StatementRule(r"(INSERT|REPLACE|UPDATE|DELETE)\b", DATA_STATEMENT),
        StatementRule(r"CREATE VIRTUAL TABLE\b"),
    )
    #: Every live clause goes by a rebuild of its table (fastapp.sql.plan.sqlite).
    clause_removals = (ClauseRemoval("", effect="the table is rebuilt", rewrites=True),)
    supports_transactional_ddl = True
    compound_bodies = True
    # Tortoise turns every SQLite credential into a PRAGMA; busy_timeout is in milliseconds.
    pool_keys = {"timeout": ("busy_timeout", 1000)}
    pool_unsupported_reason = "Tortoise keeps one connection per SQLite database, no pool"
    list_tables_sql = (
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' ORDER BY 1"
    )

    #: SQLite keeps the declared name; these spellings share the canonical name's affinity.
    type_aliases = {
        "int": "integer",
        "integer": "integer",
        "tinyint": "tinyint",
        "smallint": "smallint",
        "mediumint": "mediumint",
        "bigint": "bigint",
        "int8": "bigint",
        "bool": "boolean",
        "boolean": "boolean",
        "numeric": "decimal",
        "decimal": "decimal",
        "real": "real",
        "float": "real",
        "double": "double",
        "double precision": "double",
        "char": "char",
        "character": "char",
        "varchar": "varchar",
        "character varying": "varchar",
        "text": "text",
        "clob": "text",
        "blob": "blob",
        "date": "date",
        "time": "time",
        "datetime": "datetime",
        "timestamp": "timestamp",
        "json": "json",
        "jsonb": "jsonb",
        "uuid": "uuid",
    }
    #: Type names SQLite reports in upper case whatever their declared case (the STRICT
    #: table types, since SQLite 3.37); every other declared type is reported as written.
    standard_type_names = frozenset({"INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"})
    fast_defaults = {
        "CURRENT_TIMESTAMP": "CURRENT_TIMESTAMP",
        "CURRENT_DATE": "CURRENT_DATE",
    }
    parenthesized_expression_defaults = True
    tortoise_field_types = {
        "BooleanField": ("integer", None, None, None),
        "DecimalField": ("varchar", 40, None, None),
        "FloatField": ("real", None, None, None),
    }
    tortoise_storage_fields = {
        ("char", 36): ("UUIDField", "char(36) read as UUIDField, Tortoise's UUID storage"),
    }

    def declared_type(self, text: str) -> str:
        """A column's type as ``PRAGMA table_info`` reports it for ``text`` declared (quotes
        already removed), whitespace-normalized: the value of ``Column.declared_type``.

        SQLite keeps the declared spelling (case, words, arguments) and decides the column's
        affinity from it, so two spellings of one canonical type are two different columns
        to it; fastapp compares and writes this text on SQLite only. Runs of whitespace
        (a type split over lines) mean nothing to SQLite and are one space here.
        """
        spelled = " ".join(text.split())
        upper = spelled.upper()
        return upper if upper in self.standard_type_names else spelled

    def namespace(self, cfg: ConnectionSettings) -> str:
        return "main"  # the connection's own file, whatever its path

    def tortoise_connection(self, cfg: ConnectionSettings) -> dict[str, Any]:
        credentials: dict[str, Any] = {self.url_path_key: cfg.name}
        credentials.update(dict(cfg.params))
        return {"engine": self.tortoise_engine, "credentials": credentials}

    def empty_tables_sql(self, tables: list[str]) -> list[str]:
        deletes = [f"DELETE FROM {self.quote(t)}" for t in tables]
        return ["PRAGMA foreign_keys = OFF", *deletes, "PRAGMA foreign_keys = ON"]

    async def empty_tables(self, client: Any, tables: list[str]) -> None:
        await super().empty_tables(client, tables)
        # sqlite_sequence exists only once some AUTOINCREMENT table does.
        found = await client.execute_query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
        )
        if found[1] and tables:
            names = ", ".join("'" + t.replace("'", "''") + "'" for t in tables)
            await client.execute_script(f"DELETE FROM sqlite_sequence WHERE name IN ({names})")

    async def connect(self, cfg: ConnectionSettings) -> Any:
        import aiosqlite

        conn = aiosqlite.connect(cfg.name, isolation_level=None)
        try:
            await conn
        except BaseException:
            await _worker_finished(conn)
            raise
        try:
            await conn.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            await conn.close()
            raise
        return conn

    async def fetch_scalar_list(self, connection: Any, sql: str) -> list[Any]:
        async with connection.execute(sql) as cur:
            return [row[0] for row in await cur.fetchall()]

    async def fetch_rows(self, connection: Any, sql: str) -> list[tuple[Any, ...]]:
        async with connection.execute(sql) as cur:
            return [tuple(row) for row in await cur.fetchall()]

    async def execute_raw(self, connection: Any, sql: str) -> None:
        await connection.execute(sql)

    async def create_database(self, cfg: ConnectionSettings) -> None:
        if cfg.name != ":memory:":
            Path(cfg.name).parent.mkdir(parents=True, exist_ok=True)
            Path(cfg.name).touch()

    async def drop_database(self, cfg: ConnectionSettings) -> None:
        if cfg.name == ":memory:":
            return
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.remove(cfg.name + suffix)
            except FileNotFoundError:
                pass

    def explain_connect_error(self, exc: BaseException, cfg: ConnectionSettings) -> str:
        detail = str(exc).strip() or type(exc).__name__
        folder = Path(cfg.name).parent
        hint = f"(does the folder {str(folder)!r} exist and is it writable?)"
        return (
            f"cannot open SQLite database {cfg.name!r} (connection {cfg.alias!r}): {detail} {hint}"
        )


async def _worker_finished(conn: Any) -> None:
    # A failed aiosqlite connect stops its worker thread without waiting for it; the worker
    # then reports back to this event loop. Returning before it has would let the loop close
    # first, and the thread would print "RuntimeError: Event loop is closed" on stderr.
    import asyncio

    thread = getattr(conn, "_thread", None)
    if thread is not None and thread.is_alive():
        await asyncio.to_thread(thread.join)


dialect = SQLiteDialect()
