"""Worker processes for track JS, and per-account fairness in front of them.

Why processes: a runaway track must not slow other tenants.  In-process V8
calls share the interpreter (GIL, threadpool) with every request; a worker
process runs one call at a time, can be given an OS memory limit that also
covers ArrayBuffers (see :mod:`flowthings.local.tracks.js_worker`) and can be killed
when it does not answer in time.

:class:`WorkerPool`
    One per process (:func:`pool`), shared by every sandbox; workers start
    lazily (the first JS call pays ~0.5 s once, a process without tracks pays
    nothing) up to ``size``; a worker that dies, overruns its deadline or asks
    to retire is replaced by a fresh one on the next call. A freed worker
    goes to the waiting account that holds the fewest workers, so accounts
    that keep every worker busy cannot starve another one.
:class:`Admission`
    Per sandbox (i.e. per platform): at most ``per_account`` calls of one
    account run at once and at most ``queue`` more wait; beyond that
    :class:`JsBusyError` (``POST /track/simulate`` answers 429 with
    ``Retry-After``), so one account flooding simulate or tracked writes
    keeps at most ``per_account`` workers and ``per_account + queue`` request
    threads busy.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

__all__ = ["Admission", "JsBusyError", "WorkerDied", "WorkerPool", "pool"]

_WORKER_SCRIPT: Final = os.path.join(os.path.dirname(__file__), "js_worker.py")
_MAX_REPLY: Final = 64 * 1024 * 1024
# a new worker (an interpreter, py_mini_racer, V8) may take seconds on a busy
# machine: its start is waited for apart from any call's deadline
_START_S: Final = 30.0
"""Longest reply line read from a worker (its own cap on results is smaller)."""


class JsBusyError(Exception):
    """Too many track-JS calls of one account are running or waiting.

    Attributes:
        retry_after: Seconds after which a retry is reasonable.
    """

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WorkerDied(Exception):
    """The worker process ended or overran its deadline (and was killed)."""


class _Worker:
    """One worker process and the line-based pipe to it."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, _WORKER_SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # V8's own fatal-error chatter is not ours to print
            close_fds=True,
        )
        self._buffer = b""
        self.retired = False
        try:
            ready = self._reply(time.monotonic() + _START_S, "start")
        except BaseException:
            self.kill()
            raise
        if not ready.get("ready"):
            self.kill()
            raise WorkerDied("the track JS worker did not start")

    def alive(self) -> bool:
        return not self.retired and self.proc.poll() is None

    def kill(self) -> None:
        self.retired = True
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()

    def _reply(self, deadline: float, what: str) -> dict[str, Any]:
        """The next JSON line from the worker (kills it on overrun, death or garbage)."""
        stdout = self.proc.stdout
        if stdout is None:  # pragma: no cover - Popen was given PIPEs
            raise WorkerDied("the track JS worker has no pipes")
        fd = stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            ready = select.select([fd], [], [], max(0.0, left))[0] if left > 0 else []
            if not ready:
                self.kill()
                raise WorkerDied(f"the track JS worker did not {what}")
            chunk = os.read(fd, 1 << 16)
            if not chunk or len(self._buffer) > _MAX_REPLY:
                self.kill()
                raise WorkerDied("the track JS worker stopped")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            self.kill()
            raise WorkerDied("the track JS worker answered garbage")
        return reply

    def call(self, request: dict[str, Any], deadline: float) -> dict[str, Any]:
        """Send one request; return the reply (kills the worker on overrun or death)."""
        stdin, stdout = self.proc.stdin, self.proc.stdout
        if stdin is None or stdout is None:  # pragma: no cover - Popen was given PIPEs
            raise WorkerDied("the track JS worker has no pipes")
        try:
            stdin.write(json.dumps(request).encode() + b"\n")
            stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as exc:
            self.kill()
            raise WorkerDied("the track JS worker is gone") from exc
        reply = self._reply(deadline, "answer in time")
        if reply.get("retire"):
            self.retired = True
        return reply


