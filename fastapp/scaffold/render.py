"""The templates (package data under ``templates/``) and their one Jinja environment."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapp.errors import ScaffoldError

TEMPLATE_PACKAGE = "fastapp.scaffold"
TEMPLATE_FOLDER = "templates"


@cache
def environment() -> Any:
    try:
        import jinja2
    except ImportError:  # pragma: no cover - a dependency of fastapp
        raise ScaffoldError(
            "the scaffolder needs Jinja2: pip install 'jinja2>=3.1' (a dependency of fastapp)"
        ) from None
    return jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_FOLDER),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Python and TOML source, not HTML
    )


def render(template: str, **context: Any) -> str:
    """The template ``template`` (a path under ``templates/``) filled with ``context``."""
    return environment().get_template(template).render(**context)


def template_names() -> list[str]:
    """Every template, sorted (the golden-file tests render each one)."""
    return sorted(environment().list_templates(extensions=["jinja"]))
