"""Database URLs mean what Tortoise means: checked against ``expand_db_url`` itself, by example
and property-based; DATABASES / TORTOISE_ORM dict entries; masking of secrets."""

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tortoise.backends.base.config_generator import expand_db_url

from fastapp.connections.url import (
    database_from_dict,
    mask_secrets,
    mask_url,
    parse_database_url,
    url_secrets,
)
from fastapp.errors import DatabaseURLError


def tortoise_reading(url: str):
    """What Tortoise makes of ``url``: its connection dict, or the exception it raises."""
    try:
        return expand_db_url(url)
    except Exception as exc:  # any failure of Tortoise's reader is a failure to compare with
        return exc


def fastapp_reading(url: str):
    try:
        cfg = parse_database_url(url)
    except DatabaseURLError as exc:
        return exc
    return cfg.dialect.tortoise_connection(cfg)


def assert_same_meaning(url: str) -> None:
    theirs, ours = tortoise_reading(url), fastapp_reading(url)
    if isinstance(theirs, Exception):
        assert isinstance(ours, DatabaseURLError), (url, theirs, ours)
    elif isinstance(ours, DatabaseURLError):
        # fastapp refuses only what Tortoise leaves to the driver: no database name, or a
        # backend fastapp does not drive (mssql, oracle).
        # Also a server URL with an '@' after its host: an unencoded '/', '?' or '#' in a
        # password made Tortoise read part of the password as host, port or database.
        credentials = theirs["credentials"]
        unsupported = theirs["engine"].rsplit(".", 1)[-1] in {"mssql", "oracle"}
        database = credentials.get("database", "")
        assert unsupported or database is None or "@" in database, (url, ours)
    else:
        assert ours == theirs, url


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///data/db.sqlite3",  # Tortoise: the absolute file /data/db.sqlite3
        "sqlite://db.sqlite3",  # relative to the current directory
        "sqlite://:memory:",
        "sqlite://rel/dir.db?journal_mode=DELETE&journal_size_limit=10",
        "sqlite://a%20b.db",  # Tortoise does not decode a SQLite path
        "sqlite://",
        "postgres://app:s3cr%40t@db.example:6543/shop?ssl=require&min_size=2",
        "postgresql://u@[::1]:5433/db",
        "postgres://u:p@[fe80::1%25eth0]/db",
        "asyncpg://host/db?schema=tenant&application_name=api",
        "psycopg://u:pw@h/db",
        "postgres://u:pa/ss@h/db",  # an unencoded '/' in the password
        "postgres://u:p@ss@h/db",
        "postgres://u:p[1]@h/db",
        "postgres://u:pw@h:notaport/db",
        "postgres://u:pw@h:99999/db",
        "postgres:///db?host=/run/postgresql",
        "postgres://h/db?port=7&user=x&password=y&database=z",
        "postgres://h/",
        "mysql://root:@127.0.0.1/app?charset=latin1&connect_timeout=2.5&ssl=false",
        "mysql://root@localhost:3307/app?minsize=x",
        "MySQL://root@LocalHost/App",
        "mariadb://root@localhost/app",
        "oracle://u@h/db",
        "http://h/db",
        "localhost/db",
    ],
)
def test_examples_mean_what_tortoise_means(url):
    assert_same_meaning(url)


SCHEMES = ["postgres", "postgresql", "asyncpg", "psycopg", "mysql", "sqlite", "mssql", "x"]
# Characters that matter to a URL reader, plus ordinary ones and a few non-ASCII.
URL_CHARS = st.sampled_from(list("aZ09-._~:/?#[]@!$&'()*+,;=% é") + ["%2F", "%40", "%3A", "%25"])
text = st.lists(URL_CHARS, max_size=8).map("".join)
host = st.one_of(
    st.sampled_from(["", "localhost", "127.0.0.1", "DB.Example", "[::1]", "[fe80::1%25en0]"]),
    text,
)
port = st.one_of(st.just(""), st.integers(0, 70000).map(lambda p: f":{p}"), text.map(":".__add__))
query_key = st.sampled_from(
    ["ssl", "min_size", "timeout", "max_inactive_connection_lifetime", "charset", "minsize",
     "connect_timeout", "echo", "journal_mode", "journal_size_limit", "host", "user",
     "password", "port", "database", "file_path", "schema", "k"]
)  # fmt: skip
query_value = st.one_of(st.sampled_from(["", "1", "2.5", "true", "false", "x"]), text)
query = st.lists(st.tuples(query_key, query_value), max_size=3).map(
    lambda pairs: ("?" + "&".join(f"{k}={v}" for k, v in pairs)) if pairs else ""
)


