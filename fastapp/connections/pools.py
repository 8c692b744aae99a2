"""Connection pool settings from the environment (and a connection's OPTIONS), mapped onto what
each backend's Tortoise client actually accepts.

The variables follow the names users know from SQLAlchemy templates::

    DB_POOL_SIZE       connections kept open            -> the pool's maximum (with the overflow)
    DB_MAX_OVERFLOW    extra connections under load     -> added to the maximum
    DB_POOL_MIN_SIZE   connections opened up front      -> the pool's minimum
    DB_POOL_RECYCLE    seconds a connection may idle before it is closed and replaced
    DB_POOL_TIMEOUT    seconds to wait for a new connection (SQLite: for a lock)
    DB_POOL_PRE_PING   drop connections the server closed when they are taken from the pool

A key in a connection's ``OPTIONS`` (or its URL's query) wins over the environment, which wins
over a ``.env`` file in the current directory. What a backend cannot do is said by one warning
line on the ``fastapp.pools`` logger, never silently dropped; the per-backend facts live on the
dialect (``pool_keys``, ``checks_liveness_on_acquire``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fastapp.connections.url import DatabaseConfig
from fastapp.errors import SettingsError
from fastapp.settings import read_dotenv

logger = logging.getLogger("fastapp.pools")

POOL_SIZE = "DB_POOL_SIZE"
POOL_MIN_SIZE = "DB_POOL_MIN_SIZE"
MAX_OVERFLOW = "DB_MAX_OVERFLOW"
POOL_RECYCLE = "DB_POOL_RECYCLE"
POOL_TIMEOUT = "DB_POOL_TIMEOUT"
POOL_PRE_PING = "DB_POOL_PRE_PING"
VARIABLES = (POOL_SIZE, POOL_MIN_SIZE, MAX_OVERFLOW, POOL_RECYCLE, POOL_TIMEOUT, POOL_PRE_PING)

#: Tortoise's own default maximum when only an overflow is given.
DEFAULT_POOL_SIZE = 5
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class PoolSettings:
    """The pool knobs one connection asked for; ``None`` means: the driver's default."""

    size: int | None = None
    min_size: int | None = None
    max_overflow: int | None = None
    recycle: float | None = None
    timeout: float | None = None
    pre_ping: bool | None = None

    @property
    def is_empty(self) -> bool:
        return self == PoolSettings()

    def knobs(self) -> dict[str, Any]:
        """The backend-neutral values: ``max_size``, ``min_size``, ``recycle``, ``timeout``."""
        knobs: dict[str, Any] = {}
        if self.size is not None or self.max_overflow is not None:
            size = DEFAULT_POOL_SIZE if self.size is None else self.size
            knobs["max_size"] = size + (self.max_overflow or 0)
        if self.min_size is not None:
            knobs["min_size"] = self.min_size
        if self.recycle is not None:
            knobs["recycle"] = self.recycle
        if self.timeout is not None:
            knobs["timeout"] = self.timeout
        return knobs


