"""Settings resolution order, DATABASE_URL overrides, validation errors, app registry."""

import sys
import textwrap
import uuid

import pytest

from fastapp.apps import AppRegistry
from fastapp.errors import SettingsError, UnknownAppError
from fastapp.settings import load_settings, read_dotenv


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A temporary project directory on sys.path; ``write(name, body)`` adds a module."""
    monkeypatch.syspath_prepend(str(tmp_path))
    written = []

    def write(name: str, body: str) -> str:
        path = tmp_path.joinpath(*name.split(".")).with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(tmp_path).parents:
            if str(parent) != ".":
                (tmp_path / parent / "__init__.py").touch()
        path.write_text(textwrap.dedent(body))
        written.append(name.split(".")[0])
        return name

    yield tmp_path, write
    for name in list(sys.modules):
        if name.split(".")[0] in written:
            del sys.modules[name]


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def test_explicit_module_wins_over_environment_and_cwd(project):
    tmp, write = project
    explicit = write(unique("explicit"), 'DATABASES = {"default": "sqlite://explicit.db"}')
    env_mod = write(unique("fromenv"), 'DATABASES = {"default": "sqlite://env.db"}')
    settings = load_settings(explicit, environ={"FASTAPP_SETTINGS": env_mod}, cwd=tmp)
    assert settings.module == explicit
    assert settings.database().name == "explicit.db"


def test_environment_variable_wins_over_cwd(project, monkeypatch):
    tmp, write = project
    env_mod = write(unique("fromenv"), 'DATABASES = {"default": "sqlite://env.db"}')
    write("settings", 'DATABASES = {"default": "sqlite://cwd.db"}')
    settings = load_settings(None, environ={"FASTAPP_SETTINGS": env_mod}, cwd=tmp)
    assert settings.database().name == "env.db"


def test_cwd_settings_module_is_the_fallback(project):
    tmp, write = project
    write("settings", 'DATABASES = {"default": "sqlite://cwd.db"}\nINSTALLED_APPS = []')
    settings = load_settings(None, environ={}, cwd=tmp)
    assert settings.module == "settings"
    assert settings.database().name == "cwd.db"


def test_database_url_env_overrides_default_connection(project):
    tmp, write = project
    mod = write(unique("s"), 'DATABASES = {"default": "sqlite://cwd.db", "other": "sqlite://o.db"}')
    settings = load_settings(mod, environ={"DATABASE_URL": "postgres://u:p@h/x"}, cwd=tmp)
    assert settings.database().dialect_name == "postgres"
    assert settings.database("other").name == "o.db"


def test_dotenv_database_url_is_used_when_environment_has_none(project):
    tmp, write = project
    mod = write(unique("s"), 'DATABASES = {"default": "sqlite://cwd.db"}')
    (tmp / ".env").write_text('# local\nexport DATABASE_URL="mysql://root@127.0.0.1/dev"\n')
    assert load_settings(mod, environ={}, cwd=tmp).database().dialect_name == "mysql"
    settings = load_settings(mod, environ={"DATABASE_URL": "sqlite://env.db"}, cwd=tmp)
    assert settings.database().name == "env.db"


def test_read_dotenv_forms(tmp_path):
    env = tmp_path / ".env"
    env.write_text("A=1\nexport B='two words'\nC=x # comment\n# D=no\nnot a pair\nE=\"q#q\"\n")
    assert read_dotenv(env) == {"A": "1", "B": "two words", "C": "x", "E": "q#q"}


def test_missing_settings_is_an_error_naming_the_fixes(tmp_path):
    with pytest.raises(SettingsError, match="--settings dotted.path, set FASTAPP_SETTINGS"):
        load_settings(None, environ={}, cwd=tmp_path)
    assert load_settings(None, environ={}, cwd=tmp_path, required=False) is None


def test_explicit_missing_module_is_an_error(tmp_path):
    with pytest.raises(SettingsError, match="settings module 'no_such_settings' not found"):
        load_settings("no_such_settings", environ={}, cwd=tmp_path)


def test_broken_settings_module_reports_the_exception(project):
    tmp, write = project
    mod = write(unique("broken"), "DATABASES = {\n 'default': 1 / 0}\n")
    with pytest.raises(SettingsError, match="failed to import: ZeroDivisionError"):
        load_settings(mod, environ={}, cwd=tmp)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('INSTALLED_APPS = "blog"', "INSTALLED_APPS must be a list"),
        ("DATABASES = ['sqlite://x']", "DATABASES must be a dict"),
        ("DATABASES = {'default': 3}", r"DATABASES\['default'\] must be a URL string or a dict"),
        (
            "DATABASES = {'default': 'sqlite://x'}\nAPP_DATABASES = {'blog': 'nope'}",
            "routes app 'blog' to 'nope'",
        ),
    ],
)
def test_invalid_values(project, body, message):
    tmp, write = project
    with pytest.raises(SettingsError, match=message):
        load_settings(write(unique("bad"), body), environ={}, cwd=tmp)


def test_unknown_connection_lists_known_ones(project):
    tmp, write = project
    settings = load_settings(
        write(unique("s"), "DATABASES = {'default': 'sqlite://x'}"), environ={}, cwd=tmp
    )
    with pytest.raises(
        SettingsError, match=r"no database connection named 'replica' .*known: default"
    ):
        settings.database("replica")


def test_registry_labels_routing_and_selection(project):
    tmp, write = project
    pkg = unique("proj")
    write(f"{pkg}.shop.models", "")
    write(f"{pkg}.stats.models", "")
    mod = write(
        unique("s"),
        f"""
        INSTALLED_APPS = ["{pkg}.shop", "{pkg}.stats"]
        DATABASES = {{"default": "sqlite://a.db", "warehouse": "sqlite://w.db"}}
        APP_DATABASES = {{"stats": "warehouse"}}
        """,
    )
    registry = AppRegistry(load_settings(mod, environ={}, cwd=tmp))
    assert [a.label for a in registry.select(None)] == ["shop", "stats"]
    assert [a.label for a in registry.select(["stats"])] == ["stats"]
    assert registry.apps["stats"].connection == "warehouse"
    config = registry.tortoise_config()
    assert config["apps"]["stats"] == {
        "models": [f"{pkg}.stats.models"],
        "default_connection": "warehouse",
    }
    assert set(config["connections"]) == {"default", "warehouse"}
    with pytest.raises(UnknownAppError, match="unknown app 'nope': installed apps are shop, stats"):
        registry.select(["nope"])


def test_app_without_models_module_is_an_error(project):
    tmp, write = project
    pkg = unique("proj")
    write(f"{pkg}.empty.other", "")
    mod = write(
        unique("s"),
        f'INSTALLED_APPS = ["{pkg}.empty"]\nDATABASES = {{"default": "sqlite://a.db"}}',
    )
    with pytest.raises(SettingsError, match="has no importable models module"):
        AppRegistry(load_settings(mod, environ={}, cwd=tmp))


def test_implicit_settings_follow_the_current_directory(tmp_path, monkeypatch):
    first, second = tmp_path / "one", tmp_path / "two"
    for folder, db in ((first, "one.db"), (second, "two.db")):
        folder.mkdir()
        (folder / "settings.py").write_text(f'DATABASES = {{"default": "sqlite://{db}"}}')
    monkeypatch.delitem(sys.modules, "settings", raising=False)
    assert load_settings(None, environ={}, cwd=first).database().name == "one.db"
    monkeypatch.syspath_prepend(str(second))
    assert load_settings(None, environ={}, cwd=second).database().name == "two.db"
    empty = tmp_path / "three"
    empty.mkdir()
    with pytest.raises(SettingsError, match="no settings module found"):
        load_settings(None, environ={}, cwd=empty)
    sys.modules.pop("settings", None)


def test_loading_settings_leaves_sys_path_as_it_was(tmp_path, monkeypatch):
    (tmp_path / "settings.py").write_text('DATABASES = {"default": "sqlite://a.db"}')
    monkeypatch.delitem(sys.modules, "settings", raising=False)
    before = list(sys.path)
    assert load_settings(None, environ={}, cwd=tmp_path).database().name == "a.db"
    assert sys.path == before
    with pytest.raises(SettingsError):
        load_settings("no_such_settings_here", environ={}, cwd=tmp_path)
    assert sys.path == before
    sys.modules.pop("settings", None)


def tortoise_project(write, pkg: str, config: str) -> str:
    """A Tortoise-style project: app modules under ``pkg`` and a settings module."""
    write(f"{pkg}.shop.models", "")
    write(f"{pkg}.shop.extra", "")
    write(f"{pkg}.stats.models", "")
    return write(unique("s"), f"PKG = {pkg!r}\n" + textwrap.dedent(config))


TORTOISE_CONFIG = """
TORTOISE_ORM = {
    "connections": {
        "default": "postgres://app:p%40ss@db.internal:6543/shop?min_size=2",
        "warehouse": {"engine": "tortoise.backends.sqlite",
                      "credentials": {"file_path": "/tmp/w.db"}},
    },
    "apps": {
        "shop": {"models": [PKG + ".shop.models", PKG + ".shop.extra", "aerich.models"],
                 "default_connection": "default"},
        "stats": {"models": [PKG + ".stats.models", "tortoise.migrations.recorder"],
                  "default_connection": "warehouse"},
    },
    "use_tz": False,
    "timezone": "Europe/Paris",
}
FIXTURE_DIRS = ["fixtures"]
"""


def test_tortoise_orm_settings_give_tortoise_the_same_config(project):
    from tortoise.backends.base.config_generator import expand_db_url

    tmp, write = project
    pkg = unique("proj")
    write("aerich.models", "")  # stands in for the installed aerich package
    settings = load_settings(tortoise_project(write, pkg, TORTOISE_CONFIG), environ={}, cwd=tmp)
    assert (settings.use_tz, settings.time_zone) == (False, "Europe/Paris")
    assert settings.fixture_dirs == (tmp / "fixtures",)
    registry = AppRegistry(settings)
    config = registry.tortoise_config()
    assert config["apps"] == {
        "shop": {"models": [f"{pkg}.shop.models", f"{pkg}.shop.extra"],
                 "default_connection": "default"},
        # aerich's bookkeeping table stays known, under a label of its own
        "aerich": {"models": ["aerich.models"], "default_connection": "default"},
        "stats": {"models": [f"{pkg}.stats.models"], "default_connection": "warehouse"},
    }  # fmt: skip
    assert config["connections"] == {
        "default": expand_db_url("postgres://app:p%40ss@db.internal:6543/shop?min_size=2"),
        "warehouse": {
            "engine": "tortoise.backends.sqlite",
            "credentials": {"file_path": "/tmp/w.db"},
        },
    }
    assert registry.apps["shop"].package == f"{pkg}.shop"


def test_tortoise_orm_default_connection_and_database_url(project):
    tmp, write = project
    pkg = unique("proj")
    config = """
    TORTOISE_ORM = {
        "connections": {"main": "sqlite://main.db"},
        "apps": {"shop": {"models": [PKG + ".shop.models"], "default_connection": "main"}},
    }
    """
    mod = tortoise_project(write, pkg, config)
    settings = load_settings(mod, environ={}, cwd=tmp)
    assert settings.database().name == "main.db"
    assert AppRegistry(settings).apps["shop"].connection == "main"
    moved = load_settings(mod, environ={"DATABASE_URL": "sqlite://other.db"}, cwd=tmp)
    assert moved.database().name == "other.db"
    assert moved.database("main").name == "other.db"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("TORTOISE_ORM = {}\nDATABASES = {}", "defines both TORTOISE_ORM and DATABASES"),
        ("TORTOISE_ORM = {'apps': {}}", "must be a dict with 'connections' and 'apps'"),
        ("TORTOISE_ORM = {'connections': {'default': 'sqlite://x'}}", r"\['apps'\] must be"),
        (
            "TORTOISE_ORM = {'connections': {'default': 3}, 'apps': {}}",
            r"\['connections'\]\['default'\] must be a URL",
        ),
        (
            "TORTOISE_ORM = {'connections': {'default': 'sqlite://x'},"
            " 'apps': {'a': {'models': 'a.models'}}}",
            r"\['apps'\]\['a'\]\['models'\] must be a list",
        ),
        (
            "TORTOISE_ORM = {'connections': {'default': 'sqlite://x'},"
            " 'apps': {'a': {'models': ['a.models'], 'default_connection': 'db2'}}}",
            "uses connection 'db2', which is not in 'connections'",
        ),
    ],
)
def test_invalid_tortoise_orm(project, config, message):
    tmp, write = project
    with pytest.raises(SettingsError, match=message):
        load_settings(write(unique("bad"), config), environ={}, cwd=tmp)


def test_tortoise_orm_app_with_a_missing_module(project):
    tmp, write = project
    mod = write(
        unique("s"),
        "TORTOISE_ORM = {'connections': {'default': 'sqlite://x'},"
        " 'apps': {'a': {'models': ['no_such_pkg_xyz.models']}}}",
    )
    with pytest.raises(SettingsError, match="lists models module 'no_such_pkg_xyz.models'"):
        AppRegistry(load_settings(mod, environ={}, cwd=tmp))
