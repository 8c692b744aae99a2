"""Purging soft-deleted rows older than an age: the core of ``fastapp purge_deleted``."""

from __future__ import annotations

import re
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from fastapp.errors import PurgeError
from fastapp.models.softdelete import DELETED_AT, is_soft_delete_model

if TYPE_CHECKING:
    from fastapp.apps import AppRegistry

_AGE = re.compile(r"^\s*(\d{1,9})\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """``30d`` -> 30 days (units ``s``, ``m``, ``h``, ``d``, ``w``). Raises
    :class:`PurgeError` naming the value."""
    match = _AGE.match(text or "")
    if not match:
        raise PurgeError(
            f"--older-than {text!r} is not an age: write a whole number and a unit, "
            "s, m, h, d or w (e.g. 30d, 12h, 2w)"
        )
    try:
        return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:
        raise PurgeError(f"--older-than {text!r} is too large") from None


@dataclass(frozen=True)
class PurgeRequest:
    older_than: timedelta
    apps: tuple[str, ...] = ()
    dry_run: bool = False


@dataclass
class PurgeReport:
    cutoff: datetime
    dry_run: bool
    #: ``app.Model`` -> rows purged (or, with ``dry_run``, that would be), every soft-delete
    #: model of the selected apps, in registry order.
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def purge_deleted(
    registry: AppRegistry, request: PurgeRequest, *, now: datetime | None = None
) -> PurgeReport:
    """Hard-delete the rows soft-deleted before ``now - older_than`` in every soft-delete
    model of ``request.apps`` (all apps when empty).

    All or nothing: every delete runs in one transaction per connection, committed only when
    all of them succeeded (a foreign key that refuses, say). Rows that reference a purged row
    through an ``ON DELETE CASCADE`` key go with it, as with any delete. Raises
    :class:`~fastapp.errors.UnknownAppError` for an unknown app and :class:`PurgeError`
    naming the model whose delete failed (nothing purged).
    """
    from tortoise import timezone
    from tortoise.transactions import in_transaction

    from fastapp.tortoise.context import tortoise_context

    labels = [app.label for app in registry.select(request.apps)]
    async with tortoise_context(registry) as ctx:
        cutoff = (now or timezone.now()) - request.older_than
        report = PurgeReport(cutoff=cutoff, dry_run=request.dry_run)
        models = [
            (label, model)
            for label in labels
            for model in ctx.apps.get_models_iterable()
            if model._meta.app == label and is_soft_delete_model(model) and not model._meta.abstract
        ]
        async with AsyncExitStack() as stack:
            clients = {}
            for _, model in models:
                name = model._meta.default_connection
                if name not in clients:
                    clients[name] = await stack.enter_async_context(in_transaction(name))
            for label, model in models:
                key = f"{label}.{model.__name__}"
                old = model.only_deleted(clients[model._meta.default_connection]).filter(
                    **{f"{DELETED_AT}__lt": cutoff}
                )
                try:
                    report.counts[key] = await (old.count() if request.dry_run else old.delete())
                except Exception as exc:
                    raise PurgeError(
                        f"purging {key} failed, nothing was purged: {exc} (rows of another "
                        "model may still reference its deleted rows: purge or re-point them)"
                    ) from exc
        return report
