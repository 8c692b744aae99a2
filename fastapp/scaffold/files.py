"""What a scaffold command would write, computed in full before anything is written.

A :class:`FilePlan` holds every file's new text next to its current text. Writing it is
all-or-nothing: each file is written to a temporary sibling first and only when all of them
succeeded are they moved into place. A change to an existing file that is not a pure addition
(a whole file rewritten, a class replaced) is a *conflict*: refused unless forced.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

from fastapp.errors import ScaffoldError


@dataclass(frozen=True)
class FileChange:
    """One file: ``old`` is ``None`` for a new file; ``additive`` marks an edit that only adds
    to the file (an import, a class, a router) and so needs no ``--force``."""

    path: Path
    content: str
    old: str | None = None
    additive: bool = False
    what: str = ""

    @property
    def status(self) -> str:
        """``create``, ``unchanged``, ``update`` (additive) or ``conflict``."""
        if self.old is None:
            return "create"
        if self.old == self.content:
            return "unchanged"
        return "update" if self.additive else "conflict"

    def diff(self, root: Path) -> str:
        """A unified diff of the change (empty when unchanged)."""
        name = str(self.path.relative_to(root)) if self.path.is_relative_to(root) else str(self.path)
        return "".join(
            difflib.unified_diff(
                (self.old or "").splitlines(keepends=True),
                self.content.splitlines(keepends=True),
                fromfile=f"a/{name}" if self.old is not None else "/dev/null",
                tofile=f"b/{name}",
            )
        )


@dataclass
class FilePlan:
    """Everything one command would write under ``root``, and what it tells the user."""

    root: Path
    changes: list[FileChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, path: Path, content: str, *, additive: bool = False, what: str = "") -> None:
        for index, change in enumerate(self.changes):
            if change.path == path:  # a later edit of a file this plan already changes
                self.changes[index] = FileChange(
                    path, content, change.old, change.additive and additive, change.what or what
                )
                return
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        if path.exists() and not path.is_file():
            raise ScaffoldError(f"{path} exists and is not a file; move it out of the way")
        self.changes.append(FileChange(path, content, old, additive, what))

    def current(self, path: Path) -> str | None:
        """The text a file has in this plan (planned, else on disk), ``None`` if absent."""
        for change in self.changes:
            if change.path == path:
                return change.content
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def conflicts(self) -> list[FileChange]:
        return [c for c in self.changes if c.status == "conflict"]

    def pending(self) -> list[FileChange]:
        return [c for c in self.changes if c.status != "unchanged"]

    def relative(self, change: FileChange) -> str:
        path = change.path
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)


def write_plan(plan: FilePlan, *, force: bool = False) -> list[FileChange]:
    """Write the plan's changes; returns those written. Refuses, writing nothing, when a file
    would be overwritten (a conflict) and ``force`` is false."""
    conflicts = plan.conflicts()
    if conflicts and not force:
        names = ", ".join(plan.relative(c) for c in conflicts)
        raise ScaffoldError(
            f"would overwrite {len(conflicts)} changed file(s): {names}; nothing written. "
            "Rerun with --dry-run to see the diff, --force to overwrite"
        )
    pending = plan.pending()
    made_dirs: list[Path] = []
    temporaries: list[tuple[Path, Path]] = []
    try:
        for change in pending:
            for parent in reversed(change.path.parents):
                if not parent.exists():
                    parent.mkdir()
                    made_dirs.append(parent)
            temporary = change.path.with_name(f".{change.path.name}.fastapp-tmp")
            temporary.write_text(change.content, encoding="utf-8")
            temporaries.append((temporary, change.path))
    except BaseException:
        for temporary, _ in temporaries:
            temporary.unlink(missing_ok=True)
        for folder in reversed(made_dirs):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    for temporary, target in temporaries:
        os.replace(temporary, target)
    return pending
