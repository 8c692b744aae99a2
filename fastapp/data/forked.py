"""The intake in a forked child process: records are parsed on one core, written on another.

SQLite writes inside our own process (aiosqlite's thread) and takes the GIL back for every
statement it steps, so a parsing thread would only fight it. A forked child has an
interpreter of its own: it reads the fixtures and builds the rows (the CPU-heavy half of a
load) and sends every full batch through a pipe, pickled, in the order the intake hands
them over; the parent unpickles and writes them, receiving the next batch while it writes
one. Memory stays bounded: the child blocks while the pipe is full, and the parent holds
one batch besides the one it writes. The child never touches a database connection and
leaves through ``os._exit``, so no finalizer, buffer flush or atexit hook of the parent's
state runs twice. Only ``fastapp loaddata`` forks unasked: a library caller gets a child
process only by asking for one (``LoadOptions.parse_in_child``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import pickle
import signal
import sys
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection, Pipe
from typing import Any

from fastapp.data import FixtureError
from fastapp.data.intake import LINKS, UPDATES, Batch, Intake

_BATCH, _SPILL, _END, _ERROR, _CRASH = range(5)


def available() -> bool:
    """Whether this platform can fork (not Windows)."""
    return hasattr(os, "fork")


def preferred() -> bool:
    """Whether forking may pay off where the caller left it to the loader
    (``LoadOptions.parse_in_child=None``, which only the CLI asks for): on Linux (macOS
    frameworks may not survive a fork)."""
    return available() and sys.platform.startswith("linux")


class ChildIntake:
    """Runs ``intake.batches_of()`` in a forked child; :meth:`batches` relays its output.

    When the child is done, the parent's ``intake`` holds what the child's held: the last
    partial batches, the deferred updates and links (full chunks of those arrive as they
    fill, into the parent's spools), and the counters.
    """

    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        self.pid = 0
        self.conn: Connection | None = None

    def start(self) -> None:
        """Fork the child (raises OSError when the system cannot)."""
        receiver, sender = Pipe(duplex=False)
        try:
            pid = os.fork()
        except OSError:
            receiver.close()
            sender.close()
            raise
        if pid == 0:  # the child
            receiver.close()
            self._run(sender)
        sender.close()
        self.pid, self.conn = pid, receiver

    def _run(self, conn: Connection) -> None:
        try:
            with contextlib.suppress(ValueError):  # not the main thread: keep the handler
                signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the parent reports it
            gc.disable()  # nothing built here needs the collector; no parent finalizer runs
            intake = self.intake

            def spill(kind: str, key: tuple[str, str], entries: list[Any]) -> None:
                # A full chunk of deferred work goes to the parent's spool, in order.
                conn.send_bytes(pickle.dumps((_SPILL, kind, key, entries), pickle.HIGHEST_PROTOCOL))

            intake.spill = spill
            intake.defer_columns = True  # the writing process has time to spare: it converts
            for item in intake.batches_of():
                if item is not None:
                    message = (_BATCH, item, intake.objects, intake.bytes_read)
                    conn.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))
            end = (
                _END,
                intake.batches,
                {key: spool.entries for key, spool in intake.updates.items()},
                {key: spool.entries for key, spool in intake.links.items()},
                intake.objects,
                intake.skipped,
                intake.bytes_read,
            )
            conn.send_bytes(pickle.dumps(end, pickle.HIGHEST_PROTOCOL))
        except FixtureError as exc:
            # A value left unconverted in a batch not sent yet comes before this error.
            _send_quietly(conn, (_ERROR, self.intake.earliest_pending_problem() or str(exc)))
        except BaseException as exc:
            _send_quietly(conn, (_CRASH, f"{type(exc).__name__}: {exc}"))
        finally:
            os._exit(0)

    def _receive(self) -> tuple:
        assert self.conn is not None
        try:
            return pickle.loads(self.conn.recv_bytes())
        except (EOFError, OSError):
            return (_CRASH, "the parsing process ended unexpectedly")

    async def batches(self) -> AsyncIterator[tuple[str, Batch]]:
        """``(label, batch)`` as the child hands them over; raises its errors here."""
        loop = asyncio.get_running_loop()
        incoming = loop.run_in_executor(None, self._receive)
        while True:
            message = await incoming
            kind = message[0]
            if kind == _BATCH:
                incoming = loop.run_in_executor(None, self._receive)  # while this is written
                _, item, self.intake.objects, self.intake.bytes_read = message
                yield item
            elif kind == _SPILL:
                incoming = loop.run_in_executor(None, self._receive)
                _, spooled, key, entries = message
                self.intake.spool_of(spooled, key).extend(entries)
            elif kind == _END:
                _, batches, updates, links, objects, skipped, read = message
                intake = self.intake
                intake.batches.update(batches)
                for spooled, remainders in ((UPDATES, updates), (LINKS, links)):
                    for key, entries in remainders.items():
                        intake.spool_of(spooled, key).extend(entries)
                intake.objects, intake.skipped, intake.bytes_read = objects, skipped, read
                return
            elif kind == _ERROR:
                raise FixtureError(message[1])
            else:
                raise RuntimeError(message[1])

    def close(self) -> None:
        """Stop the child if it still runs, and reap it."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = 0
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _send_quietly(conn: Connection, message: Any) -> None:
    try:
        conn.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))
    except BaseException:  # the parent is gone: nobody to tell
        pass
