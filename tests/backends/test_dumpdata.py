"""``fastapp dumpdata``: canonical output and a byte-identical round trip on every backend."""

from __future__ import annotations

import asyncio
import base64
import gzip
import io
import json
import sys
from pathlib import Path

import pytest

from tests.backends import live
from tests.conftest import EXAMPLE

AVATAR = bytes(range(256)) + b"\x00end"

#: Every field type of the example models, in awkward shapes.
EVERY_TYPE = [
    {"model": "users.Group", "pk": 3, "fields": {"name": "ünïcode ☃", "description": ""}},
    {
        "model": "users.User",
        "pk": 3,
        "fields": {
            "username": "carol",
            "email": "carol@example.org",
            "full_name": 'Carol "C" O\'Neil \\ 🎉\nline two\ttab',
            "is_active": False,
            "role": "editor",
            "karma": -9007199254740993,
            "balance": "-0.5",
            "birth_date": "2000-02-29",
            "date_joined": "2024-06-30T23:59:59.999999+02:00",
            "api_key": "0B5E2C1E-7C0B-4B8E-9A43-3F7F3C1D2E11",
            "preferences": {"z": [1, 2.5, None, True], "a": {"ключ": "значение"}, "e": ""},
            "avatar": base64.b64encode(AVATAR).decode(),
            "groups": [3, 1],
        },
    },
    {
        "model": "blog.Post",
        "pk": 2,
        "fields": {
            "author": 3,
            "title": "Ünïcode & <markup> \"quotes\" 'single'",
            "slug": "every-type",
            "body": "x" * 5000,
            "status": 2,
            "views": 2147483647,
            "rating": 0.1,
            "published_at": None,
            "created_at": "2024-01-01T00:00:00.000001+00:00",
            "updated_at": "2023-12-31T20:00:00-05:00",
            "metadata": [1, "two", {"three": 3.25}],
            "tags": [2, 1],
        },
    },
    {
        "model": "blog.Comment",
        "pk": 3,
        "fields": {"post": 2, "author": None, "parent": 2, "body": "", "created_at": "2024-01-01"},
    },
]


@pytest.fixture(scope="module")
def two_dbs(backend, tmp_path_factory):
    """Two scratch databases with the example project's tables: a source and a target."""
    from typer.testing import CliRunner

    from fastapp import testing
    from fastapp.cli import app

    sys.path.insert(0, str(EXAMPLE))
    folder = tmp_path_factory.mktemp("dbs")
    configs = [testing.scratch_config(backend, folder) for _ in range(2)]
    for cfg in configs:
        asyncio.run(cfg.dialect.create_database(cfg))
        sys.modules.pop("settings", None)
        result = CliRunner().invoke(
            app,
            ["migrate"],
            env={"DATABASE_URL": cfg.url(masked=False), "FASTAPP_SETTINGS": "settings"},
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
    sys.modules.pop("settings", None)
    yield configs
    for cfg in configs:
        asyncio.run(cfg.dialect.drop_database(cfg))


@pytest.fixture(scope="module")
def populated(two_dbs, tmp_path_factory):
    """Load the repository fixtures and EVERY_TYPE into the source database, once."""
    from typer.testing import CliRunner

    from fastapp.cli import app

    source = two_dbs[0]
    path = tmp_path_factory.mktemp("every") / "every.jsonc"
    path.write_text(json.dumps(EVERY_TYPE, ensure_ascii=False), encoding="utf-8")
    sys.modules.pop("settings", None)
    result = CliRunner().invoke(
        app,
        ["loaddata", "users", "blog", str(path)],
        env={"DATABASE_URL": source.url(masked=False), "FASTAPP_SETTINGS": "settings"},
        catch_exceptions=False,
    )
    sys.modules.pop("settings", None)
    assert result.exit_code == 0, result.output
    return two_dbs


@pytest.fixture
def on(cli, example_project):
    """``on(db, *args)``: fastapp in the example project against ``db``."""

    def invoke(db, *args, input=None):
        return cli(*args, input=input, env={"DATABASE_URL": db.url(masked=False)})

    return invoke


def test_every_type_is_written_in_its_canonical_form(on, populated):
    result = on(populated[0], "dumpdata")
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["model"] for r in records] == [
        "users.Group",
        "users.Group",
        "users.Group",
        "users.User",
        "users.User",
        "users.User",
        "blog.Post",
        "blog.Post",
        "blog.Comment",
        "blog.Comment",
        "blog.Comment",
        "blog.Tag",
        "blog.Tag",
    ]
    carol = next(r for r in records if r["model"] == "users.User" and r["pk"] == 3)["fields"]
    assert carol == {
        "username": "carol",
        "email": "carol@example.org",
        "full_name": 'Carol "C" O\'Neil \\ 🎉\nline two\ttab',
        "is_active": False,
        "role": "editor",
        "karma": -9007199254740993,
        "balance": "-0.50",
        "birth_date": "2000-02-29",
        "date_joined": "2024-06-30T21:59:59.999999+00:00",
        "api_key": "0b5e2c1e-7c0b-4b8e-9a43-3f7f3c1d2e11",
        "preferences": carol["preferences"],
        "avatar": base64.b64encode(AVATAR).decode(),
        "groups": [1, 3],
    }
    assert carol["preferences"] == EVERY_TYPE[1]["fields"]["preferences"]
    post = next(r for r in records if r["model"] == "blog.Post" and r["pk"] == 2)["fields"]
    assert post["rating"] == 0.1 and post["status"] == 2 and post["tags"] == [1, 2]
    assert post["updated_at"] == "2024-01-01T01:00:00+00:00"
    assert post["metadata"] == [1, "two", {"three": 3.25}]
    comment = next(r for r in records if r["model"] == "blog.Comment" and r["pk"] == 3)
    assert comment["fields"]["created_at"] == "2024-01-01T00:00:00+00:00"
    assert comment["fields"]["parent"] == 2
    assert "users" not in records[0]["fields"]  # the generated reverse side is not dumped
    assert "ünïcode ☃" in result.stdout  # UTF-8, not \\u escapes


