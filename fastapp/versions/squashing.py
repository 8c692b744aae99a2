"""``squash``: one migration replacing a range of an app's migrations, and what the rest of
``versions`` needs to know about such a migration.

Tortoise 1.1.9's loader keeps ``Migration.replaces`` but ignores it (Django's loader swaps
the replaced migrations for the squashed one; Tortoise's puts both in the graph). So a
squashed range that kept its original files would be applied twice by ``tortoise migrate``.
fastapp therefore *replaces the files*: the squashed migration is written, the originals are
removed (version control keeps them), and migrations that depended on one of them depend on
the squashed one instead. The file is an ordinary Tortoise migration with ``replaces`` set,
so ``tortoise migrate`` applies it to a new database.

Databases that applied some or all of the originals are what ``replaces`` is for; fastapp
reads the records here (:func:`reconcile`):

reading the records is :mod:`.replacing`'s:

* every replaced migration recorded: the squashed one counts as applied, and the next
  ``upgrade`` records it (so ``tortoise migrate`` sees it applied too);
* the first *k* recorded (a database in the middle of the range): the squashed migration's
  operations are the originals' operations in order, and ``squashed_operations`` (written
  next to ``replaces``: the number of operations each original had) says how many already
  ran, so ``upgrade`` runs only the rest.

``RunPython`` functions defined in the squashed files are copied into the new file, with the
imports and helpers of their module; ``RunSQL`` is written as it was.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from fastapp.errors import MigrationFileError, MigrationTargetError
from fastapp.versions.loading import (
    VersionedApp,
    apps_config,
    full_plan,
    load_graph,
    migration_file,
    versioned_apps,
)
from fastapp.versions.replacing import COUNTS

if TYPE_CHECKING:
    from tortoise.migrations.graph import MigrationGraph, MigrationKey

    from fastapp.apps import AppRegistry


@dataclass(frozen=True)
class SquashRequest:
    """The command line of ``squash``, as values."""

    app: str
    start: str
    end: str
    name: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class SquashResult:
    app: str
    name: str
    path: Path | None
    text: str
    replaced: tuple[str, ...]
    #: Files of other migrations whose dependencies now name the squashed migration.
    rewritten: tuple[Path, ...]
    operations: int
    written: bool


# --- squash ------------------------------------------------------------------------------------


async def squash(registry: AppRegistry, request: SquashRequest) -> SquashResult:
    """Write one migration replacing ``request.start`` .. ``request.end`` of ``request.app``
    (both included), remove the originals, and point their dependents at the new file.

    Raises :class:`MigrationTargetError` (unknown app or migration, a range that is not one
    straight line of the app's history), :class:`MigrationFileError` (a ``RunPython`` whose
    code cannot be carried over) and what loading the files raises; on any of them nothing
    is written. A file set that would not load afterwards is restored.
    """
    from tortoise.migrations.graph import MigrationKey

    from fastapp.versions.planning import resolve

    everything = versioned_apps(registry)
    app = _app(everything, request.app)
    loader = await load_graph(apps_config(everything))
    graph = loader.graph
    lookup = SimpleNamespace(graph=graph)
    start = resolve(lookup, app.label, request.start)  # type: ignore[arg-type]
    end = resolve(lookup, app.label, request.end)  # type: ignore[arg-type]
    chain = _range(graph, start, end)
    nodes = [graph.nodes[k] for k in chain]
    for key, node in zip(chain, nodes, strict=True):
        if node.replaces:
            raise MigrationTargetError(
                f"{key} is itself a squash (it replaces {len(node.replaces)} migrations): "
                f"squash a range that starts after it, or once every database has applied "
                f"it, remove its `replaces` and squash again"
            )
    inside = set(chain)
    dependencies = _dependencies(graph, chain, inside)
    name = _name(start, end, request.name)
    new_key = MigrationKey(app.label, name)
    if new_key in graph.nodes and new_key not in inside:
        raise MigrationTargetError(
            f"{app.label}.{name} already exists: choose another name with --name"
        )
    operations = [op for node in nodes for op in node.operations]
    preamble = _preamble(app, chain, operations)
    writer = _writer_class()(
        name,
        app.label,
        operations,
        dependencies=dependencies,
        replaces=[(k.app_label, k.name) for k in chain],
        initial=True if nodes[0].initial or not _in_app_parents(graph, start) else None,
        migrations_module=app.module,
        counts=[len(node.operations) for node in nodes],
        preamble=preamble,
    )
    text = writer.as_string()
    replaced = tuple(str(k) for k in chain)
    edits = _dependents(everything, graph, inside, (app.label, name))
    if request.dry_run:
        return SquashResult(
            app.label, name, None, text, replaced, tuple(edits), len(operations), False
        )
    folder = app.ensure_package()
    path = folder / f"{name}.py"
    originals = {p: p.read_text(encoding="utf-8") for p in [*edits, *_files(app, chain)]}
    try:
        for old in _files(app, chain):
            old.unlink()
            _drop_bytecode(old)
        for target, new_text in edits.items():
            target.write_text(new_text, encoding="utf-8")
            _drop_bytecode(target)
        path.write_text(text, encoding="utf-8")
        await load_graph(apps_config(everything))
    except BaseException:
        path.unlink(missing_ok=True)
        for restored, original in originals.items():
            restored.write_text(original, encoding="utf-8")
        raise
    return SquashResult(app.label, name, path, text, replaced, tuple(edits), len(operations), True)


def _app(apps: list[VersionedApp], label: str) -> VersionedApp:
    for app in apps:
        if app.label == label:
            if app.path() is None:
                raise MigrationTargetError(
                    f"app {label!r} has no migrations to squash: run `fastapp makemigrations "
                    f"{label}` first"
                )
            return app
    known = ", ".join(a.label for a in apps) or "none"
    raise MigrationTargetError(f"unknown app {label!r} (apps: {known})")


def _in_app_parents(graph: MigrationGraph, key: MigrationKey) -> list:
    return [p for p in graph.node_map[key].parents if p.key.app_label == key.app_label]


def _range(graph: MigrationGraph, start: MigrationKey, end: MigrationKey) -> list[MigrationKey]:
    """``start`` .. ``end`` of one app, dependencies first; refused unless it is one line."""
    app = start.app_label
    to_end = [k for k in graph.forwards_plan(end) if k.app_label == app]
    if start not in to_end:
        raise MigrationTargetError(
            f"{start} does not come before {end} in {app}'s history: give the range "
            f"oldest first (see `fastapp history --apps {app}`)"
        )
    before = set(graph.forwards_plan(start)) - {start}
    chain = [k for k in to_end if k not in before]
    if len(chain) < 2:
        raise MigrationTargetError(
            f"{start} .. {end} is a single migration: nothing to squash; give a range of two "
            "or more"
        )
    inside = set(chain)
    for key in chain:
        node = graph.node_map[key]
        if key != start:
            outside = [p.key for p in _in_app_parents(graph, key) if p.key not in inside]
            if outside:
                raise MigrationTargetError(
                    f"{key} also depends on {outside[0]}, outside {start} .. {end}: the "
                    "range must be one straight line; merge first or pick another range"
                )
        if key != end:
            branches = [
                c.key for c in node.children if c.key.app_label == app and c.key not in inside
            ]
            if branches:
                raise MigrationTargetError(
                    f"{branches[0]} branches off {key} inside {start} .. {end}: the range "
                    "must be one straight line; merge first or pick another range"
                )
    # full_plan order, so the operations keep the order they were applied in.
    order = {k: i for i, k in enumerate(full_plan(graph))}
    return sorted(chain, key=order.__getitem__)


def _dependencies(
    graph: MigrationGraph, chain: list[MigrationKey], inside: set
) -> list[tuple[str, str]]:
    found: dict[tuple[str, str], None] = {}
    for key in chain:
        for parent in graph.node_map[key].parents:
            if parent.key in inside:
                continue
            reaches = inside & set(graph.forwards_plan(parent.key))
            if reaches:
                raise MigrationTargetError(
                    f"{key} depends on {parent.key}, which itself depends on "
                    f"{sorted(reaches)[0]} inside the range: the squashed migration would "
                    "depend on itself; squash a shorter range"
                )
            found[(parent.key.app_label, parent.key.name)] = None
    return sorted(found)


def _name(start: MigrationKey, end: MigrationKey, name: str | None) -> str:
    from tortoise.migrations.writer import format_migration_name

    number = int(start.name.split("_", 1)[0]) if start.name[:4].isdigit() else 1
    return format_migration_name(number, name or f"squashed_{end.name}")


def _files(app: VersionedApp, chain: list[MigrationKey]) -> list[Path]:
    found = []
    for key in chain:
        path = migration_file(app, key.name)
        if path is not None and path.exists():
            found.append(path)
    return found


def _drop_bytecode(path: Path) -> None:
    cache = path.parent / "__pycache__"
    if cache.is_dir():
        for compiled in cache.glob(f"{path.stem}.*.pyc"):
            compiled.unlink(missing_ok=True)


def _dependents(
    apps: list[VersionedApp], graph: MigrationGraph, inside: set, new: tuple[str, str]
) -> dict[Path, str]:
    """The files of migrations outside the range that depend on one inside it, with the
    dependency rewritten to the squashed migration."""
    by_label = {a.label: a for a in apps}
    edits: dict[Path, str] = {}
    for key, node in graph.node_map.items():
        if key in inside:
            continue
        named = [p.key for p in node.parents if p.key in inside]
        if not named:
            continue
        path = migration_file(by_label[key.app_label], key.name)
        if path is None or not path.exists():
            continue
        text = edits.get(path) or path.read_text(encoding="utf-8")
        for old in named:
            before = text
            for quote in ("'", '"'):
                text = text.replace(
                    f"({quote}{old.app_label}{quote}, {quote}{old.name}{quote})", repr(new)
                )
            if text == before:
                raise MigrationFileError(
                    f"{path} depends on {old} in a way squash cannot rewrite: write its "
                    f"dependencies as a list of ('app', 'name') tuples, then squash again"
                )
        edits[path] = text
    return edits


# --- the file --------------------------------------------------------------------------------


def _preamble(app: VersionedApp, chain: list[MigrationKey], operations: list) -> list[str]:
    """Imports and top-level code of the squashed files that their ``RunPython`` operations
    use: the functions live there, and those files are about to go."""
    from tortoise.migrations.operations import RunPython

    modules = {f"{app.module}.{key.name}": key for key in chain}
    needed: list[str] = []
    for operation in operations:
        if not isinstance(operation, RunPython):
            continue
        for function in (operation.code, operation.reverse_code):
            if function is None or getattr(function, "__module__", None) not in modules:
                continue
            if function.__qualname__ != function.__name__:
                raise MigrationFileError(
                    f"RunPython in {modules[function.__module__]} uses "
                    f"{function.__qualname__}, which is not a top-level function of its "
                    "file, so squash cannot carry it over: make it a module-level function"
                )
            if function.__module__ not in needed:
                needed.append(function.__module__)
    imports: dict[str, None] = {}
    bodies: dict[str, str] = {}
    for module in needed:
        source = _source(module, modules[module])
        for statement in ast.parse(source).body:
            text = ast.get_source_segment(source, statement) or ""
            if isinstance(statement, ast.ClassDef) and statement.name == "Migration":
                continue
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                if not text.startswith(("from tortoise import migrations", "from __future__")):
                    imports[text] = None
                continue
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                continue  # the module's docstring
            for defined in _defined(statement):
                if defined in bodies and bodies[defined] != text:
                    raise MigrationFileError(
                        f"{modules[module]} and an earlier file of the range both define "
                        f"{defined!r} differently: rename one of them, then squash again"
                    )
                bodies[defined] = text
    if not needed:
        return []
    lines = [line for line in imports if "operations as ops" not in line]
    return [*lines, "", "", *("\n\n\n".join(dict.fromkeys(bodies.values())).splitlines())]


def _source(module: str, key: Any) -> str:
    import importlib

    try:
        return inspect.getsource(importlib.import_module(module))
    except (OSError, TypeError) as exc:
        raise MigrationFileError(
            f"cannot read the source of {key} to carry its RunPython code over: {exc}"
        ) from exc


def _defined(statement: ast.stmt) -> list[str]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return [t.id for t in targets if isinstance(t, ast.Name)]
    return [ast.dump(statement)]


def _writer_class():
    from tortoise.migrations.operations import RunPython, RunSQL
    from tortoise.migrations.writer import MigrationWriter

    class SquashWriter(MigrationWriter):
        """Tortoise's writer, plus ``RunSQL`` (its writer has none), ``RunPython`` code
        copied into the file, the operation counts and the carried-over code."""

        def __init__(self, *args: Any, counts: list[int], preamble: list[str], **kw: Any):
            super().__init__(*args, **kw)
            self.counts = counts
            self.preamble = preamble

        def as_string(self) -> str:
            text = super().as_string()
            replaces = f"    replaces = {self.replaces!r}\n"
            counts = (
                f"    # fastapp: operations per replaced migration, so a database in the middle\n"
                f"    # of the range runs only the rest\n"
                f"    {COUNTS} = {self.counts!r}\n"
            )
            text = text.replace(replaces, replaces + counts, 1)
            if self.preamble:
                head, marker, rest = text.partition("\nclass Migration(")
                text = head.rstrip("\n") + "\n" + "\n".join(self.preamble) + "\n\n" + marker + rest
            return text

        def _format_operation(self, operation: Any, imports: Any, *, indent: str) -> list[str]:
            if isinstance(operation, RunSQL):
                lines = [f"{indent}ops.RunSQL(", f"{indent}    sql={operation.sql!r},"]
                if operation.reverse_sql is not None:
                    lines.append(f"{indent}    reverse_sql={operation.reverse_sql!r},")
                if operation.atomic is not None:
                    lines.append(f"{indent}    atomic={operation.atomic!r},")
                return [*lines, f"{indent}),"]
            if isinstance(operation, RunPython) and self.preamble:
                code = _ref(operation.code, imports)
                lines = [f"{indent}ops.RunPython(", f"{indent}    code={code},"]
                if operation.reverse_code is not None:
                    reverse = _ref(operation.reverse_code, imports)
                    lines.append(f"{indent}    reverse_code={reverse},")
                if operation.atomic is not None:
                    lines.append(f"{indent}    atomic={operation.atomic!r},")
                return [*lines, f"{indent}),"]
            return super()._format_operation(operation, imports, indent=indent)

    return SquashWriter


def _ref(function: Any, imports: Any) -> str:
    """A function copied into the file by its name; any other as Tortoise's writer does."""
    from tortoise.migrations.writer import render_value

    module = getattr(function, "__module__", "") or ""
    if module.rsplit(".", 1)[0].endswith(".migrations") or module.startswith("migrations."):
        return function.__name__
    return render_value(function, imports)
