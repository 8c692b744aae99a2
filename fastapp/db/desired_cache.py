"""A cache of desired schemas: the Schema a scratch space gave for one DDL script.

Reading the desired side means creating every table in a scratch space, which costs what
creating the tables costs (seconds for a thousand tables). The result depends only on the DDL
text, the server (version, defaults that shape table options) and fastapp's own reading
code, so it is cached under a hash of exactly those. A stale entry cannot be hit: any change
to one of them changes the key.

Location: ``$FASTAPP_CACHE_DIR`` or ``~/.cache/fastapp/desired``; ``FASTAPP_NO_CACHE=1``
turns it off. At most :data:`MAX_ENTRIES` files are kept (oldest removed first); tables of
generated DDL are also kept one file each.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import fields, is_dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapp.db.schema import Schema, Table

MAX_ENTRIES = 5000
_READERS = ("schema.py", "normalize.py", "desired.py", "dumpers")


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
    """A hash of the code that turns DDL into a Schema (dumpers, normalization)."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for name in _READERS:
        path = root / name
        files = sorted(path.glob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def key(dialect: str, server: str, ddl_text: str) -> str:
    digest = hashlib.sha256()
    for part in (dialect, server, code_version(), ddl_text):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def load(entry: str) -> Schema | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        data = json.loads((folder / f"{entry}.json").read_text(encoding="utf-8"))
        return Schema.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(entry: str, schema: Schema, *, prune: bool = True) -> None:
    """Best effort: a cache that cannot be written is simply not used."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temp = folder / f".{entry}.{os.getpid()}.tmp"
        temp.write_text(json.dumps(_plain(schema)), encoding="utf-8")
        temp.replace(folder / f"{entry}.json")
        if not prune:
            return
        _TABLES.clear()  # a whole schema comes last: its tables are not needed again
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-MAX_ENTRIES]:
            old.unlink(missing_ok=True)
    except OSError:
        return


def _plain(value: Any) -> Any:
    """What ``Schema.to_dict`` gives (``dataclasses.asdict``), without its per-value deep
    copies: a first run stores every table, and ``asdict`` took 3 ms per table. A table
    already stored on its own is not converted again for the whole schema."""
    if isinstance(value, Table):
        seen = _TABLES.get(id(value))
        if seen is not None and seen[0] is value:
            return seen[1]
        plain = _TABLES[id(value)] = (value, _fields_plain(value))
        return plain[1]
    return _fields_plain(value)


def _fields_plain(value: Any) -> Any:
    names = _FIELDS.get(type(value))
    if names is None and is_dataclass(value):
        names = _FIELDS[type(value)] = tuple(f.name for f in fields(value))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    return value


_FIELDS: dict[type, tuple[str, ...]] = {}
#: Tables converted in this process, by id (the table is kept, so the id stays its own).
_TABLES: dict[int, tuple[Table, Any]] = {}


def load_table(entry: str) -> Table | None:
    """One cached table (stored as a one-table Schema)."""
    schema = load(entry)
    return schema.tables[0] if schema is not None and len(schema.tables) == 1 else None


def store_table(entry: str, table: Table) -> None:
    store(entry, Schema("table", (table,)), prune=False)
