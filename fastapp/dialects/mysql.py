"""MySQL and MariaDB through asyncmy."""

from __future__ import annotations

from typing import Any

from fastapp.connections.url import DatabaseConfig
from fastapp.dialects.base import Dialect

_UNKNOWN_DATABASE = 1049
#: ER_DBACCESS_DENIED_ERROR, ER_TABLEACCESS_DENIED_ERROR, ER_SPECIFIC_ACCESS_DENIED_ERROR.
_ACCESS_DENIED = frozenset({1044, 1142, 1227})


class MySQLDialect(Dialect):
    name = "mysql"
    url_schemes = ("mysql", "mariadb", "asyncmy")
    engine_aliases = ("mysql", "mariadb", "asyncmy")
    tortoise_engine = "tortoise.backends.mysql"
    sqlglot_name = "mysql"
    default_port = 3306
    supports_transactional_ddl = False
    identifier_quote = "`"
    string_backslash_escapes = True
    # asyncmy.create_pool: pool_recycle counts whole seconds since the connection's last use.
    pool_keys = {
        "max_size": ("maxsize", 1),
        "min_size": ("minsize", 1),
        "recycle": ("pool_recycle", 1),
        "timeout": ("connect_timeout", 1),
    }
    checks_liveness_on_acquire = True  # asyncmy's pool skips connections at EOF on acquire
    list_tables_sql = (
        "SELECT table_name AS name FROM information_schema.tables "
        "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1"
    )

    def tortoise_connection(self, cfg: DatabaseConfig) -> dict[str, Any]:
        conn = super().tortoise_connection(cfg)
        conn["credentials"].setdefault("charset", "utf8mb4")
        return conn

    async def connect(self, cfg: DatabaseConfig) -> Any:
        import asyncmy

        params = dict(cfg.params)
        return await asyncmy.connect(
            host=cfg.host,
            port=cfg.port,
            user=cfg.user or "root",
            password=cfg.password or "",
            db=cfg.name or None,
            autocommit=True,
            charset=params.pop("charset", "utf8mb4"),
            connect_timeout=10,
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

    async def execute_raw(self, connection: Any, sql: str) -> None:
        async with connection.cursor() as cur:
            await cur.execute(sql)

    def maintenance_config(self, cfg: DatabaseConfig) -> DatabaseConfig:
        return cfg.with_name("")

    async def create_database(self, cfg: DatabaseConfig) -> None:
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

    def explain_connect_error(self, exc: BaseException, cfg: DatabaseConfig) -> str:
        if getattr(exc, "args", None) and exc.args[0] == _UNKNOWN_DATABASE:
            return (
                f"database {cfg.name!r} does not exist on {cfg.host}:{cfg.port} "
                f"(connection {cfg.alias!r}): create it with "
                f"`CREATE DATABASE {self.quote(cfg.name)}` or fix the URL"
            )
        return super().explain_connect_error(exc, cfg)


dialect = MySQLDialect()
