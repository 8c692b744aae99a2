"""The migration graph read from the files without running them, for the listings
(``history``, ``heads``, ``current``, ``showmigrations``).

Importing the migration modules means importing Tortoise (~0.45 s) and compiling every file
(a thousand ``CreateModel``s take ~0.5 s); the listings need only each file's name and what
its ``Migration`` class declares in ``dependencies`` and ``run_before``. Those are read from
the syntax tree, and kept in a small cache under the SHA-256 of the file's bytes, so a
changed file can never reach an old entry (one JSON file, ``migration_headers.json``, in
``$FASTAPP_CACHE_DIR`` or ``~/.cache/fastapp/versions``; ``FASTAPP_NO_CACHE=1`` turns it off;
best effort: an unreadable cache is not used).

:func:`file_graph` returns ``None`` whenever the files are not plain enough to be read this
way -- a ``Migration`` class with other bases, declarations that are not literals, a syntax
error, ``__first__``/``__latest__`` or a dependency that names no file, module files other
than ``.py``, a squashed migration (``replaces``) -- and the caller then loads the graph
with Tortoise's loader, which also gives the errors that name the file and line. A file whose syntax is fine but that fails when run
is listed here; ``upgrade`` and ``makemigrations`` (which import it) report it.

The graph's order is Tortoise's (:class:`tortoise.migrations.graph.MigrationGraph`): leaves
sorted, each one's dependencies walked depth first with parents in sorted order.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE_FILE = "migration_headers.json"
#: Bumped when what is stored per file changes.
_FORMAT = 2
_BASES = {"Migration", "migrations.Migration"}
#: Entries kept; the oldest go first.
MAX_ENTRIES = 20_000


@dataclass(frozen=True, order=True)
class FileKey:
    """A migration, as Tortoise's ``MigrationKey`` (same fields, order and text)."""

    app_label: str
    name: str

    def __str__(self) -> str:
        return f"{self.app_label}.{self.name}"


@dataclass(eq=False)
class FileNode:
    key: FileKey
    parents: set[FileNode] = field(default_factory=set)
    children: set[FileNode] = field(default_factory=set)
    #: What a squash replaces (Tortoise's ``Migration.replaces``): always empty here, since a
    #: file that declares it is left to Tortoise's loader.
    replaces: tuple[tuple[str, str], ...] = ()

    def __hash__(self) -> int:
        return hash(self.key)

    def __lt__(self, other: FileNode) -> bool:
        return self.key < other.key


class FileGraph:
    """The part of Tortoise's migration graph the listings use: ``node_map``, ``nodes``,
    ``leaf_nodes()`` and ``forwards_plan()``, with the same order."""

    def __init__(self) -> None:
        self.node_map: dict[FileKey, FileNode] = {}

    @property
    def nodes(self) -> dict[FileKey, FileNode]:
        return self.node_map

    def link(self, child: FileKey, parent: FileKey) -> None:
        self.node_map[child].parents.add(self.node_map[parent])
        self.node_map[parent].children.add(self.node_map[child])

    def leaf_nodes(self) -> list[FileKey]:
        return sorted(key for key, node in self.node_map.items() if not node.children)

    def forwards_plan(self, target: FileKey) -> list[FileKey]:
        """``target`` and everything it depends on, dependencies first: a depth-first walk
        that pushes a node's parents in sorted order (so visits them last-first) and emits a
        node once all of them are out."""
        order: list[FileKey] = []
        done: set[FileKey] = set()
        pending: list[tuple[FileNode, bool]] = [(self.node_map[target], False)]
        while pending:
            node, expanded = pending.pop()
            if node.key in done:
                continue
            if expanded:
                done.add(node.key)
                order.append(node.key)
                continue
            pending.append((node, True))
            pending.extend((parent, False) for parent in sorted(node.parents))
        return order


@dataclass(frozen=True)
class Header:
    """What a migration file's ``Migration`` class declares."""

    dependencies: tuple[tuple[str, str], ...]
    run_before: tuple[tuple[str, str], ...]


def file_graph(folders: dict[str, Path | None]) -> FileGraph | None:
    """The graph of the migration files of ``folders`` (app label -> its migrations
    directory, ``None`` for an app without one), or ``None`` when some file cannot be read
    without running it (see the module's docstring)."""
    listed: dict[FileKey, Path] = {}
    for label, folder in folders.items():
        if folder is None:
            continue
        names = _migration_files(folder)
        if names is None:
            return None
        for name in names:
            listed[FileKey(label, name)] = folder / f"{name}.py"
    headers = _headers(listed.values())
    if headers is None:
        return None
    graph = FileGraph()
    for key in listed:
        graph.node_map[key] = FileNode(key)
    for key, path in listed.items():
        header = headers[str(path)]
        for app, name in header.dependencies:
            parent = FileKey(app, name)
            if parent not in graph.node_map:
                return None  # __first__/__latest__, a missing file, an unknown app
            graph.link(key, parent)
        for app, name in header.run_before:
            child = FileKey(app, name)
            if child not in graph.node_map:
                return None
            graph.link(child, key)
    return graph


