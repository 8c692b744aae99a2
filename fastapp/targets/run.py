"""Run one job on many targets: bounded concurrency, a canary stage, stop or go on.

Everything runs in one event loop: a target's work is waiting on its server, and a task per
target keeps its own Tortoise context (a context variable), its own connection and its own
migration lock. A failure is caught per target and reported; it never stops the others that
are running. Without ``continue_on_error`` no new target starts after the first failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from fastapp.errors import FastappError
from fastapp.targets.declare import Target

DONE = "done"
UP_TO_DATE = "up to date"
FAILED = "failed"
NOT_STARTED = "not started"
#: Statuses ``--only-failed`` runs again.
UNFINISHED = (FAILED, NOT_STARTED)


@dataclass(frozen=True)
class TargetReport:
    """What a job says of its target: one line, and whether it had nothing to do."""

    summary: str = ""
    up_to_date: bool = False


#: A job: the work of one command on one target; raises to fail the target.
Job = Callable[[Target], Awaitable[TargetReport]]


@dataclass(frozen=True)
class FanoutOptions:
    """``--parallel``, ``--continue-on-error`` and ``--canary`` as values."""

    parallel: int = 4
    continue_on_error: bool = False
    canary: int = 0


@dataclass(frozen=True)
class Outcome:
    target: Target
    status: str
    summary: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in (DONE, UP_TO_DATE)


@dataclass
class FanoutResult:
    """Every target's outcome, in the order the targets were given."""

    outcomes: list[Outcome] = field(default_factory=list)
    #: The canary stage failed, so the other targets were not started.
    canary_failed: bool = False

    def with_status(self, *statuses: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in statuses]

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)


#: Called with ``"start"`` and a Target, or ``"finish"`` and its Outcome.
Progress = Callable[[str, object], None]


async def fan_out(
    targets: Sequence[Target],
    job: Job,
    options: FanoutOptions,
    progress: Progress | None = None,
) -> FanoutResult:
    """Run ``job`` on every target, at most ``options.parallel`` at a time.

    With ``options.canary`` N, the first N targets run first and the rest only when all of
    them succeed. Without ``continue_on_error``, no target starts after a failure (running
    ones finish). Never raises for a target's failure: each is an :class:`Outcome`.
    """
    if options.parallel < 1:
        raise FastappError(f"--parallel must be at least 1, not {options.parallel}")
    if options.canary < 0:
        raise FastappError(f"--canary must be a number of targets, not {options.canary}")
    gate = asyncio.Semaphore(options.parallel)
    stop = asyncio.Event()
    notify = progress or (lambda event, item: None)

    async def one(target: Target) -> Outcome:
        async with gate:
            if stop.is_set():
                return Outcome(target, NOT_STARTED)
            notify("start", target)
            started = time.monotonic()
            try:
                report = await job(target)
            except Exception as exc:  # one target's failure, whatever it is, is its own
                outcome = Outcome(
                    target, FAILED, _describe(exc, target), time.monotonic() - started
                )
            else:
                status = UP_TO_DATE if report.up_to_date else DONE
                outcome = Outcome(target, status, report.summary, time.monotonic() - started)
            if not outcome.ok and not options.continue_on_error:
                stop.set()
            notify("finish", outcome)
            return outcome

    result = FanoutResult()
    stages = [list(targets)]
    if options.canary and options.canary < len(targets):
        stages = [list(targets[: options.canary]), list(targets[options.canary :])]
    for number, stage in enumerate(stages):
        if number and not all(o.ok for o in result.outcomes):
            result.canary_failed = True
            for target in stage:
                result.outcomes.append(Outcome(target, NOT_STARTED))
                notify("finish", result.outcomes[-1])
            continue
        result.outcomes.extend(await asyncio.gather(*(one(t) for t in stage)))
    return result


def _describe(exc: BaseException, target: Target) -> str:
    """One line for a target's failure, its password masked."""
    if isinstance(exc, FastappError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    from fastapp.connections.url import mask_secrets

    line = " ".join(text.split()) or type(exc).__name__
    return mask_secrets(target.database.mask(line))
