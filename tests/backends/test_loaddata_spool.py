"""Work applied after the rows (foreign keys set afterwards, many-to-many lists) is spooled:
memory holds one chunk per relation, the rest waits in a temporary file or, when a forked
child parses, in the writing process's spools. The result is the same either way: a later
record's value or list wins, in the process and through the child, on every backend.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.backends import live
from tests.backends.test_loaddata import empty
from tests.backends.test_loaddata_forked import _load, _records, _snapshot
from tests.backends.test_loaddata_shapes import db  # noqa: F401 - the migrated database fixture


def test_a_spool_gives_back_every_entry_once_in_order():
    from fastapp.data.spool import Spool

    spool = Spool(limit=3)
    spool.extend(range(5))
    spool.append(5)
    spool.extend([6, 7, 8])
    assert len(spool) == 9 and spool.file is not None  # past the limit: in the file
    drained = []
    for chunk in spool.drain():
        drained.extend(chunk)
        spool.append(("later", chunk[0]))  # added while draining: kept for the next drain
    assert drained == list(range(9))
    assert [e for chunk in spool.drain() for e in chunk] == [("later", 0), ("later", 5)]
    assert list(spool.drain()) == [] and len(spool) == 0


def test_a_spool_hands_full_chunks_to_its_spill():
    from fastapp.data.spool import Spool

    handed: list[list[int]] = []
    spool = Spool(limit=2, spill=handed.append)
    spool.extend(range(7))
    spool.append(7)
    assert spool.file is None
    assert [e for chunk in handed for e in chunk] + spool.entries == list(range(8))
    assert all(len(chunk) > 2 for chunk in handed)


def _with_later_records(records: list[dict]) -> list[dict]:
    """The forked tests' fixture, then records that change what earlier ones said."""
    later = []
    user = next(r for r in records if r["model"] == "users.User" and r["pk"] == 5)
    again = json.loads(json.dumps(user))
    again["fields"]["groups"] = [2]  # user 5's groups are exactly [2] in the end
    later.append(again)
    comment = next(r for r in records if r["model"] == "blog.Comment" and r["pk"] == 3)
    again = json.loads(json.dumps(comment))
    again["fields"]["parent"] = 70  # set after all rows: the later value wins
    later.append(again)
    return records + later


@pytest.mark.parametrize("in_child", [False, True], ids=["in-process", "forked"])
def test_spilled_links_and_updates_apply_in_record_order(example_project, db, tmp_path, in_child):  # noqa: F811
    if in_child and not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    path = tmp_path / "f.json"
    path.write_text(json.dumps(_with_later_records(_records())), encoding="utf-8")
    snapshots = []
    for spool_rows in (50_000, 4):  # nothing spilled, then everything in chunks of five
        empty(db)
        result, _ = _load(example_project, db, path, parse_in_child=in_child, spool_rows=spool_rows)
        assert result.objects == 116
        snapshots.append(_snapshot(db))
        assert live.rows(db, "SELECT group_id FROM users_user_groups WHERE users_user_id = 5") == [
            (2,)
        ]
        assert live.rows(db, "SELECT COUNT(*) FROM users_user_groups") == [(59,)]
        assert live.rows(
            db, "SELECT parent_id FROM blog_comment WHERE id IN (2, 3) ORDER BY id"
        ) == [
            (3,),
            (70,),
        ]
    assert snapshots[0] == snapshots[1]
