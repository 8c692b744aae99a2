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
    supports_transactional_ddl = False
    identifier_quote = "`"
    string_backslash_escapes = True
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
