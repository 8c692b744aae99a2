"""Parsing in a forked child process gives what parsing in the loading process gives.

The same fixtures load with ``parse_in_child`` on and off, on every backend: the same rows,
counts, progress and errors; a failure on either side writes nothing and leaves no child.
"""

from __future__ import annotations

import asyncio
import json
import os

import pytest

from tests.backends import live
from tests.backends.test_loaddata import TABLES_CHILD_FIRST, empty
from tests.backends.test_loaddata_shapes import db  # noqa: F401 - the migrated database fixture

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


def _records() -> list[dict]:
    users = [
        {
            "model": "users.User",
            "pk": u,
            "fields": {
                "username": f"u{u}",
                "email": "e",
                "date_joined": "2024-01-01T00:00:00+00:00",
                "balance": f"{u}.50",
                "groups": [1, "${name=g2}"],
            },
        }
        for u in range(1, 31)
    ]
    groups = [{"model": "users.Group", "pk": g, "fields": {"name": f"g{g}"}} for g in (1, 2)]
    comments = [
        {
            "model": "blog.Comment",
            "pk": c,
            "fields": {
                "post": 1,
                "author": f"${{username=u{1 + c % 30}}}",
                "parent": c + 1 if c < 80 else None,  # set after all rows exist
                "body": f"c{c}",
                "created_at": "2024-01-01T00:00:00.000001+00:00",
            },
        }
        for c in range(1, 81)
    ]
    post = {
        "model": "blog.Post",
        "pk": 1,
        "fields": {
            "author": 1,
            "title": "t",
            "slug": "s",
            "body": "b",
            "tags": [],
            "created_at": "2024-01-01T00:00:00+00:00",
            "updated_at": "2024-01-01T00:00:00+00:00",
        },
    }
    # Children before their parents: rows wait for references, across batches.
    return comments + [post] + users + groups + [{"model": "blog.Tag", "fields": {"name": "k"}}]


def _load(example_project, cfg, path, **options):
    from fastapp.apps import AppRegistry
    from fastapp.data.formats import source_for
    from fastapp.data.loader import LoadOptions, load_fixtures
    from fastapp.settings import load_settings

    registry = AppRegistry(load_settings(), cfg)
    seen: list[int] = []
    options.setdefault("batch_size", 9)
    opts = LoadOptions(fixtures=[source_for(path)], **options)
    result = asyncio.run(load_fixtures(registry, opts, lambda n, done, total: seen.append(n)))
    return result, seen


def _snapshot(cfg) -> list:
    return [
        live.rows(cfg, f"SELECT * FROM {table} ORDER BY 1, 2")
        for table in TABLES_CHILD_FIRST
        if table != "blog_tag"
    ] + [live.rows(cfg, "SELECT name FROM blog_tag")]


def test_a_child_parses_what_this_process_parses(example_project, db, tmp_path):  # noqa: F811
    path = tmp_path / "f.json"
    path.write_text(json.dumps(_records()), encoding="utf-8")
    outcomes = []
    for in_child in (False, True):
        empty(db)
        result, seen = _load(example_project, db, path, parse_in_child=in_child)
        outcomes.append((result.objects, result.skipped, result.per_model, seen[-1], _snapshot(db)))
        assert seen == sorted(seen) and seen[-1] == 114
    assert outcomes[0] == outcomes[1]
    assert live.rows(db, "SELECT COUNT(*) FROM users_user_groups") == [(60,)]
    assert live.rows(db, "SELECT parent_id FROM blog_comment WHERE id = 1") == [(2,)]


def _user(pk: int, email: str, joined: str = "2024-01-01T00:00:00.000001+00:00") -> dict:
    fields = {"username": f"u{pk}", "email": email, "date_joined": joined, "balance": "1.5"}
    return {"model": "users.User", "pk": pk, "fields": fields}


def test_runs_and_single_records_of_one_batch_keep_their_order(example_project, db, tmp_path):  # noqa: F811
    """A batch of rows built column by column (kept as columns) and record by record, in
    either order: the rows reach the database in record order, so the later record of a
    pk wins, and text left to the writing process lands in the right rows."""
    group = {"model": "users.Group", "pk": 1, "fields": {"name": "g"}}
    records = (
        [_user(u, "run-1") for u in range(1, 41)]  # a run first: the batch keeps columns
        + [group]
        + [_user(u, "single") for u in range(41, 46)]  # then single records
        + [{**group, "pk": 2, "fields": {"name": "h"}}]
        + [_user(u, "run-2", "2024-02-29T12:00:00+01:00") for u in range(1, 41)]  # pks again
        + [{**group, "pk": 3, "fields": {"name": "i"}}]
        + [_user(u, "last") for u in (2, 44)]
    )
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    outcomes = []
    for in_child in (False, True):
        empty(db)
        _load(example_project, db, path, parse_in_child=in_child, batch_size=1000)
        outcomes.append(
            live.rows(db, "SELECT id, email, date_joined, balance FROM users_user ORDER BY id")
        )
    assert outcomes[0] == outcomes[1]
    emails = {row[0]: row[1] for row in outcomes[1]}
    assert len(emails) == 45
    assert emails[1] == "run-2" and emails[2] == "last" and emails[44] == "last"
    assert emails[41] == "single"
    assert str(outcomes[1][0][2]).startswith("2024-02-29")


def test_errors_in_the_child_and_in_the_parent_write_nothing(
    example_project,
    db,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    from fastapp.data import FixtureError

    forks, real_fork = [], os.fork

    def fork():
        pid = real_fork()
        forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)

    records = _records()
    records[50]["fields"]["body"] = ["not", "text"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    messages = []
    for in_child in (False, True):
        empty(db)
        with pytest.raises(FixtureError) as info:
            _load(example_project, db, path, parse_in_child=in_child)
        messages.append(str(info.value))
        assert all(live.rows(db, f"SELECT COUNT(*) FROM {t}") == [(0,)] for t in TABLES_CHILD_FIRST)
    assert messages[0] == messages[1]
    assert "bad.json, record 51 (blog.Comment): field 'body'" in messages[1]

    # A write failing in the parent while the child still parses: the child is stopped.
    records = [{"model": "blog.Tag", "fields": {"name": "same"}} for _ in range(20)]
    path.write_text(json.dumps(records + _records()), encoding="utf-8")
    empty(db)
    with pytest.raises(FixtureError, match=r"writing \d+ blog\.Tag row\(s\) failed"):
        _load(example_project, db, path, parse_in_child=True)
    assert all(live.rows(db, f"SELECT COUNT(*) FROM {t}") == [(0,)] for t in TABLES_CHILD_FIRST)
    assert len(forks) == 2
    for pid in forks:  # every child was reaped
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_an_unexpected_failure_in_the_child_is_reported(example_project, db, tmp_path, monkeypatch):  # noqa: F811
    from fastapp.data import FixtureError
    from fastapp.data.intake import Intake

    def broken(self):
        yield None
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(Intake, "batches_of", broken)  # the child is a copy of this process
    path = tmp_path / "f.json"
    path.write_text(json.dumps(_records()), encoding="utf-8")
    empty(db)
    with pytest.raises(FixtureError, match="loading failed: ZeroDivisionError: boom; nothing"):
        _load(example_project, db, path, parse_in_child=True)