def _migration_files(folder: Path) -> list[str] | None:
    """The module names Tortoise's loader (``pkgutil.iter_modules``) finds in ``folder``;
    ``None`` when a module there is not a ``.py`` file (compiled, an extension): the loader
    would import it, so it is left to the loader."""
    from importlib.machinery import all_suffixes

    others = [s for s in all_suffixes() if s != ".py"]
    names = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    for entry in entries:
        if entry.is_dir():
            continue  # packages are skipped by the loader
        if entry.name.endswith(".py"):
            stem = entry.name[:-3]
        elif any(entry.name.endswith(suffix) for suffix in others):
            return None
        else:
            continue
        if stem and "." not in stem and stem[0] not in "_~":
            names.append(stem)
    return sorted(names)


def _headers(paths: Iterable[Path]) -> dict[str, Header] | None:
    store = _Cache.open()
    found: dict[str, Header] = {}
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        digest = hashlib.sha256(data).hexdigest()
        header = store.get(digest)
        if header is None:
            header = parse_header(data)
            if header is None:
                return None
            store.put(digest, header)
        found[str(path)] = header
    store.save()
    return found


def parse_header(source: bytes) -> Header | None:
    """The declarations of the file's top-level ``class Migration``; ``None`` when they
    cannot be known without running it."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    classes = [
        node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Migration"
    ]
    if len(classes) != 1 or _rebinds_migration(tree):
        return None
    cls = classes[0]
    if cls.decorator_list or cls.keywords or len(cls.bases) != 1:
        return None
    if ast.unparse(cls.bases[0]) not in _BASES:
        return None
    declared: dict[str, Any] = {"dependencies": [], "run_before": []}
    seen: set[str] = set()
    for statement in cls.body:
        targets = _assigned_names(statement)
        if "replaces" in targets:
            return None  # a squash: its records are mapped by versions.replacing, with Tortoise
        wanted = targets & declared.keys()
        if not wanted:
            continue
        value = getattr(statement, "value", None)
        if len(targets) != 1 or value is None or isinstance(statement, ast.AugAssign):
            return None
        if wanted & seen:
            return None  # assigned twice
        seen |= wanted
        try:
            declared[wanted.pop()] = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
    try:
        return Header(
            tuple((str(a), str(n)) for a, n in declared["dependencies"]),
            tuple((str(a), str(n)) for a, n in declared["run_before"]),
        )
    except (TypeError, ValueError):
        return None


def _assigned_names(statement: ast.stmt) -> set[str]:
    if isinstance(statement, ast.Assign):
        return {t.id for t in statement.targets if isinstance(t, ast.Name)} | (
            {"?"} if any(not isinstance(t, ast.Name) for t in statement.targets) else set()
        )
    if isinstance(statement, (ast.AnnAssign, ast.AugAssign)) and isinstance(
        statement.target, ast.Name
    ):
        return {statement.target.id}
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    return set()


def _rebinds_migration(tree: ast.Module) -> bool:
    """Something else at the top level binds ``Migration`` (the class would not be it)."""
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef):
            continue
        if "Migration" in _assigned_names(statement):
            return True
        if isinstance(statement, (ast.Import, ast.ImportFrom)) and any(
            (alias.asname or alias.name) == "Migration" or alias.name == "*"
            for alias in statement.names
        ):
            return True
    return False


# --- the cache ---------------------------------------------------------------------------------


def cache_dir() -> Path | None:
    """Where the cache lives (``None``: caching is off); the same settings as the
    desired-schema cache."""
    if os.environ.get("FASTAPP_NO_CACHE", "").strip() not in ("", "0"):
        return None
    base = os.environ.get("FASTAPP_CACHE_DIR")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fastapp" / "versions"


class _Cache:
    """SHA-256 of a file -> its header; written back (atomically) only when it grew."""

    def __init__(self, path: Path | None, entries: dict[str, Any]) -> None:
        self.path, self.entries, self.changed = path, entries, False

    @classmethod
    def open(cls) -> _Cache:
        folder = cache_dir()
        if folder is None:
            return cls(None, {})
        path = folder / CACHE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data["entries"] if data.get("format") == _FORMAT else {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            entries = {}
        return cls(path, entries if isinstance(entries, dict) else {})

    def get(self, digest: str) -> Header | None:
        entry = self.entries.get(digest)
        try:
            return Header(
                tuple((a, n) for a, n in entry["dependencies"]),
                tuple((a, n) for a, n in entry["run_before"]),
            )
        except (TypeError, KeyError, ValueError):
            return None

    def put(self, digest: str, header: Header) -> None:
        self.entries[digest] = {
            "dependencies": [list(d) for d in header.dependencies],
            "run_before": [list(r) for r in header.run_before],
        }
        self.changed = True

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        for stale in list(self.entries)[: max(0, len(self.entries) - MAX_ENTRIES)]:
            del self.entries[stale]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=self.path.parent, prefix=".headers-", delete=False, encoding="utf-8"
            ) as out:
                json.dump({"format": _FORMAT, "entries": self.entries}, out)
            os.replace(out.name, self.path)
        except OSError:
            pass