def pool_environment(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> dict:
    """The ``DB_POOL_*`` variables in force: ``environ`` (default ``os.environ``) over ``.env``."""
    if environ is None:
        environ = os.environ
    found = {k: v for k, v in read_dotenv((cwd or Path.cwd()) / ".env").items() if k in VARIABLES}
    found.update({k: v for k, v in environ.items() if k in VARIABLES})
    return found


def split_pool_options(cfg: DatabaseConfig) -> tuple[DatabaseConfig, dict[str, str]]:
    """``cfg`` without its ``DB_POOL_*`` OPTIONS/query keys, and those keys."""
    pool = {k.upper(): v for k, v in cfg.params if k.upper() in VARIABLES}
    if not pool:
        return cfg, {}
    rest = tuple((k, v) for k, v in cfg.params if k.upper() not in VARIABLES)
    return replace(cfg, params=rest), pool


def parse_pool_settings(values: Mapping[str, str], origin: Mapping[str, str]) -> PoolSettings:
    """Validate raw ``DB_POOL_*`` strings; ``origin[name]`` says where each one came from.

    Raises :class:`SettingsError` naming the variable, its origin and what it must be.
    """

    def number(name: str, kind: type, minimum: float) -> Any:
        raw = values.get(name)
        if raw is None or str(raw).strip() == "":
            return None
        try:
            value = kind(str(raw).strip())
        except ValueError:
            value = None
        if value is None or value < minimum or (kind is float and value <= 0):
            what = f"a whole number >= {minimum}" if kind is int else "a number of seconds > 0"
            raise SettingsError(
                f"{name}={raw!r} ({origin.get(name, 'environment')}) must be {what}: "
                "fix or unset it"
            )
        return value

    pre_ping = None
    raw = values.get(POOL_PRE_PING)
    if raw is not None and str(raw).strip() != "":
        text = str(raw).strip().lower()
        if text not in _TRUE | _FALSE:
            raise SettingsError(
                f"{POOL_PRE_PING}={raw!r} ({origin.get(POOL_PRE_PING, 'environment')}) must be "
                "true or false (1/0, yes/no, on/off): fix or unset it"
            )
        pre_ping = text in _TRUE
    settings = PoolSettings(
        size=number(POOL_SIZE, int, 1),
        min_size=number(POOL_MIN_SIZE, int, 0),
        max_overflow=number(MAX_OVERFLOW, int, 0),
        recycle=number(POOL_RECYCLE, float, 0),
        timeout=number(POOL_TIMEOUT, float, 0),
        pre_ping=pre_ping,
    )
    knobs = settings.knobs()
    if "max_size" in knobs and knobs.get("min_size", 0) > knobs["max_size"]:
        raise SettingsError(
            f"{POOL_MIN_SIZE}={settings.min_size} is larger than the pool's maximum "
            f"({POOL_SIZE} + {MAX_OVERFLOW} = {knobs['max_size']}): lower it or raise the size"
        )
    return settings


def pool_settings(
    cfg: DatabaseConfig, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> tuple[DatabaseConfig, PoolSettings]:
    """``cfg`` without pool keys, and the pool settings of that connection.

    OPTIONS of the connection win over the environment. Raises :class:`SettingsError` for a
    malformed value.
    """
    stripped, options = split_pool_options(cfg)
    values = pool_environment(environ, cwd)
    origin = {name: "environment" for name in values}
    values.update(options)
    origin.update({name: f"OPTIONS of connection {cfg.alias!r}" for name in options})
    return stripped, parse_pool_settings(values, origin)


def pool_credentials(cfg: DatabaseConfig, settings: PoolSettings) -> dict[str, Any]:
    """The Tortoise credentials that say ``settings`` on ``cfg``'s backend.

    Knobs the backend has no equivalent for are logged as one warning line each.
    """
    dialect = cfg.dialect
    credentials: dict[str, Any] = {}
    knobs = settings.knobs()
    if "recycle" in knobs and "min_size" not in knobs and dialect.recycle_spares_minimum:
        knobs["min_size"] = 0  # else the one connection Tortoise keeps would never recycle
    for knob, value in sorted(knobs.items()):
        target = dialect.pool_keys.get(knob)
        if target is None:
            logger.warning(
                "%s: %s has no equivalent on %s (%s); ignored",
                cfg.alias,
                _VARIABLE_OF[knob],
                dialect.name,
                dialect.pool_unsupported_reason,
            )
            continue
        key, scale = target
        scaled = value * scale
        credentials[key] = int(scaled) if float(scaled).is_integer() else scaled
    if settings.pre_ping is not None and settings.pre_ping != dialect.checks_liveness_on_acquire:
        what = "always checks" if dialect.checks_liveness_on_acquire else "cannot check"
        logger.warning(
            "%s: %s=%s is not possible on %s: the driver %s connections taken from the pool",
            cfg.alias,
            POOL_PRE_PING,
            "true" if settings.pre_ping else "false",
            dialect.name,
            what,
        )
    return credentials


_VARIABLE_OF = {
    "max_size": f"{POOL_SIZE}/{MAX_OVERFLOW}",
    "min_size": POOL_MIN_SIZE,
    "recycle": POOL_RECYCLE,
    "timeout": POOL_TIMEOUT,
}


def tortoise_connection(
    cfg: DatabaseConfig, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> dict[str, Any]:
    """The Tortoise ``connections`` entry of ``cfg`` with its pool settings applied.

    Raises :class:`SettingsError` for a malformed pool value.
    """
    stripped, settings = pool_settings(cfg, environ, cwd)
    entry = stripped.dialect.tortoise_connection(stripped)
    if not settings.is_empty:
        entry["credentials"].update(pool_credentials(stripped, settings))
    return entry
