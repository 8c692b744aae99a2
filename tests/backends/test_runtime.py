"""The FastAPI integration over real HTTP (uvicorn on a local port, httpx as the client) on the
three backends: the lifespan, a transaction per request, the 404/409 handlers."""

from __future__ import annotations

import asyncio
import socket
import threading
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, HTTPException
from tortoise.transactions import in_transaction

from fastapp import testing
from fastapp.apply.create_missing import MigrateOptions, migrate
from fastapp.connections.raw import raw_connection
from fastapp.project import Project
from fastapp.runtime import (
    Transaction,
    exception_handlers,
    lifespan,
)
from tests.backends.runtime_project import make_project

pytestmark = pytest.mark.backends


@contextmanager
def serve(app):
    """Run ``app`` under uvicorn on a free local port (lifespan on); yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    exit_codes = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except SystemExit as exc:  # uvicorn's answer to a failed start-up
            exit_codes.append(exc.code)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            thread.join(0.02)
        if not server.started:
            raise RuntimeError(f"the app did not start (exit code {exit_codes})")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class CommittedProbe:
    """ASGI middleware: when a response starts, count from an outside connection the committed
    rows of the item the request named, and send that count as ``x-committed``."""

    def __init__(self, app, cfg) -> None:
        self.app, self.cfg = app, cfg

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/items/"):
            return await self.app(scope, receive, send)
        name = scope["path"].split("/")[2]

        async def probing_send(message):
            if message["type"] == "http.response.start":
                count = await committed(self.cfg, name)
                message["headers"] = [*message["headers"], (b"x-committed", str(count).encode())]
            await send(message)

        await self.app(scope, receive, probing_send)


async def committed(cfg, name: str) -> int:
    async with raw_connection(cfg) as conn:
        rows = await cfg.dialect.fetch_scalar_list(
            conn, f"SELECT COUNT(*) FROM shop_item WHERE name = '{name}'"
        )
    return int(rows[0])


def build_app(settings: str, models, **options) -> FastAPI:
    app = FastAPI(lifespan=lifespan(settings, **options), exception_handlers=exception_handlers())
    Item = models.Item
    wrote, gate = asyncio.Event(), asyncio.Event()

    @app.post("/items/{name}")
    async def create(name: str, tx: Transaction):
        item = await Item.create(name=name)
        return {"id": item.id}

    @app.post("/items/{name}/http-error")
    async def create_then_http_error(name: str, tx: Transaction):
        await Item.create(name=name)
        raise HTTPException(status_code=418, detail="changed my mind")

    @app.post("/items/{name}/crash")
    async def create_then_crash(name: str, tx: Transaction):
        await Item.create(name=name)
        await Item.create(name=name + "-second")
        raise RuntimeError("after a partial write")

    @app.post("/items/{name}/nested")
    async def nested(name: str, tx: Transaction):
        await Item.create(name=name)
        try:
            async with in_transaction():
                await Item.create(name=name + "-inner")
                raise ValueError("undo the inner block only")
        except ValueError:
            pass
        return {"ok": True}

    @app.post("/items/{name}/duplicate")
    async def duplicate(name: str, tx: Transaction):
        await Item.create(name=name)
        await Item.create(name=name)

    @app.get("/get/{item_id}")
    async def get(item_id: int):
        item = await Item.get(id=item_id)
        return {"name": item.name}

    @app.get("/count/{prefix}")
    async def count(prefix: str):
        return {"count": await Item.filter(name__startswith=prefix).count()}

    @app.post("/slow/{name}")
    async def slow(name: str, tx: Transaction):
        await Item.create(name=name)
        wrote.set()
        await gate.wait()
        return {"ok": True}

    @app.get("/wrote")
    async def has_written():
        await wrote.wait()
        return {"ok": True}

    @app.post("/release")
    async def release():
        gate.set()
        return {"ok": True}

    return app


@pytest.fixture(scope="module")
def project(module_db, tmp_path_factory):
    """A project whose one connection is ``module_db``, its tables created by ``migrate``."""
    root = tmp_path_factory.mktemp("proj")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.syspath_prepend(str(root))
        patch.delenv("DATABASE_URL", raising=False)
        patch.delenv("FASTAPP_SCHEMA_CHECK", raising=False)
        proj = make_project(root)
        settings = proj.settings(f"DATABASES = {{'default': {module_db.url(masked=False)!r}}}")
        testing.forget_tortoise_queries()
        asyncio.run(migrate(Project(settings).registry(), MigrateOptions()))
        yield proj, settings, module_db
        proj.forget()


@pytest.fixture(scope="module")
def server(project):
    proj, settings, cfg = project
    app = build_app(settings, proj.models(), schema_check="refuse")
    with serve(CommittedProbe(app, cfg)) as url:
        yield url, cfg


def test_writes_commit_before_the_response_is_sent(server):
    url, cfg = server
    response = httpx.post(f"{url}/items/first")
    assert response.status_code == 200, response.text
    assert response.headers["x-committed"] == "1"


@pytest.mark.parametrize(
    ("path", "status"),
    [("http-error", 418), ("crash", 500), ("duplicate", 409)],
)
def test_any_exception_rolls_back(server, path, status):
    url, cfg = server
    name = f"rb-{path}"
    response = httpx.post(f"{url}/items/{name}/{path}")
    assert response.status_code == status
    assert response.headers["x-committed"] == "0"
    assert asyncio.run(committed(cfg, name + "-second")) == 0
    if path == "duplicate":
        assert response.json() == {
            "detail": "the request conflicts with existing data (a unique or related record)"
        }


def test_nested_use_is_a_savepoint(server):
    url, cfg = server
    response = httpx.post(f"{url}/items/outer/nested")
    assert response.status_code == 200, response.text
    assert response.headers["x-committed"] == "1"
    assert asyncio.run(committed(cfg, "outer-inner")) == 0


def test_does_not_exist_is_a_404_with_json(server):
    url, _ = server
    response = httpx.get(f"{url}/get/999999")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_concurrent_requests_do_not_see_uncommitted_writes(server):
    url, cfg = server
    # Tortoise gives SQLite one connection: there the reader waits for the writer's commit.
    reader_waits = not cfg.dialect.needs_server

    async def run():
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            writer = asyncio.create_task(client.post("/slow/conc-a"))
            assert (await client.get("/wrote")).status_code == 200
            reader = asyncio.create_task(client.get("/count/conc-"))
            if reader_waits:
                await asyncio.sleep(0.3)
                assert not reader.done()
            else:
                assert (await reader).json()["count"] == 0
            await client.post("/release")
            assert (await writer).status_code == 200
            if reader_waits:
                assert (await reader).json()["count"] == 1
            return (await client.get("/count/conc-")).json()["count"]

    assert asyncio.run(run()) == 1
