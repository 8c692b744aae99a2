"""The audit log over real HTTP (uvicorn + httpx) on the three backends: a request's changes
name its user (``audited(require_permission(...))``), share the request's ``Transaction``,
and a request that fails after writing leaves neither the change nor an audit entry. (A
module of its own: the server holds Tortoise's one global context. No ``from __future__
import annotations``: FastAPI reads the routes' annotations.)"""

import asyncio
import importlib
import json
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException

from fastapp import testing
from fastapp.project import Project
from fastapp.runtime import Transaction, lifespan
from tests.backends import live
from tests.backends.audit_project import MODELS
from tests.backends.contrib_project import make_project
from tests.backends.test_runtime import serve

pytestmark = pytest.mark.backends
APPS = ("fastapp.contrib.contenttypes", "fastapp.contrib.auth", "fastapp.contrib.audit")
PASSWORD = "Corr3ct-Horse-Staple"


async def _seed(package: str) -> int:
    from fastapp.contrib.auth.models import Permission, User
    from fastapp.contrib.auth.users import auth_connection

    async with auth_connection(Project().registry()) as conn:
        change = await Permission.get(codename="change_article").using_db(conn)
        user = User(username="editor")
        user.set_password(PASSWORD)
        await user.save(using_db=conn)
        await user.user_permissions.add(change, using_db=conn)
        models = importlib.import_module(f"{package}.blog.models")
        article = await models.Article.create(title="draft", using_db=conn)
        return article.id


@pytest.fixture(scope="module")
def server(module_db, tmp_path_factory):
    from fastapp.contrib.audit.context import actor
    from fastapp.contrib.audit.web import audited
    from fastapp.contrib.auth.models import User
    from fastapp.contrib.auth.web import require_permission

    root = tmp_path_factory.mktemp("audithttp")
    with pytest.MonkeyPatch.context() as patch:
        testing.forget_tortoise_queries()
        proj = make_project(root, APPS)
        proj.write_models(extra=MODELS)
        patch.chdir(root)
        patch.syspath_prepend(str(root))
        patch.setenv("DATABASE_URL", module_db.url(masked=False))
        patch.delenv("FASTAPP_SETTINGS", raising=False)
        from typer.testing import CliRunner

        from fastapp.cli import app as cli_app

        result = CliRunner().invoke(cli_app, ["migrate"])
        assert result.exit_code == 0, result.output
        proj.forget()
        pk = asyncio.run(_seed(proj.package))
        proj.forget()

        def models():
            return importlib.import_module(f"{proj.package}.blog.models")

        app = FastAPI(lifespan=lifespan("settings", schema_check="ignore"))
        editor = Depends(audited(require_permission("blog.change_article")))

        @app.put("/articles/{pk}")
        async def edit(
            pk: int, title: str, tx: Transaction, user: Annotated[User, editor], fail: int = 0
        ):
            article = await models().Article.get(id=pk)
            article.title = title
            await article.save()
            await models().Note.create(text=f"edited {pk}")
            if fail == 409:
                raise HTTPException(409, "refused after the write")
            if fail == 500:
                raise RuntimeError("the handler broke after the write")
            return {"by": user.username}

        @app.post("/articles")
        async def imported(title: str, tx: Transaction):
            with actor("importer"):
                article = await models().Article.create(title=title)
            return {"id": article.id}

        with serve(app) as url:
            yield url, module_db, pk
        proj.forget()


def entries(cfg) -> list[tuple]:
    found = live.rows(
        cfg, "SELECT action, model, object_pk, actor, changes FROM fastapp_audit_entry ORDER BY id"
    )
    return [
        (a, m, str(p), who, json.loads(c) if isinstance(c, str) else c) for a, m, p, who, c in found
    ]


def titles(cfg) -> list[str]:
    return [t for (t,) in live.rows(cfg, "SELECT title FROM article ORDER BY id")]


def test_a_request_records_its_user_in_its_transaction(server):
    url, cfg, pk = server
    before = entries(cfg)
    assert [e[:4] for e in before] == [("create", "article", str(pk), None)]
    answer = httpx.put(
        f"{url}/articles/{pk}", params={"title": "final"}, auth=("editor", PASSWORD), timeout=30
    )
    assert answer.json() == {"by": "editor"}
    added = entries(cfg)[len(before) :]
    assert [e[:4] for e in added] == [
        ("update", "article", str(pk), "editor"),
        ("create", "note", added[1][2], "editor"),
    ]
    assert added[0][4] == {"title": ["draft", "final"]}
    created = httpx.post(f"{url}/articles", params={"title": "imported"}, timeout=30).json()
    assert entries(cfg)[-1][:4] == ("create", "article", str(created["id"]), "importer")


@pytest.mark.parametrize("fail", [409, 500])
def test_a_failed_request_leaves_no_change_and_no_entry(server, fail):
    url, cfg, pk = server
    before, kept = entries(cfg), titles(cfg)
    answer = httpx.put(
        f"{url}/articles/{pk}",
        params={"title": "lost", "fail": fail},
        auth=("editor", PASSWORD),
        timeout=30,
    )
    assert answer.status_code == fail
    assert titles(cfg) == kept and "lost" not in kept
    assert entries(cfg) == before


def test_a_refused_request_writes_nothing(server):
    url, cfg, pk = server
    before = entries(cfg)
    assert httpx.put(f"{url}/articles/{pk}", params={"title": "x"}, timeout=30).status_code == 401
    assert entries(cfg) == before
