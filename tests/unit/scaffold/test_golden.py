"""Golden files: the output of every template in a reference project, kept in
``tests/unit/scaffold/golden/`` so that a change of a template shows up as a reviewable diff.

Regenerate them after an intended change of a template:

    FASTAPP_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/scaffold/test_golden.py

then review ``git diff tests/unit/scaffold/golden``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from fastapp.scaffold.render import template_names

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("FASTAPP_UPDATE_GOLDEN") == "1"
#: The reference project: every field type and option, soft delete, search and filters.
COMMANDS = [
    ["startproject", "shop"],
    ["generate_crud", "shop.Category", "name:str:80:unique", "--searchable", "name"],
    ["generate_crud", "shop.Tag", "label:str:40"],
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
        "tags:m2m:Tag",
        "--soft-delete",
        "--searchable",
        "name,description",
        "--filterable",
        "price,status,category,released",
    ],
    ["startapp", "billing"],
]
#: Each template -> a file of the reference project that holds its output.
TEMPLATE_OUTPUT = {
    "project/pyproject.toml.jinja": "pyproject.toml",
    "project/settings.py.jinja": "settings.py",
    "project/main.py.jinja": "main.py",
    "project/env.example.jinja": ".env.example",
    "project/gitignore.jinja": ".gitignore",
    "project/Makefile.jinja": "Makefile",
    "project/README.md.jinja": "README.md",
    "project/tests/conftest.py.jinja": "tests/conftest.py",
    "project/tests/test_health.py.jinja": "tests/test_health.py",
    "app/__init__.py.jinja": "billing/__init__.py",
    "app/models.py.jinja": "billing/models.py",
    "app/migrations/__init__.py.jinja": "billing/migrations/__init__.py",
    "app/routers/__init__.py.jinja": "billing/routers/__init__.py",
    "crud/enum.py.jinja": "shop/models.py",
    "crud/model.py.jinja": "shop/models.py",
    "crud/schemas_init.py.jinja": "shop/schemas/__init__.py",
    "crud/schemas.py.jinja": "shop/schemas/product.py",
    "crud/router.py.jinja": "shop/routers/product.py",
    "crud/test.py.jinja": "tests/test_shop_product.py",
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    from typer.testing import CliRunner

    from fastapp.cli import app

    base = tmp_path_factory.mktemp("golden")
    saved_path, saved_cwd = list(sys.path), os.getcwd()
    try:
        os.chdir(base)
        for args in COMMANDS:
            result = CliRunner().invoke(app, args, catch_exceptions=False)
            assert result.exit_code == 0, result.output
            os.chdir(base / "shop")
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
    return base / "shop"


def _golden(relative: str) -> Path:
    return GOLDEN / f"{relative}.golden"


def test_every_template_has_a_golden_file():
    assert sorted(TEMPLATE_OUTPUT) == template_names()


@pytest.mark.parametrize("template", sorted(TEMPLATE_OUTPUT))
def test_template_output_matches_its_golden_file(reference, template):
    relative = TEMPLATE_OUTPUT[template]
    produced = (reference / relative).read_text(encoding="utf-8")
    golden = _golden(relative)
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(produced, encoding="utf-8")
    assert golden.is_file(), f"no golden file for {template}; run with FASTAPP_UPDATE_GOLDEN=1"
    assert produced == golden.read_text(encoding="utf-8"), (
        f"{template} changed its output ({relative}); if intended, regenerate the golden files "
        "(see this module's docstring) and review the diff"
    )


def test_no_stale_golden_files():
    expected = {_golden(relative) for relative in TEMPLATE_OUTPUT.values()}
    found = set(GOLDEN.rglob("*.golden")) if GOLDEN.is_dir() else set()
    if UPDATE:
        for stale in found - expected:
            stale.unlink()
        found &= expected
    assert found == expected

