"""The core of ``fastapp dumpdata``: write fixtures that ``loaddata`` reads back identically.

Models come in load order (referenced models first), rows by primary key, read page by
page with keyset pagination so a table larger than memory dumps in bounded memory. Foreign
keys are written as the referenced value under the relation's name (``"author": 1``),
many-to-many relations as sorted lists of pks, values in the canonical forms of
:mod:`fastapp.data.values`; the output is deterministic for a given database content.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, TextIO

from fastapp.apps import AppRegistry
from fastapp.data import FixtureError
from fastapp.data.models import Layout, build_layouts, load_order
from fastapp.data.values import Timezones, dumper, field_kind
from fastapp.data.writers import writer_for
from fastapp.data.writers.base import BulkWriter
from fastapp.errors import UnknownAppError

DUMP_FORMATS = ("json", "jsonl")

#: Called with (model label, rows of that model dumped so far).
DumpProgress = Callable[[str, int], None]


@dataclass(frozen=True)
class DumpOptions:
    """What to dump and how; see ``fastapp dumpdata --help``."""

    targets: Sequence[str] = ()
    exclude: Sequence[str] = ()
    format: str = "json"
    indent: int | None = None
    page_size: int = 2000


@dataclass
class DumpResult:
    objects: int = 0
    per_model: dict[str, int] = field(default_factory=dict)


def select_layouts(
    layouts: dict[str, Layout], order: list[str], targets: Sequence[str], exclude: Sequence[str]
) -> list[Layout]:
    """The layouts named by ``targets`` (``app`` or ``app.Model``) minus ``exclude``, in order."""
    apps = {layout.model._meta.app for layout in layouts.values()}
    lowered = {label.lower(): label for label in layouts}

    def resolve(name: str, option: str) -> set[str]:
        if "." in name:
            label = lowered.get(name.lower())
            if label is None:
                raise UnknownAppError(
                    f"{option}{name}: no such model (known: {', '.join(sorted(layouts))})"
                )
            return {label}
        if name not in apps:
            raise UnknownAppError(
                f"{option}{name}: no such app (installed: {', '.join(sorted(apps))})"
            )
        return {label for label, lay in layouts.items() if lay.model._meta.app == name}

    chosen = set(layouts) if not targets else set().union(*(resolve(t, "") for t in targets))
    for name in exclude:
        chosen -= resolve(name, "--exclude ")
    return [layouts[label] for label in order if label in chosen]


class _Shape:
    """How rows of one layout become records."""

    def __init__(self, layout: Layout, tz: Timezones) -> None:
        meta = layout.model._meta
        self.layout = layout
        convert = [dumper(f, k, tz) for f, k in zip(layout.fields, layout.kinds, strict=True)]
        self.pk = convert[0]
        by_name = {name: slot for slot, name in enumerate(layout.slot_names)}
        sources = {meta.fields_map[n].source_field: n for n in meta.fk_fields | meta.o2o_fields}
        #: (record key, slot or None for a many-to-many name, converter)
        self.keys: list[tuple[str, Any, Callable[[Any], Any]]] = []
        self.many = []
        for name, fld in meta.fields_map.items():
            if name == layout.pk_name or name in sources:
                continue
            if name in meta.fk_fields or name in meta.o2o_fields:
                slot = by_name[fld.source_field]
                self.keys.append((name, slot, convert[slot]))
            elif name in layout.many and not fld._generated:
                self.keys.append((name, None, None))
                target_pk = fld.related_model._meta.pk
                self.many.append((layout.many[name], dumper(target_pk, field_kind(target_pk), tz)))
            elif name in by_name:
                slot = by_name[name]
                self.keys.append((name, slot, convert[slot]))

    def record(self, row: tuple, links: dict[str, dict[Any, list[Any]]]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        pk = row[0]
        for name, slot, convert in self.keys:
            if slot is None:
                fields[name] = links[name].get(pk, [])
            else:
                value = row[slot]
                fields[name] = None if value is None else convert(value)
        return {"model": self.layout.label, "pk": self.pk(pk), "fields": fields}


class _Output:
    """Writes records as a JSON list (one record per line, or indented) or as JSON Lines."""

    def __init__(self, out: TextIO, fmt: str, indent: int | None) -> None:
        if fmt not in DUMP_FORMATS:
            raise FixtureError(f"unknown dump format {fmt!r}: use one of {', '.join(DUMP_FORMATS)}")
        self.out = out
        self.lines = fmt == "jsonl"
        self.indent = indent if indent and indent > 0 else None
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        if self.count == 0 and not self.lines:
            self.out.write("[")  # only now: a model that cannot be read leaves no output
        if self.lines:
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            text = json.dumps(record, ensure_ascii=False, indent=self.indent)
            if self.indent:
                pad = " " * self.indent
                text = pad + text.replace("\n", "\n" + pad)
            self.out.write(("\n" if self.count == 0 else ",\n") + text)
        self.count += 1

    def finish(self) -> None:
        if not self.lines:
            self.out.write("\n]\n" if self.count else "[\n]\n")


async def dump_fixtures(
    registry: AppRegistry,
    options: DumpOptions,
    out: TextIO,
    progress: DumpProgress | None = None,
) -> DumpResult:
    """Write the selected models' rows to ``out``; returns counts.

    Raises :class:`UnknownAppError` for unknown app/model names and
    :class:`DatabaseUnavailableError` when a database cannot be reached.
    """
    from fastapp.connections.raw import raw_connection
    from fastapp.tortoise.context import tortoise_context

    tz = Timezones(registry.settings.use_tz, registry.settings.time_zone)
    result = DumpResult()
    output = _Output(out, options.format, options.indent)
    async with tortoise_context(registry) as ctx, AsyncExitStack() as stack:
        writers: dict[str, BulkWriter] = {}
        for alias, cfg in registry.connections().items():
            conn = await stack.enter_async_context(raw_connection(cfg))
            writers[alias] = writer_for(cfg.dialect_name, conn, tz)
        layouts = build_layouts(
            list(ctx.apps.get_models_iterable()),
            lambda m: registry.apps[m._meta.app].connection,
            lambda alias: writers[alias].adapters(),
            tz,
            dt.datetime.now(dt.UTC),
        )
        chosen = select_layouts(layouts, load_order(layouts), options.targets, options.exclude)
        for layout in chosen:
            try:
                count = await _dump_model(
                    writers[layout.connection], _Shape(layout, tz), output, options, progress
                )
            except FixtureError:
                raise
            except Exception as exc:
                detail = (
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                )
                raise FixtureError(
                    f"reading {layout.label} (table {layout.table}) failed: {detail} "
                    "(has `fastapp migrate` created it?)"
                ) from exc
            result.per_model[layout.label] = count
            result.objects += count
        output.finish()
    return result


async def _dump_model(
    writer: BulkWriter,
    shape: _Shape,
    output: _Output,
    options: DumpOptions,
    progress: DumpProgress | None,
) -> int:
    layout = shape.layout
    after: Any = None
    count = 0
    while True:
        rows = await writer.page(
            layout.table, layout.columns, layout.pk_column, after, options.page_size
        )
        if not rows:
            return count
        pks = [row[0] for row in rows]
        links: dict[str, dict[Any, list[Any]]] = {}
        for rel, other_dump in shape.many:
            grouped: dict[Any, list[Any]] = {}
            for own, other in await writer.links(
                rel.through, rel.own_column, rel.other_column, pks
            ):
                grouped.setdefault(own, []).append(other_dump(other))
            links[rel.name] = grouped
        for row in rows:
            output.write(shape.record(row, links))
        count += len(rows)
        after = rows[-1][0]
        if progress is not None:
            progress(layout.label, count)
        if len(rows) < options.page_size:
            return count
