"""``${field=value[,field2=value2]}`` lookups: parsing, and resolution in bulk.

A lookup names a row of the related model by the values of some of its fields. All lookups
of one target model that use the same fields are resolved with one query (in chunks of a few
hundred keys), never one query per record; results are cached for the whole load.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, NamedTuple
from uuid import UUID

from fastapp.data.models import PLAIN, Layout
from fastapp.data.values import ValueProblem, from_text

CHUNK = 500


class Lookup(NamedTuple):
    """A reference to the row of ``target`` whose ``columns`` hold ``values``."""

    target: str
    columns: tuple[str, ...]
    values: tuple[Any, ...]
    text: str


def parse_lookup(text: str, target: Layout) -> Lookup:
    """Parse ``${a=1,b=x}`` against ``target``'s fields; raises :class:`ValueProblem`.

    ``\\,`` ``\\=`` and ``\\\\`` escape those characters inside values.
    """
    body = text[2:-1]
    pairs: list[tuple[str, str]] = []
    current: list[str] = []
    name: str | None = None
    escaped = False
    for ch in body + ",":
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "=" and name is None:
            name = "".join(current).strip()
            current = []
        elif ch == ",":
            if name is None:
                raise ValueProblem(f"lookup {text} needs field=value pairs separated by commas")
            pairs.append((name, "".join(current)))
            name, current = None, []
        else:
            current.append(ch)
    columns: list[str] = []
    values: list[Any] = []
    for field_name, raw in sorted(pairs):
        entry = target.keys.get(field_name)
        if entry is None or (entry[0] != PLAIN and not hasattr(entry[1], "slot")):
            known = ", ".join(n for n, (k, _) in target.keys.items() if k == PLAIN)
            raise ValueProblem(
                f"lookup {text}: {target.label} has no field {field_name!r} (fields: {known})"
            )
        slot = entry[1] if entry[0] == PLAIN else entry[1].slot
        try:
            value = from_text(target.converters[slot], target.kinds[slot], raw)
        except (ValueProblem, ValueError) as exc:
            raise ValueProblem(f"lookup {text}: field {field_name!r}: {exc}") from None
        columns.append(target.columns[slot])
        values.append(value)
    if not columns:
        raise ValueProblem(f"lookup {text} names no field")
    return Lookup(target.label, tuple(columns), tuple(values), text)


def normalize(value: Any) -> Any:
    """Make a value sent to the database comparable with the value it comes back as."""
    if value is True or value is False:
        return int(value)
    if isinstance(value, (UUID, bytes, memoryview)):
        return str(value) if isinstance(value, UUID) else bytes(value)
    return value


#: A query running ``SELECT result, *columns FROM table WHERE (columns) IN keys``.
Fetch = Callable[[Layout, str, tuple[str, ...], Sequence[tuple[Any, ...]]], Awaitable[list]]

AMBIGUOUS = object()


class Resolver:
    """Resolves lookups to the referenced column's value, caching every answer.

    ``fetch(layout, result_column, columns, keys)`` returns rows ``(result, *columns)``.
    A key with no row is not cached as absent forever: rows loaded later may create it, so
    :meth:`forget_absent` is called whenever the target model gets new rows.
    """

    def __init__(self, layouts: dict[str, Layout], fetch: Fetch) -> None:
        self.layouts = layouts
        self.fetch = fetch
        self._found: dict[tuple[str, str, tuple[str, ...]], dict[tuple, Any]] = {}
        self._absent: dict[str, set[tuple]] = {}
        self._parsed: dict[tuple[str, str], Lookup] = {}

    def parse(self, text: str, target: str) -> Lookup:
        key = (target, text)
        lookup = self._parsed.get(key)
        if lookup is None:
            lookup = self._parsed[key] = parse_lookup(text, self.layouts[target])
        return lookup

    def forget_absent(self, target: str) -> None:
        self._absent.pop(target, None)

    def get(self, lookup: Lookup, result_column: str) -> Any:
        """The resolved value, ``None`` when unresolved so far, or :data:`AMBIGUOUS`."""
        found = self._found.get((lookup.target, result_column, lookup.columns))
        if found is None:
            return None
        return found.get(tuple(normalize(v) for v in lookup.values))

    async def resolve(self, lookups: Iterable[Lookup], result_column: str) -> None:
        """Query every not yet known lookup, one query per target and field set."""
        groups: dict[tuple[str, tuple[str, ...]], dict[tuple, tuple]] = {}
        for lookup in lookups:
            norm = tuple(normalize(v) for v in lookup.values)
            cache = self._found.get((lookup.target, result_column, lookup.columns))
            if cache is not None and norm in cache:
                continue
            if (lookup.columns, result_column, norm) in self._absent.get(lookup.target, ()):
                continue
            groups.setdefault((lookup.target, lookup.columns), {})[norm] = lookup.values
        for (target, columns), keys in groups.items():
            layout = self.layouts[target]
            cache = self._found.setdefault((target, result_column, columns), {})
            wanted = list(keys.items())
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start : start + CHUNK]
                rows = await self.fetch(layout, result_column, columns, [v for _, v in chunk])
                for row in rows:
                    norm = tuple(normalize(v) for v in row[1:])
                    previous = cache.get(norm)
                    cache[norm] = row[0] if previous is None or previous == row[0] else AMBIGUOUS
                absent = self._absent.setdefault(target, set())
                for norm, _ in chunk:
                    if norm not in cache:
                        absent.add((columns, result_column, norm))
