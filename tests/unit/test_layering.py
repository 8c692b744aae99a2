"""The package's layering, read from the source: no import cycle, and the core never reaches up
into the command-line layer.

Every import counts, wherever it is written (module level, under ``TYPE_CHECKING``, inside a
function): a cycle hidden in a function is still a cycle the moment both functions run, and a
type-only cycle still means two modules cannot be understood (or moved) one without the other.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import fastapp
from fastapp.dialects import dialect_names, get_dialect

PACKAGE = Path(fastapp.__file__).resolve().parent
#: The command-line layer: the only modules allowed to import typer, rich or the commands.
CLI_LAYER = ("fastapp.cli", "fastapp.commands", "fastapp.__main__")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported name, as written (absolute)
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def _imports() -> tuple[Import, ...]:
    found: list[Import] = []
    for name, path in _modules().items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found.extend(Import(name, a.name, node.lineno) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                # ``from a.b import c`` imports the module a.b.c if there is one, else a
                # name from a.b (:func:`_owner` decides); the parent package's __init__ is
                # not counted as an edge, as for any ``import a.b.c``.
                base = _absolute(name, is_package, node.module, node.level)
                found.extend(Import(name, f"{base}.{a.name}", node.lineno) for a in node.names)
    return tuple(found)


def _absolute(module: str, is_package: bool, target: str | None, level: int) -> str:
    if not level:
        return target or ""
    anchor = module.split(".")
    anchor = anchor if is_package else anchor[:-1]
    anchor = anchor[: len(anchor) - (level - 1)]
    return ".".join([*anchor, target] if target else anchor)


def _owner(target: str) -> str | None:
    """The fastapp module that ``target`` (a module or a name inside one) lives in."""
    modules = _modules()
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def _graph() -> dict[str, dict[str, int]]:
    """module -> {imported module: first line}, fastapp modules only, no self-edges."""
    graph: dict[str, dict[str, int]] = {m: {} for m in _modules()}
    for imp in _imports():
        owner = _owner(imp.target) if imp.target.startswith("fastapp") else None
        if owner and owner != imp.module:
            graph[imp.module].setdefault(owner, imp.line)
    return graph


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def _describe(group: list[str], graph: dict[str, dict[str, int]]) -> str:
    members = set(group)
    edges = [
        f"{m} -> {t} ({_modules()[m].relative_to(PACKAGE.parent)}:{line})"
        for m in group
        for t, line in sorted(graph[m].items())
        if t in members
    ]
    return "cycle: " + "; ".join(edges)


def _in_cli_layer(module: str) -> bool:
    return any(module == top or module.startswith(top + ".") for top in CLI_LAYER)


def _offenders(prefixes: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{imp.module} imports {imp.target} (line {imp.line})"
        for imp in _imports()
        if not _in_cli_layer(imp.module)
        and any(imp.target == p or imp.target.startswith(p + ".") for p in prefixes)
    )


def test_the_graph_sees_every_kind_of_import():
    # Guards the reader itself: a graph that missed function-local or TYPE_CHECKING imports
    # would pass the cycle test for the wrong reason.
    graph = _graph()
    assert len(graph) > 50
    assert "fastapp.dialects" in graph["fastapp.desired.parse"]  # function-local
    assert "fastapp.connections.url" in graph["fastapp.desired.read"]  # TYPE_CHECKING
    assert "fastapp.errors" in graph["fastapp.dialects"]  # module level
    assert _absolute("fastapp.sql.ddl", True, "base", 1) == "fastapp.sql.ddl.base"
    assert _absolute("fastapp.sql.ddl.mysql", False, None, 2) == "fastapp.sql"
    assert _cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [
        ["a", "b", "c"]
    ]


def test_no_import_cycles():
    graph = _graph()
    assert [_describe(group, graph) for group in _cycles(graph)] == []


def test_the_core_never_imports_the_command_line_layer():
    assert _offenders(("typer", "click", *CLI_LAYER)) == []


def test_the_core_never_imports_rich():
    # Library code reports through return values and callbacks; only the commands print.
    assert _offenders(("rich",)) == []


def _backend_modules(path: Path) -> bool:
    """A hub, or a layer's module of one backend (``<layer>/<backend>.py``)."""
    return path.parent.name == "dialects" or path.stem in dialect_names()


def test_shared_code_never_names_a_backend():
    # Dialect facts are data on the hub or code in the backend's own module of a layer; a
    # backend's name (or URL scheme) as a literal elsewhere is a table or a branch keyed by it.
    words = {w for n in dialect_names() for w in (n, *get_dialect(n).url_schemes)}
    found = []
    for name, path in _modules().items():
        if _backend_modules(path):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found.extend(
            f"{name}:{node.lineno} {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.lower() in words
            and id(node) not in docstrings
        )
    assert found == []
