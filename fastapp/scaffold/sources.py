"""Edits of existing Python source that keep it ``ruff check`` clean: imports added in isort's
order, a top-level class added or replaced, a list assignment rewritten, a statement appended.

Each edit reads the file's syntax tree (never regular expressions over code) and returns the new
text; an edit that cannot be made safely raises :class:`~fastapp.errors.ScaffoldError` naming the
file and what to add by hand.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from fastapp.errors import ScaffoldError

LINE_LENGTH = 100


@dataclass(frozen=True, order=True)
class ImportLine:
    """``from module import name as alias`` (``name`` empty: ``import module``)."""

    module: str
    name: str = ""
    alias: str = ""


def parse(source: str, path: str) -> ast.Module:
    try:
        return ast.parse(source, path)
    except SyntaxError as exc:
        raise ScaffoldError(
            f"{path}:{exc.lineno}: cannot read the file ({exc.msg}); fix it first"
        ) from None


def _section(module: str, first_party: set[str]) -> int:
    top = module.split(".")[0]
    if top == "__future__":
        return 0
    if top in sys.stdlib_module_names:
        return 1
    if top in first_party:
        return 3
    return 2


def _name_key(name: str) -> tuple[int, str, str]:
    # ruff's order-by-type: CONSTANTS, then Classes, then the rest.
    if name.isupper() and len(name) > 1:
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return kind, name.lower(), name


def _render_from(module: str, names: list[tuple[str, str]]) -> str:
    parts = [f"{n} as {a}" if a else n for n, a in sorted(names, key=lambda x: _name_key(x[0]))]
    line = f"from {module} import {', '.join(parts)}"
    if len(line) <= LINE_LENGTH:
        return line
    body = "".join(f"    {p},\n" for p in parts)
    return f"from {module} import (\n{body})"


def render_imports(lines: Iterable[ImportLine], first_party: set[str]) -> str:
    """An import block in ruff/isort's order: sections (future, standard library, third party,
    first party) a blank line apart, ``import x`` before ``from x import y``, sorted."""
    straight: dict[int, set[tuple[str, str]]] = {}
    froms: dict[int, dict[str, set[tuple[str, str]]]] = {}
    for line in lines:
        section = _section(line.module, first_party)
        if line.name:
            froms.setdefault(section, {}).setdefault(line.module, set()).add((line.name, line.alias))
        else:
            straight.setdefault(section, set()).add((line.module, line.alias))
    blocks = []
    for section in sorted(set(straight) | set(froms)):
        rendered = [
            f"import {m} as {a}" if a else f"import {m}"
            for m, a in sorted(straight.get(section, ()), key=lambda x: (x[0].lower(), x))
        ]
        for module in sorted(froms.get(section, {}), key=str.lower):
            rendered.append(_render_from(module, list(froms[section][module])))
        blocks.append("\n".join(rendered))
    return "\n\n".join(blocks)


def _import_lines(node: ast.stmt) -> list[ImportLine]:
    if isinstance(node, ast.Import):
        return [ImportLine(a.name, "", a.asname or "") for a in node.names]
    assert isinstance(node, ast.ImportFrom)
    module = "." * node.level + (node.module or "")
    return [ImportLine(module, a.name, a.asname or "") for a in node.names]


def add_imports(
    source: str, path: str, wanted: Iterable[ImportLine], first_party: set[str]
) -> str:
    """``source`` with ``wanted`` imported: the leading import block is rewritten in order
    (kept as written when it holds comments, the new lines then go at its end)."""
    tree = parse(source, path)
    body = list(tree.body)
    start = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        start = 1  # the docstring
    block: list[ast.stmt] = []
    for node in body[start:]:
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            break
        block.append(node)
    have = {line for node in block for line in _import_lines(node)}
    missing = [line for line in wanted if line not in have]
    if not missing:
        return source
    lines = source.splitlines(keepends=True)
    if block:
        first, last = block[0].lineno - 1, block[-1].end_lineno or block[-1].lineno
        old = "".join(lines[first:last])
        if "#" in old or any(i.module.startswith(".") for i in have):
            new = old.rstrip("\n") + "\n" + render_imports(missing, first_party) + "\n"
        else:
            new = render_imports([*have, *missing], first_party) + "\n"
        return "".join(lines[:first]) + new + "".join(lines[last:])
    # No import yet: after the docstring, then the rest two lines below.
    if start:
        cut = body[0].end_lineno or 1
        head, tail = "".join(lines[:cut]), "".join(lines[cut:]).lstrip("\n")
        head = head.rstrip("\n") + "\n\n"
    else:
        head, tail = "", source.lstrip("\n")
    block_text = render_imports(missing, first_party) + "\n"
    if tail:
        return head + block_text + "\n\n" + tail
    return head + block_text


def find_class(source: str, path: str, name: str) -> tuple[int, int] | None:
    """The 0-based line range ``[start, end)`` of the top-level class ``name`` (decorators
    included), or ``None``."""
    for node in parse(source, path).body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            return start, node.end_lineno or node.lineno
    return None


def class_source(source: str, path: str, name: str) -> str | None:
    found = find_class(source, path, name)
    if found is None:
        return None
    lines = source.splitlines(keepends=True)
    return "".join(lines[found[0] : found[1]])


def top_level_classes(source: str, path: str) -> dict[str, ast.ClassDef]:
    return {n.name: n for n in parse(source, path).body if isinstance(n, ast.ClassDef)}


def put_class(source: str, path: str, name: str, code: str, *, before: str | None = None) -> str:
    """``source`` with the top-level class ``name`` replaced by ``code`` (a whole class), or
    added (before the class ``before`` when that exists, else at the end)."""
    lines = source.splitlines(keepends=True)
    code = code.rstrip("\n") + "\n"
    found = find_class(source, path, name)
    if found is not None:
        return "".join(lines[: found[0]]) + code + "".join(lines[found[1] :])
    anchor = find_class(source, path, before) if before else None
    if anchor is not None:
        head = "".join(lines[: anchor[0]])
        return head + code + "\n\n" + "".join(lines[anchor[0] :])
    text = source.rstrip("\n")
    return (text + "\n\n\n" if text else "") + code


def set_string_list(source: str, path: str, variable: str, values: list[str]) -> str | None:
    """``source`` with the top-level ``VARIABLE = [...]`` of string literals rewritten to
    ``values`` (one per line); ``None`` when the file has no such plain assignment."""
    for node in parse(source, path).body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == variable
            and isinstance(node.value, ast.List)
            and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.value.elts
            )
        ):
            segment = ast.get_source_segment(source, node.value) or ""
            if "#" in segment:
                return None  # comments in the list: leave it to the user
            lines = source.splitlines(keepends=True)
            start, end = node.lineno - 1, node.end_lineno or node.lineno
            items = "".join(f"    {value!r},\n".replace("'", '"') for value in values)
            text = f"{variable} = [\n{items}]\n"
            return "".join(lines[:start]) + text + "".join(lines[end:])
    return None


def string_list(source: str, path: str, variable: str) -> list[str] | None:
    """The values of a top-level ``VARIABLE = [...]`` of string literals, else ``None``."""
    for node in parse(source, path).body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == variable
            and isinstance(node.value, (ast.List, ast.Tuple))
            and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.value.elts
            )
        ):
            return [e.value for e in node.value.elts]  # type: ignore[attr-defined]
    return None


def has_call(source: str, path: str, call: str) -> bool:
    """Does a top-level expression statement read exactly ``call`` (``app.include_router(x)``)?"""
    wanted = ast.dump(ast.parse(call).body[0])
    return any(
        isinstance(n, ast.Expr) and ast.dump(n) == wanted for n in parse(source, path).body
    )


def add_call_after(source: str, path: str, call: str, after_prefix: str) -> str:
    """``source`` with the statement ``call`` added after the last top-level statement whose
    source starts with ``after_prefix`` (e.g. ``app.include_router(`` or ``router =``)."""
    tree = parse(source, path)
    lines = source.splitlines(keepends=True)
    anchor = None
    for node in tree.body:
        segment = ast.get_source_segment(source, node) or ""
        if segment.startswith(after_prefix):
            anchor = node
    if anchor is None:
        raise ScaffoldError(
            f"{path}: no statement starting with {after_prefix!r} to add {call!r} after; "
            "add that line by hand"
        )
    end = anchor.end_lineno or anchor.lineno
    return "".join(lines[:end]) + call + "\n" + "".join(lines[end:])
