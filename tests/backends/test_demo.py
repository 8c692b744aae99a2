"""``examples/blog/demo.sh`` (``make demo``) runs to the end, and stops with a non-zero status
when a step crashes or exits with a status other than the one the demo shows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "blog"
BIN = Path(sys.executable).parent


def run_demo(tmp_path: Path, path_first: Path | None = None) -> subprocess.CompletedProcess:
    """The demo in a copy of the example (it writes its databases next to the settings)."""
    copy = tmp_path / "blog"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("*.sqlite3*", "__pycache__"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FASTAPP_SETTINGS")}
    env["PATH"] = os.pathsep.join(
        [*([str(path_first)] if path_first else []), str(BIN), env.get("PATH", "")]
    )
    env["FASTAPP_CACHE_DIR"] = str(tmp_path / "cache")
    return subprocess.run(
        ["sh", "./demo.sh"], cwd=copy, env=env, capture_output=True, text=True, timeout=900
    )


def test_the_demo_runs_to_the_end(tmp_path):
    result = run_demo(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("as expected)") == 2
    assert "== fastapp reverse_generation blog_tag" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


# Stand-ins for one step of the demo, the rest going to the real command.
CRASH = "exec {python} -c \"raise RuntimeError('a crash in the middle of the step')\""
SUCCEED = "echo 'nothing to refuse'; exit 0"


@pytest.mark.parametrize(
    ("behaviour", "status"), [(CRASH, 1), (SUCCEED, 0)], ids=["crash", "exit-0"]
)
def test_a_step_that_crashes_or_exits_unexpectedly_stops_the_demo(tmp_path, behaviour, status):
    wrapper = tmp_path / "bin"
    wrapper.mkdir()
    script = wrapper / "fastapp"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$*" = "auto_migrate --yes" ]; then\n'
        f"    {behaviour.format(python=sys.executable)}\n"
        "fi\n"
        f'exec {BIN / "fastapp"} "$@"\n'
    )
    script.chmod(0o755)
    result = run_demo(tmp_path, wrapper)
    assert result.returncode != 0, result.stdout
    assert (
        f"demo.sh: `fastapp auto_migrate --yes` exited with status {status}; expected 1"
        in result.stderr
    )
    assert "== fastapp auto_migrate --yes --allow-destructive" not in result.stdout
