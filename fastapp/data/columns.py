"""Column-wise row building: a run of records of one model and one key set at once.

The per-record builders (:mod:`fastapp.data.rowcode`) spend Python bytecode on every
value. But a fixture's records nearly always come in long runs of one model with the same
keys (dumpdata writes them so), and most columns hold values of one type, already in the
stored form. For such a run the checks are made per column, mostly in C:
``set(map(type, column))``, ``max(map(len, column))``, one regular expression over the
NUL-joined column (:func:`misfits`), one conversion per distinct foreign-key value. The run
stays columns (:class:`ColumnRun`) until its batch is written, where the rows are zipped. A
column that needs more is converted value by value, with exactly the branches the per-record
builder takes. Relations set after the rows (many-to-many and reverse lists, foreign keys in
cycles) are recorded record by record once every column is converted.

A run the column builder cannot take whole (a null where none is allowed, a value a
converter rejects, a missing ``pk``) goes through the per-record builders instead, which word
the error for the right record; both paths give the same rows. A forked parser leaves the
plain columns to the writing process (:meth:`ColumnRun.convert`), which reports a bad value
as the per-record builder would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from fastapp.data.models import FOREIGN, MANY, PLAIN, ForeignKey, Layout
from fastapp.data.rowcode import is_alias, text_form
from fastapp.data.values import ValueProblem

#: build(fields and pk of each record, origins() -> each record's origin) -> the run's
#: columns, or None: use the per-record path. Every record's ``fields`` must hold the
#: builder's keys (in any order) and nothing else. The origins are only asked for where a
#: relation records work for later.
RunBuilder = Callable[[list[dict], list[Any], Callable[[], Iterator[Any]]], "ColumnRun | None"]
#: A relation's hook: (value, own pk, origin), recording work applied after the rows.
Hook = Callable[[Any, Any, Any], None]
#: column values -> stored values; raises ValueProblem where the run must go per record.
ColumnBuilder = Callable[[Sequence[Any]], Sequence[Any]]

_NONE = type(None)


def compile_run_builder(
    layout: Layout,
    keys: tuple[str, ...],
    *,
    adapted_kinds: set[str],
    reference: Callable[[ForeignKey], Callable[[Any], Any]],
    deferred: Callable[[ForeignKey], Hook],
    many: Callable[[Any], Hook],
    backward: Callable[[Any], Hook],
    defer: bool = False,
) -> RunBuilder | None:
    """The builder of runs whose records have exactly ``keys`` in ``fields`` (in any order)
    and a ``pk``; None where every record needs the per-record builder anyway (an unknown
    key, an alias, two keys for one column, a required field missing).

    ``reference(fk)`` converts a foreign key's value; ``deferred(fk)``, ``many(rel)`` and
    ``backward(rel)`` give the hooks that record work applied after all rows are written.
    Hooks run once every column is converted, record by record, as the per-record builders
    run them; a hook that rejects a value hands the run back (the load fails there anyway).
    With ``defer``, the plain columns are left as they are, for the writing process to
    check and convert (see :func:`plain_column`).
    """
    makers: list[ColumnBuilder | None] = [None] * len(keys)
    hooks: list[tuple[int, Hook]] = []
    position: dict[int, int] = {}  # row slot -> index of the key that fills it
    for i, key in enumerate(keys):
        entry = layout.keys.get(key)
        if entry is None or is_alias(layout, key):
            return None
        what, target = entry
        if what == PLAIN:
            slot = target
            makers[i] = plain_column(layout, slot, adapted_kinds, defer=defer)
        elif what == FOREIGN and not target.deferred:
            slot = target.slot
            makers[i] = foreign_column(target, adapted_kinds, reference(target))
        elif what == FOREIGN:  # written NULL, set after all rows exist
            slot = target.slot
            makers[i] = _nulls
            hooks.append((i, deferred(target)))
        else:
            hooks.append((i, many(target) if what == MANY else backward(target)))
            continue
        if slot in position or slot == 0:
            return None
        position[slot] = i
    if any(slot not in position for slot in layout.required):
        return None
    pk_column = plain_column(layout, 0, adapted_kinds, nulls=False)
    constants = {
        slot: layout.defaults[slot]
        for slot in range(1, len(layout.columns))
        if slot not in position
    }
    dynamic = {slot: make for slot, make in layout.dynamic_defaults if slot not in position}
    width = len(layout.columns)
    values_of = itemgetter(*keys) if len(keys) > 1 else lambda f: (f[keys[0]],)

    def build(
        fields: list[dict], pks: list[Any], origins: Callable[[], Iterator[Any]]
    ) -> ColumnRun | None:
        count = len(fields)
        try:
            if set(map(len, fields)) != {len(keys)}:
                return None  # a key more or less than the first record's
            given = list(zip(*map(values_of, fields), strict=True)) if keys else []
        except (KeyError, TypeError):
            return None  # as many keys but not the same ones, or not an object
        try:
            columns: list[Any] = [pk_column(pks)]
            for slot in range(1, width):
                i = position.get(slot)
                if i is not None:
                    columns.append(makers[i](given[i]))  # type: ignore[misc]
                elif slot in dynamic:
                    make = dynamic[slot]
                    columns.append([make() for _ in range(count)])
                else:
                    columns.append([constants[slot]] * count)
            for i, hook in hooks:
                for value, own, origin in zip(given[i], columns[0], origins(), strict=False):
                    hook(value, own, origin)
        except ValueProblem:
            return None
        pending = tuple((slot, *c.sent()) for slot, c in enumerate(columns) if type(c) is Pending)
        if pending:  # a column sent as one text is None until converted
            texts = {slot: text for slot, text, _ in pending}
            columns = [
                ([None] * count if texts[slot] is not None else c.values)
                if type(c) is Pending
                else c
                for slot, c in enumerate(columns)
            ]
        return ColumnRun(columns, count, pending)

    return build


def _nulls(values: Sequence[Any]) -> Sequence[Any]:
    return [None] * len(values)


class ColumnRun:
    """The rows of a run, still as columns: so they cross to the writing process (a column of
    thousands of values pickles faster than as many rows), where the columns left unconverted
    are converted in place (:meth:`convert`) before the rows are put together (:meth:`rows`).
    """

    __slots__ = ("columns", "count", "pending")

    def __init__(self, columns: list[Sequence[Any]], count: int, pending: tuple) -> None:
        self.columns = columns
        self.count = count
        #: ((slot, NUL-joined text or None: the values are in the column, already stored), ...)
        self.pending = pending

    def rows(self) -> list[list[Any]]:
        return list(map(list, zip(*self.columns, strict=True)))

    def convert(
        self, layout: Layout, adapted_kinds: set[str], cache: dict[int, ColumnBuilder]
    ) -> tuple[int, int, ValueProblem] | None:
        """Convert the columns left unconverted; ``(row, slot, problem)`` of the first value that
        cannot be stored (see :func:`convert_pending`), the columns then not all converted."""
        columns = self.columns
        stored, first = _convert_slots(
            layout,
            self.pending,
            lambda slot, joined: joined.split(_NUL) if joined is not None else columns[slot],
            adapted_kinds,
            cache,
        )
        if first is not None:
            return first
        for slot, values in stored.items():
            columns[slot] = values
        self.pending = ()
        return None


def plain_column(
    layout: Layout,
    slot: int,
    adapted_kinds: set[str],
    *,
    nulls: bool = True,
    defer: bool = False,
) -> ColumnBuilder:
    """The stored values of a plain column, as the per-record builder gives them.

    An adapter's ``column_form(field)`` may give a function storing a whole column of values
    of one type at once (None where it cannot). With ``defer`` the column comes back
    unchecked, as :class:`Pending`: the writing process converts it
    (:meth:`ColumnRun.convert`), which balances the two processes of a forked load. A column
    of text crosses as one joined text where it can (one string to pickle, not one a row).
    Where the adapter has a ``joined_column(field)`` (the stored values of a column of text,
    joined by NUL, or None where a value needs more), that check is made here instead: the
    balance needs one column's work on this side. The returned function's ``one(value)``
    converts a single value, raising its problem.
    """
    kind = layout.kinds[slot]
    convert = layout.converters[slot]
    nullable = nulls and layout.nullable[slot]
    as_is = None if kind in adapted_kinds else _stored_as_is(layout, slot)
    from_text = text_form(layout, slot)
    text_column = _text_column(layout, slot)
    column_form = getattr(layout.adapters[slot], "column_form", None)
    adapted_column = None if column_form is None else column_form(layout.fields[slot])
    joined_form = getattr(layout.adapters[slot], "joined_column", None)
    stored_joined = None if joined_form is None else joined_form(layout.fields[slot])

    def one(v: Any) -> Any:
        if v is None:
            if nullable:
                return None
            raise ValueProblem("may not be null")
        if as_is is not None and as_is[0] == {type(v)} and as_is[1]((v,)):
            return v
        if from_text is not None and type(v) is str:
            t = from_text(v)
            if t is not None:
                return t
        return convert(v)

    def column(values: Sequence[Any], texts: bool = False) -> Sequence[Any]:
        """``texts``: the values are known to be text (split from a joined column)."""
        if defer:
            if stored_joined is not None:
                try:
                    return Pending(values, stored_joined(values))
                except TypeError:  # not all text
                    pass
            return Pending(values)
        types = {str} if texts else set(map(type, values))
        if len(types) == 1:
            if as_is is not None and as_is[0] == types and as_is[1](values):
                return values
            if adapted_column is not None and (stored := adapted_column(values)) is not None:
                return stored
            if text_column is not None and types == {str}:
                stored = text_column(values)
                if None not in stored:
                    return stored
                stored = list(stored)
                for at in _nones(stored):  # what the column check left, one by one
                    stored[at] = one(values[at])
                return stored
        return [one(v) for v in values]

    column.one = one  # type: ignore[attr-defined]
    return column


def _nones(values: list[Any]) -> Iterator[int]:
    """The positions of None in ``values``, found in C (a column check leaves few)."""
    at = -1
    while True:
        try:
            at = values.index(None, at + 1)
        except ValueError:
            return
        yield at


_NUL = "\0"


def misfits(pattern: str) -> Callable[[Sequence[str]], tuple[str, list[int]] | None]:
    """A check of a column of text against ``pattern``, on the joined text: a regular
    expression called per value costs several times its matching on short text. Gives
    ``(text, positions)``: the values joined by NUL (with a NUL before and after) and the
    positions of those that do not fullmatch; None for no values or where a value holds a
    NUL (the value-by-value check takes those). Each run of fitting values costs one call,
    so a column with a few misfits is still cheap."""
    run = re.compile(rf"(?:\0(?:{pattern})(?=\0))*+").match

    def check(values: Sequence[str]) -> tuple[str, list[int]] | None:
        text = _NUL + _NUL.join(values) + _NUL
        if not values or text.count(_NUL) != len(values) + 1:
            return None
        bad: list[int] = []
        at, index, last = 0, 0, len(text) - 1
        while True:
            end = run(text, at).end()  # type: ignore[union-attr]  # (...)*+ always matches
            index += text.count(_NUL, at, end)
            if end == last:
                return text, bad
            bad.append(index)  # the value after the NUL at ``end``
            at = text.index(_NUL, end + 1)
            index += 1

    return check


def _joined(values: Sequence[Any]) -> str | None:
    """``values`` joined by NUL, or None where one is not text or holds a NUL (JSON text may)."""
    try:
        text = _NUL.join(values)
    except TypeError:
        return None
    return text if text.count(_NUL) == len(values) - 1 else None


class Pending:
    """A column left as it is, for the writing process to check and convert (sent as one
    NUL-joined text where every value is text without a NUL); or, with ``stored``, checked
    here already and sent as its stored values joined (the writing process only splits)."""

    __slots__ = ("values", "stored")

    def __init__(self, values: Sequence[Any], stored: str | None = None) -> None:
        self.values = values
        self.stored = stored

    def sent(self) -> tuple[str | None, bool]:
        """``(joined text, or None: the values stay in the column; whether it is stored)``"""
        if self.stored is not None:
            return self.stored, True
        return _joined(self.values), False


def convert_pending(
    layout: Layout,
    rows: list[list[Any]],
    pending: list[tuple[int, int, tuple[tuple[int, str | None, bool], ...]]],
    adapted_kinds: set[str],
    columns: dict[int, ColumnBuilder] | None = None,
) -> tuple[int, int, ValueProblem] | None:
    """Convert in place the columns a forked intake left unconverted: ``pending`` holds
    ``(first row, stop, ((slot, joined text or None, stored), ...))``, the text of a column joined by
    NUL where none of its values holds one (one object to pickle instead of one a row), else
    left in the rows. Returns ``(row, slot, problem)`` of the first value that cannot be
    stored (in row order, then column order, as the per-record builder finds it); the rows
    are then not all converted, and the load fails there."""
    cache = {} if columns is None else columns
    for start, stop, slots in pending:
        part = rows[start:stop]
        stored, first = _convert_slots(
            layout,
            slots,
            lambda slot, joined: (
                joined.split(_NUL) if joined is not None else [row[slot] for row in part]  # noqa: B023 - called at once
            ),
            adapted_kinds,
            cache,
        )
        if first is not None:
            return start + first[0], first[1], first[2]
        for slot, values in stored.items():
            for row, value in zip(part, values, strict=True):
                row[slot] = value
    return None


def _convert_slots(
    layout: Layout,
    slots: tuple[tuple[int, str | None, bool], ...],
    values_of: Callable[[int, str | None], Sequence[Any]],
    adapted_kinds: set[str],
    cache: dict[int, ColumnBuilder],
) -> tuple[dict[int, Sequence[Any]], tuple[int, int, ValueProblem] | None]:
    """The stored values of each pending ``(slot, joined text, already stored)``
    (``values_of`` gives its values), and the first value that cannot be stored, in row then
    column order."""
    first: tuple[int, int, ValueProblem] | None = None
    stored: dict[int, Sequence[Any]] = {}
    for slot, joined, ready in slots:
        if ready:  # checked by the parser: its stored values, joined
            stored[slot] = joined.split(_NUL)  # type: ignore[union-attr]
            continue
        column = cache.get(slot)
        if column is None:  # one per column for the whole load
            column = cache[slot] = plain_column(layout, slot, adapted_kinds)
        values = values_of(slot, joined)
        try:
            stored[slot] = column(values, joined is not None)  # type: ignore[call-arg]
        except ValueProblem:
            for index, value in enumerate(values):
                try:
                    column.one(value)  # type: ignore[attr-defined]
                except ValueProblem as problem:
                    if first is None or (index, slot) < first[:2]:
                        first = (index, slot, problem)
                    break
    return stored, first


def foreign_column(
    fk: ForeignKey, adapted_kinds: set[str], ref: Callable[[Any], Any]
) -> ColumnBuilder:
    """The stored values (or parsed lookups) of a foreign key that is written with the row:
    each distinct value converted once."""
    int_as_is = fk.convert_kind == "int" and "int" not in adapted_kinds

    def one(v: Any) -> Any:
        if v is None:
            if fk.nullable:
                return None
            raise ValueProblem("may not be null")
        if int_as_is and type(v) is int:
            return v
        return ref(v)

    def column(values: Sequence[Any]) -> Sequence[Any]:
        types = set(map(type, values))
        if int_as_is and types == {int}:
            return values
        if types <= {int, str, _NONE}:  # no two of these types hold equal values
            stored = {v: one(v) for v in set(values)}
            return list(map(stored.__getitem__, values))
        return [one(v) for v in values]

    return column


def _stored_as_is(layout: Layout, slot: int) -> tuple[set[type], Callable] | None:
    """``(the one type, a test of a column of it)`` meaning "every value is stored as it is":
    the per-record builder's inline fast check, for a whole column."""
    kind = layout.kinds[slot]
    if kind in ("int", "timedelta"):
        return {int}, _always
    if kind == "float":
        return {float}, _always
    if kind == "bool":
        return {bool}, _always
    if kind == "str":
        limit = getattr(layout.fields[slot], "max_length", None)
        if not limit:
            return {str}, _always
        return {str}, lambda values: max(map(len, values), default=0) <= int(limit)
    if kind == "uuid":
        return {str}, canonical_uuids
    return None


