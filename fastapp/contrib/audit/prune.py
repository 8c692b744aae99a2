"""Deleting old audit entries: the core of ``fastapp prune_audit``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from fastapp.errors import SettingsError

if TYPE_CHECKING:
    from fastapp.apps import AppRegistry

PACKAGE = "fastapp.contrib.audit"


@dataclass(frozen=True)
class PruneReport:
    cutoff: datetime
    count: int
    dry_run: bool


async def prune_audit(
    registry: AppRegistry,
    older_than: timedelta,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PruneReport:
    """Delete the audit entries recorded before ``now - older_than`` (count them with
    ``dry_run``), in one transaction. Raises :class:`SettingsError` when the audit app is not
    installed."""
    from tortoise import timezone
    from tortoise.transactions import in_transaction

    from fastapp.contrib.audit.models import AuditEntry
    from fastapp.tortoise.context import tortoise_context

    app = next((a for a in registry.apps.values() if a.package == PACKAGE), None)
    if app is None:
        raise SettingsError(f"{PACKAGE} is not in INSTALLED_APPS: add it, then run migrate")
    async with tortoise_context(registry):
        cutoff = (now or timezone.now()) - older_than
        async with in_transaction(app.connection) as conn:
            old = AuditEntry.filter(at__lt=cutoff).using_db(conn)
            count = await (old.count() if dry_run else old.delete())
    return PruneReport(cutoff=cutoff, count=count, dry_run=dry_run)
