"""The post-migrate hook of auth: every installed model's permissions."""

from __future__ import annotations

from fastapp.contrib.auth.permissions import sync_permissions
from fastapp.hooks import PostMigrate, post_migrate


@post_migrate
async def sync_auth_permissions(event: PostMigrate) -> None:
    """Create the missing permissions; report the ones no model declares any more."""
    result = await sync_permissions(event.apps, event.connection)
    if result.created:
        event.report(f"auth: created {len(result.created)} permission(s)")
    if result.stale:
        event.report(
            f"auth: {len(result.stale)} permission(s) no model declares any more: "
            f"{', '.join(result.stale)} (kept; delete them if nothing needs them)"
        )
