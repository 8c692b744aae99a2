"""``fastapp fix_sequences``: move every generated-key counter (PostgreSQL sequences, MySQL
AUTO_INCREMENT, SQLite ``sqlite_sequence``) past the largest key of its table.

The per-backend work is the bulk writers' (:meth:`~fastapp.data.writers.base.BulkWriter.fix_sequence`),
the same code ``loaddata`` runs after a load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapp.apps import AppRegistry

CHANGED, CURRENT, SKIPPED = "changed", "current", "skipped"


@dataclass(frozen=True)
class SequenceReport:
    """One model's table: what its counter gave next before and (``changed``) after."""

    label: str
    table: str
    column: str
    status: str
    next_before: int | None = None
    next_after: int | None = None
    reason: str = ""
    counter: str = ""

    def describe(self, dry_run: bool = False) -> str:
        where = f"{self.label} ({self.table}.{self.column})"
        if self.status == SKIPPED:
            return f"{where}: skipped, {self.reason}"
        if self.status == CURRENT:
            nxt = "not started" if self.next_before is None else f"next {self.next_before}"
            return f"{where}: already past the largest key ({self.counter}, {nxt})"
        before = "not started" if self.next_before is None else str(self.next_before)
        verb = "would move" if dry_run else "moved"
        return f"{where}: {verb} {self.counter} from {before} to {self.next_after}"


async def fix_sequences(
    registry: AppRegistry, apps: Sequence[str] = (), *, dry_run: bool = False
) -> list[SequenceReport]:
    """Check (and unless ``dry_run``, fix) the counter of every model table of ``apps`` (all
    installed apps when empty), in app and model order. A table whose key is not generated,
    or has no counter, is reported as skipped. Raises :class:`~fastapp.errors.UnknownAppError`
    and what opening the connections raises."""
    from fastapp.connections.raw import raw_connection
    from fastapp.data.writers import writer_for
    from fastapp.tortoise.context import tortoise_context

    labels = [app.label for app in registry.select(apps)]
    connections = registry.connections()
    reports: list[SequenceReport] = []
    async with tortoise_context(registry, schema_only=True) as ctx:
        models = sorted(
            (m for m in ctx.apps.get_models_iterable() if m._meta.app in labels),
            key=lambda m: (labels.index(m._meta.app), m.__name__),
        )
        by_alias: dict[str, list] = {}
        for model in models:
            alias = registry.apps[model._meta.app].connection
            by_alias.setdefault(alias, []).append(model)
        for alias, mine in by_alias.items():
            cfg = connections[alias]
            async with raw_connection(cfg) as conn:
                writer = writer_for(cfg.dialect_name, conn, None)  # type: ignore[arg-type]
                for model in mine:
                    reports.append(await _one(writer, model, dry_run))
    return reports


async def _one(writer, model, dry_run: bool) -> SequenceReport:
    meta = model._meta
    label = f"{meta.app}.{model.__name__}"
    pk = meta.fields_map[meta.pk_attr]
    column = pk.source_field or meta.pk_attr
    if not getattr(pk, "generated", False):
        return SequenceReport(
            label, meta.db_table, column, SKIPPED, reason="its primary key is not generated"
        )
    state = await (
        writer.sequence_state(meta.db_table, column)
        if dry_run
        else writer.fix_sequence(meta.db_table, column)
    )
    if state is None:
        return SequenceReport(
            label, meta.db_table, column, SKIPPED, reason="the table has no sequence"
        )
    if not state.behind:
        return SequenceReport(
            label, meta.db_table, column, CURRENT, state.next_value, counter=state.counter
        )
    return SequenceReport(
        label,
        meta.db_table,
        column,
        CHANGED,
        state.next_value,
        (state.largest or 0) + 1,
        counter=state.counter,
    )
