"""Fuzzing the database URL parser and the DATABASES dict reader: no database.

URLs are assembled from parts that are each sometimes wrong (unknown or odd-case schemes,
reserved characters and bad percent escapes in user and password, IPv6 hosts with broken
brackets, ports out of range or not numbers, empty or encoded paths, odd query strings,
NUL bytes and line breaks), plus random text. DATABASES entries hold values of any JSON-ish
type under the keys fastapp reads. The outcome must be a DatabaseConfig or one
:class:`DatabaseURLError` line.

The parser is being rewritten on another branch (issue 13 item 1); inputs that fail here
are kept as strict xfails below and left out of the properties, so the properties stay
green and the xfails turn into failures (remove the mark) once the rewrite fixes them.
"""

from __future__ import annotations

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from fastapp.connections.url import DatabaseConfig, database_from_dict, parse_database_url
from fastapp.errors import DatabaseURLError
from tests.fuzz.fuzzing import FUZZ, NASTY_TEXT, json_values, mutated_text, outcome

schemes = st.sampled_from(
    [
        "postgres", "postgresql", "asyncpg", "psycopg", "mysql", "mariadb", "sqlite",
        "SQLITE", "Postgres", "", "http", "postgres+asyncpg", "sqlite3", " mysql",
    ]
)  # fmt: skip
userinfo_text = st.one_of(
    st.sampled_from(
        ["", "user", "root:", "user:pa:ss", "u:p@ss", "u:p/ss", "u:%40", "u:%zz", "u:%",
         "u:p#w", "u:p?w", ":only", "@", "u:p%2Fw", "ü:ß", "u:\x00", "u:a\nb"]
    ),
    st.text(max_size=10),
)  # fmt: skip
hosts = st.one_of(
    st.sampled_from(
        ["127.0.0.1", "localhost", "[::1]", "::1", "[::1", "::1]", "[fe80::1%25eth0]", "",
         "ho st", "h\x00", "xn--nxasmq6b", "ｅｘａｍｐｌｅ.com", "[v1.x]", "a:b:c", "h%41"]
    ),
    st.text(max_size=8),
)  # fmt: skip
ports = st.one_of(
    st.none(),
    st.sampled_from(["", "0", "65535", "65536", "-1", "99999999999999999999", "x", "5432 ", "٣"]),
    st.integers(0, 70000).map(str),
)
paths = st.one_of(
    st.sampled_from(
        ["", "/", "/db", "//abs.db", "///abs.db", "/:memory:", ":memory:", "/a%2Fb", "/%zz",
         "/db/extra", "/\x00", "/C:/x.db", "/db#frag", "/db%00"]
    ),
    st.text(max_size=10).map(lambda t: "/" + t),
)  # fmt: skip
queries = st.one_of(
    st.sampled_from(
        ["", "?ssl=require", "?a=1&a=2", "?=", "?&&", "?a", "?a=%zz", "?minsize=1&maxsize=x",
         "?" + "&".join(f"k{i}=v" for i in range(50))]
    ),
    st.text(max_size=8).map(lambda t: "?" + t),
)  # fmt: skip


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(schemes)
    info = draw(userinfo_text)
    auth = f"{info}@" if info or draw(st.booleans()) else ""
    port = draw(ports)
    netloc = auth + draw(hosts) + ("" if port is None else f":{port}")
    separator = draw(st.sampled_from(["://", "://", ":/", ":", "//", ":///"]))
    return f"{scheme}{separator}{netloc}{draw(paths)}{draw(queries)}"


url_text = st.one_of(urls(), mutated_text(urls()), st.text(max_size=40))

ENTRY_KEYS = ["ENGINE", "NAME", "HOST", "PORT", "USER", "PASSWORD", "OPTIONS", "URL"]
engines = st.sampled_from(
    ["postgres", "mysql", "sqlite", "tortoise.backends.asyncpg", "django.db.backends.mysql",
     "tortoise.backends.sqlite", "oracle", "", "SQLITE", "a.b."]
)  # fmt: skip
entry_values = st.one_of(
    json_values, engines, url_text, ports, st.floats(), st.sampled_from(NASTY_TEXT)
)


@st.composite
def entries(draw: st.DrawFn) -> dict:
    """Mostly a known ENGINE and a NAME (so the other keys get read), sometimes not."""
    entry: dict = {}

    def put(key: str, value) -> None:
        entry[draw(st.sampled_from([key, key.lower(), key.title()]))] = value

    if draw(st.integers(0, 4)):
        put("ENGINE", draw(engines) if draw(st.integers(0, 3)) else draw(entry_values))
    if draw(st.integers(0, 4)):
        put("NAME", draw(st.one_of(st.sampled_from(["db", ":memory:", ""]), entry_values)))
    for key in draw(st.lists(st.sampled_from(ENTRY_KEYS[2:]), unique=True, max_size=4)):
        if key == "OPTIONS":
            put(
                key,
                draw(st.one_of(st.dictionaries(st.text(max_size=4), json_values), entry_values)),
            )
        elif key == "URL":
            put(key, draw(url_text))
        else:
            put(key, draw(entry_values))
    return entry


@FUZZ
@given(url_text)
def test_database_urls_parse_or_fail_in_one_line(url):
    result = outcome(parse_database_url, url)
    event("config" if isinstance(result, DatabaseConfig) else "one-line error")


@FUZZ
@given(entries())
def test_databases_entries_read_or_fail_in_one_line(entry):
    result = outcome(database_from_dict, entry, "default")
    event("config" if isinstance(result, DatabaseConfig) else "one-line error")


#: Found by fuzzing: each let a TypeError, AttributeError or OverflowError out.
FOUND_BY_FUZZING = [
    pytest.param(
        {"ENGINE": "postgres", "NAME": "db", "PORT": [5432]},
        id="PORT-list-TypeError",
    ),
    pytest.param(
        {"ENGINE": "postgres", "NAME": "db", "PORT": {"a": 1}},
        id="PORT-dict-TypeError",
    ),
    pytest.param(
        {"ENGINE": "mysql", "NAME": "db", "PORT": float("inf")},
        id="PORT-infinity-OverflowError",
    ),
    pytest.param(
        {"ENGINE": "sqlite", "NAME": "db.sqlite3", "OPTIONS": "timeout=5"},
        id="OPTIONS-str-AttributeError",
    ),
    pytest.param(
        {"ENGINE": "mysql", "NAME": "db", "OPTIONS": [["charset", "utf8mb4"]]},
        id="OPTIONS-list-AttributeError",
    ),
]


@pytest.mark.parametrize("entry", FOUND_BY_FUZZING)
def test_found_by_fuzzing_databases_entries_of_the_wrong_type(entry):
    with pytest.raises(DatabaseURLError) as caught:
        database_from_dict(entry, "default")
    assert "\n" not in str(caught.value) and "DATABASES['default']" in str(caught.value)


@pytest.mark.parametrize("port", [-5, 65536, 10**30, True, 1.5, [5432], float("inf")])
def test_databases_entry_port_out_of_range_is_refused(port):
    with pytest.raises(DatabaseURLError, match="PORT"):
        database_from_dict({"ENGINE": "postgres", "NAME": "db", "PORT": port}, "default")
