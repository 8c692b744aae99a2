"""The backend hubs: each names all its parts, and an incomplete hub is refused when it is
registered (before anything runs), without importing a driver or the parser."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fastapp import dialects
from fastapp.dialects.base import PARTS, Dialect
from fastapp.dialects.sqlite import SQLiteDialect
from fastapp.errors import IncompleteBackendError


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry, so test hubs never leak into other tests."""
    dialects.dialect_names()  # the built-in hubs first
    monkeypatch.setattr(dialects, "_registered", dict(dialects._registered))
    return dialects


def hub(name: str, **changes: str | None) -> Dialect:
    """A hub like SQLite's under another name, with some parts changed (None: left out)."""
    parts = {**SQLiteDialect.parts, **changes}
    cls = type(
        f"{name.title()}Dialect",
        (SQLiteDialect,),
        {
            "name": name,
            "url_schemes": (name,),
            "engine_aliases": (name,),
            "parts": {k: v for k, v in parts.items() if v is not None},
        },
    )
    return cls()


@pytest.mark.parametrize("name", ["postgres", "mysql", "sqlite"])
def test_each_builtin_hub_names_every_part_and_each_part_is_a_class(name):
    dialect = dialects.get_dialect(name)
    assert set(dialect.parts) == set(PARTS)
    for key in PARTS:
        part = dialect.part(key)
        assert isinstance(part, type), (name, key)
        assert part.__module__.endswith(f".{name}"), (name, key, part.__module__)


def test_a_complete_hub_is_registered_and_found(registry):
    added = registry.register_dialect(hub("embedded"))
    assert registry.get_dialect("embedded") is added
    assert registry.dialect_for_scheme("embedded") is added
    assert registry.dialect_names()[-1] == "embedded"


@pytest.mark.parametrize("key", sorted(PARTS))
def test_a_hub_missing_a_part_is_refused_at_registration(registry, key):
    with pytest.raises(IncompleteBackendError) as info:
        registry.register_dialect(hub("partial", **{key: None}))
    assert str(info.value) == (
        f"backend 'partial' ({__name__}) names no {PARTS[key]}: "
        f"add parts[{key!r}] = 'module:Class' to its hub"
    )
    assert "partial" not in registry.dialect_names()


def test_a_hub_naming_a_missing_module_is_refused_at_registration(registry):
    with pytest.raises(IncompleteBackendError, match=r"lock session module 'nowhere\.locks'"):
        registry.register_dialect(hub("broken", lock_session="nowhere.locks:Session"))
    with pytest.raises(IncompleteBackendError, match="module 'fastapp.apply.locks.nosuch'"):
        registry.register_dialect(hub("broken", lock_session="fastapp.apply.locks.nosuch:S"))
    assert "broken" not in registry.dialect_names()


@pytest.mark.parametrize(
    "spec", ["fastapp.apply.locks.sqlite", "fastapp.apply.locks.sqlite:", ":X"]
)
def test_a_part_that_is_not_module_colon_class_is_refused(registry, spec):
    with pytest.raises(IncompleteBackendError, match="is not 'module:Class'"):
        registry.register_dialect(hub("odd", lock_session=spec))


def test_unknown_parts_are_refused(registry):
    with pytest.raises(IncompleteBackendError, match="names unknown parts render"):
        registry.register_dialect(hub("extra", render="fastapp.sql.plan.sqlite:SQLiteRenderer"))


def test_registering_the_builtin_hubs_imports_no_driver_parser_or_orm():
    code = (
        "import sys\n"
        "from fastapp.dialects import dialect_names, get_dialect\n"
        "names = dialect_names()\n"
        "heavy = [m for m in ('asyncpg', 'asyncmy', 'aiosqlite', 'sqlglot', 'tortoise')"
        " if m in sys.modules]\n"
        "print('NAMES', names, 'HEAVY', heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "NAMES ('postgres', 'mysql', 'sqlite') HEAVY []" in done.stdout, done.stderr
