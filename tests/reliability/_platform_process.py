"""``python -m flowthings.local serve`` as a subprocess, for the crash tests.

The server is ready once it printed its ``Press Ctrl-C`` line: ``serve``
binds and listens *before* printing, so from then on connections are
accepted (queued by the kernel until uvicorn's loop takes them). No sleeps.
The process is always killed and reaped, its pipes closed, by ``stop()`` /
``kill()`` or the context manager.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType

__all__ = ["ServeProcess"]

_URL = re.compile(r"flowthings local platform on (http://\S+) ")
READY_TIMEOUT = 60.0


class ServeProcess:
    """One ``serve`` process on a free port with a file database (or a database URL)."""

    def __init__(self, db: Path | str, account: str, token: str, log: Path) -> None:
        self.db, self.account, self.token, self.log = db, account, token, log
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.output = ""

    @property
    def host(self) -> str:
        return self.base_url.removeprefix("http://")

    def start(self) -> ServeProcess:
        cmd = [
            sys.executable,
            "-m",
            "flowthings.local",
            "serve",
            "--port",
            "0",
            "--db",
            str(self.db),
            "--account",
            self.account,
            "--token",
            self.token,
            "--log-level",
            "warning",
        ]
        with self.log.open("a") as err:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                cmd,
                stdout=subprocess.PIPE,
                stderr=err,
                stdin=subprocess.DEVNULL,
                text=True,
                env={**os.environ, "PYTHONWARNINGS": "error"},
            )
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        lines: list[str] = []
        # readline() blocks until a line or EOF; a hung start is caught by pytest-timeout
        for line in iter(self.proc.stdout.readline, ""):
            lines.append(line)
            if "Ctrl-C" in line:
                break
        self.output = "".join(lines)
        match = _URL.search(self.output)
        if match is None or "Ctrl-C" not in self.output:
            raise RuntimeError(
                f"serve did not start (exit {self.proc.poll()}):\n{self.output}\n"
                f"{self.log.read_text()}"
            )
        self.base_url = match.group(1)

    def kill(self) -> int | None:
        """SIGKILL the process (if running), reap it, close its pipe; return its exit code."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        return proc.returncode

    def stop(self, sig: int = signal.SIGINT) -> int | None:
        """Graceful shutdown by ``sig`` (SIGKILL if it does not exit); return the exit code.

        What the process printed after its start is appended to ``output``.
        """
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(30)
        if self.proc.poll() is not None and self.proc.stdout is not None:
            self.output += self.proc.stdout.read()
        return self.kill()

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.kill()
