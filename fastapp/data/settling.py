"""Reference settling for ``fastapp loaddata``: does every row's foreign key point at a row
that exists?

A row may be written only once the rows it references exist: loaded earlier in this run, or
already in the database. :class:`References` answers that for whole batches: ``${...}``
lookups are resolved in bulk (:mod:`fastapp.data.references`), plain key values are checked
against the pk map of what this run wrote, and values not seen yet by one query per batch.
Absent values are remembered until the model they point at is written again, so a row that
waits is not asked about on every retry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from fastapp.data import FixtureError
from fastapp.data.models import Layout
from fastapp.data.references import AMBIGUOUS, Lookup, Resolver, normalize
from fastapp.data.writers.base import BulkWriter

_first = itemgetter(0)  # a row's pk, at C speed over a batch


class References:
    """What one load knows about which referenced values exist."""

    def __init__(self, layouts: dict[str, Layout], writers: dict[str, BulkWriter]) -> None:
        self.layouts = layouts
        self.writers = writers
        self.resolver = Resolver(layouts, self._fetch_keys)
        #: (label, column) -> values known to exist: the pk map. Only models that something
        #: references need one; a million rows of a leaf model cost no memory here.
        self.known: dict[tuple[str, str], set[Any]] = {}
        self.referenced = {
            target
            for layout in layouts.values()
            for target in (
                *(fk.target for fk in layout.foreign_keys),
                *(rel.target for rel in layout.many.values()),
            )
        }
        #: label -> (column, value) found missing from the database since the last write.
        self.absent: dict[str, set[tuple[str, Any]]] = {}

    async def _fetch_keys(
        self, layout: Layout, result: str, columns: tuple[str, ...], keys: Sequence[tuple]
    ) -> list:
        writer = self.writers[layout.connection]
        return await writer.select_keys(layout.table, result, columns, keys)

    def known_values(self, label: str, column: str) -> set[Any]:
        """The values of ``label.column`` known to exist (a live set, filled as rows come)."""
        key = (label, column)
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = set()
        return found

    async def check_exists(self, label: str, column: str, values: set[Any]) -> None:
        """Add to the pk map the ``values`` of ``label.column`` that exist in the database."""
        known = self.known_values(label, column)
        absent = self.absent.setdefault(label, set())
        unknown = [v for v in values if v not in known and (column, v) not in absent]
        if not unknown:
            return
        layout = self.layouts[label]
        rows = await self._fetch_keys(layout, column, (column,), [(v,) for v in unknown])
        found = {normalize(r[0]) for r in rows}
        for v in unknown:
            if normalize(v) in found:
                known.add(v)
            else:
                absent.add((column, v))

    def wrote(self, layout: Layout, rows: Sequence[Sequence[Any]], with_pk: bool) -> None:
        """Note that ``rows`` of ``layout`` now exist."""
        if with_pk and layout.label in self.referenced:
            self.known_values(layout.label, layout.pk_column).update(map(_first, rows))
        self.absent.pop(layout.label, None)
        self.resolver.forget_absent(layout.label)

    def forget_absent(self) -> None:
        """Ask the database again about every value found missing so far."""
        self.absent.clear()
        for name in self.layouts:
            self.resolver.forget_absent(name)

    async def settle(self, layout: Layout, rows: list[list[Any]], offset: int) -> list[bool]:
        """Resolve lookups in place; say for each row whether all its references exist
        (``offset``: 1 for rows without their pk in front)."""
        ok = [True] * len(rows)
        for fk in layout.foreign_keys:
            if fk.deferred:
                continue
            slot = fk.slot - offset
            column = fk.target_column
            lookups = {v for r in rows if type(v := r[slot]) is Lookup}
            if lookups:
                await self.resolver.resolve(lookups, column)
                answers = {lookup: self.resolver.get(lookup, column) for lookup in lookups}
                for i, r in enumerate(rows):
                    v = r[slot]
                    if type(v) is Lookup:
                        found = answers[v]
                        if found is None or found is AMBIGUOUS:
                            ok[i] = False
                        else:
                            r[slot] = found
            known = self.known_values(fk.target, column)
            missing = {v for r in rows if (v := r[slot]) is not None and v not in known}
            missing = {v for v in missing if type(v) is not Lookup}
            if missing:
                await self.check_exists(fk.target, column, missing)
                for i, r in enumerate(rows):
                    v = r[slot]
                    if v is not None and v not in known:
                        ok[i] = False
        return ok

    async def settled(self, layout: Layout, columns: list[Sequence[Any]]) -> bool:
        """Resolve the lookups of the foreign-key ``columns`` in place; whether every
        reference exists (else :meth:`settle` sorts the rows). Works on the distinct values
        of each column, so a run costs a few set operations, not a pass in Python."""
        for fk in layout.foreign_keys:
            if fk.deferred:
                continue
            column, target_column = columns[fk.slot], fk.target_column
            distinct = set(column)
            lookups = {v for v in distinct if type(v) is Lookup}
            if lookups:
                await self.resolver.resolve(lookups, target_column)
                answers = {lookup: self.resolver.get(lookup, target_column) for lookup in lookups}
                if any(found is None or found is AMBIGUOUS for found in answers.values()):
                    return False
                columns[fk.slot] = list(map(answers.get, column, column))
                distinct = (distinct - lookups) | set(answers.values())
            distinct.discard(None)
            known = self.known_values(fk.target, target_column)
            missing = distinct - known
            if missing:
                await self.check_exists(fk.target, target_column, missing)
                if not missing <= known:
                    return False
        return True

    def unresolved(
        self, layout: Layout, row: list[Any], offset: int, where: Callable[[str | None], str]
    ) -> FixtureError:
        """The error for ``row``, which never settled: its first broken reference, placed by
        ``where(field name or None)``."""
        for fk in layout.foreign_keys:
            if fk.deferred:
                continue
            value = row[fk.slot - offset]
            if type(value) is Lookup:
                found = self.resolver.get(value, fk.target_column)
                if found is None or found is AMBIGUOUS:
                    what = "no row" if found is None else "more than one row"
                    return FixtureError(
                        f"{where(fk.name)}: lookup {value.text} matches {what} of {fk.target}"
                    )
            elif value is not None and value not in self.known_values(fk.target, fk.target_column):
                return FixtureError(
                    f"{where(fk.name)}: no {fk.target} with {fk.target_column}={value!r} in "
                    "the database or the fixtures"
                )
        return FixtureError(f"{where(None)}: references cannot be satisfied")

    async def value(self, ref: Any, label: str, column: str, where: str) -> Any:
        """The value ``ref`` (a lookup or a plain value) stands for in ``label.column``;
        raises :class:`FixtureError` at ``where`` when no such row exists."""
        if type(ref) is Lookup:
            await self.resolver.resolve([ref], column)
            found = self.resolver.get(ref, column)
            if found is None or found is AMBIGUOUS:
                what = "no row" if found is None else "more than one row"
                raise FixtureError(f"{where}: lookup {ref.text} matches {what} of {ref.target}")
            return found
        if ref is not None and ref not in self.known_values(label, column):
            await self.check_exists(label, column, {ref})
            if ref not in self.known_values(label, column):
                raise FixtureError(f"{where}: no {label} with {column}={ref!r}")
        return ref

    async def resolve_all(self, refs: list[Any], label: str, column: str) -> None:
        """Look ``refs`` up in bulk, so :meth:`value` then answers without a query each."""
        lookups = {r for r in refs if type(r) is Lookup}
        if lookups:
            await self.resolver.resolve(lookups, column)
        plain = {r for r in refs if r is not None and type(r) is not Lookup}
        if plain:
            await self.check_exists(label, column, plain)
