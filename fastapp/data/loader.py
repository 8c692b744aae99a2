"""The core of ``fastapp loaddata``: stream records, write them in bulk, all or nothing.

Records are converted as they stream in and collected per model into batches. A full batch
is written at once if every row's references can be satisfied (:mod:`fastapp.data.settling`):
foreign keys by value must point at rows known to exist (loaded in this run, or found by one
query per batch), lookups are resolved by one query per target model and field set. Rows
whose references are not there yet wait in a spool (spilled to disk past a bound) and are
retried after the last fixture, model by model in dependency order, until nothing more can
be written; what is left is a broken reference, reported with its file, record and field.

Nullable foreign keys inside cycles (self references) are written as NULL and set by one
bulk update at the end, as are many-to-many lists and reverse foreign-key lists. Every
connection runs one transaction for the whole command: any error rolls all of them back.
Parsing may run in a forked child process that hands the batches over in order.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from typing import Any

from fastapp.apps import AppRegistry
from fastapp.data import FixtureError, forked
from fastapp.data.formats import FixtureSource
from fastapp.data.intake import Batch, Intake
from fastapp.data.models import (
    Layout,
    build_layouts,
    load_order,
)
from fastapp.data.settling import References
from fastapp.data.spool import Spool
from fastapp.data.values import Timezones
from fastapp.data.writers import writer_for
from fastapp.data.writers.base import BulkWriter
from fastapp.errors import UnknownAppError

_first = itemgetter(0)  # a row's pk, at C speed over a batch

#: Called with (records read so far, input bytes read so far, total input bytes or None).
Progress = Callable[[int, int, int | None], None]


@dataclass(frozen=True)
class LoadOptions:
    """What to load and how; see ``fastapp loaddata --help``."""

    fixtures: Sequence[FixtureSource]
    apps: Sequence[str] = ()
    exclude: Sequence[str] = ()
    ignore_nonexistent: bool = False
    batch_size: int = 5000
    #: Waiting rows kept in memory before they are spilled to a temporary file.
    spool_rows: int = 50_000
    #: Parse in a forked child process (see :mod:`fastapp.data.forked`). Off by default:
    #: forking is the CLI's choice, never a library caller's surprise (an application's
    #: threads and handles would be copied). None decides by itself, as ``fastapp
    #: loaddata`` asks (fixtures of at least ``CHILD_MIN_BYTES`` whose writers cannot overlap).
    parse_in_child: bool | None = False


#: Fixture bytes from which parsing in a child process pays for the fork.
CHILD_MIN_BYTES = 4 << 20


@dataclass
class LoadResult:
    objects: int = 0
    fixtures: int = 0
    skipped: int = 0
    seconds: float = 0.0
    per_model: dict[str, int] = field(default_factory=dict)


async def load_fixtures(
    registry: AppRegistry, options: LoadOptions, progress: Progress | None = None
) -> LoadResult:
    """Load ``options.fixtures`` into the registry's databases, all or nothing.

    Returns counts and timing. Raises :class:`FixtureError` for bad input or a failed write
    (the message names the fixture, record and field), :class:`UnknownAppError` for unknown
    ``--app``/``--exclude`` names, :class:`DatabaseUnavailableError` when a database is down.
    """
    return await _load(registry, options, progress)


async def _load(
    registry: AppRegistry, options: LoadOptions, progress: Progress | None
) -> LoadResult:
    from fastapp.connections.raw import raw_connection
    from fastapp.tortoise.context import tortoise_context

    started = time.perf_counter()
    tz = Timezones(registry.settings.use_tz, registry.settings.time_zone)
    async with tortoise_context(registry) as ctx, AsyncExitStack() as stack:
        models = list(ctx.apps.get_models_iterable())
        configs = registry.connections()
        writers: dict[str, BulkWriter] = {}
        for alias, cfg in configs.items():
            conn = await stack.enter_async_context(raw_connection(cfg))
            writers[alias] = writer_for(cfg.dialect_name, conn, tz)

        def connection_of(model: Any) -> str:
            return registry.apps[model._meta.app].connection

        layouts = build_layouts(
            models,
            connection_of,
            lambda alias: writers[alias].adapters(),
            tz,
            dt.datetime.now(dt.UTC),
        )
        skip = _skipped_models(layouts, registry, options)
        run = _Run(layouts, writers, skip, options, progress)
        begun: list[BulkWriter] = []
        try:
            for writer in writers.values():
                await writer.begin()
                begun.append(writer)
            await run.load()
            await run.reset_sequences()
        except BaseException as exc:
            for writer in begun:
                try:
                    await writer.rollback()
                except Exception:  # the original error matters more than a failed rollback
                    pass
            if isinstance(exc, FixtureError | UnknownAppError | KeyboardInterrupt):
                raise
            raise FixtureError(
                f"loading failed: {_first_line(exc, configs)}; nothing was written"
            ) from exc
        finally:
            run.close()
        for writer in writers.values():
            await writer.commit()
        for alias, writer in writers.items():
            await writer.after_commit(run.sequence_layouts(alias))
    result = run.result
    result.fixtures = len(options.fixtures)
    result.seconds = time.perf_counter() - started
    return result


def _first_line(exc: BaseException, configs: dict) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for cfg in configs.values():
        text = cfg.mask(text)
    return text


def _skipped_models(
    layouts: dict[str, Layout], registry: AppRegistry, options: LoadOptions
) -> set[str]:
    """Labels of models whose records are skipped (``--app`` / ``--exclude``)."""
    registry.select(options.apps)  # unknown labels raise
    skip = set()
    if options.apps:
        skip |= {lbl for lbl, lay in layouts.items() if lay.model._meta.app not in options.apps}
    lowered = {lbl.lower(): lbl for lbl in layouts}
    for name in options.exclude:
        if "." in name:
            label = lowered.get(name.lower())
            if label is None:
                raise UnknownAppError(
                    f"--exclude {name}: no such model (known: {', '.join(layouts)})"
                )
            skip.add(label)
        else:
            registry.select([name])
            skip |= {lbl for lbl, lay in layouts.items() if lay.model._meta.app == name}
    return skip


class _RowSpool:
    """Rows (with their origins) waiting for references; spilled to disk past ``limit`` rows."""

    def __init__(self, limit: int) -> None:
        self.spool = Spool(limit)

    def __len__(self) -> int:
        return len(self.spool)

    def add(self, rows: list[list[Any]], origins: list[tuple[int, int]]) -> None:
        self.spool.extend(zip(rows, origins, strict=True))

    def drain(self) -> Iterator[tuple[list[list[Any]], list[tuple[int, int]]]]:
        """Every batch once, emptying the spool (new rows may be added meanwhile)."""
        for chunk in self.spool.drain():
            yield [row for row, _ in chunk], [origin for _, origin in chunk]

    def close(self) -> None:
        self.spool.close()


class _Run:
    """One load: the state shared by every fixture of the command."""

    def __init__(
        self,
        layouts: dict[str, Layout],
        writers: dict[str, BulkWriter],
        skip: set[str],
        options: LoadOptions,
        progress: Progress | None,
    ) -> None:
        self.layouts = layouts
        self.order = load_order(layouts)
        self.writers = writers
        self.skip = skip
        self.options = options
        self.progress = progress
        self.refs = References(layouts, writers)
        self.result = LoadResult()
        self.sources: list[FixtureSource] = list(options.fixtures)
        self.intake = Intake(
            layouts,
            self.sources,
            self.refs.resolver.parse,
            skip=skip,
            ignore_nonexistent=options.ignore_nonexistent,
            batch_size=options.batch_size,
            spool_limit=options.spool_rows,
        )
        self.updates = self.intake.updates
        self.links = self.intake.links
        self.waiting: dict[str, _RowSpool] = {}
        self.keyless_waiting: dict[str, _RowSpool] = {}
        self.loaded: set[str] = set()
        self.empty_at_start: dict[str, bool] = {}
        self.largest_pk: dict[str, Any] = {}
        self.total_bytes = _total_size(self.sources)

    def close(self) -> None:
        for spool in (
            *self.waiting.values(),
            *self.keyless_waiting.values(),
            *self.updates.values(),
            *self.links.values(),
        ):
            spool.close()

    # -- the whole load ---------------------------------------------------------------------
    async def load(self) -> None:
        await self._stream()
        for label in self.order:
            batch = self.intake.batches.pop(label, None)
            if batch is not None:
                await self._flush(label, batch)
            await self._retry(label)
        for label in self.order:
            await self._retry(label, final=True)
        await self._apply_updates()
        await self._apply_links()
        self.result.objects = self.intake.objects
        self.result.skipped = self.intake.skipped
        if self.progress is not None:
            self.progress(self.intake.objects, self.intake.bytes_read, self.total_bytes)

    async def _stream(self) -> None:
        """Write each full batch as the intake hands it over.

        Where the writer allows it (the server does the work, the loop only feeds a socket),
        the next batch is parsed in the event loop's thread while the last one is written,
        the intake pausing now and then so the write moves on; one write at a time, in order.
        Where it does not (SQLite writes in this process), a large load is parsed in a forked
        child process (:mod:`fastapp.data.forked`): a parsing thread would fight the
        writer for the GIL. With multi-row writes and per-shape row builders the child pays
        off: 100k bench records ~1.4 s -> ~1.15 s wall on two cores (min of 3, a busy machine).
        """
        if self._parse_in_child():
            child = forked.ChildIntake(self.intake)
            try:
                child.start()
            except OSError:  # no fork here after all: parse in this process
                pass
            else:
                try:
                    await self._stream_from(child)
                finally:
                    child.close()
                return
        intake = self.intake
        pending: asyncio.Future | None = None
        try:
            for item in intake.batches_of():
                if item is None:
                    if pending is not None:
                        await asyncio.sleep(0)
                    continue
                if pending is not None:
                    await pending
                    pending = None
                if self.progress is not None:
                    self.progress(intake.objects, intake.bytes_read, self.total_bytes)
                label, batch = item
                flush = self._flush(label, batch)
                if self.writers[self.layouts[label].connection].overlaps_parsing:
                    pending = asyncio.ensure_future(flush)
                    await asyncio.sleep(0)
                else:
                    await flush
            if pending is not None:
                await pending
                pending = None
        finally:
            if pending is not None:  # the intake failed while a write was in flight
                try:  # let it finish, so the connection is idle for the rollback
                    await pending
                except Exception:  # the intake's error is the one to report
                    pass

    def _parse_in_child(self) -> bool:
        """Whether to parse in a forked child: where no writer overlaps parsing by itself."""
        chosen = self.options.parse_in_child
        if chosen is not None:
            return chosen and forked.available()
        return (
            forked.preferred()
            and self.total_bytes is not None
            and self.total_bytes >= CHILD_MIN_BYTES
            and not any(writer.overlaps_parsing for writer in self.writers.values())
        )

    async def _stream_from(self, child: forked.ChildIntake) -> None:
        """Write each batch the child hands over, in order, while it parses the next ones."""
        intake = self.intake
        async with aclosing(child.batches()) as items:
            async for label, batch in items:
                if self.progress is not None:
                    self.progress(intake.objects, intake.bytes_read, self.total_bytes)
                await self._flush(label, batch)

    # -- writing ----------------------------------------------------------------------------
    async def _flush(self, label: str, batch: Batch) -> None:
        layout = self.layouts[label]
        if batch.runs and not batch.rows:  # the usual batch: column runs only
            self.intake.convert_pending(label, batch, unroll=False)
            settled = [await self.refs.settled(layout, run.columns) for run in batch.runs]
            if all(settled):  # rows as tuples: no list a row
                rows: list[Any] = []
                for run in batch.runs:
                    rows += zip(*run.columns, strict=True)
                await self._write(layout, rows, batch.origins, True)
                batch.runs, batch.run_rows = [], 0
            # else some reference waits or fails: the rows' path says which
        self.intake.convert_pending(label, batch)
        for rows, origins, with_pk in (
            (batch.rows, batch.origins, True),
            (batch.keyless, batch.keyless_origins, False),
        ):
            if not rows:
                continue
            ok = await self.refs.settle(layout, rows, 0 if with_pk else 1)
            ready = [r for r, good in zip(rows, ok, strict=True) if good]
            if len(ready) < len(rows):
                spools = self.waiting if with_pk else self.keyless_waiting
                spool = spools.get(label) or spools.setdefault(
                    label, _RowSpool(self.options.spool_rows)
                )
                spool.add(
                    [r for r, good in zip(rows, ok, strict=True) if not good],
                    [o for o, good in zip(origins, ok, strict=True) if not good],
                )
            ready_origins = (
                origins
                if len(ready) == len(rows)
                else [o for o, good in zip(origins, ok, strict=True) if good]
            )
            await self._write(layout, ready, ready_origins, with_pk)

    async def _write(
        self, layout: Layout, rows: list[list[Any]], origins: list[tuple[int, int]], with_pk: bool
    ) -> None:
        if not rows:
            return
        writer = self.writers[layout.connection]
        try:
            if not with_pk and layout.label in self.largest_pk and layout.pk_generated:
                # Generated pks must not collide with the explicit ones loaded before.
                await writer.reset_sequence(layout)
            known_new = with_pk and await self._surely_new(layout, rows)
            await writer.write(layout, rows, with_pk=with_pk, known_new=known_new)
        except Exception as exc:
            first, last = origins[0], origins[-1]
            span = self.intake.where(first, layout.label)
            if last != first:
                span += f" .. {self.sources[last[0]].label}, record {last[1]}"
            raise FixtureError(
                f"writing {len(rows)} {layout.label} row(s) failed ({span}): "
                f"{_first_line(exc, {})}; nothing was written"
            ) from exc
        self.loaded.add(layout.label)
        self._note_pks(layout.label, rows, with_pk)
        self.result.per_model[layout.label] = self.result.per_model.get(layout.label, 0) + len(rows)
        self.refs.wrote(layout, rows, with_pk)

    async def _surely_new(self, layout: Layout, rows: list[list[Any]]) -> bool:
        """Whether no pk of ``rows`` can exist yet, so the writer may skip asking.

        True when the table was empty when the load began, nothing without a pk was
        inserted since, and every pk is above the largest one loaded so far: the common
        case of a fixture in pk order into an empty table.
        """
        label = layout.label
        if label not in self.empty_at_start:
            writer = self.writers[layout.connection]
            self.empty_at_start[label] = not await writer.has_rows(layout.table)
        if not self.empty_at_start[label]:
            return False
        try:
            low = min(map(_first, rows))
            return label not in self.largest_pk or low > self.largest_pk[label]
        except TypeError:  # pks that do not order
            return False

    def _note_pks(self, label: str, rows: list[list[Any]], with_pk: bool) -> None:
        if not with_pk:
            self.empty_at_start[label] = False  # generated pks are not tracked
            return
        try:
            high = max(map(_first, rows))
            if label in self.largest_pk:
                high = max(high, self.largest_pk[label])
            self.largest_pk[label] = high
        except TypeError:
            self.empty_at_start[label] = False

    async def _retry(self, label: str, *, final: bool = False) -> None:
        """Write waiting rows of ``label`` whose references now exist; at the end, report."""
        layout = self.layouts[label]
        for spools, with_pk in ((self.waiting, True), (self.keyless_waiting, False)):
            spool = spools.get(label)
            while spool is not None and len(spool):
                before = len(spool)
                self.refs.forget_absent()
                for rows, origins in spool.drain():
                    ok = await self.refs.settle(layout, rows, 0 if with_pk else 1)
                    ready = [r for r, good in zip(rows, ok, strict=True) if good]
                    spool.add(
                        [r for r, good in zip(rows, ok, strict=True) if not good],
                        [o for o, good in zip(origins, ok, strict=True) if not good],
                    )
                    await self._write(
                        layout,
                        ready,
                        [o for o, good in zip(origins, ok, strict=True) if good],
                        with_pk,
                    )
                if len(spool) == before:
                    if final:
                        rows, origins = next(spool.drain())
                        where = partial(self.intake.where, origins[0], label)
                        raise self.refs.unresolved(layout, rows[0], 0 if with_pk else 1, where)
                    break

    async def _apply_updates(self) -> None:
        """Foreign keys set after every row exists, a spooled chunk at a time (in order: a
        later record's value wins)."""
        for (label, column), spool in self.updates.items():
            layout = self.layouts[label]
            fk = next(f for f in layout.foreign_keys if f.column == column)
            for entries in spool.drain():
                await self.refs.resolve_all([e[0] for e in entries], label, layout.pk_column)
                await self.refs.resolve_all([e[1] for e in entries], fk.target, fk.target_column)
                pairs: dict[Any, Any] = {}
                for key, value, origin, owner, name in entries:
                    where = self.intake.where(origin, owner, name)
                    own = await self.refs.value(key, label, layout.pk_column, where)
                    pairs[own] = await self.refs.value(value, fk.target, fk.target_column, where)
                await self._guarded(
                    layout,
                    "setting " + column,
                    self.writers[layout.connection].update_column(
                        layout.table, layout.pk_column, column, list(pairs.items())
                    ),
                )

    async def _apply_links(self) -> None:
        """Many-to-many lists, a spooled chunk at a time: each owner's links are replaced by
        its list (in order: a later record's list wins)."""
        for (label, name), spool in self.links.items():
            layout = self.layouts[label]
            rel = layout.many[name]
            target = self.layouts[rel.target]
            column = target.pk_column
            for entries in spool.drain():
                owners = {own: (items, origin) for own, items, origin in entries}
                await self.refs.resolve_all(
                    [i for items, _ in owners.values() for i in items], rel.target, column
                )
                links: list[tuple[Any, Any]] = []
                for own, (items, origin) in owners.items():
                    where = self.intake.where(origin, label, name)
                    seen = set()
                    for item in items:
                        other = await self.refs.value(item, rel.target, column, where)
                        if other not in seen:
                            seen.add(other)
                            links.append((own, other))
                await self._guarded(
                    layout,
                    f"setting {name}",
                    self.writers[layout.connection].replace_links(
                        rel.through, rel.own_column, rel.other_column, list(owners), links
                    ),
                )

    async def _guarded(self, layout: Layout, what: str, work: Any) -> None:
        try:
            await work
        except Exception as exc:
            raise FixtureError(
                f"{what} of {layout.label} failed: {_first_line(exc, {})}; nothing was written"
            ) from exc

    # -- sequences --------------------------------------------------------------------------
    def sequence_layouts(self, alias: str) -> list[Layout]:
        return [
            self.layouts[lbl]
            for lbl in self.order
            if lbl in self.loaded
            and self.layouts[lbl].pk_generated
            and self.layouts[lbl].connection == alias
        ]

    async def reset_sequences(self) -> None:
        for alias, writer in self.writers.items():
            for layout in self.sequence_layouts(alias):
                await writer.reset_sequence(layout)


def _total_size(sources: list[FixtureSource]) -> int | None:
    total = 0
    for source in sources:
        if source.path is None:
            return None
        try:
            total += os.path.getsize(source.path)
        except OSError:
            return None
    return total
