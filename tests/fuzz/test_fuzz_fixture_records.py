"""Fuzzing the records path of ``loaddata``: fixture file -> records -> rows, no database.

The example blog's models give the layouts (value converters of every field kind, foreign
keys, many-to-many lists, lookups) for each dialect's adapters. Fixtures hold records of those
models with generated field values, good and bad, often in runs long enough for the
column-by-column builders; some are not records at all, some name unknown models, some files
are then broken. Every value the writing process converts is converted too. The outcome must
be batches of rows or one :class:`FixtureError` line.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import sys
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from fastapp.data.formats import source_for
from fastapp.data.intake import RUN_MIN, Intake
from tests.conftest import EXAMPLE
from tests.fuzz.fuzzing import FUZZ, dumps, json_values, mutated_text, outcome

DIALECTS = ("sqlite", "postgres", "mysql")


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    """``{dialect: {label: Layout}}`` of the example project's models (built once)."""
    from fastapp import testing
    from fastapp.apps import AppRegistry
    from fastapp.conf import load_settings
    from fastapp.data.models import build_layouts, load_order
    from fastapp.data.values import Timezones
    from fastapp.data.writers import writer_for
    from fastapp.tortoise.context import tortoise_context

    cfg = testing.scratch_config("sqlite", tmp_path_factory.mktemp("layouts"))
    tz = Timezones(True, "UTC")
    now = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)

    async def build(registry):
        async with tortoise_context(registry) as ctx:
            models = list(ctx.apps.get_models_iterable())
            out = {}
            for dialect in DIALECTS:
                adapters = writer_for(dialect, None, tz).adapters()
                out[dialect] = found = build_layouts(
                    models, lambda m: "default", lambda a, x=adapters: x, tz, now
                )
                load_order(found)  # marks the deferred foreign keys
            return out

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(EXAMPLE)
        patch.syspath_prepend(str(EXAMPLE))
        patch.delenv("FASTAPP_SETTINGS", raising=False)
        patch.delenv("DATABASE_URL", raising=False)
        sys.modules.pop("settings", None)
        try:
            return asyncio.run(build(AppRegistry(load_settings(), cfg)))
        finally:
            sys.modules.pop("settings", None)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


#: Field names per model label, and some that belong to no model.
FIELDS = {
    "users.User": ["id", "username", "email", "full_name", "is_active", "role", "karma",
                   "balance", "birth_date", "date_joined", "api_key", "preferences", "avatar",
                   "groups"],
    "users.Group": ["id", "name", "description", "users"],
    "blog.Tag": ["id", "name", "posts"],
    "blog.Post": ["id", "author", "author_id", "title", "slug", "body", "status", "views",
                  "rating", "published_at", "created_at", "updated_at", "metadata", "tags"],
    "blog.Comment": ["id", "post", "author", "parent", "parent_id", "body", "created_at"],
}  # fmt: skip
UNKNOWN_FIELDS = ["nickname", "", "pk", "model", "fields", "Username", "\x00"]

#: Values shaped like what each field kind takes, and near misses.
typed_values = st.one_of(
    st.sampled_from(
        [
            "2024-02-29", "2023-02-29", "2024-13-01", "0001-01-01", "9999-12-31",
            "2024-06-30T23:59:59.999999+02:00", "2024-01-01T00:00:00Z", "2024-01-01T24:00:00",
            "2024-01-01T00:00:00+00:60", "2024-01-01 00:00:00", "0b5e2c1e-7c0b-4b8e-9a43-3f7f3c1d2e11",
            "0b5e2c1e7c0b4b8e9a433f7f3c1d2e11", "{0b5e2c1e-7c0b-4b8e-9a43-3f7f3c1d2e11}", "nope",
            "-0.50", "12.345", "1e2", "NaN", "Infinity", "99999999999.00", "0012.30", " 1 ",
            "editor", "EDITOR", "boss", "${name=admins}", "${username=carol}", "${", "${}",
            "${name=}", "${=x}", "${a\\,b=1}", "${name=a,name=b}", "${id=1}", "${body=x}",
            "***", "AP8=", "=", "true", "1", "-1", "",
        ]
    ),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.floats(),
    st.binary(max_size=6).map(lambda b: base64.b64encode(b).decode()),
    st.datetimes(timezones=st.just(dt.UTC)).map(dt.datetime.isoformat),
    st.lists(st.one_of(st.integers(-3, 5), st.sampled_from(["${name=admins}", "${x=1}", "1"]))),
)  # fmt: skip
field_values = st.one_of(typed_values, json_values)
pks = st.one_of(st.none(), st.integers(-3, 2**64), st.sampled_from(["1", "x", "", "${id=1}"]))


