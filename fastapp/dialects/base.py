"""What every dialect says about itself: its parts, capabilities as data, plus the few methods
that data cannot express (raw connections, database creation, catalog look-ups)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
    def port(self) -> int | str | None: ...
    @property
    def user(self) -> str | None: ...
    @property
    def password(self) -> str | None: ...
    @property
    def params(self) -> tuple[tuple[str, Any], ...]: ...
    @property
    def alias(self) -> str: ...
    @property
    def engine(self) -> str | None: ...

    def with_name(self: Settings, name: str) -> Settings: ...
    def url(self, *, masked: bool = True) -> str: ...
    def mask(self, text: str) -> str: ...


#: Connect arguments every dialect sets itself from the configuration's fields.
_SET_BY_DIALECT = frozenset({"host", "port", "user", "password", "database", "db", "autocommit"})


@dataclass(frozen=True)
class OnlineFacts:
    """What a backend does to live traffic while its schema changes, as data: read by the
    lint (:mod:`fastapp.lint`) and by the ``--online`` rendering (:mod:`fastapp.sql.plan`).

    ``advice`` maps a lint rule id to the safe alternative on this backend; a rule missing
    from it is not a hazard here (the change does not block writers, or cannot be helped).
    """

    advice: Mapping[str, str] = field(default_factory=dict)
    #: Functions whose value differs per row: a default calling one fills every row at once.
    volatile_functions: frozenset[str] = frozenset()
    #: (old type, new type) pairs changed in place without rewriting the table, as long as the
    #: length/precision does not shrink.
    in_place_type_changes: frozenset[tuple[str, str]] = frozenset()
    #: Widest ``varchar`` length kept in the same storage class (MySQL: one length byte up to
    #: 255 bytes); crossing it rewrites the table. ``None``: no such limit.
    in_place_varchar_limit: int | None = None
    #: Session statement making a DDL statement give up waiting for a table lock;
    #: ``{ms}`` and ``{s}`` stand for the timeout. ``None``: the backend has no such setting.
    lock_timeout_sql: str | None = None
    #: Error codes (SQLSTATE or driver number, as text) meaning "gave up waiting for a lock".
    lock_timeout_errors: frozenset[str] = frozenset()
    #: Appended to an ALTER TABLE that the server can do without blocking writes (MySQL).
    online_alter_clause: str = ""
    #: Rules whose hazard ``--online`` rewrites away on this backend (the lint run with
    #: ``--online`` no longer reports them).
    fixed_online: frozenset[str] = frozenset()
    #: What ``--online`` means on this backend, for messages and docs.
    summary: str = ""


@dataclass(frozen=True)
class ClauseRemoval:
    """What removing a live clause the Schema cannot carry (an ``Unmodelled`` value the
    desired side lacks) costs on this backend; its plan renderer says how it is done.

    ``clause``: the first words of the clause as the catalog reader reports it (``UNLOGGED``,
    ``TABLESPACE``). ``safety``: ``safe``, ``data-dependent`` (the server checks the stored
    rows, which may fail) or ``destructive`` (needs ``--allow-destructive``). ``effect``: said
    in the plan next to the op. ``rewrites``: the table is copied under a lock that blocks
    reads and writes (the lint's FA010).
    """

    clause: str
    safety: str = "safe"
    effect: str = ""
    rewrites: bool = False


@dataclass(frozen=True)
class StatementRule:
    """How a desired DDL file's statement is taken, by the head of its text (upper case,
    comments out, blanks collapsed; ``pattern`` is a regular expression matched at its start):
    ``refusal`` empty, it is read back by the catalog reader or leaves nothing behind (a session
    setting); else the statement is refused, and ``refusal`` says what it is and what to do.
    """

    pattern: str
    refusal: str = ""


#: Refusals the three backends share.
DATA_STATEMENT = "rows of data are not part of a desired schema: load them with loaddata"
PRIVILEGES = "privileges and owners are not compared"
#: What every backend accepts and leaves nothing behind: transaction control; and what the
#: end state already says (a file's own DROP before its CREATE, as dump tools write).
COMMON_STATEMENTS = (
    StatementRule(r"(BEGIN|START TRANSACTION|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b"),
    StatementRule(r"DROP\b"),
)


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
    #: How an unquoted name is stored: ``"lower"`` (PostgreSQL folds it), ``"any"`` (compared
    #: without regard to case, SQLite) or ``"exact"`` (MySQL database names on Linux).
    unquoted_names: ClassVar[str] = "exact"
    #: The longest identifier the server keeps, as ``(size, "bytes" | "characters")``
    #: (None: no limit); generated names are cut to it (:mod:`fastapp.sql.naming`).
    identifier_limit: ClassVar[tuple[int, str] | None] = None
    #: A backslash escapes a quote inside every '...' string (MySQL's default sql_mode).
    string_backslash_escapes: ClassVar[bool] = False
    #: E'...' strings take backslash escapes (PostgreSQL).
    escape_string_prefix: ClassVar[bool] = False
    #: $tag$ ... $tag$ bodies (PostgreSQL functions and DO blocks).
    dollar_quoted_strings: ClassVar[bool] = False
    #: CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT bodies are BEGIN ... END blocks of statements
    #: ended by semicolons of their own (MySQL, SQLite triggers).
    compound_bodies: ClassVar[bool] = False
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

    # -- unique among live rows (fastapp.models.LiveUnique) --------------------------------
    #: A unique index with a WHERE clause, as its own statement (``{exists}`` is
    #: ``IF NOT EXISTS `` or empty; identifiers come quoted). None: no partial indexes here.
    live_unique_statement: ClassVar[str | None] = (
        "CREATE UNIQUE INDEX {exists}{name} ON {table} ({columns}) WHERE {deleted} IS NULL"
    )
    #: Without partial indexes: a generated column that is NULL for deleted rows, and the
    #: unique key over (columns, that column), both written inside CREATE TABLE; NULLs never
    #: collide in a unique key, so deleted rows drop out of it.
    live_unique_column: ClassVar[str | None] = None
    live_unique_key: ClassVar[str | None] = None
    #: Adding both to an existing table (``{column}``, ``{key}``: the two above, rendered).
    live_unique_alter: ClassVar[tuple[str, ...]] = ()
    #: Dropping that column when the table's last such key is dropped.
    live_unique_drop: ClassVar[tuple[str, ...]] = ()
    #: The name of that generated column.
    live_unique_column_name: ClassVar[str] = "live_row"

    #: The environment variable naming the admin URL of the server the test suite and the
    #: benchmarks use, and the URL used when it is unset (``fastapp.testing``).
    test_server_env: ClassVar[str | None] = None
    test_server_url: ClassVar[str] = ""

    # -- facts the normalization rules read (fastapp.schema.normalize) ---------------------
    #: Type names as the catalog reports them (lowercase words joined by one space) ->
    #: canonical type of :data:`~fastapp.schema.objects.CANONICAL_TYPES`.
    type_aliases: ClassVar[Mapping[str, str]] = {}
    #: (canonical integer type, display width) that the backend uses to store a boolean.
    boolean_spellings: ClassVar[frozenset[tuple[str, int]]] = frozenset()
    #: The catalog's codes for foreign-key actions -> the action's words.
    fk_action_codes: ClassVar[Mapping[str, str]] = {}
    #: Foreign-key actions the backend treats as another one -> that one.
    fk_action_equivalents: ClassVar[Mapping[str, str]] = {}
    #: Stored default spellings common enough to skip the parser -> exactly what the parser
    #: path gives (tests/unit/test_normalize.py checks that both agree).
    fast_defaults: ClassVar[Mapping[str, str]] = {}
    #: ``'literal'::type`` casts whose type takes a string literal as it is.
    fast_literal_casts: ClassVar[frozenset[str]] = frozenset()
    #: Functions the server stores as written though sqlglot reads them as another spelling
    #: (PostgreSQL keeps ``now()`` apart from ``CURRENT_TIMESTAMP``): kept as written.
    verbatim_functions: ClassVar[frozenset[str]] = frozenset()
    #: Function names of a one-column check that only says the column holds JSON.
    json_check_functions: ClassVar[frozenset[str]] = frozenset(
        {"json_valid", "jsonvalid", "is_json"}
    )

    # -- facts the model generator reads (fastapp.reverse) --------------------------------
    #: The backend indexes a foreign-key column by itself when no index covers it.
    indexes_foreign_keys: ClassVar[bool] = False
    #: An expression default must be written in parentheses (``DEFAULT (1 + 2)``).
    parenthesized_expression_defaults: ClassVar[bool] = False
    #: One database holds several schemas, so a model's ``Meta.schema`` means something.
    has_schemas: ClassVar[bool] = False
    #: The URL option naming the schema a connection works in (its ``search_path``), so one
    #: database can hold many fan-out targets; ``None`` where the database is the namespace.
    namespace_param: ClassVar[str | None] = None
    #: Creates a target's schema when a writing command reaches it first (``{name}`` quoted).
    create_namespace_sql: ClassVar[str | None] = None
    #: Tortoise field class -> (type, length, precision, scale) it creates here, where that
    #: differs from the shapes shared by every backend (``"*"``: from the field's arguments).
    tortoise_field_types: ClassVar[Mapping[str, tuple]] = {}
    #: (type, length) columns that are how a Tortoise field stores values this backend has no
    #: native type for -> (field class, the comment saying so).
    tortoise_storage_fields: ClassVar[Mapping[tuple[str, int | None], tuple[str, str]]] = {}

    # -- online schema changes (fastapp.lint, --online) -------------------------------------
    online: ClassVar[OnlineFacts] = OnlineFacts()
    #: What removing each live clause the Schema cannot carry costs here (first match wins);
    #: a clause missing from it is removed safely, or refused by the plan renderer.
    clause_removals: ClassVar[tuple[ClauseRemoval, ...]] = ()

    # -- desired DDL files (fastapp.desired.statements) ------------------------------------
    #: The statements a desired file may hold, first match wins; a statement none matches is
    #: refused as something no catalog reader reads back.
    desired_statements: ClassVar[tuple[StatementRule, ...]] = ()
    #: ``/*!NNNNN ... */`` is a statement to this server, not a comment (MySQL/MariaDB).
    versioned_comments: ClassVar[bool] = False

    def clause_removal(self, clause: str) -> ClauseRemoval:
        """The :class:`ClauseRemoval` fact for ``clause`` (a safe one when none matches)."""
        for fact in self.clause_removals:
            if clause.startswith(fact.clause):
                return fact
        return ClauseRemoval(clause)

    def is_lock_timeout(self, exc: BaseException) -> bool:
        """``exc`` says a statement gave up waiting for a lock (:attr:`OnlineFacts.lock_timeout_errors`)."""
        codes = self.online.lock_timeout_errors
        code = getattr(exc, "sqlstate", None) or (exc.args[0] if exc.args else None)
        return str(code) in codes

    def part(self, key: str) -> Any:
        """The class (or factory) of this backend's ``key`` part, one of :data:`PARTS`.

        Imports its module on first use, so a command pays only for the parts it runs.
        """
        module, _, attribute = self.parts[key].partition(":")
        return getattr(importlib.import_module(module), attribute)

    def is_json_check(self, expression: str, column: str) -> bool:
        """``expression`` (a check as this backend prints it) only says that ``column`` holds
        JSON, like MariaDB's implicit ``json_valid(col)`` on a JSON column."""
        lowered = expression.lower()
        if not any(name in lowered for name in self.json_check_functions):
            return False  # most checks: no parse needed
        try:
            import sqlglot
            from sqlglot import exp

            node = sqlglot.parse_one(expression, read=self.sqlglot_name)
        except Exception:
            return False
        while isinstance(node, exp.Paren):
            node = node.this
        name = node.name if isinstance(node, exp.Anonymous) else node.key
        args = node.expressions if isinstance(node, exp.Anonymous) else [node.this]
        return (
            str(name).lower() in self.json_check_functions
            and len(args) == 1
            and isinstance(args[0], exp.Column)
            and args[0].name == column
        )

    def namespace(self, cfg: ConnectionSettings) -> str:
        """The schema (or database) the connection's tables live in: a desired DDL file may
        qualify its tables with it, and with nothing else."""
        return cfg.name

    def quote(self, identifier: str) -> str:
        q = self.identifier_quote
        return f"{q}{identifier.replace(q, q + q)}{q}"

    def tortoise_connection(self, cfg: ConnectionSettings) -> dict[str, Any]:
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

    def connect_options(self, cfg: ConnectionSettings, driver_connect: Callable[..., Any]) -> dict:
        """The options of ``cfg`` that ``driver_connect`` takes (the pool-only ones of Tortoise,
        such as ``max_size``, have no meaning on one raw connection)."""
        import inspect

        accepted = inspect.signature(driver_connect).parameters
        return {k: v for k, v in cfg.params if k in accepted and k not in _SET_BY_DIALECT}

    async def connect(self, cfg: ConnectionSettings) -> Any:
        """Open a raw driver connection (used for admin work, scratch spaces, benchmarks)."""
        raise NotImplementedError

    async def close(self, connection: Any) -> None:
        await connection.close()

    async def fetch_scalar_list(self, connection: Any, sql: str) -> list[Any]:
        """Run ``sql`` on a raw connection and return the first column of every row."""
        raise NotImplementedError

    async def fetch_rows(self, connection: Any, sql: str) -> list[tuple[Any, ...]]:
        """Run ``sql`` on a raw connection and return every row as a tuple."""
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

    def explain_connect_error(self, exc: BaseException, cfg: ConnectionSettings) -> str:
        """One line saying why ``cfg`` could not be used and what to do about it."""
        detail = cfg.mask(
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        return (
            f"cannot connect to database {cfg.alias!r} at {cfg.url()}: {detail} "
            f"(is the server running? check DATABASES[{cfg.alias!r}] or DATABASE_URL)"
        )
