"""Keeping ``ContentType`` rows in step with the installed models, and removing stale ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapp.errors import AbortedByUser

if TYPE_CHECKING:
    from tortoise.models import Model

    from fastapp.apps import AppConfig, AppRegistry


def installed_models(apps: Iterable[AppConfig]) -> list[type[Model]]:
    """Every model of ``apps`` in the current Tortoise context, sorted by (app, name)."""
    from tortoise.context import require_context

    labels = {app.label for app in apps}
    registry = require_context().apps
    models = [m for m in registry.get_models_iterable() if m._meta.app in labels]
    return sorted(models, key=lambda m: (m._meta.app, m.__name__.lower()))


def natural_key(model: type[Model]) -> tuple[str, str]:
    return model._meta.app, model.__name__.lower()


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


async def sync_content_types(apps: Iterable[AppConfig], connection: Any) -> SyncResult:
    """Create the content types of new models; find (never delete) those whose model is gone."""
    from fastapp.contrib.contenttypes.models import ContentType

    wanted = {natural_key(m) for m in installed_models(apps)}
    rows = await ContentType.all().using_db(connection)
    have = {(r.app_label, r.model) for r in rows}
    result = SyncResult()
    missing = sorted(wanted - have)
    if missing:
        await ContentType.bulk_create(
            [ContentType(app_label=a, model=m) for a, m in missing], using_db=connection
        )
    result.created = [f"{a}.{m}" for a, m in missing]
    result.stale = [f"{a}.{m}" for a, m in sorted(have - wanted)]
    return result


#: Asked with the stale content types; True deletes them.
Confirm = Callable[[list[str]], bool]


async def remove_stale_content_types(
    registry: AppRegistry, confirm: Confirm | None = None, *, dry_run: bool = False
) -> list[str]:
    """Delete the content types whose model is no longer installed (and, by cascade, what
    refers to them: auth's permissions of those models). Returns what was (or, with
    ``dry_run`` or none, would be) deleted. Raises :class:`AbortedByUser` when ``confirm``
    says no, :class:`~fastapp.errors.SettingsError` when the app is not installed."""
    from tortoise.transactions import in_transaction

    from fastapp.contrib.contenttypes.models import ContentType
    from fastapp.errors import SettingsError
    from fastapp.tortoise.context import tortoise_context

    app = next(
        (a for a in registry.apps.values() if a.package == "fastapp.contrib.contenttypes"), None
    )
    if app is None:
        raise SettingsError(
            "fastapp.contrib.contenttypes is not in INSTALLED_APPS: add it, then run migrate"
        )
    async with tortoise_context(registry):
        async with in_transaction(app.connection) as conn:
            wanted = {natural_key(m) for m in installed_models(registry.apps.values())}
            rows = await ContentType.all().using_db(conn)
            stale = [r for r in rows if (r.app_label, r.model) not in wanted]
            names = [str(r) for r in stale]
            if not stale or dry_run:
                return names
            if confirm is not None and not confirm(names):
                raise AbortedByUser("nothing was deleted")
            await ContentType.filter(id__in=[r.id for r in stale]).using_db(conn).delete()
    return names
