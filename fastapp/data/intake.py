"""Records in, batches of rows out: the CPU-bound half of ``loaddata``.

:class:`Intake` reads the fixture sources one record at a time, checks each record's shape,
turns its ``fields`` into a row with the model's generated builder and collects rows per
model. A batch that reaches ``batch_size`` is handed over (after the batches of the models
it references, so parents reach the database first). Relations that are applied after all
rows exist (deferred foreign keys, many-to-many and reverse lists) are collected here too.

The loader writes each batch as it is handed over, so memory holds a few batches, not
the fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from itertools import count, pairwise, repeat
from operator import itemgetter
from typing import Any

from fastapp.data import FixtureError
from fastapp.data.columns import (
    ColumnRun,
    RunBuilder,
    compile_run_builder,
    convert_pending,
)
from fastapp.data.formats import FixtureReader, FixtureSource
from fastapp.data.models import ForeignKey, Layout
from fastapp.data.rowcode import MAX_SHAPES, FieldProblem, RowBuilder, compile_builder
from fastapp.data.spool import Spool
from fastapp.data.values import ValueProblem

Origin = tuple[int, int]
_SKIPPED = object()
#: Records between two pauses of :meth:`Intake.batches_of`.
PAUSE_EVERY = 500
#: Records of one model and key order, at least, that are built column by column.
RUN_MIN = 32
_MODEL = itemgetter("model")
_FIELDS = itemgetter("fields")
_UNKNOWN = object()
#: The two kinds of work applied after the rows: foreign keys set afterwards, and links.
UPDATES, LINKS = "updates", "links"


class Origins:
    """Where each row of a batch comes from, ``(source number, record index)``, kept as runs
    of consecutive records: a column run of thousands of records is one entry, not as many
    tuples to build, pickle, send and free. A sequence of those pairs, for messages."""

    __slots__ = ("runs", "length")

    def __init__(self) -> None:
        self.runs: list[list[int]] = []  # [source number, first record index, count]
        self.length = 0

    def __len__(self) -> int:
        return self.length

    def append(self, origin: Origin) -> None:
        self.add_run(origin[0], origin[1], 1)

    def add_run(self, number: int, first: int, count: int) -> None:
        """Records ``first`` .. ``first + count - 1`` of source ``number``."""
        runs = self.runs
        if runs and (last := runs[-1])[0] == number and last[1] + last[2] == first:
            last[2] += count
        else:
            runs.append([number, first, count])
        self.length += count

    def __iter__(self) -> Iterator[Origin]:
        for number, first, size in self.runs:
            yield from zip(repeat(number), range(first, first + size))

    def __getitem__(self, index: int) -> Origin:
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError(index)
        for number, first, size in self.runs:
            if index < size:
                return number, first + index
            index -= size
        raise IndexError(index)  # not reached: the length covers the runs


class Batch:
    """Rows of one model: with a pk (upserted) and without one (inserted, pk generated)."""

    __slots__ = ("rows", "origins", "keyless", "keyless_origins", "pending", "runs", "run_rows")

    def __init__(self) -> None:
        self.rows: list[list[Any]] = []
        self.origins = Origins()
        self.keyless: list[list[Any]] = []
        self.keyless_origins = Origins()
        #: (first row, stop, ((slot, joined text or None, stored), ...)) of ``rows`` whose columns are
        #: still text to convert (:func:`fastapp.data.columns.convert_pending`, in the
        #: writing process).
        self.pending: list[tuple[int, int, tuple]] = []
        #: Column runs not yet made rows, only while ``rows`` is empty (so they come first):
        #: they cross to the writing process as columns, which zips them (or
        #: :meth:`unroll` makes them rows where rows must follow).
        self.runs: list[ColumnRun] = []
        self.run_rows = 0

    def __len__(self) -> int:
        return len(self.rows) + self.run_rows + len(self.keyless)

    def unroll(self) -> None:
        """Make the column runs rows (their columns left unconverted stay pending)."""
        rows = self.rows
        for run in self.runs:
            start = len(rows)
            rows.extend(run.rows())
            if run.pending:
                self.pending.append((start, len(rows), run.pending))
        self.runs, self.run_rows = [], 0


class Intake:
    """Streams ``sources`` into per-model batches."""

    def __init__(
        self,
        layouts: dict[str, Layout],
        sources: list[FixtureSource],
        parse_lookup: Callable[[str, str], Any],
        *,
        skip: set[str],
        ignore_nonexistent: bool,
        batch_size: int,
        spool_limit: int = 50_000,
    ) -> None:
        self.layouts = layouts
        self.sources = sources
        self.parse_lookup = parse_lookup
        self.skip = skip
        self.ignore_nonexistent = ignore_nonexistent
        self.batch_size = batch_size
        self.spool_limit = spool_limit
        #: Where full spool chunks go instead of a temporary file: ``spill(kind, key,
        #: entries)`` (the forked intake hands them to the writing process).
        self.spill: Callable[[str, tuple[str, str], list[Any]], None] | None = None
        #: Leave the plain columns of column runs to the writing process to check and
        #: convert (the forked intake: the parser sets the pace on two cores).
        self.defer_columns = False
        self.by_name = {label.lower(): layout for label, layout in layouts.items()}
        self.models: dict[str, Any] = {}
        self.builders: dict[str, RowBuilder] = {}
        self.run_builders: dict[tuple[str, frozenset[str]], RunBuilder | None] = {}
        #: label -> {slot: column converter} for the columns left unconverted (built once)
        self.pending_columns: dict[str, dict[int, Any]] = {}
        self.batches: dict[str, Batch] = {}
        #: Applied after every row is written, spooled (memory stays bounded):
        #: (label, column) -> (row key or Lookup, value or Lookup, origin, record's model, key)
        self.updates: dict[tuple[str, str], Spool] = {}
        #: (label, relation name) -> (own pk, items, origin)
        self.links: dict[tuple[str, str], Spool] = {}
        self.objects = 0
        self.skipped = 0
        self.bytes_read = 0

    def spool_of(self, kind: str, key: tuple[str, str]) -> Spool:
        """The spool of ``kind`` (:data:`UPDATES` or :data:`LINKS`) for ``key``."""
        spools = self.updates if kind == UPDATES else self.links
        spool = spools.get(key)
        if spool is None:
            spill = self.spill
            handover = None if spill is None else partial(spill, kind, key)
            spool = spools[key] = Spool(self.spool_limit, handover)
        return spool

    def where(self, origin: Origin, label: str, name: str | None = None) -> str:
        where = f"{self.sources[origin[0]].label}, record {origin[1]} ({label})"
        return f"{where}: field {name!r}" if name is not None else where

    # -- the stream -------------------------------------------------------------------------
    def batches_of(self) -> Iterator[tuple[str, Batch] | None]:
        """Read every source; yield ``(label, batch)`` for each full batch.

        Runs of records of one model with the same keys are built column by column
        (:mod:`fastapp.data.columns`), the rest record by record. Every ``PAUSE_EVERY``
        records (and after each run) it also yields None: a chance for the event loop to
        move a write in flight forward. Raises :class:`FixtureError`. The last partial
        batches stay in ``self.batches``.
        """
        done = 0
        for number, source in enumerate(self.sources):
            reader = FixtureReader(source)
            for first, values in reader:
                self.bytes_read = done + reader.consumed()
                start = 0
                for low, high, layout, built, origin in self._column_runs(number, first, values):
                    if low > start:
                        yield from self._records(number, reader, first + start, values[start:low])
                    yield from self._add_run(layout, built, origin)
                    start = high
                if start < len(values):
                    rest = values[start:] if start else values
                    yield from self._records(number, reader, first + start, rest)
            done += reader.consumed()
            self.bytes_read = done

    def _records(
        self, number: int, reader: FixtureReader, first: int, values: list[Any]
    ) -> Iterator[tuple[str, Batch] | None]:
        """The record-by-record path: ``values`` are records ``first``, ``first + 1``..."""
        size = self.batch_size
        objects = self.objects
        models, builders, batches = self.models, self.builders, self.batches
        for index, record in enumerate(values, first):
            try:
                layout = models[record["model"]]
                fields = record["fields"]
                pk = record.get("pk")
            except (KeyError, TypeError):
                layout, fields, pk = self._slow_record(number, index, reader, record)
            if layout is _SKIPPED:
                self.skipped += 1
                continue
            objects += 1
            label = layout.label
            if type(fields) is not dict:
                raise FixtureError(
                    f'{self.where((number, index), label)}: "fields" must be an object'
                )
            build = builders.get(label)
            if build is None:
                build = builders[label] = self._builder(layout)
            origin = (number, index)
            try:
                row = build(fields, pk, origin)
            except FieldProblem as exc:
                raise FixtureError(f"{self.where(origin, label, exc.field)}: {exc}") from None
            batch = batches.get(label)
            if batch is None:
                batch = batches[label] = Batch()
            elif batch.runs:
                batch.unroll()  # the runs come before this row
            if row[0] is None:
                batch.keyless.append(row[1:])
                batch.keyless_origins.append(origin)
                full = len(batch.keyless) >= size
            else:
                batch.rows.append(row)
                batch.origins.append(origin)
                full = len(batch.rows) >= size
            if full:
                self.objects = objects
                yield from self._emit(label)
            elif not index % PAUSE_EVERY:
                self.objects = objects
                yield None
        self.objects = objects

    def _column_runs(
        self, number: int, first: int, values: list[Any]
    ) -> Iterator[tuple[int, int, Layout, ColumnRun, Origin]]:
        """``(start, stop, layout, built run, first origin)`` of the runs of ``values`` (records
        ``first``, ``first + 1``... of source ``number``) built column by column: at least
        ``RUN_MIN`` records of one known model, one key set and a ``pk`` each. Lazily, in
        order: the runs before one are built before it is."""
        count = len(values)
        if count < RUN_MIN:
            return
        try:
            names = list(map(_MODEL, values))
        except (KeyError, TypeError):
            return  # not all records: the record-by-record path says which
        if names.count(names[0]) == count:
            edges = [0, count]
        else:
            edges = [0, *(i for i in range(1, count) if names[i] != names[i - 1]), count]
        for low, high in pairwise(edges):
            name = names[low]
            if high - low < RUN_MIN or type(name) is not str:
                continue
            layout = self._layout_of(name)
            if layout is None or layout is _SKIPPED:
                continue
            built = self._column_rows(layout, values[low:high], number, first + low)
            if built is not None:
                yield low, high, layout, built, (number, first + low)

    def _column_rows(
        self, layout: Layout, records: list[dict], number: int, start: int
    ) -> ColumnRun | None:
        try:
            fields = list(map(_FIELDS, records))
        except KeyError:
            return None
        first = fields[0]
        if type(first) is not dict:
            return None
        pks = list(map(dict.get, records, repeat("pk")))
        if None in pks:
            return None  # rows without a pk go to the keyless half of the batch
        # The first record's keys, in any order: the builder checks every record has them.
        shape = (layout.label, frozenset(first))
        build = self.run_builders.get(shape, _UNKNOWN)
        if build is _UNKNOWN:
            build = None
            if sum(label == layout.label for label, _ in self.run_builders) < MAX_SHAPES:
                build = compile_run_builder(
                    layout,
                    tuple(first),
                    adapted_kinds=set(layout.adapted),
                    defer=self.defer_columns,
                    **self._hooks(layout),
                )
            self.run_builders[shape] = build
        if build is None:
            return None
        return build(fields, pks, lambda: zip(repeat(number), count(start)))

    def _add_run(
        self, layout: Layout, run: ColumnRun, start: Origin
    ) -> Iterator[tuple[str, Batch] | None]:
        label = layout.label
        batch = self.batches.get(label)
        if batch is None:
            batch = self.batches[label] = Batch()
        batch.runs.append(run)
        batch.run_rows += run.count
        if batch.rows:
            batch.unroll()  # after the rows already there
        batch.origins.add_run(start[0], start[1], run.count)
        self.objects += run.count
        if len(batch.rows) + batch.run_rows >= self.batch_size:
            yield from self._emit(label)
        else:
            yield None

    def convert_pending(self, label: str, batch: Batch, *, unroll: bool = True) -> None:
        """Convert the columns the column builder left unconverted (the writing process does
        this for a forked intake) and, with ``unroll``, make the column runs rows; raises
        :class:`FixtureError` for the first value that cannot be stored, worded as the
        per-record builder words it."""
        problem = self._pending_problem(label, batch, unroll=unroll)
        if problem is not None:
            raise FixtureError(problem[1])

    def earliest_pending_problem(self) -> str | None:
        """The error of the first value left unconverted in the batches not handed over yet: it
        comes before any error the intake raised since (those rows were built first)."""
        found = [
            problem
            for label, batch in self.batches.items()
            if (problem := self._pending_problem(label, batch)) is not None
        ]
        return min(found)[1] if found else None

    def _pending_problem(
        self, label: str, batch: Batch, *, unroll: bool = True
    ) -> tuple[Origin, str] | None:
        """Convert what was left unconverted (and make the column runs rows); the first
        problem."""
        if not batch.pending and not batch.runs:
            return None
        layout = self.layouts[label]
        columns = self.pending_columns.setdefault(label, {})
        adapted = set(layout.adapted)
        problem, offset = None, 0
        for run in batch.runs:  # converted as columns: no pass over the rows
            problem = run.convert(layout, adapted, columns) if run.pending else None
            if problem is not None:
                problem = (offset + problem[0], *problem[1:])
                break
            offset += run.count
        if problem is None and (unroll or batch.rows):
            batch.unroll()
            problem = convert_pending(layout, batch.rows, batch.pending, adapted, columns)
            batch.pending = []
        if problem is None:
            return None
        row, slot, exc = problem
        origin = batch.origins[row]
        return origin, f"{self.where(origin, label, layout.slot_names[slot])}: {exc}"

    def _emit(self, label: str) -> Iterator[tuple[str, Batch]]:
        batch = self.batches.pop(label, None)
        if batch is None:
            return
        for fk in self.layouts[label].foreign_keys:
            if not fk.deferred and fk.target in self.batches:
                yield from self._emit(fk.target)  # rows this batch may reference go first
        yield label, batch

    def _slow_record(self, number: int, index: int, reader: FixtureReader, record: Any) -> tuple:
        """A record the fast path could not take: check its shape, find its model."""
        source = self.sources[number].label
        if not isinstance(record, dict) or not isinstance(record.get("model"), str):
            raise FixtureError(
                f"{source}, record {index} (line {reader.line(index)}): expected an object with "
                '"model": "app.Model", "fields": {...} and optionally "pk"'
            )
        name = record["model"]
        layout = self._layout_of(name)
        if layout is None:
            raise FixtureError(
                f"{source}, record {index} (line {reader.line(index)}): unknown model {name!r} "
                f"(installed: {', '.join(self.layouts)}); use --ignore-nonexistent to skip it"
            )
        return layout, record.get("fields", {}), record.get("pk")

    def _layout_of(self, name: str) -> Any:
        """The layout of the model a record names (learned once), ``_SKIPPED``, or None
        for an unknown model that may not be skipped."""
        layout = self.models.get(name)
        if layout is None:
            layout = self.by_name.get(name.lower())
            if layout is None:
                if not self.ignore_nonexistent:
                    return None
                layout = _SKIPPED
            elif layout.label in self.skip:
                layout = _SKIPPED
            self.models[name] = layout
        return layout

    # -- rows -------------------------------------------------------------------------------
    def _reference(self, fk: ForeignKey) -> Callable[[Any], Any]:
        """The converter of ``fk``'s values: a lookup text becomes its parsed form (parsed
        once per text), any other value its target's stored value."""
        convert, target, parse = fk.convert, fk.target, self.parse_lookup
        seen: dict[str, Any] = {}

        def ref(value: Any) -> Any:
            if type(value) is str and value.startswith("${") and value.endswith("}"):
                lookup = seen.get(value)
                if lookup is None:
                    lookup = seen[value] = parse(value, target)
                return lookup
            return convert(value)

        ref.parsed = seen  # type: ignore[attr-defined]
        return ref

    def _builder(self, layout: Layout) -> RowBuilder:
        return compile_builder(
            layout,
            adapted_kinds=set(layout.adapted),
            ignore_unknown=self.ignore_nonexistent,
            **self._hooks(layout),
        )

    def _hooks(self, layout: Layout) -> dict[str, Callable[[Any], Any]]:
        """What the row builders of ``layout`` call for relations: ``reference(fk)`` converts
        a foreign key's value; ``deferred(fk)``, ``many(rel)`` and ``backward(rel)`` give the
        hooks ``(value, own pk, origin)`` that record work applied after all rows exist."""

        def deferred(fk: ForeignKey) -> Callable[[Any, Any, Any], None]:
            ref = self._reference(fk)
            updates = self.spool_of(UPDATES, (layout.label, fk.column))

            def defer(value: Any, own: Any, origin: Origin) -> None:
                if value is None:
                    if not fk.nullable:
                        raise ValueProblem("may not be null")
                    return None
                if own is None:
                    raise ValueProblem(
                        "this reference is set after all rows are written, which needs the "
                        'record\'s "pk": add one'
                    )
                updates.append((own, ref(value), origin, layout.label, fk.name))
                return None

            return defer

        return {
            "reference": self._reference,
            "deferred": deferred,
            "many": lambda rel: lambda v, own, origin: self._many(layout, rel, v, own, origin),
            "backward": lambda rel: (
                lambda v, own, origin: self._backward(layout, rel, v, own, origin)
            ),
        }

    def _items(self, value: Any, target: Layout) -> list[Any]:
        if not isinstance(value, list):
            raise ValueProblem(f"expected a list of {target.label} primary keys or lookups")
        convert = target.converters[0]
        parse = self.parse_lookup
        return [
            parse(v, target.label)
            if type(v) is str and v.startswith("${") and v.endswith("}")
            else convert(v)
            for v in value
        ]

    def _many(self, layout: Layout, rel: Any, value: Any, own: Any, origin: Origin) -> None:
        if own is None:
            raise ValueProblem('setting a many-to-many list needs the record\'s "pk": add one')
        items = self._items(value, self.layouts[rel.target])
        self.spool_of(LINKS, (layout.label, rel.name)).append((own, items, origin))

    def _backward(self, layout: Layout, rel: Any, value: Any, own: Any, origin: Origin) -> None:
        if own is None:
            raise ValueProblem('setting a reverse foreign-key list needs the record\'s "pk"')
        child = self.layouts[rel.child]
        fk = next(f for f in child.foreign_keys if f.column == rel.child_column)
        if fk.target_column != layout.pk_column:
            raise ValueProblem("reverse lists are supported for foreign keys to the primary key")
        updates = self.spool_of(UPDATES, (rel.child, rel.child_column))
        updates.extend(
            (item, own, origin, layout.label, rel.name) for item in self._items(value, child)
        )
