"""PostgreSQL through asyncpg."""

from __future__ import annotations

from typing import Any

from fastapp.connections.url import DatabaseConfig
from fastapp.dialects.base import Dialect


class PostgresDialect(Dialect):
    name = "postgres"
    url_schemes = ("postgres", "postgresql", "asyncpg", "psql")
    engine_aliases = ("postgres", "postgresql", "asyncpg", "psycopg", "postgresql_psycopg2")
    tortoise_engine = "tortoise.backends.asyncpg"
    sqlglot_name = "postgres"
    default_port = 5432
    supports_transactional_ddl = True
    escape_string_prefix = True
    dollar_quoted_strings = True
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

    async def connect(self, cfg: DatabaseConfig) -> Any:
        import asyncpg

        return await asyncpg.connect(
            host=cfg.host,
            port=cfg.port,
            user=cfg.user,
            password=cfg.password,
            database=cfg.name,
            timeout=10,
            **dict(cfg.params),
        )

    async def fetch_scalar_list(self, connection: Any, sql: str) -> list[Any]:
        return [row[0] for row in await connection.fetch(sql)]

    async def execute_raw(self, connection: Any, sql: str) -> None:
        await connection.execute(sql)

    def maintenance_config(self, cfg: DatabaseConfig) -> DatabaseConfig:
        return cfg.with_name("postgres")

    def empty_tables_sql(self, tables: list[str]) -> list[str]:
        if not tables:
            return []
        names = ", ".join(self.quote(t) for t in tables)
        return [f"TRUNCATE {names} RESTART IDENTITY CASCADE"]

    def is_permission_error(self, exc: BaseException) -> bool:
        return getattr(exc, "sqlstate", None) == "42501"  # insufficient_privilege

    def explain_connect_error(self, exc: BaseException, cfg: DatabaseConfig) -> str:
        if type(exc).__name__ == "InvalidCatalogNameError":
            return (
                f"database {cfg.name!r} does not exist on {cfg.host}:{cfg.port} "
                f"(connection {cfg.alias!r}): create it with `createdb {cfg.name}` or fix the URL"
            )
        return super().explain_connect_error(exc, cfg)


dialect = PostgresDialect()
