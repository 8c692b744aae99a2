"""Runs built column by column must give exactly what the per-record builders give.

Pure (the example models' layouts for each dialect's adapters, no database): a run of
records goes through :func:`compile_run_builder` and, record by record, through the
per-record builder. Where every record gives a row, the column builder gives the same rows;
where one record gives an error, it hands the run back (None) so the per-record path words
it. Then through real databases: a long fixture whose stretches are built column by column
stores what dumpdata writes back, and a bad value deep in a run is reported for its record.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backends import live
from tests.backends import test_loaddata_shapes as shapes
from tests.backends.test_loaddata import TABLES_CHILD_FIRST, empty
from tests.backends.test_loaddata_shapes import RECORDS, UUID, WHEN, _drained, _intake

# The shape tests' fixtures: the example models' layouts, a migrated database per backend.
layouts, db, run = shapes.layouts, shapes.db, shapes.run

DIALECTS = ["sqlite", "postgres", "mysql"]

#: A user as dumpdata writes it, without the many-to-many list (applied after the rows).
USER = {k: v for k, v in shapes._user().items() if k != "groups"}
POST = {
    "author": 3,
    "title": "t",
    "slug": "s",
    "body": "b",
    "status": 1,
    "views": 0,
    "rating": 2.5,
    "published_at": None,
    "metadata": {"k": "v"},
}

#: Values of each field, good and bad, canonical and not: any mix must behave alike.
USER_VALUES = {
    "username": ["carol", "x" * 150, "x" * 151, None, 7, "Ünïcode “q”"],
    "email": ["e@x.org", "", None],
    "full_name": ["", "F", None, 1.5],
    "is_active": [True, False, 1, "yes", None],
    "role": ["editor", "reader", "EDITOR", "boss", None, 3],
    "karma": [0, -9007199254740993, "12", 1.5, True, None],
    "balance": ["-0.50", "12.3", 7, "0012.30", "1e2", "99999999999.00", "abc", None],
    "birth_date": ["2000-02-29", "2023-02-29", None, "2000-1-1"],
    "date_joined": [
        WHEN,
        "2024-02-29T00:00:00+00:00",
        "2023-02-29T00:00:00+00:00",
        "2024-04-31T00:00:00+00:00",
        "2024-01-31T00:00:00+00:00",
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00.000000+00:00",
        "2024-01-01T00:00:00-00:00",
        "2024-01-01T00:00:00",
        "2024-01-01 00:00:00+00:00",
        17,
        None,
    ],
    "api_key": [UUID, UUID.upper(), "nope", None, 5, "a\u0000b"],  # NUL: not joined
    "preferences": [{}, [1], "text", None],
    "avatar": ["AP8=", "***", None],
}
#: Relations recorded for after the rows: many-to-many lists, a reverse foreign-key list, a
#: self reference set afterwards.
USER_RELATIONS = {**USER, "groups": [1, "${name=admins}"], "posts": [1, 2]}
RELATION_VALUES = {
    "groups": [[1, "${name=admins}"], [], [2, 2], "1", [1, "${nope=1}"], None, ["x"]],
    "posts": [[1], [], 3, ["${slug=s}"], None],
}
COMMENT = {"post": 1, "author": 3, "parent": 2, "body": "x"}
COMMENT_VALUES = {
    "parent": [2, None, "${body=x}", "${bad", "2", 1.5, [1]],
    "author": [3, None, "${username=carol}", "${nope"],
    "post": [1, None, "${slug=s}"],
}
POST_VALUES = {
    "author": [3, "${username=carol}", "${username=dave}", "3", None, "${bad", 2.0, True],
    "title": ["t", "x" * 201, None],
    "status": [1, 2, 9, "1", None],
    "views": [0, 10**12, -1, "0", None],
    "rating": [2.5, 3, "2.5", None, True],
    "published_at": [None, WHEN, "yesterday"],
    "metadata": [None, {"a": 1}, [1, 2], "s"],
}


def _compare(layouts, model: str, records: list[dict], expect_taken: bool | None = None):
    """Build ``records`` (one key set) both ways; return whether the column builder took them.

    Taken, the rows (types included) and the work recorded for after the rows (foreign keys
    set afterwards, many-to-many lists) are the per-record builder's; handed back, some
    record has an error."""
    from fastapp.data.rowcode import FieldProblem

    layout = layouts[model]
    per_record = _intake(layouts)
    build = per_record._builder(layout)
    outcomes = []
    for i, r in enumerate(records):
        try:
            outcomes.append(("row", build(dict(r["fields"]), r["pk"], (0, i))))
        except FieldProblem as exc:
            outcomes.append(("error", exc.field, str(exc)))
    effects = {kind: _drained(getattr(per_record, kind)) for kind in ("updates", "links")}
    taken = None
    for defer in (False, True):
        status, rows = _run(layouts, model, records, columns := _intake(layouts), defer)
        if status == "taken":
            assert all(o[0] == "row" for o in outcomes), "an error hidden by the column builder"
            assert _typed(rows) == _typed([o[1] for o in outcomes])  # 1 == True == 1.0: types
            for kind, expected in effects.items():
                assert _drained(getattr(columns, kind)) == expected
        elif status == "handed back" and not defer:
            assert any(o[0] == "error" for o in outcomes), "a good run handed back"
        if not defer:
            taken = status == "taken"
    if expect_taken is not None:
        assert taken == expect_taken
    return taken


def _run(layouts, model, records, intake, defer):
    """``(status, rows)`` of the run through the column builder (with ``defer``, text
    columns converted as the writing process converts them): ``ineligible`` (no column
    builder for these keys), ``handed back`` or ``taken``. A value the writing process
    rejects must be the per-record builder's first error, in the same words."""
    from fastapp.data.columns import compile_run_builder, convert_pending
    from fastapp.data.rowcode import FieldProblem

    layout = layouts[model]
    build = compile_run_builder(
        layout,
        tuple(records[0]["fields"]),
        adapted_kinds=set(layout.adapted),
        defer=defer,
        **intake._hooks(layout),
    )
    if build is None:
        return "ineligible", None
    built = build(
        [dict(r["fields"]) for r in records],
        [r["pk"] for r in records],
        lambda: ((0, i) for i in range(len(records))),
    )
    if built is None:
        return "handed back", None
    assert defer or not built.pending
    # Left as text, the columns are converted as columns, or in rows once a batch has rows
    # before the run: the same outcome either way.
    rows = built.rows()
    adapted = set(layout.adapted)
    in_rows = convert_pending(layout, rows, [(0, len(rows), built.pending)], adapted)
    problem = built.convert(layout, adapted, {})
    assert (problem is None) == (in_rows is None)
    if problem is None:
        assert _typed(built.rows()) == _typed(rows)
        return "taken", rows
    assert problem[:2] == in_rows[:2]
    index, slot, exc = problem
    general = _intake(layouts)._builder(layout).general
    for i, r in enumerate(records):
        try:
            general(dict(r["fields"]), r["pk"], (0, i))
        except FieldProblem as error:
            assert (i, error.field, str(error)) == (index, layout.slot_names[slot], str(exc))
            return "handed back", None
    raise AssertionError(f"the writing process rejected a value the per-record builder took: {exc}")


