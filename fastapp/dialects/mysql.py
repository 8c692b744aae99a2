"""MySQL and MariaDB through asyncmy."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapp.dialects.base import (
    COMMON_STATEMENTS,
    DATA_STATEMENT,
    PRIVILEGES,
    ClauseRemoval,
    ConnectionSettings,
    Dialect,
    OnlineFacts,
    Settings,
    StatementRule,
)

_UNKNOWN_DATABASE = 1049
#: ER_DBACCESS_DENIED_ERROR, ER_TABLEACCESS_DENIED_ERROR, ER_SPECIFIC_ACCESS_DENIED_ERROR.
_ACCESS_DENIED = frozenset({1044, 1142, 1227})


class MySQLDialect(Dialect):
    name = "mysql"
    parts = {
        "catalog_reader": "fastapp.introspect.mysql:CatalogReader",
        "ddl_reader": "fastapp.desired.ddl_readers.mysql:Reader",
        "scratch": "fastapp.desired.scratch.mysql:Scratch",
        "ddl_writer": "fastapp.sql.ddl.mysql:MySQLDDL",
        "plan_renderer": "fastapp.sql.plan.mysql:MySQLRenderer",
        "lock_session": "fastapp.apply.locks.mysql:MySQLLockSession",
        "bulk_writer": "fastapp.data.writers.mysql:Writer",
    }
    url_schemes = ("mysql",)
    url_defaults = {"port": 3306, "charset": "utf8mb4", "sql_mode": "STRICT_TRANS_TABLES"}
    url_casts = {
        **dict.fromkeys(("minsize", "maxsize", "pool_recycle"), int),
        "connect_timeout": float,
        **dict.fromkeys(("echo", "use_unicode", "ssl"), bool),
    }
    engine_aliases = ("mysql", "mariadb", "asyncmy")
    tortoise_engine = "tortoise.backends.mysql"
    sqlglot_name = "mysql"
    default_port = 3306
    test_server_env = "FASTAPP_TEST_MYSQL_URL"
    test_server_url = "mysql://root:@127.0.0.1:3306/mysql"
    supports_transactional_ddl = False
    identifier_quote = "`"
    #: Counted in characters; a longer name is an error (1059).
    identifier_limit = (64, "characters")
    string_backslash_escapes = True
    compound_bodies = True
    online = OnlineFacts(
        advice={
            "FA002": "InnoDB copies the table to add a foreign key while foreign_key_checks is "
            "on; fastapp --online checks the rows first, then adds it with "
            "foreign_key_checks=0, ALGORITHM=INPLACE, LOCK=NONE",
            "FA004": "MODIFY ... NOT NULL with ALGORITHM=INPLACE, LOCK=NONE rebuilds the table "
            "while writes go on (fastapp --online does; needs strict sql_mode)",
            "FA005": "add the column without the default and backfill existing rows in batches "
            "(fastapp --online does)",
            "FA006": "this type change copies the table under lock (ALGORITHM=COPY): add a new "
            "column, backfill it in batches, switch the code, drop the old one; or use gh-ost",
            "FA007": "expand and contract: add the new name, write both, deploy code reading the "
            "new one, then remove the old one in a later release",
            "FA008": "first deploy code that no longer uses it, then drop it in a later release",
            "FA009": "SET SESSION lock_wait_timeout (a few seconds) and retry on timeout, so a "
            "waiting ALTER does not queue every query behind its metadata lock "
            "(fastapp --online does)",
            "FA003": "CHECK constraints are added by copying the table (ALGORITHM=COPY); add it "
            "in a maintenance window, or enforce it in the application",
            "FA010": "run it in a quiet window, or keep the clause (write it in the desired DDL "
            "too) until then",
        },
        volatile_functions=frozenset({"rand", "uuid", "uuid_short", "sysdate", "random_bytes"}),
        in_place_type_changes=frozenset({("varchar", "varchar")}),
        in_place_varchar_limit=63,  # 63 x 4 bytes (utf8mb4) fits one length byte
        lock_timeout_sql="SET SESSION lock_wait_timeout = {s}",
        lock_timeout_errors=frozenset({"1205"}),
        online_alter_clause="ALGORITHM=INPLACE, LOCK=NONE",
        fixed_online=frozenset({"FA002", "FA004", "FA005", "FA009"}),
        summary="ALGORITHM=INSTANT or INPLACE with LOCK=NONE where the server allows it, a "
        "refusal where it would copy the table under lock, lock_wait_timeout with retries",
    )
    # asyncmy.create_pool: pool_recycle counts whole seconds since the connection's last use.
    versioned_comments = True
    desired_statements = (
        *COMMON_STATEMENTS,
        StatementRule(r"(SET|LOCK TABLES|UNLOCK TABLES)\b"),  # as mysqldump writes them
        StatementRule(r"(CREATE (OR REPLACE )?(TEMPORARY )?|ALTER (ONLINE |IGNORE )*)TABLE\b"),
        StatementRule(r"CREATE (OR REPLACE )?(UNIQUE |FULLTEXT |SPATIAL )?INDEX\b"),
        StatementRule(
            r"CREATE (OR REPLACE )?(ALGORITHM ?= ?\S+ )?(DEFINER ?= ?\S+ )?"
            r"(SQL SECURITY \S+ )?VIEW\b"
        ),
        StatementRule(
            r"CREATE (OR REPLACE )?(DEFINER ?= ?\S+ )?(AGGREGATE )?"
            r"(FUNCTION|PROCEDURE|TRIGGER|EVENT)\b"
        ),
        StatementRule(r"(CREATE|ALTER) (OR REPLACE )?SEQUENCE\b"),
        StatementRule(r"(INSERT|REPLACE|UPDATE|DELETE|TRUNCATE|LOAD DATA)\b", DATA_STATEMENT),
        StatementRule(r"(GRANT|REVOKE)\b", PRIVILEGES),
        StatementRule(r"USE\b", "a desired file describes the target database, not another"),
    )
    clause_removals = (
        ClauseRemoval("PARTITION BY", effect="REMOVE PARTITIONING copies the table", rewrites=True),
        ClauseRemoval(
            "NOT ENFORCED", "data-dependent", "the server checks every stored row against it"
        ),
        ClauseRemoval("COMMENT", effect="the index is dropped and added again in one statement"),
        ClauseRemoval("WITH SYSTEM VERSIONING", "destructive", "the rows' history is dropped"),
        ClauseRemoval("ROW_FORMAT=", effect="the table is rebuilt", rewrites=True),
        ClauseRemoval("KEY_BLOCK_SIZE=", effect="the table is rebuilt", rewrites=True),
        ClauseRemoval("PAGE_COMPRESSED=", effect="the table is rebuilt", rewrites=True),
    )
    #: What a table option is set to, to remove it (``ALTER TABLE t ROW_FORMAT=DEFAULT``);
    #: an option missing here has no such value (Aria's) and its removal is refused.
    table_option_resets = {
        "ROW_FORMAT": "DEFAULT",
        "KEY_BLOCK_SIZE": "0",
        "STATS_PERSISTENT": "DEFAULT",
        "STATS_AUTO_RECALC": "DEFAULT",
        "STATS_SAMPLE_PAGES": "DEFAULT",
        "PACK_KEYS": "DEFAULT",
        "CHECKSUM": "0",
        "DELAY_KEY_WRITE": "0",
        "MIN_ROWS": "0",
        "MAX_ROWS": "0",
        "AVG_ROW_LENGTH": "0",
        "ENCRYPTED": "DEFAULT",
        "PAGE_COMPRESSED": "DEFAULT",
    }
    pool_keys = {
        "max_size": ("maxsize", 1),
        "min_size": ("minsize", 1),
        "recycle": ("pool_recycle", 1),
        "timeout": ("connect_timeout", 1),
    }
    # No partial indexes: the documented equivalent is a unique key over a generated column.
    live_unique_statement = None
    live_unique_column = "{live} TINYINT AS (IF({deleted} IS NULL, 1, NULL)) VIRTUAL"
    live_unique_key = "UNIQUE KEY {name} ({columns}, {live})"
    live_unique_alter = (
        "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column}",
        "ALTER TABLE {table} ADD {key}",
    )
    live_unique_drop = ("ALTER TABLE {table} DROP COLUMN IF EXISTS {live}",)
    checks_liveness_on_acquire = True  # asyncmy's pool skips connections at EOF on acquire
    list_tables_sql = (
        "SELECT table_name AS name FROM information_schema.tables "
        "WHERE table_schema = DATABASE() AND table_type IN ('BASE TABLE', 'SYSTEM VERSIONED') "
        "ORDER BY 1"
    )

    type_aliases = {
        "tinyint": "tinyint",
        "smallint": "smallint",
        "mediumint": "mediumint",
        "int": "integer",
        "integer": "integer",
        "bigint": "bigint",
        "bool": "boolean",
        "boolean": "boolean",
        "decimal": "decimal",
        "numeric": "decimal",
        "float": "real",
        "double": "double",
        "double precision": "double",
        "real": "double",
        "char": "char",
        "varchar": "varchar",
        "binary": "binary",
        "varbinary": "varbinary",
        "tinytext": "tinytext",
        "text": "text",
        "mediumtext": "mediumtext",
        "longtext": "longtext",
        "tinyblob": "tinyblob",
        "blob": "blob",
        "mediumblob": "mediumblob",
        "longblob": "longblob",
        "date": "date",
        "time": "time",
        "datetime": "datetime",
        "timestamp": "timestamp",
        "year": "year",
        "json": "json",
        "enum": "enum",
        "set": "set",
        "bit": "bit",
        "uuid": "uuid",
    }
    #: ``tinyint(1)`` is how MySQL stores BOOL.
    boolean_spellings = frozenset({("tinyint", 1)})
    #: InnoDB's RESTRICT is checked immediately, exactly like NO ACTION, and MariaDB reports
    #: RESTRICT when nothing was said.
    fk_action_equivalents = {"RESTRICT": "NO ACTION"}
    fast_defaults = {
        "current_timestamp()": "CURRENT_TIMESTAMP()",
        "current_timestamp(6)": "CURRENT_TIMESTAMP(6)",
        "current_timestamp(3)": "CURRENT_TIMESTAMP(3)",
        "CURRENT_TIMESTAMP": "CURRENT_TIMESTAMP()",
    }
    indexes_foreign_keys = True
    parenthesized_expression_defaults = True
    tortoise_field_types = {
        "TextField": ("longtext", None, None, None),
        "BinaryField": ("longblob", None, None, None),
        "TimeField": ("time", None, 6, None),
        "DatetimeField": ("datetime", None, 6, None),
    }
    tortoise_storage_fields = {
        ("char", 36): ("UUIDField", "char(36) read as UUIDField, Tortoise's UUID storage"),
    }

    def tortoise_connection(self, cfg: ConnectionSettings) -> dict[str, Any]:
        conn = super().tortoise_connection(cfg)
        conn["credentials"].setdefault("charset", "utf8mb4")
        return conn

    async def connect(self, cfg: ConnectionSettings) -> Any:
        import asyncmy

        options = {"charset": "utf8mb4", "connect_timeout": 10}
        options.update(self.connect_options(cfg, asyncmy.connect))
        return await asyncmy.connect(
            host=cfg.host,
            port=int(cfg.port) if cfg.port else 3306,
            user=cfg.user,
            password=cfg.password or "",
            db=cfg.name or None,
            autocommit=True,
            **options,
        )

    def empty_tables_sql(self, tables: list[str]) -> list[str]:
        # TRUNCATE refuses a table other tables reference unless the checks are off.
        truncates = [f"TRUNCATE TABLE {self.quote(t)}" for t in tables]
        return ["SET FOREIGN_KEY_CHECKS = 0", *truncates, "SET FOREIGN_KEY_CHECKS = 1"]

    async def empty_tables(self, client: Any, tables: list[str]) -> None:
        from tortoise.transactions import in_transaction

        # One session for all: FOREIGN_KEY_CHECKS is per session, the pool has several.
        async with in_transaction(client.connection_name) as session:
            for statement in self.empty_tables_sql(tables):
                await session.execute_script(statement)

    async def close(self, connection: Any) -> None:
        await connection.ensure_closed()

    async def fetch_scalar_list(self, connection: Any, sql: str) -> list[Any]:
        async with connection.cursor() as cur:
            await cur.execute(sql)
            return [row[0] for row in await cur.fetchall()]

    async def fetch_rows(self, connection: Any, sql: str) -> list[tuple[Any, ...]]:
        async with connection.cursor() as cur:
            await cur.execute(sql)
            return [tuple(row) for row in await cur.fetchall()]

    async def execute_raw(self, connection: Any, sql: str) -> None:
        async with connection.cursor() as cur:
            await cur.execute(sql)

    def maintenance_config(self, cfg: Settings) -> Settings:
        return cfg.with_name("")

    async def create_database(self, cfg: ConnectionSettings) -> None:
        conn = await self.connect(self.maintenance_config(cfg))
        try:
            await self.execute_raw(
                conn,
                f"CREATE DATABASE {self.quote(cfg.name)} "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            )
        finally:
            await self.close(conn)

    def is_permission_error(self, exc: BaseException) -> bool:
        args = getattr(exc, "args", None)
        return bool(args) and args[0] in _ACCESS_DENIED

    def explain_connect_error(self, exc: BaseException, cfg: ConnectionSettings) -> str:
        if getattr(exc, "args", None) and exc.args[0] == _UNKNOWN_DATABASE:
            return (
                f"database {cfg.name!r} does not exist on {cfg.host}:{cfg.port} "
                f"(connection {cfg.alias!r}): create it with "
                f"`CREATE DATABASE {self.quote(cfg.name)}` or fix the URL"
            )
        return super().explain_connect_error(exc, cfg)


dialect = MySQLDialect()


# -- MySQL/MariaDB facts shared by its catalog reader and its DDL reader ---------------------


def json_check_columns(
    columns: list[tuple[str, str]], checks: list[tuple[str, str]]
) -> tuple[set[str], set[str]]:
    """MariaDB stores JSON as LONGTEXT plus a ``json_valid(col)`` check named after the column.

    ``columns`` (name, canonical type), ``checks`` (name, expression). Returns the names of
    the columns that are JSON and of the checks that only say so (not reported as checks).
    """
    json_columns, json_checks = set(), set()
    for column, canonical in columns:
        if canonical != "longtext":
            continue
        for check_name, expression in checks:
            if dialect.is_json_check(expression, column):
                json_columns.add(column)
                json_checks.add(check_name)
    return json_columns, json_checks


def is_implicit_fk_index(
    name: str | None, columns: tuple[str, ...], unique: bool, foreign_keys: Iterable[Any]
) -> bool:
    """An index InnoDB added for a foreign key that had none: named after the constraint
    (or its first column when unnamed), on exactly its columns. Not part of the Schema: the
    key recreates it."""
    if unique:
        return False
    return any(fk.columns == columns and name in (fk.name, fk.columns[0]) for fk in foreign_keys)


def table_options(engine: str | None, collation: str | None) -> tuple[tuple[str, str], ...]:
    """Table options as the Schema keeps them: engine, collation and the charset it belongs
    to (the collation's first word)."""
    options = []
    if engine:
        options.append(("engine", engine))
    if collation:
        options.append(("charset", collation.split("_", 1)[0]))
        options.append(("collation", collation))
    return tuple(options)
