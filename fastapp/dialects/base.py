"""What every dialect says about itself: capabilities as data, plus the few methods that
data cannot express (raw connections, database creation, catalog look-ups)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from fastapp.connections.url import DatabaseConfig


class Dialect:
    """Base class of the per-backend dialects; one instance per backend, found by the registry."""

    name: ClassVar[str]
    #: URL schemes, the first one is the canonical one used when printing URLs.
    url_schemes: ClassVar[tuple[str, ...]]
    #: Accepted values of a DATABASES entry's ENGINE (last dotted component, lowercase).
    engine_aliases: ClassVar[tuple[str, ...]]
    tortoise_engine: ClassVar[str]
    sqlglot_name: ClassVar[str]
    default_port: ClassVar[int | None] = None
    needs_server: ClassVar[bool] = True
    #: DDL can be rolled back with the rest of a transaction.
    supports_transactional_ddl: ClassVar[bool] = False
    #: Catalog query returning one column ``name``: the tables of the connected database.
    list_tables_sql: ClassVar[str]
    identifier_quote: ClassVar[str] = '"'
    #: A backslash escapes a quote inside every '...' string (MySQL's default sql_mode).
    string_backslash_escapes: ClassVar[bool] = False
    #: E'...' strings take backslash escapes (PostgreSQL).
    escape_string_prefix: ClassVar[bool] = False
    #: $tag$ ... $tag$ bodies (PostgreSQL functions and DO blocks).
    dollar_quoted_strings: ClassVar[bool] = False
    #: Pool knob of fastapp.connections.pools (max_size, min_size, recycle, timeout) -> the
    #: Tortoise credentials key that says it and the factor from seconds; a knob missing here
    #: has no equivalent on this backend (a warning says so, with the reason below).
    pool_keys: ClassVar[Mapping[str, tuple[str, float]]] = {}
    pool_unsupported_reason: ClassVar[str] = "the driver has no such setting"
    #: The driver drops a pooled connection the server closed (killed, timed out) when it is
    #: taken from the pool, and opens a new one: DB_POOL_PRE_PING's behaviour, always on.
    checks_liveness_on_acquire: ClassVar[bool] = False
    #: The pool's recycle never closes the connections of its minimum size.
    recycle_spares_minimum: ClassVar[bool] = False

    def quote(self, identifier: str) -> str:
        q = self.identifier_quote
        return f"{q}{identifier.replace(q, q + q)}{q}"

    def tortoise_connection(self, cfg: DatabaseConfig) -> dict[str, Any]:
        """The Tortoise ``connections`` entry for this configuration."""
        credentials: dict[str, Any] = {
            "host": cfg.host,
            "port": cfg.port,
            "user": cfg.user,
            "password": cfg.password or "",
            "database": cfg.name,
        }
        credentials.update(dict(cfg.params))
        return {"engine": self.tortoise_engine, "credentials": credentials}

    async def connect(self, cfg: DatabaseConfig) -> Any:
        """Open a raw driver connection (used for admin work, scratch spaces, benchmarks)."""
        raise NotImplementedError

    async def close(self, connection: Any) -> None:
        await connection.close()

    async def fetch_scalar_list(self, connection: Any, sql: str) -> list[Any]:
        """Run ``sql`` on a raw connection and return the first column of every row."""
        raise NotImplementedError

    async def execute_raw(self, connection: Any, sql: str) -> None:
        """Run one statement on a raw connection, autocommitted."""
        raise NotImplementedError

    def maintenance_config(self, cfg: DatabaseConfig) -> DatabaseConfig:
        """Where to connect to create or drop ``cfg``'s database."""
        raise NotImplementedError

    async def create_database(self, cfg: DatabaseConfig) -> None:
        """Create ``cfg.name`` on its server (an empty database)."""
        conn = await self.connect(self.maintenance_config(cfg))
        try:
            await self.execute_raw(conn, f"CREATE DATABASE {self.quote(cfg.name)}")
        finally:
            await self.close(conn)

    async def drop_database(self, cfg: DatabaseConfig) -> None:
        """Drop ``cfg.name`` if it exists."""
        conn = await self.connect(self.maintenance_config(cfg))
        try:
            await self.execute_raw(conn, f"DROP DATABASE IF EXISTS {self.quote(cfg.name)}")
        finally:
            await self.close(conn)

    def empty_tables_sql(self, tables: list[str]) -> list[str]:
        """Statements removing every row of ``tables`` (foreign keys among them allowed) and
        restarting their id counters; run in order on one connection (the pytest plugin's
        truncation between tests)."""
        raise NotImplementedError

    async def empty_tables(self, client: Any, tables: list[str]) -> None:
        """Empty ``tables`` through a connected Tortoise ``client`` (see :meth:`empty_tables_sql`)."""
        for statement in self.empty_tables_sql(tables):
            await client.execute_script(statement)

    def is_permission_error(self, exc: BaseException) -> bool:
        """``exc`` says the user lacks a right (not a bad statement, not a lost server)."""
        return False

    def explain_connect_error(self, exc: BaseException, cfg: DatabaseConfig) -> str:
        """One line saying why ``cfg`` could not be used and what to do about it."""
        detail = cfg.mask(
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        return (
            f"cannot connect to database {cfg.alias!r} at {cfg.url()}: {detail} "
            f"(is the server running? check DATABASES[{cfg.alias!r}] or DATABASE_URL)"
        )
