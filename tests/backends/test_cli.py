"""The CLI surface: help text, version, the single error boundary and exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fastapp.cli import app


def test_help_lists_commands_with_real_help(cli):
    result = cli("--help")
    assert result.exit_code == 0
    assert "migrate" in result.output
    assert "Create the tables the models need" in result.output


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output.startswith("fastapp ")


def test_usage_error_exits_2(cli):
    result = cli("migrate", "--no-such-option")
    assert result.exit_code == 2


def test_unknown_command_exits_2(cli):
    assert cli("frobnicate").exit_code == 2


def test_unreachable_database_is_one_masked_line(cli, example_project):
    url = "postgres://alice:topsecret@127.0.0.1:1/nowhere"
    result = cli("migrate", "--database", url)
    assert result.exit_code == 1
    err = result.stderr
    assert err.startswith(
        "Error: cannot connect to database 'default' at postgres://***@127.0.0.1:1/nowhere"
    )
    assert "is the server running?" in err
    assert "topsecret" not in result.output
    assert len(err.strip().splitlines()) == 1


def test_database_that_does_not_exist(cli, example_project):
    from tests.conftest import require_backend

    require_backend("postgres")
    from fastapp.testing import server_config

    url = server_config("postgres").with_name("fastapp_no_such_db").url(masked=False)
    result = cli("migrate", "--database", url)
    assert result.exit_code == 1
    assert "database 'fastapp_no_such_db' does not exist" in result.stderr
    assert "createdb fastapp_no_such_db" in result.stderr


def test_bad_url_is_one_line(cli, example_project):
    result = cli("migrate", "--database", "oracle://x:pw@h/db")
    assert result.exit_code == 1
    assert "unknown URL scheme 'oracle'" in result.stderr


def test_missing_settings(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    sys.modules.pop("settings", None)
    result = cli("migrate")
    assert result.exit_code == 1
    assert "no settings module found" in result.stderr


def test_settings_option_and_unknown_connection(cli, example_project):
    result = cli("--settings", "settings", "migrate", "--database", "replica")
    assert result.exit_code == 1
    assert "no database connection named 'replica'" in result.stderr
    assert "known: default" in result.stderr


def test_traceback_option_lets_the_exception_through(example_project):
    from typer.testing import CliRunner

    from fastapp.errors import UnknownAppError

    result = CliRunner().invoke(app, ["--traceback", "migrate", "--apps", "nope"])
    assert isinstance(result.exception, UnknownAppError)


def test_python_dash_m_and_console_script_work(tmp_path):
    for command in ([sys.executable, "-m", "fastapp", "--version"],):
        done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("fastapp ")


@pytest.mark.parametrize("argv", [["--help"], ["migrate", "--help"]])
def test_help_does_not_import_heavy_modules(argv, tmp_path):
    code = (
        "import sys; from fastapp.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('tortoise', 'asyncpg', 'asyncmy', 'sqlglot') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
