"""A throw-away project on disk (settings module + one app) for the runtime and plugin tests."""

from __future__ import annotations

import sys
import textwrap
import uuid
from dataclasses import dataclass
from pathlib import Path

SHOP_MODELS = """
from tortoise import fields
from tortoise.models import Model


class Item(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50, unique=True)
    qty = fields.IntField(default=0)

    class Meta:
        table = "shop_item"
"""


@dataclass
class TmpProject:
    root: Path
    package: str

    @property
    def app(self) -> str:
        return f"{self.package}.shop"

    def settings(self, body: str, name: str | None = None) -> str:
        """Write a settings module (INSTALLED_APPS is prepended) and return its dotted name."""
        name = name or f"settings_{uuid.uuid4().hex[:8]}"
        text = f"INSTALLED_APPS = [{self.app!r}]\n" + textwrap.dedent(body).strip() + "\n"
        (self.root / f"{name}.py").write_text(text)
        return name

    def models(self):
        """The app's models module (imported by Tortoise.init)."""
        import importlib

        return importlib.import_module(f"{self.app}.models")

    def forget(self) -> None:
        for name in list(sys.modules):
            if name.startswith(self.package) or name.startswith("settings_"):
                del sys.modules[name]


def make_project(root: Path, models: str = SHOP_MODELS) -> TmpProject:
    """A package ``rtp_<random>`` with the app ``shop`` under ``root``."""
    package = f"rtp_{uuid.uuid4().hex[:8]}"
    app = root / package / "shop"
    app.mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(textwrap.dedent(models))
    return TmpProject(root, package)
