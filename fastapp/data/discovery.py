"""Finding fixture files: explicit paths, bare names searched in the fixture folders, ``all``.

The folders are each installed app's ``fixtures/`` (in INSTALLED_APPS order) followed by
``FIXTURE_DIRS``. A bare name without suffix matches any fixture suffix; a name found in
more than one place is an error listing the candidates, as silently picking one would load
data nobody chose.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path

from fastapp.apps import AppRegistry
from fastapp.data import FixtureError
from fastapp.data.formats import FixtureSource, source_for, stdin_source

SUFFIXES = (".json", ".jsonc", ".jsonl", ".ndjson")
ALL = "all"
_PREFIX = re.compile(r"^(\d+)")


def fixture_dirs(registry: AppRegistry, apps: Sequence[str] = ()) -> list[Path]:
    """Folders searched for bare fixture names (existing ones only, no duplicates)."""
    found: list[Path] = []
    for app in registry.select(apps):
        spec = importlib.util.find_spec(app.package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            found.append(Path(location) / "fixtures")
    found.extend(registry.settings.fixture_dirs)
    unique: dict[Path, Path] = {}
    for folder in found:
        if folder.is_dir():
            unique.setdefault(folder.resolve(), folder)
    return list(unique.values())


def is_fixture_file(path: Path) -> bool:
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    return path.is_file() and Path(name).suffix.lower() in SUFFIXES


def _sort_key(path: Path) -> tuple:
    prefix = _PREFIX.match(path.name)
    return (0, int(prefix.group(1)), path.name) if prefix else (1, 0, path.name)


def find_fixtures(
    names: Sequence[str],
    registry: AppRegistry | None,
    *,
    apps: Sequence[str] = (),
    format: str | None = None,
) -> list[FixtureSource]:
    """Resolve command-line fixture names to sources, in the order given."""
    if not names:
        raise FixtureError("no fixture given: name one or more fixture files, '-' or 'all'")
    dirs = fixture_dirs(registry, apps) if registry is not None else []
    sources: list[FixtureSource] = []
    for name in names:
        if name == "-":
            sources.append(stdin_source(format))
        elif name == ALL:
            every = sorted(
                (p for folder in dirs for p in folder.iterdir() if is_fixture_file(p)),
                key=_sort_key,
            )
            if not every:
                raise FixtureError(f"no fixtures found for 'all' (looked in: {_shown(dirs)})")
            sources.extend(source_for(p, format) for p in every)
        else:
            sources.append(source_for(_locate(name, dirs), format))
    return sources


def _locate(name: str, dirs: list[Path]) -> Path:
    path = Path(name)
    if path.is_file() or path.is_absolute() or len(path.parts) > 1:
        if not path.is_file():
            raise FixtureError(f"fixture {name} does not exist")
        return path
    plain = name[:-3] if name.endswith(".gz") else name
    if Path(plain).suffix.lower() in SUFFIXES:
        wanted = [name]
    else:
        wanted = [name + s for s in SUFFIXES] + [name + s + ".gz" for s in SUFFIXES]
    candidates = [folder / w for folder in dirs for w in wanted if (folder / w).is_file()]
    if not candidates:
        raise FixtureError(
            f"fixture {name!r} not found (looked in: {_shown(dirs)}); give a path or add the "
            "folder to FIXTURE_DIRS"
        )
    if len(candidates) > 1:
        raise FixtureError(
            f"fixture name {name!r} is ambiguous: {', '.join(str(c) for c in candidates)}; "
            "give the path or the full file name"
        )
    return candidates[0]


def _shown(dirs: list[Path]) -> str:
    return ", ".join(str(d) for d in dirs) or "no fixture folders: add FIXTURE_DIRS to settings"
