"""Row builders per key order (shapes) and multi-row SQLite writes must change nothing.

Every record below goes through both the builder of its shape and the general builder; both
must give the same row, the same deferred work, or the same error (pure: the example models'
layouts, no database). Then loads through real databases: records that a shape builder takes
and records that it hands to the general builder, in one fixture, store what dumpdata
writes back.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import itertools
import json
import sys
from pathlib import Path

import pytest

from tests.backends import live
from tests.backends.test_loaddata import TABLES_CHILD_FIRST, empty
from tests.conftest import EXAMPLE

UUID = "0b5e2c1e-7c0b-4b8e-9a43-3f7f3c1d2e11"
WHEN = "2024-06-30T23:59:59.999999+02:00"


def _user(**changes):
    fields = {
        "username": "carol",
        "email": "carol@example.org",
        "full_name": "Carol",
        "is_active": False,
        "role": "editor",
        "karma": -9007199254740993,
        "balance": "-0.50",
        "birth_date": "2000-02-29",
        "date_joined": WHEN,
        "api_key": UUID,
        "preferences": {"a": [1, None]},
        "avatar": base64.b64encode(b"\x00\xff").decode(),
        "groups": [1, "${name=admins}"],
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not _DROP}


_DROP = object()

#: (model, pk, fields): values each builder must treat alike, good and bad.
RECORDS = [
    ("users.User", 3, _user()),
    ("users.User", 4, _user(balance="12.3")),  # not canonical: converted
    ("users.User", 5, _user(balance=7)),
    ("users.User", 6, _user(balance="0012.30")),
    ("users.User", 7, _user(balance="1e2")),
    ("users.User", 8, _user(balance="99999999999.00")),  # too many digits
    ("users.User", 9, _user(balance="abc")),
    ("users.User", 10, _user(date_joined="2024-01-01T00:00:00Z")),
    ("users.User", 11, _user(date_joined="2024-01-01T00:00:00.000000+00:00")),
    ("users.User", 12, _user(date_joined="2024-01-01T00:00:00-00:00")),
    ("users.User", 13, _user(date_joined="2023-02-29T00:00:00+00:00")),
    ("users.User", 14, _user(date_joined="2024-01-01T00:00:00")),
    ("users.User", 15, _user(date_joined="2024-01-01T00:00:00+00:60")),
    ("users.User", 16, _user(date_joined=17)),
    ("users.User", 17, _user(api_key=UUID.upper())),
    ("users.User", 18, _user(api_key=None)),
    ("users.User", 19, _user(api_key="nope")),
    ("users.User", 20, _user(is_active=1)),
    ("users.User", 21, _user(is_active="yes")),
    ("users.User", 22, _user(karma="12")),
    ("users.User", 23, _user(karma=1.5)),
    ("users.User", 24, _user(username="x" * 151)),
    ("users.User", 25, _user(username=None)),
    ("users.User", 26, _user(username=_DROP)),  # required and missing
    ("users.User", 27, _user(full_name=_DROP, role=_DROP, preferences=_DROP)),  # defaults
    ("users.User", 28, _user(role="EDITOR")),
    ("users.User", 29, _user(role="boss")),
    ("users.User", 30, _user(groups="1")),
    ("users.User", 31, _user(groups=[1, "${nope=1}"])),
    ("users.User", 32, _user(avatar="***")),
    ("users.User", 33, _user(birth_date=None)),
    ("users.User", 34, _user(nickname="c")),  # unknown key
    ("users.User", 35, _user(id=35)),  # the pk's name: an alias
    ("users.User", "36", _user()),
    ("users.User", None, _user()),  # a generated pk
    ("users.User", 37, {"date_joined": WHEN, "email": "e", "username": "reordered"}),
    ("blog.Post", 1, {"author": 3, "title": "t", "slug": "s", "body": "b", "tags": [1, 2]}),
    ("blog.Post", 2, {"author": "${username=carol}", "title": "t", "slug": "s2", "body": "b"}),
    ("blog.Post", 3, {"author": "3", "title": "t", "slug": "s3", "body": "b", "rating": 2}),
    ("blog.Post", 4, {"author": None, "title": "t", "slug": "s4", "body": "b"}),
    ("blog.Post", 5, {"author": "${bad", "title": "t", "slug": "s5", "body": "b"}),
    ("blog.Post", 6, {"author_id": 3, "title": "t", "slug": "s6", "body": "b"}),
    ("blog.Post", 7, {"author": 3, "title": "t", "slug": "s7", "body": "b", "status": "ARCHIVED"}),
    ("blog.Post", 8, {"author": 3, "title": "t", "slug": "s8", "body": "b", "metadata": None}),
    ("blog.Comment", 1, {"post": 1, "author": None, "parent": 2, "body": ""}),
    ("blog.Comment", 2, {"post": 1, "author": 3, "parent": "${body=x}", "body": "x"}),
    ("blog.Comment", None, {"post": 1, "author": 3, "parent": 1, "body": "keyless"}),
    ("blog.Comment", 3, {"post": 1, "author": 3, "parent": None, "body": "x"}),
    ("users.Group", 1, {"name": "admins", "users": [3, "${username=carol}"]}),
    ("users.Group", 2, {"name": "g", "users": 3}),
    ("blog.Tag", 1, {"name": "a"}),
    ("blog.Tag", 2, {}),
]


@pytest.fixture
def layouts(example_project, tmp_path):
    """The example models' layouts, for each dialect's value adapters."""
    from fastapp import testing
    from fastapp.apps import AppRegistry
    from fastapp.data.models import build_layouts, load_order
    from fastapp.data.values import Timezones
    from fastapp.data.writers import writer_for
    from fastapp.settings import load_settings
    from fastapp.tortoise.context import tortoise_context

    cfg = testing.scratch_config("sqlite", tmp_path)
    registry = AppRegistry(load_settings(), cfg)
    tz = Timezones(True, "UTC")
    now = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)

    async def build():
        async with tortoise_context(registry) as ctx:
            models = list(ctx.apps.get_models_iterable())
            out = {}
            for dialect in ("sqlite", "postgres", "mysql"):
                adapters = writer_for(dialect, None, tz).adapters()
                out[dialect] = found = build_layouts(
                    models, lambda m: "default", lambda a, x=adapters: x, tz, now
                )
                load_order(found)  # marks the deferred foreign keys
            return out

    return asyncio.run(build())


def _intake(layouts):
    from fastapp.data.intake import Intake
    from fastapp.data.references import Resolver

    resolver = Resolver(layouts, None)
    return Intake(layouts, [], resolver.parse, skip=set(), ignore_nonexistent=False, batch_size=10)


def _drained(spools) -> dict:
    return {key: list(itertools.chain.from_iterable(s.drain())) for key, s in spools.items()}


def _outcome(build, fields, pk):
    from fastapp.data.rowcode import FieldProblem

    try:
        return ("row", build(dict(fields), pk, (0, 1)))
    except FieldProblem as exc:
        return ("error", exc.field, str(exc))


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_shape_builders_give_what_the_general_builder_gives(layouts, dialect):
    layouts = layouts[dialect]
    by_shape, general = _intake(layouts), _intake(layouts)
    outcomes = set()
    for model, pk, fields in RECORDS:
        layout = layouts[model]
        shaped = by_shape.builders.setdefault(model, by_shape._builder(layout))
        plain = general.builders.setdefault(model, general._builder(layout)).general
        outcome = _outcome(shaped, fields, pk)
        assert outcome == _outcome(plain, fields, pk), (model, pk, fields)
        assert _outcome(shaped, fields, pk) == outcome  # the shape's builder, now known
        outcomes.add(outcome[0])
    assert outcomes == {"row", "error"}
    for kind in ("updates", "links"):  # each record went through the shaped builder twice
        shaped, plain = _drained(getattr(by_shape, kind)), _drained(getattr(general, kind))
        assert shaped.keys() == plain.keys()
        for key, entries in plain.items():
            assert sorted(map(repr, shaped[key])) == sorted(map(repr, entries * 2))
    # Shapes that need the general builder anyway (aliases, unknown or missing keys) get
    # none of their own; the others do.
    user = by_shape.builders["users.User"]
    assert user.shapes[tuple(_user())] is not user.general
    assert user.shapes[(*_user(), "id")] is user.general
    assert user.shapes[(*_user(), "nickname")] is user.general
    assert user.shapes[tuple(_user(username=_DROP))] is user.general


def test_past_max_shapes_records_go_to_the_general_builder(layouts):
    from fastapp.data.rowcode import MAX_SHAPES

    layouts = layouts["sqlite"]
    build = _intake(layouts)._builder(layouts["users.User"])
    optional = ["full_name", "role", "karma", "is_active"]
    orders = list(itertools.permutations(optional))
    assert len(orders) > MAX_SHAPES
    for i, order in enumerate(orders):
        values = {"full_name": f"n{i}", "role": "author", "karma": i, "is_active": i % 2 == 0}
        fields = {"username": f"u{i}", "email": "e", **{k: values[k] for k in order}}
        assert build(fields, i + 1, (0, i)) == build.general(fields, i + 1, (0, i))
    assert len(build.shapes) == MAX_SHAPES


# -- through real databases -------------------------------------------------------------------


@pytest.fixture(scope="module")
def db(module_db):
    from typer.testing import CliRunner

    from fastapp.cli import app

    sys.path.insert(0, str(EXAMPLE))
    sys.modules.pop("settings", None)
    env = {"DATABASE_URL": module_db.url(masked=False), "FASTAPP_SETTINGS": "settings"}
    result = CliRunner().invoke(app, ["migrate"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    sys.modules.pop("settings", None)
    return module_db


@pytest.fixture
def run(cli, example_project, db):
    empty(db)

    def invoke(*args):
        return cli(*args, env={"DATABASE_URL": db.url(masked=False)})

    return invoke


def _write(path: Path, records: list) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def test_shaped_and_general_records_in_bulk_store_the_same_values(run, db, tmp_path):
    """Hundreds of rows (multi-row statements and their remainder), canonical and not."""
    users = []
    for i in range(1, 252):
        fields = {
            "username": f"u{i}",
            "email": f"u{i}@example.org",
            "full_name": f"Ünïcode {i}",
            "is_active": i % 2 == 0,
            "role": "author",
            "karma": i * 1000,
            "balance": f"{i}.{i % 100:02d}",
            "birth_date": None,
            "date_joined": f"2024-01-{1 + i % 28:02d}T10:00:{i % 60:02d}.{i:06d}+01:00",
            "api_key": f"{i:08x}-7c0b-4b8e-9a43-3f7f3c1d2e11",
            "preferences": {"i": i},
        }
        if i % 5 == 0:  # the same values, not as dumpdata writes them
            fields["balance"] = i + (i % 100) / 100 if i % 100 else i
            fields["date_joined"] = fields["date_joined"].replace("T", " ")
            fields["api_key"] = fields["api_key"].upper()
        if i % 7 == 0:  # through the general builder
            fields["id"] = i
        users.append({"model": "users.User", "pk": i, "fields": fields})
    posts = [
        {
            "model": "blog.Post",
            "pk": p,
            "fields": {
                "author": p if p % 2 else f"${{username=u{p}}}",
                "title": "t",
                "slug": f"s{p}",
                "body": "b",
                "created_at": "2024-01-01T00:00:00+00:00",
                "updated_at": "2024-01-01T00:00:00+00:00",
            },
        }
        for p in range(1, 121)
    ]
    # A pk twice in one batch: the later record wins, through a multi-row upsert as well.
    duplicate = json.loads(json.dumps(users[9]))
    duplicate["fields"]["full_name"] = "second"
    result = run("loaddata", str(_write(tmp_path / "bulk.json", users + posts + [duplicate])))
    assert result.exit_code == 0, result.output
    assert live.rows(db, "SELECT COUNT(*), SUM(karma) FROM users_user") == [
        (251, sum(range(1, 252)) * 1000)
    ]
    assert live.rows(db, "SELECT full_name FROM users_user WHERE id = 10") == [("second",)]
    assert live.rows(db, "SELECT COUNT(*) FROM blog_post") == [(120,)]
    assert live.rows(db, "SELECT author_id FROM blog_post WHERE id IN (7, 8) ORDER BY id") == [
        (7,),
        (8,),
    ]
    dumped = json.loads(run("dumpdata", "users.User").stdout)
    by_pk = {r["pk"]: r["fields"] for r in dumped}
    for i in range(1, 252):
        pk = i
        expected_join = f"2024-01-{1 + i % 28:02d}T09:00:{i % 60:02d}.{i:06d}+00:00"
        assert by_pk[pk]["balance"] == f"{i}.{i % 100:02d}", pk
        assert by_pk[pk]["date_joined"] == expected_join, pk
        assert by_pk[pk]["api_key"] == f"{i:08x}-7c0b-4b8e-9a43-3f7f3c1d2e11", pk
        assert by_pk[pk]["full_name"] == ("second" if pk == 10 else f"Ünïcode {i}")

    # Loaded again over the existing rows (every row upserted), twice in one command too.
    before = run("dumpdata").stdout
    again = run("loaddata", str(tmp_path / "bulk.json"))
    assert again.exit_code == 0, again.output
    twice = run("loaddata", str(tmp_path / "bulk.json"), str(tmp_path / "bulk.json"))
    assert twice.exit_code == 0, twice.output
    assert run("dumpdata").stdout == before


def test_a_bad_value_in_a_known_shape_names_its_field_and_writes_nothing(run, db, tmp_path):
    records = [{"model": "blog.Tag", "pk": i, "fields": {"name": f"t{i}"}} for i in range(1, 300)]
    records[250]["fields"]["name"] = "x" * 51  # the shape is known by then
    result = run("loaddata", str(_write(tmp_path / "bad.json", records)))
    assert result.exit_code == 1
    assert "bad.json, record 251 (blog.Tag): field 'name': 51 characters" in result.stderr
    assert all(live.rows(db, f"SELECT COUNT(*) FROM {t}") == [(0,)] for t in TABLES_CHILD_FIRST)
