"""A cache of desired schemas: the Schema a scratch space gave for one DDL script.

Reading the desired side means creating every table in a scratch space, which costs what
creating the tables costs (seconds for a thousand tables). The result depends only on the DDL
text, the server (its version and the settings that change what its catalog prints: each
scratch space's ``server_identity``, one query) and the code that reads it back
(:func:`code_version`), so it is cached under a hash of exactly those. A stale entry cannot
be hit: any change to one of them changes the key.

Entries live in one SQLite file (``desired.sqlite3``): a first run stores a thousand tables
in one transaction instead of a thousand files. Values are packed Schemas
(:mod:`fastapp.schema.packed`: JSON arrays, made to load fast). Location: ``$FASTAPP_CACHE_DIR`` or
``~/.cache/fastapp/desired``; ``FASTAPP_NO_CACHE=1`` turns it off. At most
:data:`MAX_ENTRIES` entries are kept, the least recently used removed first. The cache is
best effort: one that cannot be read or written is simply not used.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from contextlib import closing, suppress
from functools import cache
from pathlib import Path

from fastapp.schema.objects import Schema, Table
from fastapp.schema.packed import pack, unpack

MAX_ENTRIES = 20_000
FILE_NAME = "desired.sqlite3"
#: A table's entry is stored as a one-table Schema of this dialect name.
_TABLE = "table"


def cache_dir() -> Path | None:
    """Where entries live, or ``None`` when caching is off."""
    if os.environ.get("FASTAPP_NO_CACHE", "").strip() not in ("", "0"):
        return None
    base = os.environ.get("FASTAPP_CACHE_DIR")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fastapp" / "desired"


@cache
def code_version() -> str:
    """A hash of everything installed that shapes a read-back Schema: fastapp's whole package
    (scratch spaces, SQL splitting, dialects, catalog readers, normalization...) by relative
    path and content, so a moved or edited module cannot reach an old entry, plus the
    versions of sqlglot and Tortoise."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for file in sorted(root.rglob("*.py")):
        digest.update(file.relative_to(root).as_posix().encode())
        digest.update(file.read_bytes())
    for package in ("sqlglot", "tortoise-orm"):
        try:
            digest.update(f"{package}={version(package)}".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=?".encode())
    return digest.hexdigest()


def key(dialect: str, server: str, ddl_text: str) -> str:
    """The entry of ``ddl_text`` read by a ``dialect`` server whose identity is ``server``."""
    digest = hashlib.sha256()
    for part in (dialect, server, code_version(), ddl_text):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _connect(create: bool) -> sqlite3.Connection | None:
    folder = cache_dir()
    if folder is None or not (create or (folder / FILE_NAME).exists()):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / FILE_NAME, timeout=5, isolation_level=None)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS entry "
        "(key TEXT PRIMARY KEY, data BLOB NOT NULL, used REAL NOT NULL) WITHOUT ROWID"
    )
    return conn


def _fetch(keys: list[str]) -> dict[str, bytes]:
    """``{key: stored bytes}`` of the ``keys`` found; marks them used (for the pruning)."""
    found: dict[str, bytes] = {}
    with suppress(OSError, sqlite3.Error):
        conn = _connect(create=False)
        if conn is None:
            return found
        with closing(conn):
            for start in range(0, len(keys), 500):  # within SQLite's parameter limit
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                found.update(
                    conn.execute(f"SELECT key, data FROM entry WHERE key IN ({marks})", part)
                )
            if found:
                with suppress(sqlite3.Error):  # a reader never fails for a busy writer
                    conn.executemany(
                        "UPDATE entry SET used = ? WHERE key = ?",
                        [(time.time(), k) for k in found],
                    )
    return found


def _put(items: Mapping[str, bytes]) -> None:
    with suppress(OSError, sqlite3.Error):
        conn = _connect(create=True)
        if conn is None:
            return
        with closing(conn):
            now = time.time()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT OR REPLACE INTO entry (key, data, used) VALUES (?, ?, ?)",
                [(k, v, now) for k, v in items.items()],
            )
            conn.execute(
                "DELETE FROM entry WHERE key IN (SELECT key FROM entry "
                "ORDER BY used DESC LIMIT -1 OFFSET ?)",
                (MAX_ENTRIES,),
            )
            conn.execute("COMMIT")


def _decode(data: bytes) -> Schema | None:
    try:
        return unpack(data)
    except (ValueError, TypeError, IndexError, AttributeError):
        return None


def load(entry: str) -> Schema | None:
    data = _fetch([entry]).get(entry)
    return None if data is None else _decode(data)


def store(entry: str, schema: Schema) -> None:
    _put({entry: pack(schema)})


def load_tables(entries: Iterable[str]) -> dict[str, Table]:
    """``{entry: table}`` of the cached tables among ``entries`` (one query)."""
    found = {}
    for entry, data in _fetch(list(entries)).items():
        schema = _decode(data)
        if schema is not None and len(schema.tables) == 1:
            found[entry] = schema.tables[0]
    return found


def store_tables(tables: Mapping[str, Table]) -> None:
    """Store each table under its entry (one transaction)."""
    _put({entry: pack(Schema(_TABLE, (t,))) for entry, t in tables.items()})
