"""The TARGETS setting, --targets selection, the fan-out runner and its state file, without a
server: the jobs here are plain coroutines (the real ones run in tests/backends/test_fanout.py)."""

from __future__ import annotations

import asyncio
import json

import pytest

from fastapp.errors import FastappError, TargetsError
from fastapp.settings import Settings
from fastapp.targets import last_run
from fastapp.targets.declare import declared_targets
from fastapp.targets.run import FanoutOptions, TargetReport, fan_out


def targets_of(declared, **settings):
    return asyncio.run(
        declared_targets(Settings(module="proj.settings", targets=declared, **settings))
    )


def test_url_list_names_targets_by_database():
    found = targets_of(["postgres://u:secret@db1/acme", "sqlite://data/globex.sqlite3"])
    assert found.names() == ["acme", "globex"]
    assert found.targets[0].describe() == "postgres://***@db1:5432/acme"


def test_url_dict_and_groups_select_in_declaration_order():
    found = targets_of(
        {
            "urls": {"b": "sqlite://b.db", "a": "sqlite://a.db", "c": "sqlite://c.db"},
            "groups": {"canary": ["c", "b"]},
        }
    )
    assert [t.name for t in found.select("@canary")] == ["b", "c"]
    assert [t.name for t in found.select("a, @canary")] == ["b", "a", "c"]
    assert [t.name for t in found.select("all")] == ["b", "a", "c"]


def test_template_with_tenants_from_a_callable_sync_or_async():
    async def tenants():
        return ["acme", "globex"]

    found = targets_of({"template": "postgres://u@h/t_{tenant}", "tenants": tenants})
    assert [t.database.name for t in found.targets] == ["t_acme", "t_globex"]
    found = targets_of(lambda: {"template": "sqlite://{tenant}.db", "tenants": ["x"]})
    assert found.names() == ["x"]


def test_schemas_within_one_database():
    from fastapp.connections.url import parse_database_url

    base = parse_database_url("postgres://u@h/app")
    found = targets_of({"schemas": ["s1", "s2"]}, databases={"default": base})
    assert [t.database.namespace for t in found.targets] == ["s1", "s2"]
    assert all(t.database.name == "app" for t in found.targets)
    assert found.targets[0].describe() == "postgres://***@h:5432/app?schema=s1"


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (
            {"template": "postgres://u@h/t_{tenant}", "tenants": ["a", "b", "a"]},
            "lists tenant 'a' twice",
        ),
        ({"template": "postgres://u@h/shared", "tenants": ["a", "b"]}, "must be a URL containing"),
        (
            {"urls": {"one": "postgres://u@h/db", "two": "postgres://u@h:5432/db"}},
            "targets 'one' and 'two' are both postgres://***@h:5432/db",
        ),
        (["sqlite://x/app.db", "sqlite://y/app.db"], "two targets named 'app'"),
        ({"urls": [], "schemas": []}, "keep exactly one form"),
        ({"urls": ["sqlite://a.db"], "group": {}}, "unknown key(s) 'group'"),
        ({"urls": ["sqlite://a.db"], "groups": {"g": ["zz"]}}, "unknown target(s) 'zz'"),
        ({"schemas": ["s"], "database": "sqlite://a.db"}, "which has no schemas"),
        ({"urls": {"bad name": "sqlite://a.db"}}, "target name 'bad name'"),
        (None, "--targets needs a TARGETS setting"),
        (lambda: 1 / 0, "the function listing the targets failed: ZeroDivisionError"),
        ("no_such_module_xyz:targets", "cannot import 'no_such_module_xyz:targets'"),
    ],
)
def test_bad_declarations_are_refused_naming_the_fault(declared, message):
    with pytest.raises(TargetsError) as caught:
        targets_of(declared)
    assert message in str(caught.value)


def test_unknown_names_and_groups():
    found = targets_of({"urls": {"a": "sqlite://a.db"}, "groups": {"eu": ["a"]}})
    with pytest.raises(TargetsError, match="unknown target 'b': declared targets are a"):
        found.select("a,b")
    with pytest.raises(TargetsError, match=r"unknown target group '@us' \(groups: @eu\)"):
        found.select("@us")


def _targets(n: int):
    return targets_of({"template": "sqlite://{tenant}.db", "tenants": [f"t{i}" for i in range(n)]})


def _job(fail: set[str], seen: list[str], running: list[int] | None = None):
    async def job(target):
        seen.append(target.name)
        if running is not None:
            running[0] += 1
            running[1] = max(running[1], running[0])
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        if running is not None:
            running[0] -= 1
        if target.name in fail:
            raise FastappError(f"cannot reach postgres://user:hunter22@h/{target.name}")
        return TargetReport("ok", up_to_date=target.name == "t0")

    return job


def test_parallelism_is_bounded_and_every_target_runs_once():
    seen, running = [], [0, 0]
    result = asyncio.run(
        fan_out(_targets(20).targets, _job(set(), seen, running), FanoutOptions(3))
    )
    assert sorted(seen) == sorted(f"t{i}" for i in range(20))
    assert running[1] == 3
    assert [o.status for o in result.outcomes[:2]] == ["up to date", "done"]


def test_failure_stops_new_targets_unless_continue_on_error():
    seen: list[str] = []
    result = asyncio.run(fan_out(_targets(6).targets, _job({"t1"}, seen), FanoutOptions(1)))
    assert [o.status for o in result.outcomes] == ["up to date", "failed"] + ["not started"] * 4
    assert "hunter22" not in result.outcomes[1].summary  # the password is masked
    seen.clear()
    result = asyncio.run(
        fan_out(_targets(6).targets, _job({"t1"}, seen), FanoutOptions(2, continue_on_error=True))
    )
    assert len(seen) == 6 and len(result.with_status("failed")) == 1


def test_canary_stage_runs_first_and_gates_the_rest():
    seen: list[str] = []
    result = asyncio.run(
        fan_out(_targets(5).targets, _job(set(), seen), FanoutOptions(4, canary=2))
    )
    assert seen[:2] == ["t0", "t1"] and result.ok
    seen.clear()
    result = asyncio.run(
        fan_out(
            _targets(5).targets,
            _job({"t1"}, seen),
            FanoutOptions(4, continue_on_error=True, canary=2),
        )
    )
    assert seen == ["t0", "t1"] and result.canary_failed
    assert [o.status for o in result.outcomes[2:]] == ["not started"] * 3


def test_bad_runner_options():
    with pytest.raises(FastappError, match="--parallel must be at least 1"):
        asyncio.run(fan_out([], _job(set(), []), FanoutOptions(0)))


def test_last_run_merges_and_lists_what_did_not_finish(tmp_path):
    path = last_run.state_file(tmp_path)
    with pytest.raises(TargetsError, match="no earlier `upgrade --targets` run"):
        last_run.unfinished(path, "upgrade")
    targets = _targets(3).targets
    first = asyncio.run(fan_out(targets, _job({"t1"}, []), FanoutOptions(1)))
    last_run.record(path, "upgrade", first)
    assert last_run.unfinished(path, "upgrade") == ["t1", "t2"]
    again = asyncio.run(fan_out(targets[1:2], _job(set(), []), FanoutOptions(1)))
    last_run.record(path, "upgrade", again)
    assert last_run.unfinished(path, "upgrade") == ["t2"]
    assert json.loads(path.read_text())["upgrade"]["targets"]["t0"] == "up to date"
    path.write_text("{not json")
    with pytest.raises(TargetsError, match="delete the file"):
        last_run.unfinished(path, "upgrade")
