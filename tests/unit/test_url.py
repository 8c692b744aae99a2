"""Database URLs and DATABASES dicts: parsing, round-trips, masking, errors."""

import pytest

from fastapp.connections.url import database_from_dict, mask_url, parse_database_url
from fastapp.errors import DatabaseURLError


def test_postgres_url_with_everything():
    cfg = parse_database_url("postgresql://app:s3cr%40t@db.example:6543/shop?ssl=require", "main")
    assert (cfg.dialect_name, cfg.host, cfg.port, cfg.user, cfg.password, cfg.name) == (
        "postgres",
        "db.example",
        6543,
        "app",
        "s3cr@t",
        "shop",
    )
    assert cfg.params == (("ssl", "require"),)
    assert cfg.alias == "main"
    assert cfg.url() == "postgres://app:***@db.example:6543/shop?ssl=require"
    assert parse_database_url(cfg.url(masked=False)) == parse_database_url(
        "postgres://app:s3cr%40t@db.example:6543/shop?ssl=require"
    )


@pytest.mark.parametrize("scheme", ["mysql", "mariadb", "asyncmy"])
def test_mysql_schemes_and_default_port(scheme):
    cfg = parse_database_url(f"{scheme}://root:@localhost/app")
    assert cfg.dialect_name == "mysql"
    assert cfg.port == 3306
    assert cfg.password is None
    assert cfg.url() == "mysql://root@localhost:3306/app"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///db.sqlite3", "db.sqlite3"),
        ("sqlite:////tmp/abs.db", "/tmp/abs.db"),
        ("sqlite://relative/dir.db", "relative/dir.db"),
        ("sqlite://:memory:", ":memory:"),
    ],
)
def test_sqlite_paths(url, path):
    cfg = parse_database_url(url)
    assert cfg.dialect_name == "sqlite"
    assert cfg.name == path
    assert parse_database_url(cfg.url()).name == path


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("localhost/db", "has no scheme"),
        ("oracle://u@h/db", "unknown URL scheme 'oracle'"),
        ("postgres://u:pw@h:notaport/db", "is invalid"),
        ("postgres://u:pw@h:5432/", "names no database"),
        ("sqlite://", "names no file"),
    ],
)
def test_bad_urls_name_the_problem_without_the_password(url, message):
    with pytest.raises(DatabaseURLError) as info:
        parse_database_url(url)
    assert message in str(info.value)
    assert ":pw@" not in str(info.value)


def test_mask_url_on_unparseable_text():
    assert mask_url("postgres://bob:hunter2@h:99999/x") == "postgres://bob:***@h:99999/x"
    assert mask_url("no url here") == "no url here"


def test_mask_removes_the_password_from_any_text():
    cfg = parse_database_url("postgres://bob:hunter2@h/db")
    assert cfg.mask("auth failed for hunter2 at h") == "auth failed for *** at h"
    assert "hunter2" not in repr(cfg)


@pytest.mark.parametrize(
    ("engine", "dialect"),
    [
        ("postgres", "postgres"),
        ("django.db.backends.postgresql", "postgres"),
        ("tortoise.backends.asyncpg", "postgres"),
        ("tortoise.backends.mysql", "mysql"),
        ("sqlite3", "sqlite"),
    ],
)
def test_dict_entries(engine, dialect):
    cfg = database_from_dict(
        {
            "ENGINE": engine,
            "NAME": "app",
            "HOST": "h",
            "PORT": "1234",
            "USER": "u",
            "PASSWORD": "p",
        },
        "other",
    )
    assert cfg.dialect_name == dialect
    assert cfg.alias == "other"
    assert cfg.name == "app"
    if dialect != "sqlite":
        assert (cfg.host, cfg.port, cfg.user, cfg.password) == ("h", 1234, "u", "p")


def test_dict_entry_errors():
    with pytest.raises(DatabaseURLError, match=r"DATABASES\['x'\] needs ENGINE and NAME"):
        database_from_dict({"HOST": "h"}, "x")
    with pytest.raises(DatabaseURLError, match="unknown ENGINE 'oracle'"):
        database_from_dict({"ENGINE": "oracle", "NAME": "n"}, "x")
    with pytest.raises(DatabaseURLError, match="PORT'] is not a number"):
        database_from_dict({"ENGINE": "postgres", "NAME": "n", "PORT": "abc"}, "x")