def _typed(rows: list[list]) -> list[list]:
    return [[(type(v), v) for v in row] for row in rows]


def _run_of(model: str, base: dict, count: int = 40, **at) -> list[dict]:
    """``count`` records of ``base``; ``at`` = {index: {field: value}} changes some."""
    records = []
    for i in range(count):
        fields = dict(base)
        fields.update(at.get(f"i{i}", {}))
        if model == "users.User":
            fields["username"] = fields.get("username", "u") if f"i{i}" in at else f"u{i}"
        records.append({"model": model, "pk": i + 1, "fields": fields})
    return records


@pytest.mark.parametrize("dialect", DIALECTS)
def test_runs_of_canonical_records_are_taken_and_equal(layouts, dialect):
    layouts = layouts[dialect]
    _compare(layouts, "users.User", _run_of("users.User", USER), expect_taken=True)
    _compare(layouts, "blog.Post", _run_of("blog.Post", POST), expect_taken=True)
    lookups = _run_of("blog.Post", POST)
    for i, record in enumerate(lookups):
        record["fields"]["author"] = "${username=carol}" if i % 2 else i + 1
    _compare(layouts, "blog.Post", lookups, expect_taken=True)
    equal = _run_of("blog.Post", POST)  # 1 == True == 1.0: not one conversion for all
    for record, author in zip(equal, itertools.cycle([1, True, 1.0, "1"]), strict=False):
        record["fields"]["author"] = author
    _compare(layouts, "blog.Post", equal)
    reordered = _run_of("users.User", USER)
    for record in reordered[::3]:  # the same keys in another order
        record["fields"] = dict(reversed(list(record["fields"].items())))
    _compare(layouts, "users.User", reordered, expect_taken=True)
    defaults = _run_of("users.User", {"username": "u", "email": "e", "date_joined": WHEN})
    _compare(layouts, "users.User", defaults, expect_taken=True)
    tags = _run_of("blog.Tag", {"name": "t"})
    _compare(layouts, "blog.Tag", tags, expect_taken=True)
    relations = _run_of("users.User", USER_RELATIONS)
    _compare(layouts, "users.User", relations, expect_taken=True)
    _compare(layouts, "blog.Comment", _run_of("blog.Comment", COMMENT), expect_taken=True)
    _compare(layouts, "blog.Tag", _run_of("blog.Tag", {}), expect_taken=False)  # name required


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_value_of_every_field_inside_a_run_behaves_as_per_record(layouts, dialect):
    layouts = layouts[dialect]
    for model, base, values in (
        ("users.User", USER, USER_VALUES),
        ("users.User", USER_RELATIONS, RELATION_VALUES),
        ("blog.Post", POST, POST_VALUES),
        ("blog.Comment", COMMENT, COMMENT_VALUES),
    ):
        for name, choices in values.items():
            for value in choices:
                _compare(layouts, model, _run_of(model, base, i17={name: value}))
                every = _run_of(model, base)
                for record in every:
                    record["fields"][name] = value
                _compare(layouts, model, every)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_writing_process_reports_the_first_bad_text_as_the_per_record_builder(layouts, dialect):
    layouts = layouts[dialect]
    bad_day, bad_uuid, bad_amount = "2023-02-29T00:00:00+00:00", "nope", "1e2"
    for changes in (
        {"i20": {"date_joined": bad_day}, "i10": {"api_key": bad_uuid}},  # rows 10 then 20
        {"i10": {"date_joined": bad_day}, "i20": {"api_key": bad_uuid}},
        {"i15": {"date_joined": bad_day, "api_key": bad_uuid}},  # one row: the first field
        {"i15": {"api_key": bad_uuid, "balance": bad_amount}, "i16": {"date_joined": bad_day}},
    ):
        _compare(layouts, "users.User", _run_of("users.User", USER, **changes))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_runs_the_column_builder_leaves_to_the_per_record_path(layouts, dialect):
    from fastapp.data.columns import compile_run_builder

    layouts = layouts[dialect]

    def builder(model, keys):
        intake = _intake(layouts)
        layout = layouts[model]
        return compile_run_builder(
            layout, keys, adapted_kinds=set(layout.adapted), **intake._hooks(layout)
        )

    assert builder("users.User", tuple(USER)) is not None
    assert builder("users.User", (*USER, "groups")) is not None  # many-to-many: a hook
    assert builder("blog.Comment", ("post", "author", "parent", "body")) is not None  # deferred
    assert builder("users.User", (*USER, "id")) is None  # the pk's name: an alias
    assert builder("users.User", (*USER, "nickname")) is None  # unknown
    assert builder("users.User", tuple(k for k in USER if k != "username")) is None  # required
    assert builder("blog.Post", (*POST, "author_id")) is None  # two keys for one column
    # Keys that differ from the first record's: handed back, not misread.
    build = builder("blog.Tag", ("name",))
    assert build([{"name": "a"}, {"nom": "b"}], [1, 2], lambda: iter([(0, 1), (0, 2)])) is None
    assert (
        build([{"name": "a"}, {"name": "b", "x": 1}], [1, 2], lambda: iter([(0, 1), (0, 2)]))
        is None
    )
    # Every record of the RECORDS table of the shape tests, as a run of its own.
    for model, pk, fields in RECORDS:
        if pk is not None:
            records = [{"model": model, "pk": pk, "fields": dict(fields)} for _ in range(3)]
            _compare(layouts, model, records)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_mixes_of_values_behave_as_per_record(layouts, data):
    dialect = data.draw(st.sampled_from(DIALECTS))
    model, base, values = data.draw(
        st.sampled_from(
            [
                ("users.User", USER, USER_VALUES),
                ("users.User", USER_RELATIONS, {**USER_VALUES, **RELATION_VALUES}),
                ("blog.Post", POST, POST_VALUES),
                ("blog.Comment", COMMENT, COMMENT_VALUES),
            ]
        )
    )
    count = data.draw(st.integers(1, 12))
    records = _run_of(model, base, count)
    for record in records:
        for name in data.draw(st.lists(st.sampled_from(sorted(values)), max_size=3)):
            record["fields"][name] = data.draw(st.sampled_from(values[name]))
    _compare(layouts[dialect], model, records)