@pytest.mark.parametrize(
    "options", [(), ("--indent", "2"), ("--format", "jsonl")], ids=["json", "indent", "jsonl"]
)
def test_dump_load_dump_round_trip_is_byte_identical(on, populated, tmp_path, options):
    source, target = populated
    for table in (
        "users_user_groups",
        "blog_post_tags",
        "blog_comment",
        "blog_post",
        "blog_tag",
        "users_user",
        "users_group",
    ):
        live.execute(target, f"DELETE FROM {table}")
    first = on(source, "dumpdata", *options)
    assert first.exit_code == 0, first.stderr
    suffix = ".jsonl" if "jsonl" in options else ".json"
    dumped = tmp_path / f"dump{suffix}"
    dumped.write_text(first.stdout, encoding="utf-8")
    loaded = on(target, "loaddata", str(dumped))
    assert loaded.exit_code == 0, loaded.stderr
    assert "Installed 13 objects" in loaded.stdout
    second = on(target, "dumpdata", *options)
    assert second.exit_code == 0, second.stderr
    assert second.stdout.encode() == first.stdout.encode()


def test_selection_exclusion_and_output_files(on, populated, tmp_path):
    source = populated[0]
    users = json.loads(on(source, "dumpdata", "users").stdout)
    assert {r["model"] for r in users} == {"users.Group", "users.User"}
    tags = json.loads(on(source, "dumpdata", "blog.tag").stdout)
    assert [(r["pk"], r["fields"]["name"]) for r in tags] == [(1, "python"), (2, "databases")]
    rest = json.loads(on(source, "dumpdata", "blog", "--exclude", "blog.Comment").stdout)
    assert {r["model"] for r in rest} == {"blog.Post", "blog.Tag"}
    unknown = on(source, "dumpdata", "blog.Nope")
    assert unknown.exit_code == 1 and "no such model" in unknown.stderr

    plain = on(source, "dumpdata").stdout
    out = on(source, "dumpdata", "--output", str(tmp_path / "all.json.gz"))
    assert out.exit_code == 0 and "Dumped 13 objects" in out.stderr
    assert gzip.decompress((tmp_path / "all.json.gz").read_bytes()).decode() == plain
    lines = on(source, "dumpdata", "-o", str(tmp_path / "all.jsonl"))
    assert lines.exit_code == 0
    parsed = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text().splitlines()]
    assert parsed == json.loads(plain)
    assert list(tmp_path.iterdir()) and not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_keyset_pages_give_the_same_output(example_project, populated):
    from fastapp.apps import AppRegistry
    from fastapp.data.dumper import DumpOptions, dump_fixtures
    from fastapp.settings import load_settings

    registry = AppRegistry(load_settings(), populated[0])
    outputs = []
    for page in (1, 2, 1000):
        buffer = io.StringIO()
        result = asyncio.run(dump_fixtures(registry, DumpOptions(page_size=page), buffer))
        assert result.objects == 13
        outputs.append(buffer.getvalue())
    assert outputs[0] == outputs[1] == outputs[2]


def test_empty_database_dumps_an_empty_list_that_loads(on, populated, tmp_path):
    target = populated[1]
    for table in ("users_user_groups", "blog_post_tags", "blog_comment", "blog_post"):
        live.execute(target, f"DELETE FROM {table}")
    for table in ("blog_tag", "users_user", "users_group"):
        live.execute(target, f"DELETE FROM {table}")
    empty = on(target, "dumpdata")
    assert empty.stdout == "[\n]\n"
    path = Path(tmp_path / "empty.json")
    path.write_text(empty.stdout)
    loaded = on(target, "loaddata", str(path))
    assert loaded.exit_code == 0 and "Installed 0 objects" in loaded.stdout
