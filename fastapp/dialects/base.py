"""What every dialect says about itself: capabilities as data, plus the few methods that
data cannot express (raw connections, database creation, catalog look-ups)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from fastapp.connections.url import DatabaseConfig

#: Connect arguments every dialect sets itself from the configuration's fields.
_SET_BY_DIALECT = frozenset({"host", "port", "user", "password", "database", "db", "autocommit"})


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
    #: How Tortoise reads this backend's URLs (``expand_db_url``): options added to every URL,
    #: option types, the credentials key of the path, whether the path starts at the host part
    #: (SQLite), whether a missing password is ``None`` (else ``""``), and schemes that select
    #: another Tortoise backend of the same database.
    url_defaults: ClassVar[Mapping[str, Any]] = {}
    url_casts: ClassVar[Mapping[str, Callable[[str], Any]]] = {}
    url_path_key: ClassVar[str] = "database"
    url_path_in_netloc: ClassVar[bool] = False
    url_empty_password_is_none: ClassVar[bool] = False
    url_engines: ClassVar[Mapping[str, str]] = {}
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

    def quote(self, identifier: str) -> str:
        q = self.identifier_quote
        return f"{q}{identifier.replace(q, q + q)}{q}"

    def tortoise_connection(self, cfg: DatabaseConfig) -> dict[str, Any]:
        """The Tortoise ``connections`` entry for this configuration (for a parsed URL: what
        Tortoise's ``expand_db_url`` makes of it)."""
        password = cfg.password
        if password is None and not self.url_empty_password_is_none:
            password = ""
        credentials: dict[str, Any] = {
            "host": cfg.host,
            "port": cfg.port,
            "user": cfg.user,
            "password": password,
            self.url_path_key: cfg.name,
        }
        credentials.update(dict(cfg.params))
        return {"engine": cfg.engine or self.tortoise_engine, "credentials": credentials}

    def connect_options(self, cfg: DatabaseConfig, driver_connect: Callable[..., Any]) -> dict:
        """The options of ``cfg`` that ``driver_connect`` takes (the pool-only ones of Tortoise,
        such as ``max_size``, have no meaning on one raw connection)."""
        import inspect

        accepted = inspect.signature(driver_connect).parameters
        return {k: v for k, v in cfg.params if k in accepted and k not in _SET_BY_DIALECT}

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
