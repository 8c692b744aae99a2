"""Database connection settings: parse URLs and DATABASES dicts, mask passwords.

URL forms::

    postgres://user:password@host:5432/dbname?ssl=require
    mysql://root:@127.0.0.1:3306/dbname          (also mariadb://)
    sqlite:///relative/path.db                    (relative to the current directory)
    sqlite:////absolute/path.db                   sqlite://:memory:
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from fastapp.errors import DatabaseURLError

if TYPE_CHECKING:
    from fastapp.dialects.base import Dialect

MASK = "***"


@dataclass(frozen=True)
class DatabaseConfig:
    """One connection: which backend, where, and as whom. Never prints its password."""

    dialect_name: str
    name: str
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    params: tuple[tuple[str, str], ...] = ()
    alias: str = "default"

    @property
    def dialect(self) -> Dialect:
        from fastapp.dialects import get_dialect

        return get_dialect(self.dialect_name)

    def with_name(self, name: str) -> DatabaseConfig:
        """The same server with another database name (or SQLite path)."""
        return replace(self, name=name)

    def url(self, *, masked: bool = True) -> str:
        """The URL of this connection; the password is shown as ``***`` unless ``masked=False``."""
        scheme = self.dialect.url_schemes[0]
        if not self.dialect.needs_server:
            path = self.name if self.name == ":memory:" else "/" + self.name
            return f"{scheme}://{path}"
        auth = ""
        if self.user is not None:
            auth = quote(self.user, safe="")
            if self.password:
                auth += ":" + (MASK if masked else quote(self.password, safe=""))
            auth += "@"
        host = self.host or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{self.port}" if self.port else ""
        query = f"?{urlencode(self.params)}" if self.params else ""
        return f"{scheme}://{auth}{host}{port}/{quote(self.name, safe='')}{query}"

    def mask(self, text: str) -> str:
        """Remove this connection's password from any text (error messages, logs)."""
        if self.password:
            for secret in {self.password, quote(self.password, safe="")}:
                text = text.replace(secret, MASK)
        return text

    def __str__(self) -> str:
        return self.url()


def parse_database_url(url: str, alias: str = "default") -> DatabaseConfig:
    """Parse a database URL into a :class:`DatabaseConfig`.

    Raises :class:`DatabaseURLError` naming the (masked) URL and what is wrong with it.
    """
    from fastapp.dialects import dialect_for_scheme

    if "://" not in url:
        raise DatabaseURLError(
            f"database URL {_mask_raw(url)!r} has no scheme: write e.g. "
            "postgres://user@host/db, mysql://user@host/db or sqlite:///file.db"
        )
    scheme, rest = url.split("://", 1)
    dialect = dialect_for_scheme(scheme)
    if not dialect.needs_server:
        return _parse_file_url(scheme, rest, url, alias)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DatabaseURLError(f"database URL {_mask_raw(url)!r} is invalid: {exc}") from None
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise DatabaseURLError(
            f"database URL {_mask_raw(url)!r} names no database: add it as the path, e.g. .../mydb"
        )
    return DatabaseConfig(
        dialect_name=dialect.name,
        name=name,
        host=parts.hostname or "127.0.0.1",
        port=port or dialect.default_port,
        user=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password else None,
        params=tuple(parse_qsl(parts.query)),
        alias=alias,
    )


def _parse_file_url(scheme: str, rest: str, url: str, alias: str) -> DatabaseConfig:
    from fastapp.dialects import dialect_for_scheme

    path, _, query = rest.partition("?")
    if path.startswith("/"):
        # sqlite:///rel.db -> rel.db ; sqlite:////abs.db -> /abs.db (SQLAlchemy convention)
        path = path[1:]
    path = unquote(path)
    if not path:
        raise DatabaseURLError(
            f"database URL {url!r} names no file: write sqlite:///path/to/file.db or sqlite://:memory:"
        )
    return DatabaseConfig(
        dialect_name=dialect_for_scheme(scheme).name,
        name=path,
        params=tuple(parse_qsl(query)),
        alias=alias,
    )


def database_from_dict(entry: dict[str, Any], alias: str) -> DatabaseConfig:
    """Build a :class:`DatabaseConfig` from a Django-style dict (ENGINE, HOST, PORT, ...)."""
    from fastapp.dialects import dialect_for_engine

    keys = {str(k).upper(): v for k, v in entry.items()}
    if "URL" in keys:
        return parse_database_url(str(keys["URL"]), alias)
    if "ENGINE" not in keys or "NAME" not in keys:
        raise DatabaseURLError(f"DATABASES[{alias!r}] needs ENGINE and NAME (or a URL string)")
    dialect = dialect_for_engine(str(keys["ENGINE"]))
    port = keys.get("PORT") or dialect.default_port
    try:
        port = int(port) if port else None
    except ValueError:
        raise DatabaseURLError(f"DATABASES[{alias!r}]['PORT'] is not a number: {port!r}") from None
    options = keys.get("OPTIONS") or {}
    return DatabaseConfig(
        dialect_name=dialect.name,
        name=str(keys["NAME"]),
        host=(keys.get("HOST") or ("127.0.0.1" if dialect.needs_server else None)),
        port=port if dialect.needs_server else None,
        user=keys.get("USER") or None,
        password=keys.get("PASSWORD") or None,
        params=tuple(sorted((str(k), str(v)) for k, v in options.items())),
        alias=alias,
    )


def mask_url(url: str) -> str:
    """Mask the password in a URL-looking string, even one that does not parse."""
    return _mask_raw(url)


def _mask_raw(url: str) -> str:
    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    netloc, sep, tail = rest.partition("/")
    if "@" not in netloc:
        return url
    userinfo, host = netloc.rsplit("@", 1)
    if ":" in userinfo:
        user, password = userinfo.split(":", 1)
        if password:
            userinfo = f"{user}:{MASK}"
    return f"{scheme}://{userinfo}@{host}{sep}{tail}"
