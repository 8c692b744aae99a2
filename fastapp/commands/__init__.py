"""One module per command; each registers a thin typer function that calls one core function."""

from __future__ import annotations

import typer


def register_commands(app: typer.Typer) -> None:
    from fastapp.commands import migrate

    app.command("migrate")(migrate.migrate)
