"""PostgreSQL through asyncpg."""

from __future__ import annotations

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


class PostgresDialect(Dialect):
    name = "postgres"
    parts = {
        "catalog_reader": "fastapp.introspect.postgres:CatalogReader",
        "ddl_reader": "fastapp.desired.ddl_readers.postgres:Reader",
        "scratch": "fastapp.desired.scratch.postgres:Scratch",
        "ddl_writer": "fastapp.sql.ddl.postgres:PostgresDDL",
        "plan_renderer": "fastapp.sql.plan.postgres:PostgresRenderer",
        "lock_session": "fastapp.apply.locks.postgres:PostgresLockSession",
        "bulk_writer": "fastapp.data.writers.postgres:Writer",
    }
    url_schemes = ("postgres", "postgresql", "asyncpg", "psycopg")
    url_defaults = {"port": 5432}
    url_casts = {
        **dict.fromkeys(
            ("min_size", "max_size", "max_queries", "timeout", "statement_cache_size"), int
        ),
        **dict.fromkeys(("max_cached_statement_lifetime", "max_cacheable_statement_size"), int),
        "max_inactive_connection_lifetime": float,
        "ssl": bool,
    }
    url_empty_password_is_none = True
    url_engines = {"psycopg": "tortoise.backends.psycopg"}
    engine_aliases = ("postgres", "postgresql", "asyncpg", "psycopg", "postgresql_psycopg2")
    tortoise_engine = "tortoise.backends.asyncpg"
    sqlglot_name = "postgres"
    default_port = 5432
    test_server_env = "FASTAPP_TEST_PG_URL"
    test_server_url = "postgres://postgres@127.0.0.1:5432/postgres"
    supports_transactional_ddl = True
    escape_string_prefix = True
    dollar_quoted_strings = True
    #: NAMEDATALEN - 1, counted in bytes: longer names are truncated with only a NOTICE.
    identifier_limit = (63, "bytes")
    # asyncpg.create_pool: the recycle is its idle lifetime, the timeout the connect timeout
    # (Tortoise acquires without a timeout).
    pool_keys = {
        "max_size": ("maxsize", 1),
        "min_size": ("minsize", 1),
        "recycle": ("max_inactive_connection_lifetime", 1),
        "timeout": ("timeout", 1),
    }
    checks_liveness_on_acquire = True  # asyncpg's pool reconnects a holder whose link is closed
    recycle_spares_minimum = True
    list_tables_sql = (
        "SELECT c.relname AS name FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY 1"
    )

    type_aliases = {
        "smallint": "smallint",
        "int2": "smallint",
        "integer": "integer",
        "int": "integer",
        "int4": "integer",
        "bigint": "bigint",
        "int8": "bigint",
        "boolean": "boolean",
        "bool": "boolean",
        "numeric": "decimal",
        "decimal": "decimal",
        "real": "real",
        "float4": "real",
        "double precision": "double",
        "float8": "double",
        "character varying": "varchar",
        "varchar": "varchar",
        "character": "char",
        "char": "char",
        "bpchar": "char",
        "text": "text",
        "bytea": "blob",
        "date": "date",
        "time": "time",
        "time without time zone": "time",
        "time with time zone": "timetz",
        "timetz": "timetz",
        "timestamp": "timestamp",
        "timestamp without time zone": "timestamp",
        "timestamp with time zone": "timestamptz",
        "timestamptz": "timestamptz",
        "interval": "interval",
        "json": "json",
        "jsonb": "jsonb",
        "uuid": "uuid",
        "inet": "inet",
        "bit": "bit",
        "vector": "vector",
    }
    #: pg_constraint.confdeltype / confupdtype.
    fk_action_codes = {
        "a": "NO ACTION",
        "r": "RESTRICT",
        "c": "CASCADE",
        "n": "SET NULL",
        "d": "SET DEFAULT",
    }
    fast_defaults = {
        "true": "TRUE",
        "false": "FALSE",
        "now()": "now()",
        "CURRENT_TIMESTAMP": "CURRENT_TIMESTAMP",
        "CURRENT_DATE": "CURRENT_DATE",
        "gen_random_uuid()": "GEN_RANDOM_UUID()",
    }
    verbatim_functions = frozenset({"now"})
    fast_literal_casts = frozenset(
        {"text", "character varying", "character", "bpchar", "json", "jsonb", "uuid"}
    )
    has_schemas = True
    namespace_param = "schema"
    create_namespace_sql = "CREATE SCHEMA IF NOT EXISTS {name}"
    unquoted_names = "lower"
    online = OnlineFacts(
        advice={
            "FA001": "build it with CREATE INDEX CONCURRENTLY, outside a transaction "
            "(fastapp --online does)",
            "FA002": "add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction "
            "(fastapp --online does)",
            "FA003": "add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction "
            "(fastapp --online does)",
            "FA004": "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL "
            "(PostgreSQL 12+ skips the scan) and drop the check (fastapp --online does)",
            "FA005": "add the column without the default, SET DEFAULT for new rows, backfill "
            "existing rows in batches (fastapp --online does)",
            "FA006": "add a new column of the new type, backfill it in batches, switch the "
            "code over, then drop the old column",
            "FA007": "expand and contract: add the new name, write both, deploy code reading the "
            "new one, then remove the old one in a later release",
            "FA008": "first deploy code that no longer uses it, then drop it in a later release",
            "FA009": "SET lock_timeout (a few seconds) and retry on timeout, so a waiting ALTER "
            "does not queue every query behind it (fastapp --online does)",
            "FA010": "run it in a quiet window, or keep the clause (write it in the desired DDL "
            "too) until then",
        },
        volatile_functions=frozenset(
            {
                "random",
                "clock_timestamp",
                "gen_random_uuid",
                "uuid_generate_v1",
                "uuid_generate_v4",
                "timeofday",
                "nextval",
                "txid_current",
                "setseed",
            }
        ),
        in_place_type_changes=frozenset(
            {
                ("varchar", "varchar"),
                ("varchar", "text"),
                ("char", "varchar"),
                ("char", "text"),
                ("decimal", "decimal"),
                ("timestamp", "timestamptz"),
            }
        ),
        lock_timeout_sql="SET lock_timeout = '{ms}ms'",
        lock_timeout_errors=frozenset({"55P03"}),
        fixed_online=frozenset({"FA001", "FA002", "FA003", "FA004", "FA005", "FA009"}),
        summary="indexes CONCURRENTLY, constraints NOT VALID then VALIDATE, NOT NULL through a "
        "validated check, volatile defaults backfilled in batches, lock_timeout with retries",
    )
    desired_statements = (
        *COMMON_STATEMENTS,
        StatementRule(r"(SET|RESET)\b"),
        StatementRule(r"SELECT PG_CATALOG\.SET_CONFIG\("),  # pg_dump's search_path
        StatementRule(r"ALTER\b.*\bOWNER TO\b", f"{PRIVILEGES} (pg_dump --no-owner writes none)"),
        StatementRule(r"ALTER TABLE\b.*\bREPLICA IDENTITY\b", "REPLICA IDENTITY is not read"),
        StatementRule(r"ALTER TABLE\b.*\bCLUSTER ON\b", "CLUSTER ON is not read"),
        StatementRule(r"ALTER TABLE\b.*\bSET STORAGE\b", "a column's SET STORAGE is not read"),
        StatementRule(
            r"ALTER TABLE\b.*\bALTER (COLUMN )?\S+ (SET|RESET) \(",
            "a column's attribute options (n_distinct...) are not read",
        ),
        StatementRule(
            r"ALTER TABLE\b.*\b(ENABLE|DISABLE)( REPLICA| ALWAYS)? (TRIGGER|RULE)\b",
            "whether a trigger or rule is enabled is not read",
        ),
        StatementRule(r"(CREATE|ALTER) (GLOBAL |LOCAL )?((TEMP|TEMPORARY|UNLOGGED) )?TABLE\b"),
        StatementRule(r"(CREATE (UNIQUE )?|ALTER )INDEX\b"),
        StatementRule(
            r"COMMENT ON (TABLE|COLUMN|INDEX|CONSTRAINT|VIEW|MATERIALIZED VIEW|SEQUENCE"
            r"|FUNCTION|PROCEDURE|AGGREGATE|ROUTINE|DOMAIN)\b"
        ),
        StatementRule(r"CREATE TYPE \S+ AS ENUM\b"),
        StatementRule(r"ALTER TYPE \S+ (ADD|RENAME) VALUE\b"),
        StatementRule(r"CREATE (OR REPLACE )?(CONSTRAINT )?TRIGGER\b"),
        StatementRule(r"CREATE (OR REPLACE )?(POLICY|RULE)\b"),
        StatementRule(r"CREATE (OR REPLACE )?((TEMP|TEMPORARY) )?(RECURSIVE )?VIEW\b"),
        StatementRule(r"CREATE MATERIALIZED VIEW\b"),
        StatementRule(r"CREATE (OR REPLACE )?(FUNCTION|PROCEDURE|AGGREGATE)\b"),
        StatementRule(r"(CREATE|ALTER) SEQUENCE\b"),
        StatementRule(r"CREATE DOMAIN\b"),
        # Read as the types a column may use; an extension no table uses is not compared.
        StatementRule(r"CREATE EXTENSION\b"),
        # Code: what it creates is read back like any statement's effect (a DO block making
        # what no reader reads is the one way past this list).
        StatementRule(r"DO\b"),
        StatementRule(r"(INSERT|UPDATE|DELETE|COPY|TRUNCATE|MERGE)\b", DATA_STATEMENT),
        StatementRule(
            r"(GRANT|REVOKE)\b", f"{PRIVILEGES} (pg_dump --no-privileges writes none)"
        ),
    )
    clause_removals = (
        ClauseRemoval(
            "UNLOGGED",
            effect="SET LOGGED writes the whole table to the WAL under an ACCESS EXCLUSIVE lock",
            rewrites=True,
        ),
        ClauseRemoval(
            "TABLESPACE",
            effect="its files are copied to the database's default tablespace under an "
            "ACCESS EXCLUSIVE lock",
            rewrites=True,
        ),
        ClauseRemoval(
            "ENABLE ROW LEVEL SECURITY",
            "destructive",
            "its policies stop applying: every role granted the table sees and changes all rows",
        ),
        ClauseRemoval(
            "FORCE ROW LEVEL SECURITY",
            "destructive",
            "the table's owner is no longer held to its policies",
        ),
        ClauseRemoval(
            "NOT VALID",
            "data-dependent",
            "VALIDATE CONSTRAINT checks every stored row (writes go on meanwhile)",
        ),
        ClauseRemoval("INHERITS", effect="queries on the parent no longer see this table's rows"),
        ClauseRemoval(
            "COMPRESSION", effect="values stored already keep theirs; new ones use the default"
        ),
        ClauseRemoval(
            "SEQUENCE",
            effect="the column's sequence steps by 1 without cycling, from its last value",
        ),
    )
    tortoise_field_types = {
        "TimeField": ("timetz", None, None, None),
        "DatetimeField": ("timestamptz", None, None, None),
        "JSONField": ("jsonb", None, None, None),
        "UUIDField": ("uuid", None, None, None),
    }

    def namespace(self, cfg: ConnectionSettings) -> str:
        # The first schema of the connection's search_path (Tortoise's ``schema`` option).
        schema = dict(cfg.params).get("schema") or "public"
        return str(schema).split(",")[0].strip().strip('"')

    async def connect(self, cfg: ConnectionSettings) -> Any:
        import asyncpg

        options = {"timeout": 10, **self.connect_options(cfg, asyncpg.connect)}
        # As Tortoise's client does: these two are server settings of the session.
        settings = dict(options.pop("server_settings", None) or {})
        params = dict(cfg.params)
        if params.get("schema"):
            settings["search_path"] = params["schema"]
        if params.get("application_name"):
            settings["application_name"] = params["application_name"]
        return await asyncpg.connect(
            host=cfg.host,
            port=cfg.port,
            user=cfg.user,
            password=cfg.password,
            database=cfg.name,
            server_settings=settings or None,
            **options,
        )

    async def fetch_scalar_list(self, connection: Any, sql: str) -> list[Any]:
        return [row[0] for row in await connection.fetch(sql)]

    async def fetch_rows(self, connection: Any, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await connection.fetch(sql)]

    async def execute_raw(self, connection: Any, sql: str) -> None:
        await connection.execute(sql)

    def maintenance_config(self, cfg: Settings) -> Settings:
        return cfg.with_name("postgres")

    def empty_tables_sql(self, tables: list[str]) -> list[str]:
        if not tables:
            return []
        names = ", ".join(self.quote(t) for t in tables)
        return [f"TRUNCATE {names} RESTART IDENTITY CASCADE"]

    def is_permission_error(self, exc: BaseException) -> bool:
        return getattr(exc, "sqlstate", None) == "42501"  # insufficient_privilege

    def explain_connect_error(self, exc: BaseException, cfg: ConnectionSettings) -> str:
        if type(exc).__name__ == "InvalidCatalogNameError":
            return (
                f"database {cfg.name!r} does not exist on {cfg.host}:{cfg.port} "
                f"(connection {cfg.alias!r}): create it with `createdb {cfg.name}` or fix the URL"
            )
        return super().explain_connect_error(exc, cfg)


dialect = PostgresDialect()
