"""One module per command; each exposes ``command``, a thin typer function that calls one core
function. Modules are discovered, so adding a command is adding its file."""

from __future__ import annotations

import importlib
import pkgutil

import typer

#: Help lists commands in lifecycle order; commands not named here follow alphabetically.
ORDER = (
    "migrate",
    "auto_migrate",
    "export_schema",
    "reverse_generation",
    "loaddata",
    "dumpdata",
)
_NOT_COMMANDS = {"common"}


def command_modules() -> list[str]:
    found = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    found -= _NOT_COMMANDS
    return [n for n in ORDER if n in found] + sorted(found - set(ORDER))


def register_commands(app: typer.Typer) -> None:
    """Register every command module under its underscore name and a dashed alias (hidden)."""
    for name in command_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        # A module may need click context settings (``downgrade -1`` is not an option).
        settings = getattr(module, "CONTEXT_SETTINGS", None)
        app.command(name, context_settings=settings)(module.command)
        if "_" in name:
            app.command(name.replace("_", "-"), hidden=True, context_settings=settings)(
                module.command
            )
