"""DDL readers: one per backend, named by its hub (:mod:`fastapp.dialects`) like the catalog readers.

``server_hint(dialect_name, connection)`` reads what the text cannot say from the target
database. ``get_reader(dialect_name, source, server)`` returns a fresh
:class:`~fastapp.desired.ddl_readers.base.Reader` that collects a script's statements and predicts the
Schema that backend's reader would read back (see :func:`fastapp.desired.parse.parse_schema`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fastapp.dialects import dialect_part

if TYPE_CHECKING:
    from fastapp.desired.ddl_readers.base import Reader
    from fastapp.desired.ddl_readers.drafts import ServerHint


def get_reader(
    dialect_name: str, source: str, server: ServerHint | Mapping[str, Any] | None = None
) -> Reader:
    """A new reader for ``dialect_name``; ``source`` names the text in errors."""
    from fastapp.desired.ddl_readers.drafts import ServerHint

    hint = server if isinstance(server, ServerHint) else ServerHint.from_mapping(server or {})
    return dialect_part(dialect_name, "ddl_reader", "DDL reader")(source, hint)


async def server_hint(dialect_name: str, connection: Any) -> ServerHint:
    """What the parse path cannot read from DDL text, read from the target database through
    an open raw driver ``connection`` (MySQL: MariaDB or not, the database's charset and
    collation). Backends that need nothing return the defaults without a query."""
    from fastapp.desired.ddl_readers.drafts import ServerHint

    read = getattr(dialect_part(dialect_name, "ddl_reader", "DDL reader"), "read_server_hint", None)
    return ServerHint() if read is None else await read(connection)
