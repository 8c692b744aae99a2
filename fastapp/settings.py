"""Settings loading, Django style.

Resolution order for the settings module: ``--settings dotted.path``, then the
``FASTAPP_SETTINGS`` environment variable, then a module named ``settings`` importable from
the current directory. ``DATABASE_URL`` (from the environment, else from a ``.env`` file in the
current directory) overrides the ``default`` connection.

Recognised keys: ``INSTALLED_APPS``, ``DATABASES``, ``APP_DATABASES`` (app label -> connection
name, for apps that do not live on ``default``), ``FIXTURE_DIRS``, ``USE_TZ``, ``TIME_ZONE``,
``TARGETS`` (the databases or schemas ``--targets`` fans out to, :mod:`fastapp.targets`).

Or, for an existing Tortoise project, ``TORTOISE_ORM``: the dict given to ``Tortoise.init``
(``connections``: URL strings or ``{"engine", "credentials"}`` dicts; ``apps``: label ->
``{"models": [...], "default_connection": ...}``; ``use_tz``, ``timezone``). It replaces
INSTALLED_APPS, DATABASES, APP_DATABASES, USE_TZ and TIME_ZONE: a module defining both forms
is an error, so the two can never disagree. The bookkeeping model of aerich
(``aerich.models``) becomes its own app ``aerich`` on the same connection; Tortoise's own
modules (``tortoise.*``) are left out, they hold no tables of the project.

Loading settings never changes ``sys.path`` for longer than the import of the settings module
itself (the command line puts the project directory on it, in its own entry point).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from fastapp.connections.url import (
    DatabaseConfig,
    database_from_dict,
    database_from_tortoise,
    mask_url,
    parse_database_url,
)
from fastapp.errors import DatabaseURLError, SettingsError

SETTINGS_ENV = "FASTAPP_SETTINGS"
DATABASE_URL_ENV = "DATABASE_URL"
DEFAULT_SETTINGS_MODULE = "settings"
DEFAULT_CONNECTION = "default"
TORTOISE_KEY = "TORTOISE_ORM"
#: The databases or schemas a command fans out to with ``--targets`` (:mod:`fastapp.targets`).
TARGETS_KEY = "TARGETS"
#: Keys a settings module with TORTOISE_ORM must not also define (TORTOISE_ORM says them).
_REPLACED_BY_TORTOISE = ("INSTALLED_APPS", "DATABASES", "APP_DATABASES", "USE_TZ", "TIME_ZONE")
#: Models modules of migration tools -> the app label they get (their tables are kept, and
#: can be left out of a command by that label).
_TOOL_MODELS = {"aerich.models": "aerich"}


@dataclass(frozen=True)
class Settings:
    """The validated contents of a settings module.

    ``app_models`` (label -> models modules) is set for a TORTOISE_ORM config, whose apps are
    not packages; ``installed_apps`` then holds the labels. ``default_connection`` is the
    connection used when none is named.
    """

    module: str | None
    installed_apps: tuple[str, ...] = ()
    databases: Mapping[str, DatabaseConfig] = field(default_factory=dict)
    app_databases: Mapping[str, str] = field(default_factory=dict)
    fixture_dirs: tuple[Path, ...] = ()
    use_tz: bool = True
    time_zone: str = "UTC"
    base_dir: Path | None = None
    app_models: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default_connection: str = DEFAULT_CONNECTION
    #: The ``TARGETS`` declaration as written (URLs, a template, schemas or a callable): read
    #: and checked by :mod:`fastapp.targets` only when a command fans out.
    targets: Any = None

    def database(self, alias: str | None = None) -> DatabaseConfig:
        """The connection named ``alias`` (default: :attr:`default_connection`); raises
        :class:`SettingsError` listing the known ones."""
        alias = alias or self.default_connection
        try:
            return self.databases[alias]
        except KeyError:
            known = ", ".join(sorted(self.databases)) or "none"
            where = TORTOISE_KEY + "['connections']" if self.app_models else "DATABASES"
            raise SettingsError(
                f"no database connection named {mask_url(alias)!r} in settings {self.module or ''} "
                f"(known: {known}); add it to {where} or pass a URL to --database"
            ) from None


def load_settings(
    module_name: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    required: bool = True,
) -> Settings | None:
    """Find, import and validate the settings module.

    When no settings module exists and ``required`` is false (commands that work from a
    ``--database`` URL alone), returns settings holding only ``DATABASE_URL`` if that is set,
    else ``None``. Raises :class:`SettingsError` otherwise.
    """
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    explicit = module_name or environ.get(SETTINGS_ENV)
    name = explicit or DEFAULT_SETTINGS_MODULE
    if explicit is None and not _in_directory(name, cwd):
        module = None
    else:
        if explicit is None:
            _forget_settings_of_other_directory(name, cwd)
        with _first_on_path(cwd):
            module = _import_settings(name, explicit is not None)
    if module is None:
        if required:
            raise SettingsError(
                "no settings module found: pass --settings dotted.path, set FASTAPP_SETTINGS, "
                "or run from a directory containing settings.py"
            )
        bare = _with_env_database(Settings(module=None), environ, cwd)
        return bare if bare.databases else None
    return _with_env_database(settings_from_module(module), environ, cwd)


@contextmanager
def _first_on_path(folder: Path) -> Iterator[None]:
    # The project directory wins over other entries, for the import of the settings only:
    # an application importing fastapp keeps the sys.path it had.
    entry = str(folder)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        try:
            sys.path.remove(entry)  # the first occurrence: ours, unless the import added one
        except ValueError:
            pass


def _in_directory(name: str, cwd: Path) -> bool:
    return (cwd / f"{name}.py").is_file() or (cwd / name / "__init__.py").is_file()


def _forget_settings_of_other_directory(name: str, cwd: Path) -> None:
    # The implicit ``settings`` means the one in *this* directory; a process that changed
    # directory (tests, embedding) may hold another project's module under that name.
    module = sys.modules.get(name)
    origin = getattr(module, "__file__", None)
    if origin and Path(origin).resolve().parent != cwd.resolve():
        del sys.modules[name]


def _import_settings(name: str, explicit: bool) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name) and not explicit:
            return None
        if exc.name and name.startswith(exc.name):
            raise SettingsError(
                f"settings module {name!r} not found: check --settings / {SETTINGS_ENV} "
                "and that its folder is the current directory or on PYTHONPATH"
            ) from None
        raise SettingsError(f"settings module {name!r} failed to import: {exc}") from exc
    except Exception as exc:  # a settings file with a bug in it
        raise SettingsError(
            f"settings module {name!r} failed to import: {type(exc).__name__}: {exc}"
        ) from exc


def settings_from_module(module: ModuleType) -> Settings:
    """Validate a settings module's values into :class:`Settings` (raises :class:`SettingsError`
    naming the key at fault)."""
    name = module.__name__
    if hasattr(module, TORTOISE_KEY):
        return _settings_from_tortoise(module)
    apps = getattr(module, "INSTALLED_APPS", ())
    if isinstance(apps, str) or not all(isinstance(a, str) for a in apps):
        raise SettingsError(f"{name}.INSTALLED_APPS must be a list of dotted package names")
    raw_dbs = getattr(module, "DATABASES", {}) or {}
    if not isinstance(raw_dbs, Mapping):
        raise SettingsError(f"{name}.DATABASES must be a dict of connection name -> URL or dict")
    databases = {alias: database_entry(alias, entry) for alias, entry in raw_dbs.items()}
    app_databases = dict(getattr(module, "APP_DATABASES", {}) or {})
    for label, alias in app_databases.items():
        if alias not in databases:
            raise SettingsError(
                f"{name}.APP_DATABASES routes app {label!r} to {alias!r}, "
                f"which is not in DATABASES (known: {', '.join(sorted(databases)) or 'none'})"
            )
    base_dir = Path(module.__file__).resolve().parent if getattr(module, "__file__", None) else None
    fixture_dirs = tuple(
        _resolve_dir(Path(d), base_dir) for d in getattr(module, "FIXTURE_DIRS", ()) or ()
    )
    return Settings(
        module=name,
        installed_apps=tuple(apps),
        databases=databases,
        app_databases=app_databases,
        fixture_dirs=fixture_dirs,
        use_tz=bool(getattr(module, "USE_TZ", True)),
        time_zone=str(getattr(module, "TIME_ZONE", "UTC")),
        base_dir=base_dir,
        targets=getattr(module, TARGETS_KEY, None),
    )


def _settings_from_tortoise(module: ModuleType) -> Settings:
    name = module.__name__
    both = [key for key in _REPLACED_BY_TORTOISE if hasattr(module, key)]
    if both:
        raise SettingsError(
            f"{name} defines both {TORTOISE_KEY} and {', '.join(both)}: keep one form "
            f"({TORTOISE_KEY} alone for a Tortoise project, or INSTALLED_APPS and DATABASES)"
        )
    config = getattr(module, TORTOISE_KEY)
    where = f"{name}.{TORTOISE_KEY}"
    if not isinstance(config, Mapping) or not isinstance(config.get("connections"), Mapping):
        raise SettingsError(f"{where} must be a dict with 'connections' and 'apps'")
    databases = {}
    for alias, entry in config["connections"].items():
        if isinstance(entry, str):
            databases[alias] = parse_database_url(entry, alias)
        elif isinstance(entry, Mapping):
            databases[alias] = database_from_tortoise(entry, alias)
        else:
            raise SettingsError(
                f"{where}['connections'][{alias!r}] must be a URL or an engine/credentials dict"
            )
    apps = config.get("apps")
    if not isinstance(apps, Mapping) or not apps:
        raise SettingsError(f"{where}['apps'] must be a dict of app label -> {{'models': [...]}}")
    app_models: dict[str, tuple[str, ...]] = {}
    app_databases: dict[str, str] = {}
    for label, app in apps.items():
        models = app.get("models") if isinstance(app, Mapping) else None
        if isinstance(models, str) or not isinstance(models, (list, tuple)):
            raise SettingsError(f"{where}['apps'][{label!r}]['models'] must be a list of modules")
        if not all(isinstance(m, str) for m in models):
            raise SettingsError(
                f"{where}['apps'][{label!r}]['models'] must name modules by dotted path"
            )
        connection = app.get("default_connection", DEFAULT_CONNECTION)
        if connection not in databases:
            raise SettingsError(
                f"{where}['apps'][{label!r}] uses connection {connection!r}, which is not in "
                f"'connections' (known: {', '.join(sorted(databases)) or 'none'})"
            )
        for module_name in models:
            if module_name.startswith("tortoise."):
                continue  # Tortoise's own modules: no tables of the project
            target = _TOOL_MODELS.get(module_name, label)
            if module_name not in app_models.get(target, ()):
                app_models[target] = (*app_models.get(target, ()), module_name)
            app_databases.setdefault(target, connection)
    default = (
        DEFAULT_CONNECTION
        if DEFAULT_CONNECTION in databases
        else next(iter(app_databases.values()), next(iter(databases), DEFAULT_CONNECTION))
    )
    base_dir = Path(module.__file__).resolve().parent if getattr(module, "__file__", None) else None
    return Settings(
        module=name,
        installed_apps=tuple(app_models),
        databases=databases,
        app_databases=app_databases,
        fixture_dirs=tuple(
            _resolve_dir(Path(d), base_dir) for d in getattr(module, "FIXTURE_DIRS", ()) or ()
        ),
        use_tz=bool(config.get("use_tz", True)),
        time_zone=str(config.get("timezone", "UTC")),
        base_dir=base_dir,
        app_models=app_models,
        default_connection=default,
        targets=getattr(module, TARGETS_KEY, None),
    )


def database_entry(alias: str, entry: Any) -> DatabaseConfig:
    """One DATABASES value (URL string or dict) as a :class:`DatabaseConfig`."""
    if isinstance(entry, str):
        return parse_database_url(entry, alias)
    if isinstance(entry, Mapping):
        return database_from_dict(dict(entry), alias)
    raise DatabaseURLError(
        f"DATABASES[{alias!r}] must be a URL string or a dict, not {type(entry).__name__}"
    )


def _resolve_dir(path: Path, base_dir: Path | None) -> Path:
    return path if path.is_absolute() or base_dir is None else base_dir / path


def _with_env_database(settings: Settings, environ: Mapping[str, str], cwd: Path) -> Settings:
    url = environ.get(DATABASE_URL_ENV) or read_dotenv(cwd / ".env").get(DATABASE_URL_ENV)
    if not url:
        return settings
    databases = dict(settings.databases)
    alias = settings.default_connection
    databases[alias] = parse_database_url(url, alias)
    return Settings(**{**settings.__dict__, "databases": databases})


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a ``.env`` file: ``KEY=value`` lines, optional ``export``, quotes and comments."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key.strip()] = value
    return values
