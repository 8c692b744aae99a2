"""A throw-away project on disk for the contrib tests: settings with the contrib apps and a
``blog`` app whose models (and hooks) a test can rewrite between commands."""

from __future__ import annotations

import sys
import textwrap
import uuid
from dataclasses import dataclass
from pathlib import Path

BLOG_MODELS = """
from tortoise import fields
from tortoise.models import Model


class Post(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=100)

    class Meta:
        table = "{package}_post"
        permissions = (("publish_post", "Can publish posts"),)
"""

TAG_MODEL = """

class Tag(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=30)

    class Meta:
        table = "{package}_tag"
"""


@dataclass
class ContribProject:
    root: Path
    package: str

    @property
    def blog(self) -> Path:
        return self.root / self.package / "blog"

    def write_models(self, *, tag: bool = False, extra: str = "") -> None:
        text = BLOG_MODELS + (TAG_MODEL if tag else "") + extra
        (self.blog / "models.py").write_text(textwrap.dedent(text).format(package=self.package))
        self.forget()

    def write_hooks(self, body: str) -> None:
        (self.blog / "hooks.py").write_text(textwrap.dedent(body))
        self.forget()

    def forget(self) -> None:
        """Drop the project's modules (and the hooks they registered) from this process."""
        from fastapp import hooks, testing

        testing.forget_tortoise_queries()
        for name in list(sys.modules):
            if name.startswith(self.package) or name == "settings":
                del sys.modules[name]
        hooks._HOOKS[:] = [h for h in hooks._HOOKS if not h.module.startswith(self.package)]


def make_project(root: Path, apps: tuple[str, ...]) -> ContribProject:
    """A package ``ctp_<random>`` with the app ``blog``; INSTALLED_APPS = ``apps`` + blog."""
    package = f"ctp_{uuid.uuid4().hex[:8]}"
    blog = root / package / "blog"
    blog.mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (blog / "__init__.py").write_text("")
    installed = [*apps, f"{package}.blog"]
    (root / "settings.py").write_text(f"INSTALLED_APPS = {installed!r}\n")
    project = ContribProject(root, package)
    project.write_models()
    return project
