"""The post-migrate hook of contenttypes."""

from __future__ import annotations

from fastapp.contrib.contenttypes.sync import sync_content_types
from fastapp.hooks import PostMigrate, post_migrate


@post_migrate
async def sync_contenttypes(event: PostMigrate) -> None:
    """Create the content types of new models; report the stale ones."""
    result = await sync_content_types(event.apps, event.connection)
    if result.created:
        event.report(f"contenttypes: created {len(result.created)}: {', '.join(result.created)}")
    if result.stale:
        event.report(
            f"contenttypes: {len(result.stale)} stale (model gone): {', '.join(result.stale)}; "
            "run `fastapp remove_stale_contenttypes` to delete them"
        )