@st.composite
def urls(draw) -> str:
    userinfo = draw(st.one_of(st.just(""), text.map(lambda u: u + "@"),
                              st.tuples(text, text).map(lambda p: f"{p[0]}:{p[1]}@")))  # fmt: skip
    path = draw(st.one_of(st.just(""), text.map("/".__add__)))
    return (
        f"{draw(st.sampled_from(SCHEMES))}://{userinfo}{draw(host)}{draw(port)}{path}{draw(query)}"
    )


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(urls())
@example("postgres://u:%zz@h/db")
@example("sqlite://:memory:?journal_size_limit=x")
def test_every_url_means_what_tortoise_means(url):
    assert_same_meaning(url)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_text_is_a_meaning_or_one_clean_error(url):
    assert_same_meaning(url)


password_text = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs"]), max_size=12
).map("Sx".__add__)  # a prefix found nowhere else in a masked URL


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["postgres", "mysql"]),
    st.text("abcXYZ019_", min_size=1, max_size=8),
    password_text,
    st.sampled_from(["localhost", "10.0.0.1", "::1"]),
    st.integers(1, 65535),
    st.text("abc019_", min_size=1, max_size=8),
)
def test_a_config_written_as_url_reads_back_the_same(scheme, user, password, hostname, port, db):
    cfg = parse_database_url(
        f"{scheme}://{user}:{quote(password, safe='')}@"
        f"{f'[{hostname}]' if ':' in hostname else hostname}:{port}/{db}?ssl=true"
    )
    assert (cfg.user, cfg.password, cfg.host, cfg.port, cfg.name) == (
        user, password, hostname, port, db
    )  # fmt: skip
    written = cfg.url(masked=False)
    assert expand_db_url(written) == cfg.dialect.tortoise_connection(cfg)
    assert password not in cfg.url() and password not in repr(cfg)


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("sqlite:///data/db.sqlite3", "/data/db.sqlite3"),
        ("sqlite://db.sqlite3", "db.sqlite3"),
        ("sqlite://:memory:", ":memory:"),
    ],
)
def test_sqlite_paths_read_and_write_back(url, name):
    cfg = parse_database_url(url)
    assert cfg.name == name
    assert cfg.url() == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("localhost/db", "has no scheme"),
        ("my sql://u:pw@h/db", "has no valid scheme"),
        ("oracle://u:pw@h/db", "unknown URL scheme 'oracle'"),
        ("postgres://u:pw@h:notaport/db", "cannot be read"),
        ("postgres://u:pw@h:5432/", "names no database"),
        ("postgres://u:12/pw@h/db", "has an '@' after its host"),
        ("postgres://u:12?pw@h/db", "has an '@' after its host"),
        ("mysql://u:pw@h/db?connect_timeout=soon", "connect_timeout='soon' must be a number"),
        ("sqlite://", "names no file"),
    ],
)
def test_bad_urls_name_the_problem_without_the_secret(url, message):
    with pytest.raises(DatabaseURLError) as info:
        parse_database_url(url)
    assert message in str(info.value)
    assert "pw" not in str(info.value)