# -- through real databases -------------------------------------------------------------------


def _users(count: int, seed: int) -> list[dict]:
    rnd = random.Random(seed)
    records = []
    for i in range(1, count + 1):
        fields = dict(USER)
        fields.update(
            username=f"user{i}",
            email=f"user{i}@example.org",
            full_name=f"Ünïcode “{i}”",
            is_active=rnd.random() < 0.5,
            karma=rnd.randrange(-(10**15), 10**15),
            balance=f"{rnd.randrange(10**9)}.{rnd.randrange(100):02d}",
            date_joined=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00"
            f".{rnd.randrange(1, 10**6):06d}+00:00",
            api_key=f"{i:08x}-7c0b-4b8e-9a43-{rnd.randrange(16**12):012x}",
        )
        if i % 97 == 0:
            fields["balance"] = rnd.randrange(1000)  # not canonical: converted in the run
        fields["groups"] = [1 + i % 2, "${name=g3}"] if i % 3 else []
        records.append({"model": "users.User", "pk": i, "fields": fields})
    return records


GROUPS = [{"model": "users.Group", "pk": g, "fields": {"name": f"g{g}"}} for g in (1, 2, 3)]


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_long_fixture_built_by_columns_stores_what_dumpdata_writes_back(
    run, db, tmp_path, suffix
):
    users = _users(3000, seed=5)
    posts = [
        {
            "model": "blog.Post",
            "pk": p,
            "fields": {
                **POST,
                "author": p if p % 2 else f"${{username=user{p}}}",
                "slug": f"s{p}",
                "created_at": "2024-01-01T00:00:00+00:00",
                "updated_at": "2024-01-01T00:00:00+00:00",
            },
        }
        for p in range(1, 2001)
    ]
    comments = [
        {
            "model": "blog.Comment",
            "pk": c,
            "fields": {
                "post": 1 + c % 2000,
                "author": f"${{username=user{c}}}",
                "parent": c + 1 if c < 1500 else None,  # set after all rows exist
                "body": f"c{c}",
                "created_at": "2024-01-01T00:00:00+00:00",
            },
        }
        for c in range(1, 1501)
    ]
    path = tmp_path / f"long{suffix}"
    everything = GROUPS + users + posts + comments
    if suffix == ".jsonl":  # one record a line, handed over in stretches all the same
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in everything)
    else:
        text = json.dumps(everything, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    result = run("loaddata", str(path))
    assert result.exit_code == 0, result.output
    assert live.rows(db, "SELECT COUNT(*) FROM users_user") == [(3000,)]
    assert live.rows(db, "SELECT COUNT(*) FROM blog_post WHERE author_id = id") == [(2000,)]
    assert live.rows(db, "SELECT COUNT(*) FROM users_user_groups") == [(4000,)]
    assert live.rows(db, "SELECT COUNT(*) FROM blog_comment WHERE parent_id = id + 1") == [(1499,)]
    dumped = {r["pk"]: r["fields"] for r in json.loads(run("dumpdata", "users.User").stdout)}
    for record in users:
        fields, stored = record["fields"], dumped[record["pk"]]
        balance = fields["balance"]
        expected = f"{balance}.00" if isinstance(balance, int) else balance
        assert stored["balance"] == expected
        for name in ("username", "full_name", "karma", "date_joined", "api_key", "is_active"):
            assert stored[name] == fields[name], (record["pk"], name)
        assert stored["groups"] == sorted(
            {g if isinstance(g, int) else 3 for g in fields["groups"]}
        )


def test_a_bad_value_deep_in_a_run_names_its_record_and_writes_nothing(run, db, tmp_path):
    users = GROUPS + _users(6000, seed=7)  # ~1 MB stretches: runs before the bad one are built
    users[4321 + len(GROUPS)]["fields"]["date_joined"] = "2023-02-29T00:00:00+00:00"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(users, ensure_ascii=False), encoding="utf-8")
    result = run("loaddata", str(path))
    assert result.exit_code == 1
    assert "bad.json, record 4325 (users.User): field 'date_joined'" in result.stderr
    assert all(live.rows(db, f"SELECT COUNT(*) FROM {t}") == [(0,)] for t in TABLES_CHILD_FIRST)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_bad_text_left_to_the_writer_is_reported_before_a_later_error(
    example_project, db, tmp_path
):
    """A forked parser leaves some text columns to the writing process; a bad one in a batch
    not yet sent still comes before an error the parser meets later, as without the fork."""
    from fastapp.data import FixtureError

    users = GROUPS + _users(200, seed=3)
    users[50 + len(GROUPS)]["fields"]["date_joined"] = "2023-02-29T00:00:00+00:00"
    posts = [
        {"model": "blog.Post", "pk": p, "fields": {**POST, "slug": f"s{p}", "author": p}}
        for p in range(1, 101)
    ]
    posts[60]["fields"]["title"] = "x" * 201  # the post run goes record by record: an error
    path = tmp_path / "two.json"
    path.write_text(json.dumps(users + posts, ensure_ascii=False), encoding="utf-8")
    from fastapp.apps import AppRegistry
    from fastapp.data.formats import source_for
    from fastapp.data.loader import LoadOptions, load_fixtures
    from fastapp.settings import load_settings

    registry = AppRegistry(load_settings(), db)
    messages = []
    for in_child in (False, True):
        empty(db)
        options = LoadOptions(fixtures=[source_for(path)], parse_in_child=in_child)
        with pytest.raises(FixtureError) as failure:  # one batch: nothing handed over before
            asyncio.run(load_fixtures(registry, options))
        messages.append(str(failure.value))
        assert all(live.rows(db, f"SELECT COUNT(*) FROM {t}") == [(0,)] for t in TABLES_CHILD_FIRST)
    assert messages[0] == messages[1]
    assert "two.json, record 54 (users.User): field 'date_joined'" in messages[0]