class WorkerPool:
    """Up to ``size`` worker processes, started on demand (thread-safe).

    Fair across accounts: when every worker is busy, a freed worker goes to
    the waiting call whose account holds the fewest workers right now (the
    oldest such call on a tie), not to whichever thread wakes first. Two
    accounts keeping every worker busy with runaway JS therefore cannot
    starve a third: its call gets the next worker that frees up, before
    any call of theirs that queued earlier.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._count = 0
        self._closed = False
        self._busy: dict[str, int] = {}  # workers lent, per account
        self._waiting: dict[int, str] = {}  # ticket -> account, in arrival order
        self._tickets = 0

    def busy(self, account: str) -> int:
        """How many workers calls of ``account`` hold right now."""
        with self._cond:
            return self._busy.get(account, 0)

    def _next_ticket(self) -> int:
        # caller holds the condition: the waiting call to serve next
        return min(self._waiting, key=lambda t: (self._busy.get(self._waiting[t], 0), t))

    @contextmanager
    def worker(self, account: str = "") -> Iterator[_Worker]:
        """Lend a live worker to a call of ``account`` (waits, fairly, while all
        ``size`` are busy)."""
        w: _Worker | None
        with self._cond:
            self._tickets += 1
            ticket = self._tickets
            self._waiting[ticket] = account
            try:
                while True:
                    if self._closed:
                        raise WorkerDied("the track JS worker pool is shut down")
                    while self._idle and not self._idle[-1].alive():
                        self._idle.pop().kill()
                        self._count -= 1
                    free = bool(self._idle) or self._count < self.size
                    if free and self._next_ticket() == ticket:
                        if self._idle:
                            w = self._idle.pop()
                        else:
                            self._count += 1
                            w = None
                        break
                    self._cond.wait()
            finally:
                del self._waiting[ticket]
                self._cond.notify_all()  # another waiter may be next now
            self._busy[account] = self._busy.get(account, 0) + 1
        try:
            if w is None:
                w = _Worker()
        except BaseException:
            with self._cond:
                self._count -= 1
                self._release(account)
            raise
        try:
            yield w
        finally:
            with self._cond:
                if w.alive() and not self._closed:
                    self._idle.append(w)
                else:
                    self._count -= 1
                    w.kill()
                self._release(account)

    def _release(self, account: str) -> None:
        # caller holds the condition
        self._busy[account] -= 1
        if not self._busy[account]:
            del self._busy[account]
        self._cond.notify_all()

    def shutdown(self) -> None:
        """Stop every idle worker; busy ones stop when returned."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._cond.notify_all()
        for w in idle:
            w.kill()


_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()
POOL_SIZE: Final = 4
"""Worker processes per server process (each ~65 MiB, plus what a call uses).

Twice the default per-account cap, so one account's runaway JS never holds
every worker: another account's call finds a free one at once."""


def pool() -> WorkerPool:
    """The process-wide worker pool (created on first use, shut down at exit)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = WorkerPool(POOL_SIZE)
            atexit.register(_POOL.shutdown)
        return _POOL


class Admission:
    """Per-account concurrency cap and bounded queue (thread-safe).

    Args:
        per_account: Calls of one account that may run at once.
        queue: Calls of one account that may wait for a slot.
        wait_s: Longest wait for a slot before :class:`JsBusyError`.
    """

    def __init__(self, per_account: int, queue: int, wait_s: float = 10.0) -> None:
        self.per_account = per_account
        self.queue = queue
        self.wait_s = wait_s
        self._cond = threading.Condition()
        self._running: dict[str, int] = {}
        self._waiting: dict[str, int] = {}

    @contextmanager
    def slot(self, account: str) -> Iterator[None]:
        """Hold one of ``account``'s running slots for the block."""
        with self._cond:
            if self._running.get(account, 0) >= self.per_account:
                if self._waiting.get(account, 0) >= self.queue:
                    raise JsBusyError(
                        f"too many track JS calls of account {account!r} are running"
                        f" (at most {self.per_account}, {self.queue} queued); retry later"
                    )
                self._waiting[account] = self._waiting.get(account, 0) + 1
                try:
                    got = self._cond.wait_for(
                        lambda: self._running.get(account, 0) < self.per_account, self.wait_s
                    )
                finally:
                    self._waiting[account] -= 1
                    if not self._waiting[account]:
                        del self._waiting[account]
                if not got:
                    raise JsBusyError(f"track JS of account {account!r} waited too long; retry")
            self._running[account] = self._running.get(account, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                self._running[account] -= 1
                if not self._running[account]:
                    del self._running[account]
                self._cond.notify_all()
