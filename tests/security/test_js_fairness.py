"""Red-team F8: the track-JS worker pool is fair across accounts.

Two accounts keeping every worker busy (runaway ``while(true){}`` simulates)
made a third account's simulate wait behind their queued calls. A freed
worker now goes to the waiting account that holds the fewest workers: the
third account's call runs before calls of the busy accounts that queued
earlier. Checked by counting grants (no wall-clock bounds).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from flowthings.local.tracks import js_pool
from flowthings.local.tracks.js_pool import WorkerPool

from .conftest import World


class _FakeWorker:
    def __init__(self) -> None:
        self.retired = False

    def alive(self) -> bool:
        return True

    def kill(self) -> None:
        self.retired = True


@pytest.fixture
def fake_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(js_pool, "_Worker", _FakeWorker)


def _wait_until(cond: Any, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def _wait_waiting(pool: WorkerPool, n: int) -> None:
    _wait_until(lambda: len(pool._waiting) == n)


def test_a_freed_worker_goes_to_the_account_holding_fewest(fake_workers: None) -> None:
    pool = WorkerPool(4)
    order: list[str] = []
    done = threading.Event()
    # alice and bob hold every worker (2 each)
    held = [pool.worker(account) for account in ("alice", "alice", "bob", "bob")]
    for cm in held:
        cm.__enter__()

    def call(account: str) -> None:
        with pool.worker(account):
            order.append(account)
            done.wait(10)

    threads = []
    # alice and bob queue more calls, then carol arrives last
    for account in ("alice", "bob", "alice", "bob", "carol"):
        t = threading.Thread(target=call, args=(account,))
        t.start()
        threads.append(t)
        _wait_waiting(pool, len(threads))  # queued in this order
    held[0].__exit__(None, None, None)  # alice frees one: carol (holding none) gets it
    _wait_until(lambda: len(order) == 1)
    assert order == ["carol"]
    held[2].__exit__(None, None, None)  # bob frees one: alice and bob hold 1, carol 1
    _wait_until(lambda: len(order) == 2)
    assert order == ["carol", "alice"]  # the oldest call among those holding the fewest
    held[1].__exit__(None, None, None)
    _wait_until(lambda: len(order) == 3)
    assert order == ["carol", "alice", "bob"]
    held[3].__exit__(None, None, None)
    done.set()
    for t in threads:
        t.join(10)
    assert sorted(order) == ["alice", "alice", "bob", "bob", "carol"]
    assert pool.busy("alice") == pool.busy("bob") == pool.busy("carol") == 0


@pytest.fixture
def pool_log(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record, for each grant, the account and how many calls were waiting."""
    log: list[tuple[str, int]] = []
    real = WorkerPool.worker

    def worker(self: WorkerPool, account: str = "") -> Any:
        cm = real(self, account)

        class _Logged:
            def __enter__(self_inner) -> Any:
                w = cm.__enter__()
                log.append((account, len(self._waiting)))
                return w

            def __exit__(self_inner, *exc: Any) -> Any:
                return cm.__exit__(*exc)

        return _Logged()

    monkeypatch.setattr(WorkerPool, "worker", worker)
    return log


def test_three_accounts_over_loopback(world: World, pool_log: list[tuple[str, int]]) -> None:
    pytest.importorskip("py_mini_racer")
    spin = {"drop": {"elems": {"x": 1}}, "js": "function (d) { while (true) {} }"}
    quick = {"drop": {"elems": {"x": 1}}, "js": "function (d) { return d; }"}
    stop = threading.Event()
    attackers = (world.alice, world.bob)

    def flood(actor: Any) -> None:
        http = actor.http
        while not stop.is_set():
            http.post(
                f"/v0.1/{actor.account}/track/simulate",
                json=spin,
                headers={"X-Auth-Token": actor.token},
            )

    threads = [threading.Thread(target=flood, args=(a,)) for a in attackers for _ in range(3)]
    # one client per thread (httpx clients are thread-safe, but keep them apart)
    for t in threads:
        t.start()
    try:
        _wait_until(lambda: sum(1 for acc, _ in pool_log if acc != world.carol.account) >= 4, 60)
        for _ in range(3):
            out = world.carol.ok("POST", "/track/simulate", quick)
            assert len(out["drops"]) == 1
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    carol = [waiting for acc, waiting in pool_log if acc == world.carol.account]
    assert len(carol) == 3
