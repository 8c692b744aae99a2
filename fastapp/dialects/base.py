"""What every dialect says about itself: its parts, capabilities as data, plus the few methods
that data cannot express (raw connections, database creation, catalog look-ups)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, TypeVar

#: The parts every backend provides, along the data's path: key -> what it is (for messages).
#: A hub names each as ``"module:attribute"``, a class (or factory) that the layer calls with
#: its own arguments (:meth:`Dialect.part`); the layer's registry says what it passes.
PARTS: dict[str, str] = {
    "catalog_reader": "catalog reader",  # live database -> Schema (fastapp.introspect)
    "ddl_reader": "DDL reader",  # DDL text -> Schema without a server (fastapp.desired.ddl_readers)
    "scratch": "scratch space",  # DDL applied and read back (fastapp.desired.scratch)
    "ddl_writer": "DDL writer",  # Schema -> CREATE statements (fastapp.sql.ddl)
    "plan_renderer": "plan renderer",  # Plan -> statements (fastapp.sql.plan)
    "lock_session": "lock session",  # migration lock and transaction (fastapp.apply.locks)
    "bulk_writer": "bulk writer",  # rows in and out (fastapp.data.writers)
}

Settings = TypeVar("Settings", bound="ConnectionSettings")


class ConnectionSettings(Protocol):
    """What a dialect reads of one connection's settings.

    :class:`fastapp.connections.url.DatabaseConfig` is the one implementation; the dialects
    name only this shape so that the URL module may use the registry without an import cycle.
    """

    @property
    def name(self) -> str: ...
    @property
    def host(self) -> str | None: ...
    @property
    def port(self) -> int | None: ...
    @property
    def user(self) -> str | None: ...
    @property
    def password(self) -> str | None: ...
    @property
    def params(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def alias(self) -> str: ...

    def with_name(self: Settings, name: str) -> Settings: ...
    def url(self, *, masked: bool = True) -> str: ...
    def mask(self, text: str) -> str: ...


class Dialect:
    """Base class of the per-backend dialects; one instance per backend, found by the registry."""

    name: ClassVar[str]
    #: Where each of :data:`PARTS` lives, as ``"module:attribute"``; checked at registration.
    parts: ClassVar[Mapping[str, str]]
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

    def part(self, key: str) -> Any:
        """The class (or factory) of this backend's ``key`` part, one of :data:`PARTS`.

        Imports its module on first use, so a command pays only for the parts it runs.
        """
        module, _, attribute = self.parts[key].partition(":")
        return getattr(importlib.import_module(module), attribute)

    def quote(self, identifier: str) -> str:
        q = self.identifier_quote
        return f"{q}{identifier.replace(q, q + q)}{q}"

    def tortoise_connection(self, cfg: ConnectionSettings) -> dict[str, Any]:
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

    async def connect(self, cfg: ConnectionSettings) -> Any:
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

    def maintenance_config(self, cfg: Settings) -> Settings:
        """Where to connect to create or drop ``cfg``'s database."""
        raise NotImplementedError

    async def create_database(self, cfg: ConnectionSettings) -> None:
        """Create ``cfg.name`` on its server (an empty database)."""
        conn = await self.connect(self.maintenance_config(cfg))
        try:
            await self.execute_raw(conn, f"CREATE DATABASE {self.quote(cfg.name)}")
        finally:
            await self.close(conn)

    async def drop_database(self, cfg: ConnectionSettings) -> None:
        """Drop ``cfg.name`` if it exists."""
        conn = await self.connect(self.maintenance_config(cfg))
        try:
            await self.execute_raw(conn, f"DROP DATABASE IF EXISTS {self.quote(cfg.name)}")
        finally:
            await self.close(conn)

    def is_permission_error(self, exc: BaseException) -> bool:
        """``exc`` says the user lacks a right (not a bad statement, not a lost server)."""
        return False

    def explain_connect_error(self, exc: BaseException, cfg: ConnectionSettings) -> str:
        """One line saying why ``cfg`` could not be used and what to do about it."""
        detail = cfg.mask(
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        return (
            f"cannot connect to database {cfg.alias!r} at {cfg.url()}: {detail} "
            f"(is the server running? check DATABASES[{cfg.alias!r}] or DATABASE_URL)"
        )
