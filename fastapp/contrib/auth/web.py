"""FastAPI side of auth: the current user (pluggable) and ``require_permission``.

``current_user`` is the default way to find who is calling: HTTP Basic against
:class:`~fastapp.contrib.auth.models.User` (active users, password checked and rehashed when
its parameters are outdated). Replace it the FastAPI way, for every route at once::

    app.dependency_overrides[current_user] = my_token_user   # returns a User or raises 401

``require_permission("blog.change_post")`` is a dependency: 401 without a user, 403 without
the permission (superusers have all; group permissions count). The names it is given are
checked against the permissions table when the app starts (:mod:`.startup`): an unknown one
stops start-up with one line, never a 403 at request time.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials

# At module level: FastAPI resolves the dependencies' annotations from these globals.
from fastapp.contrib.auth.models import User

_basic = HTTPBasic(auto_error=False, realm="fastapp")
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="fastapp"'}


async def current_user(
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> User:
    """The calling user from HTTP Basic credentials; 401 when missing or wrong."""
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "authentication required", _CHALLENGE)
    user = await User.get_or_none(username=credentials.username, is_active=True)
    if user is None or not await user.check_password(credentials.password):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid credentials", _CHALLENGE)
    return user


def require_permission(*perms: str):
    """A dependency that lets the request through when the current user has every one of
    ``perms`` (``"app_label.codename"``) and answers 403 otherwise; it gives the user::

        @app.post("/posts/{id}")
        async def edit(user: User = Depends(require_permission("blog.change_post"))): ...

    A malformed name raises ``ValueError`` at once; an unknown one fails start-up.
    """
    for perm in perms:
        app, dot, codename = perm.partition(".")
        if not (app and dot and codename) or "." in codename:
            raise ValueError(
                f"require_permission({perm!r}): name a permission as 'app_label.codename', "
                "e.g. 'blog.change_post'"
            )
    if not perms:
        raise ValueError("require_permission() needs at least one permission")

    async def check(user: Annotated[User, Depends(current_user)]) -> User:
        if not await user.has_perm_all(perms):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"permission required: {', '.join(perms)}"
            )
        return user

    check.fastapp_permissions = tuple(perms)  # read by the start-up check
    return check
