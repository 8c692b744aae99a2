"""Shared fixtures: scratch databases on the three real backends, and the example project.

A backend whose server is unreachable skips its tests with the reason, unless
FASTAPP_REQUIRE_BACKENDS names it (CI does), then its tests fail.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastapp import testing
from fastapp.connections.url import DatabaseConfig

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "blog"
_unavailable: dict[str, str | None] = {}


def require_backend(backend: str) -> None:
    """Skip (or fail, when required) if ``backend``'s server is unreachable."""
    if backend not in _unavailable:
        _unavailable[backend] = asyncio.run(testing.unavailable_reason(backend))
    reason = _unavailable[backend]
    if reason:
        if backend in testing.required_backends():
            pytest.fail(f"{reason}; required by {testing.REQUIRE_ENV}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(autouse=True, scope="session")
def private_cache_dir(tmp_path_factory):
    """No test reads or writes the user's ~/.cache (auto_migrate's desired-schema cache)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FASTAPP_CACHE_DIR", str(tmp_path_factory.mktemp("fastapp-cache")))
        yield


@pytest.fixture(scope="module", params=testing.BACKENDS)
def backend(request) -> str:
    require_backend(request.param)
    return request.param


def _create(backend: str, directory: Path) -> DatabaseConfig:
    cfg = testing.scratch_config(backend, directory)
    asyncio.run(cfg.dialect.create_database(cfg))
    return cfg


@pytest.fixture(scope="module")
def module_db(backend, tmp_path_factory) -> DatabaseConfig:
    """One scratch database per test module and backend, dropped afterwards."""
    cfg = _create(backend, tmp_path_factory.mktemp("db"))
    yield cfg
    asyncio.run(cfg.dialect.drop_database(cfg))


@pytest.fixture
def fresh_db(backend, tmp_path) -> DatabaseConfig:
    """A scratch database for one test, dropped afterwards."""
    cfg = _create(backend, tmp_path)
    yield cfg
    asyncio.run(cfg.dialect.drop_database(cfg))


@pytest.fixture
def example_project(monkeypatch):
    """Run from the example blog project; its app modules importable, its settings fresh."""
    monkeypatch.chdir(EXAMPLE)
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    sys.modules.pop("settings", None)
    yield EXAMPLE
    sys.modules.pop("settings", None)


@pytest.fixture
def cli():
    """Invoke ``fastapp`` in-process; returns (exit_code, stdout, stderr)."""
    from fastapp.cli import app

    def invoke(*args: str, input: str | None = None, env: dict | None = None):
        result = CliRunner().invoke(app, list(args), input=input, env=env, catch_exceptions=False)
        return result

    return invoke
