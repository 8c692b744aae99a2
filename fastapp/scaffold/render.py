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
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_FOLDER),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Python and TOML source, not HTML
    )
    env.filters.update(pytuple=pytuple, pydict=pydict, pyset=pyset, pyargs=pyargs)
    return env


def _str(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (tuple, list)):
        return pytuple(value)
    return repr(value)


def pyargs(values: Any) -> str:
    """``a, b`` as Python source, strings double-quoted."""
    return ", ".join(_str(v) for v in values)


def pytuple(values: Any, indent: int = 0) -> str:
    """A tuple as Python source, strings double-quoted (``("a",)``, ``()``); one item a line
    when ``indent`` is given and one line would pass 80 characters."""
    values = list(values)
    if len(values) == 1:
        return f"({_str(values[0])},)"
    line = f"({pyargs(values)})"
    if not indent or len(line) + indent <= 80:
        return line
    pad = " " * (indent + 4)
    return "(\n" + "".join(f"{pad}{_str(v)},\n" for v in values) + " " * indent + ")"


def pyset(values: Any) -> str:
    return "{" + pyargs(values) + "}"


def pydict(mapping: Any, indent: int = 0) -> str:
    """A dict as Python source (strings double-quoted); one item a line when ``indent`` is
    given and one line would pass 80 characters."""
    line = "{" + ", ".join(f"{_str(k)}: {_str(v)}" for k, v in mapping.items()) + "}"
    if not indent or len(line) + indent <= 80:
        return line
    pad = " " * (indent + 4)
    items = "".join(f"{pad}{_str(k)}: {_str(v)},\n" for k, v in mapping.items())
    return "{\n" + items + " " * indent + "}"


def render(template: str, **context: Any) -> str:
    """The template ``template`` (a path under ``templates/``) filled with ``context``."""
    return environment().get_template(template).render(**context)


def template_names() -> list[str]:
    """Every template, sorted (the golden-file tests render each one)."""
    return sorted(environment().list_templates(extensions=["jinja"]))
