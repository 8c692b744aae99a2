"""The ``fastapp`` command: the root typer app and the single error boundary.

A :class:`~fastapp.errors.FastappError` raised anywhere below becomes one line on stderr
(red on a terminal) and exit status 1; usage errors exit 2; ``--traceback`` shows the Python
traceback instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from fastapp import __version__
from fastapp.commands import register_commands
from fastapp.commands.common import CommandState
from fastapp.errors import FastappError


class FastappGroup(TyperGroup):
    """Turns library errors into one line and an exit status."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        # Kept so the error boundary can mask any secret the command line carries.
        ctx.meta[_ARGV] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FastappError as exc:
            state = ctx.obj if isinstance(ctx.obj, CommandState) else None
            if state is not None and state.traceback:
                raise
            print_error(str(exc), secrets=known_secrets(ctx.meta.get(_ARGV, ())))
            ctx.exit(1)
        except OSError as exc:
            # A missing folder or a denied file is the user's environment, not a bug: one
            # line, as for library errors (library code may not wrap every file it opens).
            state = ctx.obj if isinstance(ctx.obj, CommandState) else None
            if state is not None and state.traceback:
                raise
            print_error(describe_os_error(exc), secrets=known_secrets(ctx.meta.get(_ARGV, ())))
            ctx.exit(1)
        except KeyboardInterrupt:
            print_error("interrupted")
            ctx.exit(130)

    def list_commands(self, ctx: typer.Context) -> list[str]:
        # Show commands in the order they were registered, the lifecycle order.
        return list(self.commands)


_ARGV = "fastapp.argv"


def describe_os_error(exc: OSError) -> str:
    """One line for an operating-system error: what failed, on which path, and the fix."""
    reason = exc.strerror or type(exc).__name__
    if exc.filename is None:
        return f"{reason}: {exc}"
    return (
        f"cannot use {str(exc.filename)!r}: {reason} (check that the folder exists and is writable)"
    )


def known_secrets(args: Iterable[str]) -> list[str]:
    """The user-and-password parts of every URL on the command line and in ``DATABASE_URL``."""
    from fastapp.connections.url import url_secrets

    sources = [*args, os.environ.get("DATABASE_URL", "")]
    return [secret for source in sources for secret in url_secrets(source)]


def print_error(message: str, secrets: Iterable[str] = ()) -> None:
    """Print ``message`` as one ``Error:`` line on stderr, every URL's user and password and
    every one of ``secrets`` masked (a last net under the masking done where messages are
    written)."""
    from rich.console import Console
    from rich.markup import escape

    from fastapp.connections.url import mask_secrets

    first_line = mask_secrets(" ".join(message.split()), secrets)
    Console(stderr=True, soft_wrap=True, highlight=False).print(
        f"[bold red]Error:[/] {escape(first_line)}"
    )


ACTOR_ENV = "FASTAPP_AUDIT_ACTOR"


def default_actor(command: str) -> str:
    """``cli:COMMAND (USER)``: the audit actor of a command run without ``--actor``."""
    import getpass

    try:
        user = getpass.getuser()
    except Exception:  # no login name anywhere (a bare container): still say it was the CLI
        user = "unknown user"
    return f"cli:{command} ({user})"


def _name_the_actor(ctx: typer.Context, name: str | None) -> None:
    """The audit actor of everything the command changes (the context variable audited
    writes read), for the command's duration only: an in-process caller gets its own back."""
    from fastapp.contrib.audit.context import actor

    hint = f"'--actor' / ${ACTOR_ENV}"
    if name is not None and not name.strip():
        raise typer.BadParameter("give a name, e.g. --actor nightly-purge", param_hint=hint)
    try:
        ctx.with_resource(
            actor(name if name is not None else default_actor(ctx.invoked_subcommand))
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=hint) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fastapp {__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="fastapp",
    cls=FastappGroup,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Database lifecycle toolkit for Tortoise ORM projects: create, diff and migrate "
    "schemas, load and dump fixtures, generate models from tables.",
)


@app.callback()
def root(
    ctx: typer.Context,
    settings: Annotated[
        str | None,
        typer.Option(
            "--settings",
            metavar="DOTTED.PATH",
            help="Settings module (else $FASTAPP_SETTINGS, else ./settings.py).",
        ),
    ] = None,
    traceback: Annotated[
        bool, typer.Option("--traceback", help="Show the Python traceback on errors.")
    ] = False,
    actor: Annotated[
        str | None,
        typer.Option(
            "--actor",
            metavar="NAME",
            envvar=ACTOR_ENV,
            show_envvar=False,
            help=f"Who the audit log names for the rows this command changes (else ${ACTOR_ENV}, "
            "else 'cli:COMMAND (OS user)').",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    ctx.obj = CommandState(settings_module=settings, traceback=traceback)
    if ctx.invoked_subcommand is not None:
        _name_the_actor(ctx, actor)
    # The project's app packages import by name from the current directory. The library
    # leaves sys.path alone (an application imports it); the command line, a process of its
    # own, sets it up here once.
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)


register_commands(app)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs one command in a process of its own.

    Only here is process-wide state changed (the library never does: an application that
    imports fastapp keeps its own): the cyclic garbage collector is off for the command and
    skips everything alive at exit. A command builds hundreds of thousands of long-lived
    objects (models, two schemas, decoded records) and next to no cyclic garbage, so each
    automatic collection walks them all again for nothing: ``auto_migrate --check`` at 1,000
    models took 3.1 s of CPU with loaddata's former raised thresholds and 2.8 s with the
    collector off, 3.8-4.6 s with the defaults; a 100k-record load peaks at the same RSS
    either way. Objects are still freed by reference counting.
    """
    import atexit
    import gc

    gc.disable()
    atexit.register(gc.freeze)  # the interpreter's last collection then skips them all
    app(args=argv if argv is not None else sys.argv[1:], prog_name="fastapp")