def canonical_uuids(values: Sequence[str]) -> bool:
    """Whether every value is canonical UUID text (lowercase 8-4-4-4-12 hex digits), as
    ``UUID_TEXT`` says of one: checked on the joined column with C string methods, a third of
    the time of the regular expression value by value."""
    count = len(values)
    if set(map(len, values)) != {36}:
        return False
    text = "".join(values)
    if text.count("-") != 4 * count:
        return False
    if any(text[at::36].count("-") != count for at in (8, 13, 18, 23)):
        return False
    digits = text.replace("-", "")
    if digits != digits.lower():
        return False
    try:  # fromhex skips whitespace between pairs: the byte count catches it
        return len(bytes.fromhex(digits)) == 16 * count
    except ValueError:
        return False


def _always(values: Sequence[Any]) -> bool:
    return True


def _text_column(layout: Layout, slot: int) -> Callable[[Sequence[str]], Sequence[Any]] | None:
    """The stored values of a column of text, None for each text that needs converting: the
    adapter's ``text_column`` where it has one, else its ``text_form`` value by value."""
    factory = getattr(layout.adapters[slot], "text_column", None)
    if factory is not None:
        return factory(layout.fields[slot])
    from_text = text_form(layout, slot)
    if from_text is None:
        return None
    return lambda values: list(map(from_text, values))