UUID_PIECES = st.text(alphabet="0123456789abcdefABCDEF- \t\u0660xg", min_size=0, max_size=40)


@settings(max_examples=400, deadline=None)
@given(values=st.lists(st.one_of(UUID_PIECES, st.uuids().map(str)), min_size=1, max_size=6))
def test_the_uuid_column_check_says_what_the_regular_expression_says(values):
    from fastapp.data.columns import canonical_uuids
    from fastapp.data.rowcode import UUID_TEXT

    assert canonical_uuids(values) == all(UUID_TEXT(v) is not None for v in values)
    canonical = UUID
    for broken in (
        canonical.upper(),
        canonical[:8] + "x" + canonical[9:],
        canonical[:7] + " -" + canonical[9:],
        canonical[:34] + "  ",
        canonical.replace("-", "", 1) + "-",
    ):
        assert not canonical_uuids([canonical, broken]), broken
    assert canonical_uuids([canonical, canonical])


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(1, 40), st.integers(1, 5)), max_size=8))
def test_origins_kept_as_runs_read_as_the_pairs_they_stand_for(pieces):
    from fastapp.data.intake import Origins

    origins, expected = Origins(), []
    for number, first, count in pieces:
        if count == 1:
            origins.append((number, first))
        else:
            origins.add_run(number, first, count)
        expected.extend((number, first + i) for i in range(count))
    assert len(origins) == len(expected)
    assert list(origins) == expected
    assert [origins[i] for i in range(-len(expected), len(expected))] == expected * 2
    assert len(origins.runs) <= len(pieces)
    with pytest.raises(IndexError):
        origins[len(expected)]


