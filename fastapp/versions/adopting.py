"""Moving a database made without migration files (``migrate``, ``auto_migrate``, or by
hand) to versioned migrations: ``makemigrations --initial-from-database``.

The database must already be what the models describe -- judged by fastapp's own diff
engine, the one ``auto_migrate --check`` and the check after ``upgrade`` use. Then each
selected app gets its ``0001_initial`` (written by :func:`~.writing.makemigrations`, so the
file is the one a new project would get) and the database is stamped at it. Nothing is
written or recorded when the database differs; the differences are named by table and
column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapp.errors import MigrationTargetError, SchemaDriftError
from fastapp.versions.loading import versioned_apps

if TYPE_CHECKING:
    from fastapp.apps import AppRegistry
    from fastapp.versions.writing import NewMigration


@dataclass
class AdoptResult:
    written: list[NewMigration] = field(default_factory=list)
    #: ``app.name`` recorded in ``tortoise_migrations``.
    recorded: list[str] = field(default_factory=list)


async def adopt(
    registry: AppRegistry,
    apps: tuple[str, ...] = (),
    *,
    dry_run: bool = False,
    lock_timeout: float = 30.0,
) -> AdoptResult:
    """Write ``0001_initial`` for each selected app from its models and stamp the database
    at it, once the database is shown to match the models.

    Raises :class:`MigrationTargetError` when a selected app already has migrations,
    :class:`SchemaDriftError` (listing tables and columns) when the database differs from
    the models; nothing is written or recorded then. ``dry_run``: check and compute only.
    """
    from fastapp.versions.applying import stamp
    from fastapp.versions.verify import drift
    from fastapp.versions.writing import MakeRequest, makemigrations

    selected = versioned_apps(registry, apps)
    started = [a.label for a in selected if a.path() is not None and _has_files(a.path())]
    if started:
        raise MigrationTargetError(
            f"app(s) {', '.join(started)} already have migrations, so there is no initial "
            "one to write: `fastapp stamp APP:NAME` records what the database has, or "
            "choose apps without migrations"
        )
    found = await drift(registry, apps)
    if found:
        listed = "; ".join(d.describe() for d in found[:8])
        more = f" and {len(found) - 8} more" if len(found) > 8 else ""
        raise SchemaDriftError(
            f"the database does not match the models, so an initial migration written from "
            f"the models would not describe it: {listed}{more}; nothing was written. Bring "
            "it in line first (`fastapp auto_migrate`, or change the models), then run again"
        )
    written = await makemigrations(registry, MakeRequest(apps=apps, dry_run=dry_run))
    result = AdoptResult(written)
    if dry_run or not written:
        return result
    labels = tuple(m.app for m in written)
    try:
        stamped = await stamp(registry, "head", labels, lock_timeout)
    except BaseException:
        for migration in written:
            if migration.path is not None:
                migration.path.unlink(missing_ok=True)
        raise
    result.recorded = stamped.recorded
    return result


def _has_files(folder) -> bool:
    return any(p.stem[:1] not in "_~" for p in folder.glob("*.py"))
