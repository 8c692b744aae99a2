"""FastAPI side of audit: name the request's user as the actor of its changes.

::

    from fastapp.contrib.audit.web import audited
    from fastapp.contrib.auth.web import current_user, require_permission

    @app.put("/posts/{id}")
    async def edit(id: int, tx: Transaction,
                   user: User = Depends(audited(require_permission("blog.change_post")))): ...

``audited(dep)`` is a dependency giving what ``dep`` gives (the user) and recording its
``username`` (or ``str(user)``) as the actor of every change the request makes. Any user
dependency works (contrib.auth's ``current_user``, your own). No ``from __future__ import
annotations`` here: FastAPI reads the parameters' annotations.
"""

from typing import Annotated, Any

from fastapi import Depends

from fastapp.contrib.audit.context import set_actor
from fastapp.contrib.audit.queries import actor_name


def audited(dependency: Any) -> Any:
    """Wrap the user dependency ``dependency`` so that the request's changes name its user."""

    async def with_actor(user: Annotated[Any, Depends(dependency)]) -> Any:
        set_actor(None if user is None else actor_name(user))
        return user

    with_actor.__name__ = f"audited_{getattr(dependency, '__name__', 'user')}"
    return with_actor
