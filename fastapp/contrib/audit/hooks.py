"""The post-migrate hook of audit: the trigger mode's triggers, where the backend has it."""

from __future__ import annotations

from fastapp.contrib.audit import triggers
from fastapp.hooks import PostMigrate, post_migrate


@post_migrate
async def install_audit_triggers(event: PostMigrate) -> None:
    """Install the triggers of the trigger-mode models of this connection (and remove those
    of models that left the mode), or say that the backend records them in the application."""
    from fastapp.contrib.audit.mixin import trigger_tables

    tables, names = trigger_tables(event.apps, event.alias)
    module = triggers.backend_of(event.connection)
    if module is None:
        if names:
            event.report(
                f"audit: {', '.join(names)} ask for the trigger mode, which this database does "
                "not have: the application records their changes (raw SQL is not recorded)"
            )
        return
    for line in await module.install(event.connection, tables):
        event.report(f"audit: {line}")