@pytest.mark.parametrize("broken", ["${username=nobody}", 4242])
def test_a_reference_that_fails_inside_a_run_names_its_record(run, db, tmp_path, broken):
    """A run's foreign keys are settled as columns (lookups once per distinct value); one
    that matches no row still gets the record's own message, and nothing is written."""
    users = _users(40, seed=11)
    posts = [
        {
            "model": "blog.Post",
            "pk": p,
            "fields": {**POST, "slug": f"s{p}", "author": f"${{username=user{p}}}"},
        }
        for p in range(1, 41)
    ]
    posts[36]["fields"]["author"] = broken
    path = tmp_path / "refs.json"
    path.write_text(json.dumps(GROUPS + users + posts, ensure_ascii=False), encoding="utf-8")
    result = run("loaddata", str(path))
    assert result.exit_code == 1, result.output
    assert "refs.json, record 80 (blog.Post): field 'author'" in result.stderr
    assert all(live.rows(db, f"SELECT COUNT(*) FROM {t}") == [(0,)] for t in TABLES_CHILD_FIRST)

    posts[36]["fields"]["author"] = "${username=user37}"
    path.write_text(json.dumps(GROUPS + users + posts, ensure_ascii=False), encoding="utf-8")
    assert run("loaddata", str(path)).exit_code == 0
    assert live.rows(db, "SELECT COUNT(*) FROM blog_post WHERE author_id = id") == [(40,)]
