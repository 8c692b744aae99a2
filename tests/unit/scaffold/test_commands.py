"""startproject, startapp and generate_crud through the CLI, without a database: what they
write, that re-running never overwrites a changed file without --force, and that bad input is
one line, exit 1, nothing written."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from fastapp.errors import ScaffoldError
from fastapp.scaffold.files import FilePlan, write_plan

PRODUCT = [
    "generate_crud",
    "shop.Product",
    "name:str:120:unique",
    "price:decimal:10,2",
    "category:fk:Category",
    "--searchable",
    "name",
]


@pytest.fixture(autouse=True)
def own_sys_path(monkeypatch):
    """The CLI puts the current folder on sys.path: each test's project stays its own."""
    monkeypatch.setattr(sys, "path", list(sys.path))


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path, monkeypatch, cli):
    """A fresh project `shop` (with a Category model), the current directory."""
    monkeypatch.chdir(tmp_path)
    assert cli("startproject", "shop").exit_code == 0
    monkeypatch.chdir(tmp_path / "shop")
    result = cli("generate_crud", "shop.Category", "name:str:80")
    assert result.exit_code == 0, result.output
    return tmp_path / "shop"


def test_startproject_writes_the_layout(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    result = cli("startproject", "shop")
    assert result.exit_code == 0, result.output
    files = set(snapshot(tmp_path / "shop"))
    assert {
        "settings.py",
        "main.py",
        ".env.example",
        "Makefile",
        "pyproject.toml",
        "tests/conftest.py",
        "tests/test_health.py",
        "shop/models.py",
        "shop/migrations/__init__.py",
        "shop/routers/__init__.py",
    } <= files
    assert "test:" in (tmp_path / "shop" / "Makefile").read_text()
    assert "lifespan()" in (tmp_path / "shop" / "main.py").read_text()
    # Again: nothing to do.
    again = cli("startproject", "shop")
    assert again.exit_code == 0 and "Nothing to do" in again.output


@pytest.mark.parametrize("name", ["Shop", "class", "os", "tests", "1shop", "my-shop"])
def test_startproject_refuses_a_bad_name(tmp_path, monkeypatch, cli, name):
    monkeypatch.chdir(tmp_path)
    result = cli("startproject", name)
    assert result.exit_code == 1
    assert result.output.count("Error:") == 1 and name in result.output
    assert list(tmp_path.iterdir()) == []


def test_startapp_installs_the_app_and_includes_its_router(project, cli):
    result = cli("startapp", "billing")
    assert result.exit_code == 0, result.output
    assert '"billing",' in (project / "settings.py").read_text()
    main = (project / "main.py").read_text()
    assert "from billing.routers import router as billing_router" in main
    assert "app.include_router(billing_router)" in main
    assert (project / "billing" / "migrations" / "__init__.py").is_file()
    # The app exists now: a second startapp is refused.
    again = cli("startapp", "billing")
    assert again.exit_code == 1 and "already exists" in again.output


def test_startapp_leaves_a_settings_file_of_another_shape_alone(project, cli):
    settings = project / "settings.py"
    settings.write_text('INSTALLED_APPS = ["shop"] + ["extra"]\n')
    result = cli("startapp", "billing")
    assert result.exit_code == 0, result.output
    assert settings.read_text() == 'INSTALLED_APPS = ["shop"] + ["extra"]\n'
    assert 'add "billing" to INSTALLED_APPS' in result.output


def test_generate_crud_writes_and_registers(project, cli):
    result = cli(*PRODUCT)
    assert result.exit_code == 0, result.output
    models = (project / "shop" / "models.py").read_text()
    assert "class Product(Model):" in models and "class Category(Model):" in models
    assert "from shop.routers import category, product" in (
        project / "shop" / "routers" / "__init__.py"
    ).read_text()
    assert (project / "tests" / "test_shop_product.py").is_file()
    # The same command again: nothing changes.
    before = snapshot(project)
    again = cli(*PRODUCT)
    assert again.exit_code == 0 and "Nothing to do" in again.output
    assert snapshot(project) == before


def test_an_edited_file_is_not_overwritten_without_force(project, cli):
    assert cli(*PRODUCT).exit_code == 0
    router = project / "shop" / "routers" / "product.py"
    router.write_text(router.read_text() + "\n# my change\n")
    before = snapshot(project)
    refused = cli(*PRODUCT)
    assert refused.exit_code == 1
    assert "would overwrite 1 changed file(s): shop/routers/product.py" in refused.output
    assert "-# my change" in refused.output  # the diff
    assert snapshot(project) == before
    dry = cli(*PRODUCT, "--dry-run")
    assert dry.exit_code == 0 and "nothing written" in dry.output
    assert snapshot(project) == before
    forced = cli(*PRODUCT, "--force")
    assert forced.exit_code == 0, forced.output
    assert "# my change" not in router.read_text()


def test_a_changed_spec_replaces_the_model_only_with_force(project, cli):
    assert cli(*PRODUCT).exit_code == 0
    before = snapshot(project)
    changed = [*PRODUCT[:3], "price:decimal:12,2", *PRODUCT[4:]]
    refused = cli(*changed)
    assert refused.exit_code == 1 and "shop/models.py" in refused.output
    assert snapshot(project) == before
    assert cli(*changed, "--force").exit_code == 0
    assert "max_digits=12" in (project / "shop" / "models.py").read_text()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["shop.Item", "price:decimal"], ["'price:decimal'", "price:decimal:10,2"]),
        (["shop.Item", "price:money"], ["unknown type 'money'"]),
        (["shop.Item", "class:str:10"], ["'class'", "Python keyword"]),
        (["shop.Item", "delete:str:10"], ["'delete'", "Tortoise"]),
        (["shop.Item", "owner:fk:Owner"], ["'owner:fk:Owner'", "no model 'Owner'", "shop/models.py"]),
        (["shop.Item", "owner:fk:users.User"], ["no model 'User' in users/models.py"]),
        (["shop.Item", "tags:m2m:Tag"], ["no model 'Tag'"]),
        (["shop.Item", "name:str:10:uniq"], ["unknown option 'uniq'"]),
        (["shop.Item", "name:str:10:default="], ["fine"]),
        (["nowhere.Item", "name:str:10"], ["no app 'nowhere'", "fastapp startapp nowhere"]),
        (["Item", "name:str:10"], ["APP.Model"]),
        (["shop.item", "name:str:10"], ["CamelCase"]),
        (["shop.Item", "name:str:10", "--searchable", "title"], ["--searchable 'title'"]),
        (["shop.Item", "name:str:10", "n:int", "--searchable", "n"], ["cannot be searched"]),
        (["shop.Item", "meta:json", "--filterable", "meta"], ["cannot be filtered"]),
        (["shop.Item", "parent:fk:Item"], ["must be nullable"]),
        (["shop.Item", "category:fk:Category"], ["at least one field that is not a relation"]),
        (["shop.Item", "at:datetime:default=now"], ["at least one field that is not a relation"]),
        (["Shop.Item", "name:str:10"], ["app 'Shop'", "lowercase"]),
        (["shop.Category", "name:str:80"], ["fine"]),  # the same spec again: nothing to do
        (["shop.Item", "category:str:10:unique", "name:str:10"], ["fine"]),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(project, cli, args, words):
    before = snapshot(project)
    result = cli("generate_crud", *args)
    if words == ["fine"]:  # valid after all (an empty default is an empty string)
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    for word in words:
        assert word in lines[0], lines[0]
    assert snapshot(project) == before


