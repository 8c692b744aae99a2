"""List endpoints for FastAPI (install ``fastapp[fastapi]``): filter, search and sort from
query parameters, validated (422 naming the parameter), and pages with links.

::

    posts = ListSpec(Post, filters={"views": ("gte", "lte")}, search=("title", "body"),
                     sort=("created_at", "views"), default_sort=("-created_at",))

    @app.get("/posts", response_model=Page[PostOut])
    async def list_posts(listing: Annotated[Listing, Depends(posts.paged)]):
        return await listing.fetch(PostOut)

See ``docs/building-blocks.md``.
"""

from fastapp.api.listing import Listing, ListSpec
from fastapp.api.pages import CursorPage, OffsetPage, Page

__all__ = ["CursorPage", "ListSpec", "Listing", "OffsetPage", "Page"]
