"""examples/blog is a FastAPI application with its own test suite on the fastapp pytest plugin;
that suite runs here on the three backends (in a subprocess: Tortoise keeps process-wide
state, and the example is its own pytest project)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from fastapp import testing
from tests.conftest import EXAMPLE

pytestmark = pytest.mark.backends


def test_example_suite_passes(backend):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"FASTAPP_SETTINGS", "DATABASE_URL", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER"}
    }
    server = testing.server_config(backend)
    if server is not None:
        # The plugin builds test_blogex_<random>_... from it; this database itself is never used.
        env["DATABASE_URL"] = server.with_name(f"blogex_{uuid.uuid4().hex[:8]}").url(masked=False)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
