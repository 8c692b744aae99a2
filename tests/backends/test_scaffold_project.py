"""A project made by the scaffolder passes its own tests, on each real backend, in a process of
its own: `make test` of the generated Makefile (its pytest, fastapp's plugin, DATABASE_URL
choosing the server), `ruff check`, and after its first migration `makemigrations --check` and
`auto_migrate --check` find nothing to do.

Subprocesses are few on purpose (CI time): the project is generated and its migration written
once per module; per backend, one run of its tests and one of the three checks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from fastapp import testing

pytestmark = pytest.mark.backends

#: The reference project: every field type and option, soft delete, search and filters, a
#: second app with a model the first app references.
COMMANDS = [
    ["startproject", "shop"],
    ["generate_crud", "shop.Category", "name:str:80:unique", "--searchable", "name"],
    ["generate_crud", "shop.Tag", "label:str:40", "--filterable", "label"],
    ["startapp", "people"],
    ["generate_crud", "people.Customer", "email:str:200:unique", "age:int:null", "--filterable", "age"],
    [
        "generate_crud",
        "shop.Product",
        "name:str:120:unique",
        "price:decimal:10,2",
        "description:text:null",
        "stock:int:default=0",
        "big:bigint:index",
        "active:bool:default=true",
        "status:enum:draft|published:default=draft",
        "released:date:null",
        "seen:datetime:null",
        "sku:uuid:default=uuid4",
        "meta:json:null",
        "category:fk:Category",
        "owner:fk:people.Customer:null",
        "tags:m2m:Tag",
        "parent:fk:Product:null",
        "--soft-delete",
        "--searchable",
        "name,description",
        "--filterable",
        "price,status,category,released,active",
    ],
]


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def _env(database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FASTAPP_SETTINGS", "PYTEST"))}
    env.pop("DATABASE_URL", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("scaffold")
    fastapp = [sys.executable, "-m", "fastapp"]
    env = _env(None)
    cwd = base
    for args in COMMANDS:
        done = _run([*fastapp, *args], cwd, env)
        assert done.returncode == 0, done.stdout + done.stderr
        cwd = base / "shop"
    done = _run([*fastapp, "makemigrations"], cwd, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (cwd / "shop" / "migrations" / "0001_initial.py").is_file()
    return cwd


def test_the_generated_project_is_ruff_clean(project):
    done = _run([sys.executable, "-m", "ruff", "check", "."], project, _env(None))
    assert done.returncode == 0, done.stdout + done.stderr


def _server_url(backend: str) -> str | None:
    """A database URL with a name no other run uses (the plugin derives the test database's
    name from it); ``None`` for SQLite, whose default is the project's own file."""
    cfg = testing.scratch_config(backend)
    if not cfg.dialect.needs_server:
        return None
    return cfg.with_name(f"scaf_{uuid.uuid4().hex[:10]}").url(masked=False)


def test_the_generated_tests_pass(project, backend):
    """`make test` of the generated project, on this backend."""
    make = ["make", "test", f"PYTHON={sys.executable}", "PYTEST_ARGS=-q -p no:cacheprovider"]
    done = _run(make, project, _env(_server_url(backend)))
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout


def test_the_first_migration_converges(project, fresh_db):
    """After `upgrade`, `makemigrations --check` and `auto_migrate --check` have nothing to do."""
    script = (
        "set -e; python -m fastapp upgrade; python -m fastapp makemigrations --check; "
        "python -m fastapp auto_migrate --check"
    )
    done = _run(["sh", "-c", script], project, _env(fresh_db.url(masked=False)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No changes" in done.stdout and "matches the desired schema" in done.stdout
