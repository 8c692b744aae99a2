"""A Schema as compact bytes and back, for the desired-schema cache.

A warm ``auto_migrate`` reads a thousand tables back from the cache on every run, so the
format is made to load fast: each value is a JSON array of its fields in declaration order
(no keys, no per-value dicts to walk), and loading fills each object's attributes directly
instead of calling its ``__init__``. The values were canonical when packed (a Table sorts
its parts once, when made), so nothing is lost by not making them again. Unlike
:meth:`Schema.to_dict` it keeps everything, the writing aids (``printed``, ``sources``)
included.

The layout is only ever read by the code that wrote it: the cache key hashes this package
(:func:`fastapp.desired.cache.code_version`), so a changed dataclass cannot meet old bytes.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from operator import attrgetter
from types import NoneType
from typing import Any, get_args, get_origin, get_type_hints

import orjson

from fastapp.schema.objects import Schema


def pack(schema: Schema) -> bytes:
    return orjson.dumps(schema, option=orjson.OPT_PASSTHROUGH_DATACLASS, default=_fields_of)


def unpack(data: bytes) -> Schema:
    """Raises ``ValueError``, ``TypeError`` or ``IndexError`` for bytes not made by
    :func:`pack`."""
    return _Layout.of(Schema).make(orjson.loads(data))


def _fields_of(value: Any) -> tuple[Any, ...]:
    return _Layout.of(type(value)).fields_of(value)


class _Layout:
    """How one dataclass is packed: its field names, and per field how a loaded JSON value
    becomes the attribute again."""

    _known: dict[type, _Layout] = {}

    def __init__(self, kind: type) -> None:
        self.kind = kind
        own = fields(kind)
        self.names = tuple(f.name for f in own)
        #: The value's fields as a tuple (orjson writes it as an array).
        self.fields_of = attrgetter(*self.names) if len(self.names) > 1 else _one(self.names[0])
        hints = get_type_hints(kind)  # the dataclass's own annotations say what nests
        #: (position, name, rebuild, empty): JSON arrays back to tuples, nested values
        #: made again; an empty array or a null is ``empty`` without a call.
        self.converted: list[tuple[int, str, Any, Any]] = []
        for position, f in enumerate(own):
            hint = hints[f.name]
            inner = [a for a in get_args(hint) if a is not NoneType and a is not Ellipsis]
            empty: Any = ()
            if get_origin(hint) is tuple:  # tuple[X, ...]
                item = inner[0]
                if is_dataclass(item):
                    rebuild = _Layout.of(item).make_all
                else:
                    rebuild = _pairs if get_origin(item) is tuple else tuple
            elif len(inner) == 1 and is_dataclass(inner[0]):  # X | None
                rebuild, empty = _Layout.of(inner[0]).make, None
            else:
                continue
            self.converted.append((position, f.name, rebuild, empty))

    @classmethod
    def of(cls, kind: type) -> _Layout:
        layout = cls._known.get(kind)
        if layout is None:
            layout = cls._known[kind] = cls(kind)
        return layout

    def make(self, row: list[Any]) -> Any:
        if row.__class__ is not list or len(row) != len(self.names):
            raise ValueError(f"not a packed {self.kind.__name__}: {str(row)[:60]}")
        value = object.__new__(self.kind)
        attributes = value.__dict__
        attributes.update(zip(self.names, row, strict=True))
        for position, name, rebuild, empty in self.converted:
            part = row[position]
            attributes[name] = rebuild(part) if part else empty
        return value

    def make_all(self, rows: list[list[Any]]) -> tuple[Any, ...]:
        return tuple([self.make(row) for row in rows])


def _pairs(rows: list[list[Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple([tuple(row) for row in rows])


def _one(name: str) -> Any:
    get = attrgetter(name)
    return lambda value: (get(value),)
