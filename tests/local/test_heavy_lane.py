"""The heavy lane: CPU-heavy jobs run a few at a time, one per account, accounts in turn."""

from __future__ import annotations

import asyncio
import threading

import pytest

from flowthings.local.base.envelope import PlatformError
from flowthings.local.core.heavy_lane import HeavyLane


class Gate:
    """Jobs that record when they start and block until released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release = threading.Event()
        self._lock = threading.Lock()

    def job(self, name: str) -> str:
        with self._lock:
            self.started.append(name)
        assert self.release.wait(10)
        return name


async def _until(cond: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.005)


def test_one_job_per_account_and_accounts_take_turns() -> None:
    async def main() -> list[str]:
        lane, gate = HeavyLane(workers=1, queue=8), Gate()
        first = asyncio.create_task(lane.run("a", gate.job, "a1"))
        await _until(lambda: gate.started == ["a1"])
        # a queues three jobs before b queues its two: still b goes second
        tasks = [asyncio.create_task(lane.run("a", gate.job, f"a{i}")) for i in (2, 3, 4)]
        await asyncio.sleep(0)
        tasks += [asyncio.create_task(lane.run("b", gate.job, f"b{i}")) for i in (1, 2)]
        await asyncio.sleep(0)
        assert lane.waiting("a") == 3
        assert lane.waiting("b") == 2
        gate.release.set()
        results = await asyncio.gather(first, *tasks)
        assert sorted(results) == sorted(["a1", "a2", "a3", "a4", "b1", "b2"])
        return gate.started

    assert asyncio.run(main()) == ["a1", "b1", "a2", "b2", "a3", "a4"]


def test_two_workers_never_run_two_jobs_of_one_account() -> None:
    async def main() -> None:
        lane, gate = HeavyLane(workers=2, queue=8), Gate()
        tasks = [asyncio.create_task(lane.run("a", gate.job, f"a{i}")) for i in range(3)]
        await _until(lambda: len(gate.started) == 1)
        await asyncio.sleep(0.05)
        assert gate.started == ["a0"]
        assert lane.running == 1
        other = asyncio.create_task(lane.run("b", gate.job, "b0"))
        await _until(lambda: "b0" in gate.started)
        assert lane.running == 2
        gate.release.set()
        await asyncio.gather(*tasks, other)
        assert lane.running == 0

    asyncio.run(main())


def test_an_account_over_its_queue_gets_429_and_others_still_run() -> None:
    async def main() -> None:
        lane, gate = HeavyLane(workers=1, queue=2), Gate()
        tasks = [asyncio.create_task(lane.run("a", gate.job, f"a{i}")) for i in range(3)]
        await _until(lambda: gate.started == ["a0"] and lane.waiting("a") == 2)
        with pytest.raises(PlatformError) as refused:
            await lane.run("a", gate.job, "a3")
        assert refused.value.status == 429
        assert refused.value.retry_after == 1
        assert "at most 2 waiting" in refused.value.errors[0]
        other = asyncio.create_task(lane.run("b", gate.job, "b0"))
        gate.release.set()
        await asyncio.gather(*tasks, other)
        assert "a3" not in gate.started
        assert "b0" in gate.started

    asyncio.run(main())


def test_a_cancelled_waiter_leaves_the_queue_and_errors_free_the_slot() -> None:
    def boom() -> None:
        raise ValueError("job failed")

    async def main() -> None:
        lane, gate = HeavyLane(workers=1, queue=4), Gate()
        running = asyncio.create_task(lane.run("a", gate.job, "a0"))
        await _until(lambda: gate.started == ["a0"])
        waiter = asyncio.create_task(lane.run("b", gate.job, "b0"))
        await asyncio.sleep(0)
        assert lane.waiting("b") == 1
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert lane.waiting("b") == 0
        gate.release.set()
        await running
        with pytest.raises(ValueError, match="job failed"):
            await lane.run("c", boom)
        assert lane.running == 0
        assert await lane.run("c", gate.job, "c0") == "c0"
        assert "b0" not in gate.started

    asyncio.run(main())


def test_a_lane_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        HeavyLane(workers=0)