def test_a_self_reference_and_a_reference_to_another_app(project, cli):
    # (not `users`: the example project's `users` app may be importable in this process,
    # and startapp rightly refuses a name that shadows an importable module)
    assert cli("startapp", "members").exit_code == 0
    assert cli("generate_crud", "members.User", "email:str:200:unique").exit_code == 0
    result = cli(
        "generate_crud", "shop.Order", "note:text", "parent:fk:Order:null", "buyer:fk:members.User"
    )
    assert result.exit_code == 0, result.output
    models = (project / "shop" / "models.py").read_text()
    assert '"shop.Order", related_name="orders_parent"' not in models  # distinct targets
    assert '"members.User"' in models and "on_delete=fields.SET_NULL" in models
    router = (project / "shop" / "routers" / "order.py").read_text()
    assert "from members.models import User" in router


def test_writes_are_all_or_nothing(tmp_path):
    plan = FilePlan(tmp_path)
    plan.add(tmp_path / "a.py", "a = 1\n")
    (tmp_path / "blocker").write_text("a file where a folder should be")
    plan.add(tmp_path / "blocker" / "b.py", "b = 2\n")
    with pytest.raises(OSError):
        write_plan(plan)
    assert sorted(os.listdir(tmp_path)) == ["blocker"]


def test_a_conflict_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "kept.py").write_text("mine\n")
    plan = FilePlan(tmp_path)
    plan.add(tmp_path / "new.py", "new\n")
    plan.add(tmp_path / "kept.py", "theirs\n")
    with pytest.raises(ScaffoldError, match=r"would overwrite 1 changed file\(s\): kept.py"):
        write_plan(plan)
    assert sorted(os.listdir(tmp_path)) == ["kept.py"]


def test_a_model_in_an_app_that_is_not_installed_is_written_with_a_warning(project, cli):
    (project / "loose").mkdir()
    (project / "loose" / "__init__.py").write_text("")
    (project / "loose" / "models.py").write_text("")
    result = cli("generate_crud", "loose.Thing", "name:str:10")
    assert result.exit_code == 0, result.output
    assert "'loose' is not in INSTALLED_APPS" in result.output
    assert "class Thing(Model):" in (project / "loose" / "models.py").read_text()


def test_an_enum_that_would_replace_a_model_is_refused(project, cli):
    assert cli("generate_crud", "shop.ItemKind", "label:str:10").exit_code == 0
    before = snapshot(project)
    result = cli("generate_crud", "shop.Item", "kind:enum:a|b")
    assert result.exit_code == 1
    assert "would replace the model ItemKind" in result.output
    assert snapshot(project) == before


def test_audit_adds_the_mixin_and_installs_the_audit_app(project, cli):
    result = cli("generate_crud", "shop.Note", "text:text", "--audit", "--soft-delete")
    assert result.exit_code == 0, result.output
    models = (project / "shop" / "models.py").read_text()
    assert "from fastapp.contrib.audit.mixin import AuditMixin" in models
    # the mixin comes first: it must see soft deletes as such
    assert "class Note(AuditMixin, SoftDeleteMixin, Model):" in models
    assert '"fastapp.contrib.audit"' in (project / "settings.py").read_text()
