"""Database connection settings: parse URLs and DATABASES dicts, mask secrets.

A URL means exactly what Tortoise ORM means by it
(``tortoise.backends.base.config_generator.expand_db_url``), so the application and fastapp
always open the same database::

    postgres://user:password@host:5432/dbname?ssl=true   (also postgresql://, asyncpg://, psycopg://)
    mysql://user:password@host:3306/dbname
    sqlite://relative/path.db     (relative to the current directory)
    sqlite:///absolute/path.db    sqlite://:memory:

What each dialect adds to a URL (default port and options, option types, where the SQLite path
sits) is data on the dialect (``url_*`` attributes); the reading itself is written once, here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlencode, urlparse

from fastapp.errors import DatabaseURLError

if TYPE_CHECKING:
    from fastapp.dialects.base import Dialect

MASK = "***"
#: Shorter secrets are masked only inside URLs: replacing "pw" everywhere would garble text.
MIN_SECRET = 4
#: Keys of Tortoise's credentials that are fields of :class:`DatabaseConfig`, not options.
_SERVER_KEYS = ("host", "port", "user", "password")


@dataclass(frozen=True)
class DatabaseConfig:
    """One connection: which backend, where, and as whom. Never prints its password.

    ``params`` are the remaining Tortoise credentials (driver and pool options), values already
    typed as Tortoise types them; ``engine`` is the Tortoise backend when it is not the dialect's
    usual one (``psycopg://`` URLs).
    """

    dialect_name: str
    name: str
    host: str | None = None
    port: int | str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    params: tuple[tuple[str, Any], ...] = ()
    alias: str = "default"
    engine: str | None = None

    @property
    def dialect(self) -> Dialect:
        from fastapp.dialects import get_dialect

        return get_dialect(self.dialect_name)

    def with_name(self, name: str) -> DatabaseConfig:
        """The same server with another database name (or SQLite path)."""
        return replace(self, name=name)

    @property
    def namespace(self) -> str | None:
        """The schema this connection works in (PostgreSQL ``?schema=``), ``None`` for the
        backend's default."""
        key = self.dialect.namespace_param
        value = dict(self.params).get(key) if key else None
        return str(value) if value else None

    def with_namespace(self, namespace: str) -> DatabaseConfig:
        """The same database, working in schema ``namespace``; raises
        :class:`DatabaseURLError` where the backend has no schemas."""
        key = self.dialect.namespace_param
        if key is None:
            raise DatabaseURLError(
                f"{self.url()} is a {self.dialect_name} database, which has no schemas: "
                "declare its targets as URLs or a URL template instead"
            )
        params = dict(self.params)
        params[key] = namespace
        return replace(self, params=tuple(sorted(params.items())))

    def url(self, *, masked: bool = True) -> str:
        """The URL of this connection, in Tortoise's reading; ``***`` for the password unless
        ``masked=False``. Tortoise's own defaults (options it adds to every URL) are left out."""
        dialect = self.dialect
        by_engine = {engine: scheme for scheme, engine in dialect.url_engines.items()}
        scheme = by_engine.get(self.engine, dialect.url_schemes[0])
        params = [(k, v) for k, v in self.params if dialect.url_defaults.get(k, _NOTHING) != v]
        query = f"?{urlencode(params)}" if params else ""
        if dialect.url_path_in_netloc:
            return f"{scheme}://{self.name}{query}"
        auth = ""
        if masked and (self.user or self.password):
            auth = MASK + "@"
        elif self.user:
            auth = self.user
            if self.password:
                auth += ":" + _quote_password(self.password)
            auth += "@"
        host = self.host or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{self.port}" if self.port else ""
        return f"{scheme}://{auth}{host}{port}/{self.name}{query}"

    def mask(self, text: str) -> str:
        """Remove this connection's password from any text (error messages, logs)."""
        return mask_secrets(text, [self.password] if self.password else ())

    def __str__(self) -> str:
        return self.url()


_NOTHING = object()


def _quote_password(password: str) -> str:
    # Tortoise percent-decodes the password only, and reads it up to the last '@' of the
    # network location: '/', '?', '#', '%' and '@' must be encoded to survive the round trip.
    return "".join(f"%{ord(c):02X}" if c in "%/?#@[]" else c for c in password)


def parse_database_url(url: str, alias: str = "default") -> DatabaseConfig:
    """Parse a database URL exactly as Tortoise's ``expand_db_url`` does.

    Takes the URL and the connection name it is known by; returns a :class:`DatabaseConfig`
    whose Tortoise connection (``dialect.tortoise_connection``) equals ``expand_db_url(url)``.
    Raises :class:`DatabaseURLError` (the URL masked) where Tortoise fails, and also for a
    server URL without a database name (the driver would pick one).
    """
    from fastapp.dialects import dialect_for_scheme

    shown = mask_url(url)
    if "://" not in url:
        raise DatabaseURLError(
            f"database URL {shown!r} has no scheme: write e.g. "
            "postgres://user@host/db, mysql://user@host/db or sqlite://file.db"
        )
    unreadable = DatabaseURLError(
        f"database URL {shown!r} cannot be read: check the host and port, and "
        "percent-encode '/', '?', '#', '[' and ']' in the user name and password"
    )
    try:
        parts = urlparse(_quote_userinfo_brackets(url))
    except ValueError:
        # The parser's own message may quote part of the password: never show it.
        raise unreadable from None
    if not parts.scheme:
        raise DatabaseURLError(
            f"database URL {shown!r} has no valid scheme before '://': write e.g. postgres://"
        )
    dialect = dialect_for_scheme(parts.scheme)
    after_host = parts.path if parts.path[1:] else parts.path + parts.query + parts.fragment
    if dialect.needs_server and "@" in after_host:
        # Tortoise would read "u:pa/ss@h/db" as host "u", port "pa", database "ss@h/db": a
        # password with '/', '?' or '#' split the URL early. Refuse rather than guess.
        raise DatabaseURLError(
            f"database URL {shown!r} has an '@' after its host: percent-encode '/', '?' and "
            "'#' in the user name and password (e.g. '/' as %2F)"
        )
    try:
        # Only server URLs have a port (a SQLite path such as ":memory:" is not one).
        port = None if dialect.url_path_in_netloc else parts.port
    except ValueError:
        raise unreadable from None
    if dialect.url_path_in_netloc:
        path: str | None = parts.netloc + parts.path
        if not path:
            raise DatabaseURLError(
                f"database URL {shown!r} names no file: write sqlite://relative/file.db, "
                "sqlite:///absolute/file.db or sqlite://:memory:"
            )
    else:
        path = parts.path[1:] or None
    credentials: dict[str, Any] = dict(dialect.url_defaults)
    for key, values in parse_qs(parts.query).items():
        cast = dialect.url_casts.get(key, str)
        try:
            credentials[key] = cast(values[-1])
        except ValueError:
            raise DatabaseURLError(
                f"database URL {shown!r}: option {key}={values[-1]!r} must be "
                f"{'a whole number' if cast is int else 'a number'}"
            ) from None
    credentials[dialect.url_path_key] = path
    if not dialect.url_path_in_netloc:
        if parts.hostname:
            credentials["host"] = parts.hostname
        else:
            credentials.setdefault("host", None)  # a host in the query (a socket folder) stays
        if port:
            credentials["port"] = port
        if parts.username or "user" not in credentials:
            credentials["user"] = parts.username or None
        if parts.password or "password" not in credentials:
            credentials["password"] = (
                None
                if not parts.password and dialect.url_empty_password_is_none
                else unquote(parts.password or "")
            )
    if path is None:
        raise DatabaseURLError(
            f"database URL {shown!r} names no database: add it as the path, e.g. .../mydb"
        )
    return config_from_credentials(
        dialect.name, credentials, alias, engine=dialect.url_engines.get(parts.scheme)
    )


def _quote_userinfo_brackets(url: str) -> str:
    # As Tortoise does before parsing: '[' and ']' in the part before the first '@' would be
    # read as an IPv6 host.
    scheme, sep, rest = url.partition("://")
    userinfo, at, tail = rest.partition("@")
    if not at:
        return url
    return scheme + sep + userinfo.replace("[", "%5B").replace("]", "%5D") + at + tail


def config_from_credentials(
    dialect_name: str, credentials: Mapping[str, Any], alias: str, engine: str | None = None
) -> DatabaseConfig:
    """A :class:`DatabaseConfig` from a Tortoise ``credentials`` dict (what ``expand_db_url``
    returns, or a TORTOISE_ORM ``{"engine", "credentials"}`` entry). Raises
    :class:`DatabaseURLError` when it names no database."""
    from fastapp.dialects import get_dialect

    dialect = get_dialect(dialect_name)
    values = dict(credentials)
    name = values.pop(dialect.url_path_key, None)
    if name is None or name == "":
        raise DatabaseURLError(
            f"connection {alias!r} names no database: set {dialect.url_path_key!r}"
        )
    # A file database has no server: a "host" option is just an option there.
    server = dict.fromkeys(_SERVER_KEYS)
    if dialect.needs_server:
        server = {key: values.pop(key, None) for key in _SERVER_KEYS}
    return DatabaseConfig(
        dialect_name=dialect.name,
        name=str(name),
        params=tuple(sorted(values.items())),
        alias=alias,
        engine=engine if engine and engine != dialect.tortoise_engine else None,
        **server,
    )


def database_from_dict(entry: dict[str, Any], alias: str) -> DatabaseConfig:
    """Build a :class:`DatabaseConfig` from a DATABASES dict: Django style (ENGINE, NAME,
    HOST, ...), ``{"URL": ...}``, or Tortoise style (``engine`` and ``credentials``)."""
    from fastapp.dialects import dialect_for_engine

    if "credentials" in entry or "engine" in entry:
        return database_from_tortoise(entry, alias)
    keys = {str(k).upper(): v for k, v in entry.items()}
    if "URL" in keys:
        return parse_database_url(str(keys["URL"]), alias)
    if "ENGINE" not in keys or "NAME" not in keys:
        raise DatabaseURLError(f"DATABASES[{alias!r}] needs ENGINE and NAME (or a URL string)")
    dialect = dialect_for_engine(str(keys["ENGINE"]))
    port = _entry_port(keys.get("PORT") or dialect.default_port, alias)
    options = keys.get("OPTIONS") or {}
    if not isinstance(options, Mapping):
        raise DatabaseURLError(
            f"DATABASES[{alias!r}]['OPTIONS'] must be a dict of option -> value, "
            f"not {type(options).__name__}"
        )
    return DatabaseConfig(
        dialect_name=dialect.name,
        name=str(keys["NAME"]),
        host=(keys.get("HOST") or ("127.0.0.1" if dialect.needs_server else None)),
        port=port if dialect.needs_server else None,
        user=keys.get("USER") or None,
        password=keys.get("PASSWORD") or None,
        params=tuple(sorted((str(k), v) for k, v in options.items())),
        alias=alias,
    )


def _entry_port(value: Any, alias: str) -> int | None:
    """A DATABASES entry's PORT as a TCP port number, as a URL's port must be."""
    if not value:
        return None
    try:
        port = int(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
    except ValueError:
        port = None
    if port is None or not 0 < port < 65536:
        raise DatabaseURLError(
            f"DATABASES[{alias!r}]['PORT'] must be a port number from 1 to 65535, not {value!r}"
        )
    return port


def database_from_tortoise(entry: Mapping[str, Any], alias: str) -> DatabaseConfig:
    """A Tortoise ``connections`` value (``{"engine": ..., "credentials": {...}}``) as a
    :class:`DatabaseConfig`; raises :class:`DatabaseURLError` for a malformed entry."""
    from fastapp.dialects import dialect_for_engine

    engine, credentials = entry.get("engine"), entry.get("credentials")
    if not isinstance(engine, str) or not isinstance(credentials, Mapping):
        raise DatabaseURLError(
            f"connection {alias!r} must be a URL or a dict with 'engine' (a Tortoise backend "
            "such as tortoise.backends.asyncpg) and 'credentials' (a dict)"
        )
    dialect = dialect_for_engine(engine)
    return config_from_credentials(dialect.name, credentials, alias, engine=engine)


def mask_url(url: str) -> str:
    """Mask a URL-looking string, even one that does not parse: everything between ``://``
    and the last ``@`` (user and password) becomes ``***``; without a scheme, everything
    before the last ``@``."""
    end = url.rfind("@")
    if end < 0:
        return url
    start = url.find("://")
    start = 0 if start < 0 or start > end else start + 3
    return url[:start] + MASK + url[end:]


#: A URL inside a longer text: a scheme, ``://``, then up to the last ``@`` before whitespace.
_URL_WITH_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<secret>\S*)@")


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every URL's user and password masked and every given secret of at least
    :data:`MIN_SECRET` characters removed (as written, percent-encoded and percent-decoded).
    Returns the masked text."""
    for secret in sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True):
        for form in {secret, unquote(secret), _quote_password(secret), _quote_all(secret)}:
            if form:
                text = text.replace(form, MASK)
    return _URL_WITH_USERINFO.sub(lambda m: f"{m['head']}{MASK}@", text)


def _quote_all(secret: str) -> str:
    from urllib.parse import quote

    return quote(secret, safe="")


def url_secrets(url: str) -> list[str]:
    """The secret parts of a URL-looking string (its user-and-password section and the
    password alone), for :func:`mask_secrets`; empty when it has no password."""
    end = url.rfind("@")
    start = url.find("://")
    start = 0 if start < 0 or start > end else start + 3
    userinfo = url[start:end] if end > start else ""
    if ":" not in userinfo:
        return []  # a user name alone is no secret, and masking it everywhere garbles text
    return [userinfo, userinfo.split(":", 1)[1]]