@pytest.mark.parametrize(
    "password", ["a/b", "a@b", "a:b", "a#b", "a?b", "p@ss:w/rd#?x", "x]y[", "%2Fz"]
)
@pytest.mark.parametrize("scheme", ["postgres://", "mysql://", ""])
def test_a_password_with_reserved_characters_never_shows(password, scheme):
    for form in (password, quote(password, safe="")):
        url = f"{scheme}admin:{form}@db.internal:5432/shop"
        try:
            message = str(parse_database_url(url))
        except DatabaseURLError as exc:
            message = str(exc)
        for secret in {password, quote(password, safe="")}:
            assert secret not in message, (url, message)
            assert secret not in mask_url(url)
            assert secret not in mask_secrets(f"cannot use {url}: failed", url_secrets(url))


def test_mask_url_hides_everything_up_to_the_last_at():
    assert mask_url("postgres://bob:h/u@n@t:er2@h:99999/x") == "postgres://***@h:99999/x"
    assert mask_url("bob:pw@host/db") == "***@host/db"
    assert mask_url("bob:pw@host://db") == "***@host://db"
    assert mask_url("no url here") == "no url here"


def test_mask_secrets_in_running_text():
    text = "at mysql://root:p@ss@h/db and postgres://a:b@c/d, user bob"
    assert mask_secrets(text) == "at mysql://***@h/db and postgres://***@c/d, user bob"
    assert mask_secrets("auth failed: p%40ss and p@ss", ["p@ss"]) == "auth failed: *** and ***"


def test_config_mask_and_repr_hide_the_password():
    cfg = parse_database_url("postgres://bob:hunter2@h/db")
    assert cfg.mask("auth failed for hunter2 at h") == "auth failed for *** at h"
    assert "hunter2" not in repr(cfg) and "hunter2" not in str(cfg)


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
def test_django_style_dict_entries(engine, dialect):
    cfg = database_from_dict(
        {"ENGINE": engine, "NAME": "app", "HOST": "h", "PORT": "1234", "USER": "u",
         "PASSWORD": "p"},
        "other",
    )  # fmt: skip
    assert (cfg.dialect_name, cfg.alias, cfg.name) == (dialect, "other", "app")
    if dialect != "sqlite":
        assert (cfg.host, cfg.port, cfg.user, cfg.password) == ("h", 1234, "u", "p")


@pytest.mark.parametrize(
    "entry",
    [
        {"engine": "tortoise.backends.asyncpg",
         "credentials": {"host": "h", "port": 5432, "user": "u", "password": "p",
                         "database": "shop", "schema": "s", "max_size": 9}},
        {"engine": "tortoise.backends.mysql",
         "credentials": {"host": "h", "port": 3306, "user": "u", "password": "",
                         "database": "shop", "charset": "utf8mb4"}},
        {"engine": "tortoise.backends.sqlite", "credentials": {"file_path": "/tmp/x.db"}},
        {"engine": "tortoise.backends.psycopg",
         "credentials": {"host": "h", "port": 5432, "user": "u", "password": None,
                         "database": "shop"}},
    ],
)  # fmt: skip
def test_tortoise_style_dict_entries_give_back_the_same_connection(entry):
    cfg = database_from_dict(entry, "main")
    assert cfg.alias == "main"
    assert cfg.dialect.tortoise_connection(cfg) == entry


def test_dict_entry_errors():
    with pytest.raises(DatabaseURLError, match=r"DATABASES\['x'\] needs ENGINE and NAME"):
        database_from_dict({"HOST": "h"}, "x")
    with pytest.raises(DatabaseURLError, match="unknown ENGINE 'oracle'"):
        database_from_dict({"ENGINE": "oracle", "NAME": "n"}, "x")
    with pytest.raises(DatabaseURLError, match="PORT'] must be a port number from 1 to 65535"):
        database_from_dict({"ENGINE": "postgres", "NAME": "n", "PORT": "abc"}, "x")
    with pytest.raises(DatabaseURLError, match="'engine' .* and 'credentials'"):
        database_from_dict({"engine": "tortoise.backends.asyncpg"}, "x")
    with pytest.raises(DatabaseURLError, match="names no database"):
        database_from_dict({"engine": "tortoise.backends.mysql", "credentials": {}}, "x")