@st.composite
def record(draw: st.DrawFn, label: str, keys: list[str]) -> dict:
    found = {"model": label, "fields": {k: draw(field_values) for k in keys}}
    pk = draw(pks)
    if pk is not None:
        found["pk"] = pk
    return found


@st.composite
def record_run(draw: st.DrawFn) -> list:
    """Records of one model with one key set, as many as a column builder takes or a few."""
    label = draw(st.sampled_from(sorted(FIELDS)))
    keys = draw(st.lists(st.sampled_from(FIELDS[label] + UNKNOWN_FIELDS), unique=True, max_size=8))
    size = draw(st.sampled_from([1, 2, RUN_MIN, RUN_MIN + 3]))
    if size >= RUN_MIN:  # long runs: share most values so the example stays small
        base = draw(record(label, keys))
        base.setdefault("pk", 1)
        changed = draw(st.lists(st.tuples(st.integers(0, size - 1), record(label, keys))))
        run = [dict(base, pk=i) for i in range(size)]
        for at, other in changed:
            run[at] = other
        return run
    return [draw(record(label, keys)) for _ in range(size)]


odd_records = st.one_of(
    json_values,
    st.fixed_dictionaries({"model": field_values}),
    st.fixed_dictionaries({"model": st.sampled_from(sorted(FIELDS)), "fields": field_values}),
    st.fixed_dictionaries(
        {"model": st.sampled_from(["users.user", "BLOG.TAG", "blog.Nope", "", "blog"])},
        optional={"fields": st.dictionaries(st.text(max_size=4), field_values, max_size=2)},
    ),
)


@st.composite
def fixture(draw: st.DrawFn) -> list:
    runs = draw(st.lists(st.one_of(record_run(), st.lists(odd_records, max_size=2)), max_size=4))
    return [r for run in runs for r in run]


def load_records(layouts, path: Path, *, ignore: bool, defer: bool, batch_size: int) -> int:
    """Everything the intake does to a fixture (and the writing process's conversions)."""
    from fastapp.data.references import Resolver

    resolver = Resolver(layouts, None)
    intake = Intake(
        layouts,
        [source_for(path)],
        resolver.parse,
        skip=set(),
        ignore_nonexistent=ignore,
        batch_size=batch_size,
    )
    intake.defer_columns = defer
    rows = 0
    for handed in intake.batches_of():
        if handed is not None:
            label, batch = handed
            intake.convert_pending(label, batch)
            rows += len(batch)
    problem = intake.earliest_pending_problem()
    if problem is not None:
        from fastapp.data import FixtureError

        raise FixtureError(problem)
    for spool in (*intake.updates.values(), *intake.links.values()):
        for _ in spool.drain():
            pass
    return rows + sum(len(batch) for batch in intake.batches.values())


@FUZZ
@given(
    fixture(),
    st.sampled_from(DIALECTS),
    st.booleans(),
    st.booleans(),
    st.sampled_from([1, 7, 1000]),
    st.booleans(),
)
def test_fixture_records_become_rows_or_one_fixture_error(
    layouts, folder, records, dialect, ignore, defer, batch_size, jsonl
):
    if jsonl:
        path = folder / "fixture.jsonl"
        path.write_text("\n".join(dumps(r, indent=None) for r in records), encoding="utf-8")
    else:
        path = folder / "fixture.json"
        path.write_text(dumps(records, indent=1), encoding="utf-8")
    result = outcome(
        load_records, layouts[dialect], path, ignore=ignore, defer=defer, batch_size=batch_size
    )
    event("rows" if isinstance(result, int) else "one-line error")


@FUZZ
@given(st.data(), st.sampled_from(DIALECTS))
def test_broken_fixture_files_of_records_load_or_fail_in_one_line(layouts, folder, data, dialect):
    text = data.draw(mutated_text(fixture().map(lambda r: dumps(r, indent=1))))
    path = folder / "fixture.jsonc"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    outcome(load_records, layouts[dialect], path, ignore=False, defer=False, batch_size=50)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("breaking", ["\x85", "\u2028", "\u2029"])
def test_a_bad_value_with_a_unicode_line_break_is_shown_on_one_line(
    layouts, folder, dialect, breaking
):
    """Found by fuzzing: the value quoted in the message kept U+0085 raw (a line break)."""
    path = folder / "fixture.json"
    record = {"model": "blog.Tag", "pk": 1, "fields": {"name": {breaking: None}}}
    path.write_text(dumps([record], indent=None), encoding="utf-8")
    error = outcome(load_records, layouts[dialect], path, ignore=False, defer=False, batch_size=5)
    assert "expected a string" in str(error)
