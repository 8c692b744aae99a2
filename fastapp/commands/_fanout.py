"""The fan-out options every fanned-out command takes, and the one way they are run and shown:
a live progress line (rich) while targets run, then a table of every target, then exit 1
naming each failed target."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from fastapp.commands.common import console
from fastapp.errors import FastappError

if TYPE_CHECKING:
    from fastapp.project import Project
    from fastapp.targets.run import FanoutResult, Job

TargetsOption = Annotated[
    str | None,
    typer.Option(
        "--targets",
        metavar="all|NAME,...|@GROUP",
        help="Run on the targets of the TARGETS setting: all, some by name, or a group.",
    ),
]
ParallelOption = Annotated[
    int,
    typer.Option("--parallel", "-j", metavar="N", help="With --targets: at most N at a time."),
]
OnlyFailedOption = Annotated[
    bool,
    typer.Option(
        "--only-failed",
        help="With --targets (default all): only the targets that failed or were not started "
        "last time (.fastapp/fanout-last.json).",
    ),
]
CanaryOption = Annotated[
    int,
    typer.Option(
        "--canary",
        metavar="N",
        help="With --targets: run N targets first, the others only if all N succeed.",
    ),
]
ContinueOption = Annotated[
    bool,
    typer.Option(
        "--continue-on-error",
        help="With --targets: keep starting targets after one fails (default: stop starting "
        "new ones; running ones finish).",
    ),
]

DEFAULT_PARALLEL = 8
_STYLE = {"done": "green", "up to date": "dim", "failed": "bold red", "not started": "yellow"}


@dataclass(frozen=True)
class FanoutRequest:
    """The fan-out options of a command line, as values."""

    targets: str | None = None
    parallel: int = DEFAULT_PARALLEL
    continue_on_error: bool = False
    only_failed: bool = False
    canary: int = 0

    @property
    def wanted(self) -> bool:
        return self.targets is not None or self.only_failed

    def refuse_without_targets(self) -> None:
        """Fan-out options alone are a mistake: say so rather than ignore them."""
        if self.wanted:
            return
        if self.parallel != DEFAULT_PARALLEL or self.canary:
            raise FastappError("--parallel and --canary need --targets (all, NAME,... or @GROUP)")


def run_fanout(
    command: str,
    project: Project,
    request: FanoutRequest,
    make_job: Callable[[Project], Awaitable[Job]],
    *,
    database: str | None = None,
) -> FanoutResult:
    """Resolve the targets, run ``make_job``'s job on each with live progress, record the
    outcomes, print the table; raises :class:`FanoutError` naming each failed target."""
    from fastapp.errors import FanoutError, TargetsError
    from fastapp.targets import last_run
    from fastapp.targets.declare import declared_targets
    from fastapp.targets.run import FanoutOptions, fan_out

    if database:
        raise TargetsError(
            "--database and --targets both say where to run: keep one (the targets come from "
            "the TARGETS setting)"
        )
    settings = project.settings()
    state_file = last_run.state_file(settings.base_dir)
    options = FanoutOptions(request.parallel, request.continue_on_error, request.canary)
    out = console()

    async def main() -> FanoutResult:
        declared = await declared_targets(settings)
        targets = declared.select(request.targets or "all")
        if request.only_failed:
            again = set(last_run.unfinished(state_file, command))
            targets = [t for t in targets if t.name in again]
        if not targets:
            return None
        job = await make_job(project)
        with _Display(out, command, len(targets)) as display:
            return await fan_out(targets, job, options, display.progress)

    result = asyncio.run(main())
    if result is None:
        out.print(f"Nothing to do: no target failed in the last `{command} --targets` run.")
        return None
    last_run.record(state_file, command, result)
    _table(out, command, result)
    failed = result.with_status("failed")
    not_started = result.with_status("not started")
    if failed or not_started:
        named = "; ".join(f"{o.target.name} ({o.summary})" for o in failed)
        parts = [f"{len(failed)} of {len(result.outcomes)} target(s) failed: {named}"]
        if result.canary_failed:
            parts.append(f"the canary stage failed, {len(not_started)} target(s) not started")
        elif not_started:
            parts.append(f"{len(not_started)} target(s) not started")
        raise FanoutError(
            "; ".join(parts) + f"; fix and re-run them with `fastapp {command} --only-failed`"
        )
    return result


class _Display:
    """A live line (terminal) or one line per finished target (logs)."""

    def __init__(self, out, command: str, total: int) -> None:
        self.out, self.command, self.total = out, command, total
        self.running: dict[str, None] = {}
        self.counts = {"done": 0, "up to date": 0, "failed": 0, "not started": 0}
        self.live = None

    def __enter__(self) -> _Display:
        if self.out.is_terminal:
            from rich.live import Live

            self.live = Live(self._render(), console=self.out, transient=True, refresh_per_second=8)
            self.live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.__exit__(*exc)

    def _render(self):
        from rich.text import Text

        finished = sum(self.counts.values())
        line = Text(f"{self.command}: {finished}/{self.total} finished  ")
        line.append(f"{self.counts['done'] + self.counts['up to date']} done", style="green")
        line.append("  ")
        line.append(f"{self.counts['failed']} failed", style="red" if self.counts["failed"] else "")
        line.append(f"  {len(self.running)} running")
        if self.running:
            names = list(self.running)
            line.append(": " + ", ".join(names[:6]) + (", ..." if len(names) > 6 else ""), "dim")
        return line

    def progress(self, event: str, item) -> None:
        if event == "start":
            self.running[item.name] = None
        else:
            self.running.pop(item.target.name, None)
            self.counts[item.status] += 1
            if self.live is None and item.status != "not started":
                self.out.print(
                    f"  {item.target.name}: {item.status}"
                    + (f" - {item.summary}" if item.summary else ""),
                    style=_STYLE[item.status],
                    markup=False,
                )
        if self.live is not None:
            self.live.update(self._render())


def _table(out, command: str, result: FanoutResult) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{command} on {len(result.outcomes)} target(s)", title_justify="left")
    table.add_column("target", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("result", overflow="fold")
    for outcome in result.outcomes:
        table.add_row(
            Text(outcome.target.name),
            outcome.status,
            f"{outcome.seconds:.2f} s" if outcome.status != "not started" else "",
            Text(outcome.summary),
            style=_STYLE[outcome.status],
        )
    out.print(table)
    counts = {s: len(result.with_status(s)) for s in _STYLE}
    out.print(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no target")
