"""An application that imports fastapp and calls its core keeps its process as it was: the
garbage collector's state and thresholds, its atexit hooks, ``sys.path``, no forked child,
and Tortoise's own functions once fastapp's init is over.

Each check runs in a fresh interpreter (a subprocess) that plays the application: it builds
its settings in code, imports fastapp, migrates the example blog models with the
``auto_migrate`` core, loads a fixture big enough that ``fastapp loaddata`` would fork to
parse it, and samples the process state before, during (from the progress callbacks) and
after.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import subprocess
import sys
import textwrap

from tests.conftest import EXAMPLE

APPLICATION = textwrap.dedent(
    """
    import asyncio, atexit, base64, gc, inspect, json, os, pickle, sys
    from pathlib import Path

    import tortoise.apps
    import tortoise.models

    def tortoise_names():
        return [
            tortoise.models.inspect,
            tortoise.models.get_filters_for_field,
            tortoise.models.ModelMeta.__dict__["_dispatch_fields"],
            tortoise.models.MetaInfo.__dict__["_generate_filters"],
            tortoise.apps.Apps.__dict__["_build_initial_querysets"],
        ]

    def process_state():
        return {
            "gc_enabled": gc.isenabled(),
            "gc_threshold": list(gc.get_threshold()),
            "sys_path": list(sys.path),
        }

    forks = []
    os.register_at_fork(before=lambda: forks.append(os.getpid()))
    # Registered first, so it runs last at exit: after any gc.freeze registered since.
    atexit.register(lambda: print(json.dumps({"frozen_at_exit": gc.get_freeze_count()})))
    before = process_state()
    names = tortoise_names()
    atexit_before = atexit._ncallbacks()

    import fastapp.cli  # even the command layer imports without side effects
    from fastapp.apply.automigrate import AutoMigrateRequest, auto_migrate
    from fastapp.apply.executor import Callbacks
    from fastapp.apps import AppRegistry
    from fastapp.settings import Settings
    from fastapp.data.formats import source_for
    from fastapp.data.loader import LoadOptions, load_fixtures
    from fastapp.project import Project

    atexit_registered = atexit._ncallbacks() - atexit_before  # the stdlib's own, on import
    cfg = pickle.loads(base64.b64decode(sys.argv[1]))
    settings = Settings(
        module=None, installed_apps=("users", "blog"), databases={"default": cfg}
    )

    class ApplicationProject(Project):
        def settings(self, *, required=True):
            return settings

    during = []

    async def work():
        request = AutoMigrateRequest(guided=False)
        callbacks = Callbacks(progress=lambda statement: during.append(process_state()))
        results = await auto_migrate(ApplicationProject(), request, lambda target: callbacks)
        options = LoadOptions(fixtures=[source_for(Path(sys.argv[2]))])
        loaded = await load_fixtures(
            AppRegistry(settings), options, lambda *_: during.append(process_state())
        )
        return sum(len(r.outcome.executed) for r in results), loaded.objects

    executed, objects = asyncio.run(work())
    after = process_state()
    atexit_after = atexit._ncallbacks()
    print(json.dumps({
        "executed": executed,
        "objects": objects,
        "before": before,
        "during": during,
        "after": after,
        "atexit_added": atexit_after - atexit_before - atexit_registered,
        "forks": forks,
        "tortoise_unchanged": tortoise_names() == names and tortoise.models.inspect is inspect,
    }))
    """
)


def _fixture(path, records: int) -> None:
    """``records`` groups, with descriptions long enough that the file passes the size
    from which ``fastapp loaddata`` parses in a forked child."""
    rows = [
        {
            "model": "users.Group",
            "pk": i,
            "fields": {"name": f"group {i}", "description": "x" * 150},
        }
        for i in range(1, records + 1)
    ]
    path.write_text(json.dumps(rows))


def test_the_core_never_changes_the_host_process(backend, fresh_db, tmp_path):
    from fastapp.data.loader import CHILD_MIN_BYTES

    fixture = tmp_path / "groups.json"
    _fixture(fixture, 30_000)
    assert fixture.stat().st_size >= CHILD_MIN_BYTES
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(EXAMPLE), os.getcwd()]))
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            APPLICATION,
            base64.b64encode(pickle.dumps(fresh_db)).decode(),
            str(fixture),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    *_, line, exit_line = done.stdout.splitlines()
    report = json.loads(line)
    assert report["executed"] > 0 and report["objects"] == 30_000  # the work was done
    assert report["during"], "no progress was sampled"
    for state in (*report["during"], report["after"]):
        assert state == report["before"]
    assert report["before"]["gc_enabled"] is True
    assert report["atexit_added"] == 0
    assert json.loads(exit_line) == {"frozen_at_exit": 0}  # no gc.freeze ran at exit
    assert report["forks"] == []
    assert report["tortoise_unchanged"] is True


def test_the_cli_may_tune_its_own_process():
    """What the library does not do, the ``fastapp`` process itself does in ``main()``."""
    probe = textwrap.dedent(
        """
        import atexit, gc
        from fastapp import cli
        atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0))
        cli.app = lambda **kwargs: print("collector on while the command runs:", gc.isenabled())
        cli.main(["--help"])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "collector on while the command runs: False",
        "frozen at exit: True",
    ]
