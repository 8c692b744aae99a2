"""The throwaway project the application-side benches (api, audit, runtime) run on: one app
package holding the given models, and a settings module on the backend's test server (a
SQLite file for sqlite), importable from ``root``."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path


def write_project(
    root: Path, backend: str, package: str, models: str, apps: tuple[str, ...] = ()
) -> str:
    """Write the app ``package`` (its ``models.py`` is ``models``) and a settings module that
    installs ``apps`` then it; put ``root`` on ``sys.path``; return the settings module name."""
    from fastapp import testing

    (root / package).mkdir()
    (root / package / "__init__.py").write_text("")
    (root / package / "models.py").write_text(models)
    server = testing.server_config(backend)
    url = (
        f"sqlite:///{root}/bench.sqlite3"
        if server is None
        else server.with_name("bench").url(masked=False)
    )
    name = f"settings_{uuid.uuid4().hex[:6]}"
    installed = [*apps, package]
    (root / f"{name}.py").write_text(
        f"INSTALLED_APPS = {installed!r}\nDATABASES = {{'default': {url!r}}}\n"
    )
    sys.path.insert(0, str(root))
    return name
