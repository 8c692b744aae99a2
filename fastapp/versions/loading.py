"""Which apps have migrations, and the migration graph loaded with errors that say where.

An app's migrations live in the package ``<app package>.migrations`` -- the module Tortoise's
own CLI infers from ``<app package>.models`` -- so both tools read and write the same files.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapp.errors import MigrationFileError, MigrationGraphError

if TYPE_CHECKING:
    from tortoise.migrations.graph import MigrationGraph, MigrationKey
    from tortoise.migrations.loader import MigrationLoader

    from fastapp.apps import AppConfig, AppRegistry

PACKAGE = "migrations"


@dataclass(frozen=True)
class VersionedApp:
    """One installed app as versioned migrations see it."""

    label: str
    package: str
    connection: str
    models_module: str

    @property
    def module(self) -> str:
        """Dotted name of the app's migrations package."""
        return f"{self.package}.{PACKAGE}"

    def path(self) -> Path | None:
        """The migrations package's directory, ``None`` when the app has none yet."""
        try:
            spec = importlib.util.find_spec(self.module)
        except ModuleNotFoundError:
            return None
        if spec is None or not spec.submodule_search_locations:
            return None
        return Path(next(iter(spec.submodule_search_locations)))

    def ensure_package(self) -> Path:
        """The migrations directory, created with an ``__init__.py`` when missing."""
        found = self.path()
        if found is not None:
            return found
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise MigrationFileError(
                f"app {self.label!r} ({self.package}) is not a package, so it cannot hold a "
                f"{PACKAGE}/ directory: turn it into a package"
            )
        directory = Path(next(iter(spec.submodule_search_locations))) / PACKAGE
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "__init__.py").touch()
        importlib.invalidate_caches()
        return directory

    def tortoise_config(self) -> dict[str, Any]:
        """This app's entry of a Tortoise apps config, with its migrations module when the
        package exists (Tortoise's loader fails on a missing one)."""
        config: dict[str, Any] = {
            "models": [self.models_module],
            "default_connection": self.connection,
        }
        if self.path() is not None:
            config["migrations"] = self.module
        return config


def versioned_apps(
    registry: AppRegistry, labels: Iterable[str] | None = None
) -> list[VersionedApp]:
    """The selected apps (all when ``labels`` is empty), in INSTALLED_APPS order."""
    return [_versioned(app) for app in registry.select(labels)]


def _versioned(app: AppConfig) -> VersionedApp:
    return VersionedApp(app.label, app.package, app.connection, app.models_module)


def apps_config(apps: Iterable[VersionedApp]) -> dict[str, dict[str, Any]]:
    """A Tortoise apps config (label -> models, connection, migrations) for ``apps``."""
    return {app.label: app.tortoise_config() for app in apps}


class _DiskOnlyRecorder:
    """What Tortoise's loader needs of a recorder when only the files matter."""

    async def applied_migrations(self) -> list:
        return []


async def load_graph(config: dict[str, dict[str, Any]], recorder: Any = None) -> MigrationLoader:
    """Tortoise's loader with the graph of ``config``'s migrations built.

    Raises :class:`MigrationFileError` (a file that does not import: file and line; no
    ``Migration`` class) and :class:`MigrationGraphError` (a dependency on a missing
    migration or app).
    """
    from tortoise.migrations.loader import MigrationLoader

    importlib.invalidate_caches()  # files written by this process since the last import
    _forget(c["migrations"] for c in config.values() if c.get("migrations"))
    loader = MigrationLoader(config, recorder or _DiskOnlyRecorder(), load=False)
    try:
        await loader.build_graph()
    except MigrationFileError:
        raise
    except Exception as exc:
        raise _explain(exc, config, loader) from exc
    return loader


def _forget(modules: Iterable[str]) -> None:
    """Drop migration modules imported earlier in this process: the files are the truth,
    and a file edited, replaced or deleted since must not be served from ``sys.modules``."""
    prefixes = tuple(f"{module}." for module in modules)
    for name in [n for n in sys.modules if n.startswith(prefixes)]:
        del sys.modules[name]


def _explain(exc: Exception, config: dict, loader: MigrationLoader) -> Exception:
    modules = [c["migrations"] for c in config.values() if c.get("migrations")]
    where = _failing_file(exc, modules)
    if where is not None:
        path, line = where
        return MigrationFileError(
            f"migration file {path}:{line} does not import: {type(exc).__name__}: "
            f"{_first_line(exc)}; fix it or move it out of the migrations package"
        )
    dangling = _dangling(loader.graph)
    if dangling:
        return MigrationGraphError(dangling)
    message = _first_line(exc)
    if "no Migration class" in message:
        return MigrationFileError(f"{message}: every migration file must define `class Migration`")
    if "Dependency on" in message:
        return MigrationGraphError(
            f"{message}: fix the dependencies of the migration that names it, or install the app"
        )
    return MigrationGraphError(f"cannot load the migrations: {message}")


def _failing_file(exc: BaseException, modules: list[str]) -> tuple[str, int] | None:
    """The migration file (and line) where ``exc`` was raised while importing it."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return exc.filename, exc.lineno or 0
    folders = []
    for module in modules:
        package = sys.modules.get(module)
        for folder in getattr(package, "__path__", ()):
            folders.append(str(Path(folder).resolve()))
    found = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if any(str(Path(filename).resolve()).startswith(folder) for folder in folders):
            found = (filename, line)
    return found


def _dangling(graph: MigrationGraph) -> str | None:
    from tortoise.migrations.graph import DummyNode

    for node in graph.node_map.values():
        if isinstance(node, DummyNode):
            return (
                f"migration {node.origin} depends on {node.key}, which does not exist: "
                f"restore {node.key.name}.py in {node.key.app_label}'s migrations, or fix "
                f"the dependencies of {node.origin}"
            )
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def heads(graph: MigrationGraph, app_label: str) -> list[str]:
    """The names of ``app_label``'s latest migrations: none of the app's own migrations
    depends on them (more than one: the app needs a merge).

    Not Tortoise's ``leaf_nodes(app)``, which counts children in other apps too, so an app
    whose latest migration another app depends on has no head at all there.
    """
    return sorted(
        key.name
        for key, node in graph.node_map.items()
        if key.app_label == app_label
        and not any(child.key.app_label == app_label for child in node.children)
    )


def migration_file(app: VersionedApp, name: str) -> Path | None:
    """Where migration ``name`` of ``app`` lives (or would live)."""
    folder = app.path()
    return folder / f"{name}.py" if folder is not None else None


def full_plan(graph: MigrationGraph) -> list[MigrationKey]:
    """Every migration of ``graph``, dependencies first (Tortoise's order)."""
    order: list[MigrationKey] = []
    seen: set[MigrationKey] = set()
    for leaf in graph.leaf_nodes():
        for key in graph.forwards_plan(leaf):
            if key not in seen:
                seen.add(key)
                order.append(key)
    return order
