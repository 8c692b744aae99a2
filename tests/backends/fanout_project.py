"""A small versioned project for the fan-out tests and benchmark: one app (``fanshop``) with
one migration, settings whose ``TARGETS`` are read from ``targets.json`` next to them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

APP = "fanshop"

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Customer(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
"""

INITIAL = """
from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Customer",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(max_length=100)),
            ],
            options={"table": "customer", "app": "fanshop", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
"""

#: A second migration (the benchmark's "one migration each"): a nullable column.
SECOND = """
from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("fanshop", "0001_initial")]

    operations = [
        ops.AddField(model_name="Customer", name="email", field=fields.CharField(max_length=200, null=True)),
    ]
"""

MODELS_WITH_EMAIL = MODELS + "    email = fields.CharField(max_length=200, null=True)\n"

SETTINGS = """
import json
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTALLED_APPS = ["fanshop"]
DATABASES = {"default": "sqlite://" + str(BASE_DIR / "main.sqlite3")}
TARGETS = json.loads((BASE_DIR / "targets.json").read_text())
"""


def write_project(root: Path, targets: object, *, second: bool = False) -> Path:
    """The project in ``root``: settings, app, migrations; ``targets`` becomes TARGETS."""
    app = root / APP
    (app / "migrations").mkdir(parents=True, exist_ok=True)
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(MODELS_WITH_EMAIL if second else MODELS)
    (app / "migrations" / "__init__.py").write_text("")
    (app / "migrations" / "0001_initial.py").write_text(INITIAL)
    if second:
        (app / "migrations" / "0002_email.py").write_text(SECOND)
    (root / "settings.py").write_text(SETTINGS)
    set_targets(root, targets)
    return root


def set_targets(root: Path, targets: object) -> None:
    (root / "targets.json").write_text(json.dumps(targets))


def forget_modules() -> None:
    """Drop the project's modules so the next command imports this directory's."""
    for name in list(sys.modules):
        if name == "settings" or name.split(".", 1)[0] == APP:
            del sys.modules[name]
