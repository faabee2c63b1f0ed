"""The fair lane for CPU-heavy work: big bodies and frames, parsed and answered off the loop.

Parsing and validating a big JSON document of tiny items costs about a second
of pure-Python CPU per MiB, and that CPU holds the GIL. Worker threads do not
make such work run in parallel (only one thread runs Python at a time); what
they do is take GIL time from the event loop thread, which then waits up to a
switch interval (5 ms) at every socket call, SQLite call or wake-up. Every
extra busy thread adds to that wait, so an unbounded thread pool turns one
tenant's uploads into everyone's latency.

So the work goes through a :class:`HeavyLane`: at most ``workers`` jobs run at
once in the whole server, at most one per account, and accounts take turns
(round robin over the accounts that have work waiting). An account with more
than ``queue`` jobs waiting gets a 429 with ``Retry-After`` instead of an ever
longer queue. The lane is keyed by the *authenticated* account, so nobody can
fill another tenant's turn; callers authenticate before they queue anything.

The lane is driven from one event loop (the server's): its state is plain
Python touched only by coroutines on that loop, and each waiter is a future of
that loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from flowthings.local.base.envelope import too_many_requests

if TYPE_CHECKING:
    from flowthings.local.core.platform import Platform

__all__ = ["HeavyLane", "lane_of"]

T = TypeVar("T")

#: Jobs running at once in one server: more would only share the GIL.
WORKERS = 2
#: Jobs one account may have waiting before it gets a 429.
QUEUE_PER_ACCOUNT = 16


class HeavyLane:
    """Runs blocking, CPU-heavy callables in worker threads, fairly across accounts.

    Args:
        workers: jobs running at once (over all accounts).
        queue: jobs one account may have waiting; one more is a 429.
    """

    def __init__(self, workers: int = WORKERS, queue: int = QUEUE_PER_ACCOUNT) -> None:
        if workers < 1 or queue < 0:
            raise ValueError("a lane needs at least one worker and a non-negative queue")
        self.workers = workers
        self.queue = queue
        self._running: set[str] = set()  # accounts with a job running (one each)
        self._waiting: dict[str, deque[asyncio.Future[None]]] = {}
        self._turns: deque[str] = deque()  # accounts with waiters, in turn order
        # the lane's own threads: exactly as many as may run, outside the shared pool
        self._threads = ThreadPoolExecutor(workers, thread_name_prefix="flowthings-heavy")

    @property
    def running(self) -> int:
        """Jobs running now."""
        return len(self._running)

    def waiting(self, account: str) -> int:
        """Jobs of ``account`` waiting for their turn."""
        return len(self._waiting.get(account, ()))

    async def run(self, account: str, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn(*args)`` in a worker thread once it is ``account``'s turn.

        Raises:
            PlatformError: 429 when ``account`` already has ``queue`` jobs waiting.
        """
        await self._acquire(account)
        try:
            # a cancelled caller frees its turn at once; the executor's thread count
            # still bounds what runs, the abandoned job finishing first
            return await asyncio.get_running_loop().run_in_executor(self._threads, fn, *args)
        finally:
            self._release(account)

    def _release(self, account: str) -> None:
        self._running.discard(account)
        if account in self._turns:  # it just had its turn: the others go first
            self._turns.remove(account)
            self._turns.append(account)
        self._grant()

    async def _acquire(self, account: str) -> None:
        if account not in self._running and len(self._running) < self.workers:
            self._running.add(account)  # free: no turn to wait for
            return
        waiters = self._waiting.setdefault(account, deque())
        if len(waiters) >= self.queue:
            if not waiters:
                del self._waiting[account]
            raise too_many_requests(
                f"Too many large requests of this account in progress (at most {self.queue}"
                " waiting); retry later"
            )
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters.append(turn)
        if account not in self._turns:
            self._turns.append(account)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release(account)  # granted as the caller left: hand the turn on
            else:
                self._forget(account, turn)
            raise

    def _forget(self, account: str, turn: asyncio.Future[None]) -> None:
        waiters = self._waiting.get(account)
        if waiters is not None and turn in waiters:
            waiters.remove(turn)
            if not waiters:
                del self._waiting[account]
                self._turns.remove(account)

    def _grant(self) -> None:
        """Start waiting jobs while there is room: the next account in turn first."""
        for _ in range(len(self._turns)):
            if len(self._running) >= self.workers:
                return
            account = self._turns.popleft()
            if account in self._running:
                self._turns.append(account)  # its running job comes first
                continue
            waiters = self._waiting[account]
            turn = waiters.popleft()
            if waiters:
                self._turns.append(account)
            else:
                del self._waiting[account]
            self._running.add(account)
            turn.set_result(None)


_lanes: weakref.WeakKeyDictionary[Platform, HeavyLane] = weakref.WeakKeyDictionary()


def lane_of(platform: Platform) -> HeavyLane:
    """The heavy lane of ``platform`` (one per platform, shared by REST and WebSocket)."""
    lane = _lanes.get(platform)
    if lane is None:
        lane = _lanes[platform] = HeavyLane()
    return lane
