"""Run the real ``fastapp`` console script on a pseudo-terminal, as a user at a keyboard would:
its own session with the terminal as controlling terminal, so Ctrl-C (``\\x03``) becomes
SIGINT and Ctrl-D (``\\x04``) end of input through the terminal's line discipline."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

FASTAPP = str(Path(sys.executable).with_name("fastapp"))
#: Generous: only a hung command ever waits this long (the machine is shared and noisy).
PATIENCE = 120.0
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
# Runs in the child: take the terminal as controlling terminal, then become the command.
_TAKE_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


class Terminal:
    """One ``fastapp`` process on a pseudo-terminal; ``expect`` what it prints, ``send`` keys."""

    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
        environment = {**os.environ, "NO_COLOR": "1", "TERM": "xterm", **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-c", _TAKE_TERMINAL, FASTAPP, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=environment,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.output = ""
        self._seen = 0

    def _read(self, timeout: float) -> bool:
        """Read what is there; False once the process closed the terminal."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: every holder of the terminal's other end has exited
            return False
        if not data:
            return False
        self.output += _ANSI.sub("", data.decode(errors="replace")).replace("\r\n", "\n")
        return True

    def expect(self, text: str) -> str:
        """Wait until ``text`` appears after what earlier calls matched; the output up to it."""
        waited = 0.0
        while text not in self.output[self._seen :]:
            if not self._read(0.5):
                raise AssertionError(f"fastapp ended before printing {text!r}:\n{self.output}")
            waited += 0.5
            if waited > PATIENCE:
                self.process.kill()
                raise AssertionError(f"no {text!r} in:\n{self.output}")
        end = self.output.index(text, self._seen) + len(text)
        seen, self._seen = self._seen, end
        return self.output[seen:end]

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self) -> int:
        """Read to the end; the exit status."""
        waited = 0.0
        while self._read(0.5):
            if self.process.poll() is not None and not select.select([self.master], [], [], 0)[0]:
                break
            waited += 0.5
            if waited > PATIENCE:
                self.process.kill()
                raise AssertionError(f"fastapp did not end:\n{self.output}")
        code = self.process.wait(PATIENCE)
        os.close(self.master)
        return code
