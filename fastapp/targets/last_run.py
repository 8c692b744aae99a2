"""Each command's last fan-out, per target: what ``--only-failed`` runs again.

The file is ``.fastapp/fanout-last.json`` in the project directory (the settings module's
folder, else the current one)::

    {"upgrade": {"finished_at": "2026-01-31T12:00:00+00:00",
                 "targets": {"acme": "done", "globex": "failed", "initech": "not started"}}}

A run updates the entries of the targets it ran and keeps the others, so a re-run of the
failed ones clears them. Written whole to a temporary file and renamed into place.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from fastapp.errors import TargetsError
from fastapp.targets.run import UNFINISHED, FanoutResult

FILE = Path(".fastapp") / "fanout-last.json"


def state_file(base_dir: Path | None) -> Path:
    """Where the project keeps its last fan-out outcomes."""
    return (base_dir or Path.cwd()) / FILE


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise TargetsError(
            f"cannot read the last fan-out's outcomes from {path}: {exc}; delete the file "
            "and run with --targets again"
        ) from None
    return data if isinstance(data, dict) else {}


def record(path: Path, command: str, result: FanoutResult) -> None:
    """Merge this run's outcomes into ``command``'s entry of ``path``."""
    data = _read(path)
    entry = data.get(command) if isinstance(data.get(command), dict) else {}
    statuses = dict(entry.get("targets") or {})
    statuses.update({o.target.name: o.status for o in result.outcomes})
    data[command] = {"finished_at": datetime.now(UTC).isoformat(), "targets": statuses}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def unfinished(path: Path, command: str) -> list[str]:
    """The targets ``command`` failed on (or never started) last time; raises
    :class:`TargetsError` when it has no recorded run."""
    entry = _read(path).get(command)
    if not isinstance(entry, dict):
        raise TargetsError(
            f"--only-failed: no earlier `{command} --targets` run is recorded in {path}; "
            "run with --targets first"
        )
    return [name for name, status in (entry.get("targets") or {}).items() if status in UNFINISHED]
