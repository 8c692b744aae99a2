"""require_permission on real HTTP routes (uvicorn + httpx) on the three backends: 401
without or with wrong credentials, 403 without the permission, through a group's permission,
superusers pass everything, inactive users are refused, and the current user is replaced
with ``app.dependency_overrides``. (A module of its own: Tortoise keeps one global context
per process, and the server holds it.) No ``from __future__ import annotations``: the routes
are defined in a fixture, and FastAPI reads their annotations."""

import asyncio
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Header, HTTPException

from fastapp import testing
from fastapp.project import Project
from fastapp.runtime import lifespan
from tests.backends.contrib_project import make_project
from tests.backends.test_runtime import serve

pytestmark = pytest.mark.backends
APPS = ("fastapp.contrib.contenttypes", "fastapp.contrib.auth")
PASSWORD = "Corr3ct-Horse-Staple"


async def _users() -> None:
    from fastapp.contrib.auth.models import Group, Permission, User
    from fastapp.contrib.auth.users import auth_connection, create_superuser

    registry = Project().registry()
    await create_superuser(registry, "root", PASSWORD)
    async with auth_connection(registry) as conn:
        change = await Permission.get(codename="change_post").using_db(conn)
        view = await Permission.get(codename="view_post").using_db(conn)
        editors = await Group.create(name="editors", using_db=conn)
        await editors.permissions.add(change, using_db=conn)
        for name, active in (("editor", True), ("reader", True), ("gone", False)):
            user = User(username=name, is_active=active)
            user.set_password(PASSWORD)
            await user.save(using_db=conn)
            if name == "editor":
                await user.groups.add(editors, using_db=conn)
            if name == "reader":
                await user.user_permissions.add(view, using_db=conn)


@pytest.fixture(scope="module")
def base_url(module_db, tmp_path_factory):
    from fastapp.contrib.auth.models import User
    from fastapp.contrib.auth.web import current_user, require_permission

    root = tmp_path_factory.mktemp("authhttp")
    with pytest.MonkeyPatch.context() as patch:
        testing.forget_tortoise_queries()
        proj = make_project(root, APPS)
        patch.chdir(root)
        patch.syspath_prepend(str(root))
        patch.setenv("DATABASE_URL", module_db.url(masked=False))
        patch.delenv("FASTAPP_SETTINGS", raising=False)
        from typer.testing import CliRunner

        from fastapp.cli import app as cli_app

        result = CliRunner().invoke(cli_app, ["migrate"])
        assert result.exit_code == 0, result.output
        proj.forget()
        asyncio.run(_users())
        proj.forget()

        app = FastAPI(lifespan=lifespan("settings", schema_check="ignore"))

        @app.get("/posts", dependencies=[Depends(require_permission("blog.view_post"))])
        async def posts():
            return ["first"]

        @app.put("/posts")
        async def edit(user: Annotated[User, Depends(require_permission("blog.change_post"))]):
            return {"by": user.username}

        @app.post(
            "/posts/publish",
            dependencies=[Depends(require_permission("blog.publish_post", "blog.change_post"))],
        )
        async def publish():
            return {"published": True}

        @app.get("/me")
        async def me(user: Annotated[User, Depends(current_user)]):
            return {"username": user.username}

        async def header_user(x_user: Annotated[str | None, Header()] = None) -> User:
            user = await User.get_or_none(username=x_user or "")
            if user is None:
                raise HTTPException(401, "no such user")
            return user

        with serve(app) as url:
            yield url, app, current_user, header_user
        proj.forget()


def call(base, method: str, path: str, user: str | None = None, password: str = PASSWORD):
    auth = (user, password) if user else None
    return httpx.request(method, base + path, auth=auth, timeout=30)


def test_credentials_are_required(base_url):
    base = base_url[0]
    missing = call(base, "GET", "/posts")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Basic")
    assert call(base, "GET", "/posts", "reader", "wrong-password").status_code == 401
    assert call(base, "GET", "/posts", "nobody").status_code == 401
    assert call(base, "GET", "/posts", "gone").status_code == 401  # inactive
    assert call(base, "GET", "/me", "editor").json() == {"username": "editor"}


def test_permissions_of_users_groups_and_superusers(base_url):
    base = base_url[0]
    assert call(base, "GET", "/posts", "reader").json() == ["first"]  # own permission
    refused = call(base, "PUT", "/posts", "reader")
    assert refused.status_code == 403
    assert "blog.change_post" in refused.json()["detail"]
    assert call(base, "PUT", "/posts", "editor").json() == {"by": "editor"}  # group's
    assert call(base, "GET", "/posts", "editor").status_code == 403
    assert call(base, "POST", "/posts/publish", "editor").status_code == 403  # needs both
    for method, path in (("GET", "/posts"), ("PUT", "/posts"), ("POST", "/posts/publish")):
        assert call(base, method, path, "root").status_code == 200  # superuser: everything


def test_the_current_user_is_pluggable(base_url):
    base, app, current_user, header_user = base_url
    app.dependency_overrides[current_user] = header_user
    try:
        answer = httpx.put(base + "/posts", headers={"X-User": "editor"}, timeout=30)
        assert answer.json() == {"by": "editor"}
        assert (
            httpx.put(base + "/posts", headers={"X-User": "reader"}, timeout=30).status_code == 403
        )
        assert httpx.get(base + "/posts", timeout=30).status_code == 401
    finally:
        app.dependency_overrides.clear()
