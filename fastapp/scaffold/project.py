"""``startproject`` and ``startapp``: a project folder, an app package, as :class:`FilePlan`s."""

from __future__ import annotations

import importlib.util
import keyword
import re
from pathlib import Path

from fastapp.errors import ScaffoldError
from fastapp.scaffold import sources
from fastapp.scaffold.files import FilePlan
from fastapp.scaffold.render import render

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Names the project layout itself uses at its top level.
_TAKEN = {"settings", "main", "tests", "migrations", "routers", "models", "fastapp", "test"}
#: Templates of a project (template -> path in the project; ``{app}`` is the first app).
PROJECT_FILES = {
    "project/pyproject.toml.jinja": "pyproject.toml",
    "project/settings.py.jinja": "settings.py",
    "project/main.py.jinja": "main.py",
    "project/env.example.jinja": ".env.example",
    "project/gitignore.jinja": ".gitignore",
    "project/Makefile.jinja": "Makefile",
    "project/README.md.jinja": "README.md",
    "project/tests/conftest.py.jinja": "tests/conftest.py",
    "project/tests/test_health.py.jinja": "tests/test_health.py",
}
APP_FILES = {
    "app/__init__.py.jinja": "{app}/__init__.py",
    "app/models.py.jinja": "{app}/models.py",
    "app/migrations/__init__.py.jinja": "{app}/migrations/__init__.py",
    "app/routers/__init__.py.jinja": "{app}/routers/__init__.py",
}


def check_name(name: str, what: str, root: Path | None = None) -> None:
    """Refuse a project or app name that is not a plain lowercase identifier, or that would
    shadow a Python module (the standard library's, an installed package's, the layout's)."""
    if not _NAME.match(name) or keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ScaffoldError(
            f"{what} name {name!r} must be a lowercase Python identifier that is not a keyword "
            "(letters, digits, underscores; a letter first), e.g. shop"
        )
    if name in _TAKEN:
        raise ScaffoldError(
            f"{what} name {name!r} is used by the project layout itself; choose another name"
        )
    local = root is not None and ((root / name).is_dir() or (root / f"{name}.py").is_file())
    if not local:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if found:
            raise ScaffoldError(
                f"{what} name {name!r} is already an importable Python module; choose another "
                f"name (e.g. {name}_app)"
            )


def first_party(root: Path) -> set[str]:
    """Top-level packages and modules of the project (isort's first-party section)."""
    found = {p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    return found | {p.stem for p in root.glob("*.py")}


def startproject(name: str, directory: Path) -> FilePlan:
    """The files of a new project ``name`` in ``directory`` (created when missing): settings,
    ``.env.example``, the app ``name``, ``main.py``, tests, Makefile, pyproject.

    Raises :class:`ScaffoldError` for a bad name or a directory that is a file.
    """
    check_name(name, "project", directory.resolve() if directory.is_dir() else None)
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(f"{directory} exists and is not a folder; choose another directory")
    root = directory.resolve()
    plan = FilePlan(root)
    context = {"name": name, "app": name}
    for template, target in PROJECT_FILES.items():
        plan.add(root / target, render(template, **context), what="project")
    _app_files(plan, root, name)
    where = "" if root == Path.cwd().resolve() else f"cd {directory} && "
    plan.notes.append(
        f"next: {where}fastapp generate_crud {name}.Item name:str:120 ... , then "
        "fastapp makemigrations && fastapp upgrade && uvicorn main:app"
    )
    return plan


def _app_files(plan: FilePlan, root: Path, app: str) -> None:
    for template, target in APP_FILES.items():
        plan.add(root / target.format(app=app), render(template, app=app), what="app")


def startapp(name: str, root: Path) -> FilePlan:
    """The files of a new app ``name`` in the project at ``root``, and its registration: the
    app added to ``INSTALLED_APPS`` in ``settings.py`` and its router to ``main.py`` when those
    files have the generated shape (else a note says what to add by hand)."""
    root = root.resolve()
    check_name(name, "app", root)
    if (root / name).exists():
        raise ScaffoldError(
            f"{root / name} already exists; choose another app name or remove the folder"
        )
    plan = FilePlan(root)
    _app_files(plan, root, name)
    install_app(plan, root, name)
    _include_router(plan, root, name)
    return plan


def install_app(plan: FilePlan, root: Path, app: str) -> None:
    """``app`` added to ``INSTALLED_APPS`` in ``settings.py`` when that is a plain list of
    names; otherwise a note saying what to add."""
    settings = root / "settings.py"
    line = f'add "{app}" to INSTALLED_APPS in settings.py'
    text = plan.current(settings)
    if text is None:
        plan.notes.append(f"no settings.py in {root}: {line}")
        return
    apps = sources.string_list(text, str(settings), "INSTALLED_APPS")
    if apps is not None and app in apps:
        return
    edited = (
        sources.set_string_list(text, str(settings), "INSTALLED_APPS", [*apps, app])
        if apps is not None
        else None
    )
    if edited is None:
        plan.notes.append(f"{line} (it is not a plain list of names, so it was left alone)")
        return
    plan.add(settings, edited, additive=True, what=f"INSTALLED_APPS += {app}")
    plan.notes.append(f"added {app!r} to INSTALLED_APPS in settings.py")


def _include_router(plan: FilePlan, root: Path, app: str) -> None:
    main = root / "main.py"
    alias = f"{app}_router"
    call = f"app.include_router({alias})"
    by_hand = (
        f"to serve its routes, add to main.py: from {app}.routers import router as {alias}; {call}"
    )
    text = plan.current(main)
    if text is None or "app = FastAPI(" not in text:
        plan.notes.append(by_hand)
        return
    if sources.has_call(text, str(main), call):
        return
    wanted = [sources.ImportLine(f"{app}.routers", "router", alias)]
    try:
        text = sources.add_imports(text, str(main), wanted, first_party(root) | {app})
        anchor = "app.include_router(" if "app.include_router(" in text else "app = FastAPI("
        text = sources.add_call_after(text, str(main), call, anchor)
    except ScaffoldError:
        plan.notes.append(by_hand)
        return
    plan.add(main, text, additive=True, what=f"include {app}'s router")
    plan.notes.append(f"included {app}'s router in main.py")
