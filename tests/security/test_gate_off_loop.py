"""Red-team F1: a flow filter's regexes must not run on the event loop.

Every drop written to a flow is gated by the flow's ``filter``. A POST of a
drop (in an account without tracks) and every drop PUT used to run on the
event loop, so a costly regex (up to its 1 s budget) stalled every tenant.
Such writes now run in the threadpool; a write to a flow without a filter
stays on the loop (a thread hop would cost more than the write).
"""

from __future__ import annotations

import random
import threading

import httpx
import pytest

from flowthings.local.core.calls import Call
from flowthings.local.http.app import _may_block

from ._latency import assert_not_stalled, latencies
from .conftest import World

HOSTILE = " || ".join(["elems.s =~ /[ab]*a[ab]{20}[ab]*c/"] * 8)  # DFA-hostile, valid RE2


def test_gated_drop_writes_leave_the_event_loop(world: World) -> None:
    w, a = world, world.alice.account
    plain = w.flows["shared"]
    gated = w.alice.ok("POST", "/flow", {"path": w.path("gated"), "filter": "elems.n > 1"})
    platform = w.lp.platform

    def blocks(method: str, segments: list[str], body: object = None) -> bool:
        return _may_block(platform, Call(method, "0.1", a, segments, {}, body))

    assert blocks("POST", ["drop", gated["id"]], {"elems": {"n": 2}})
    assert blocks("POST", ["drop"], {"path": gated["path"], "elems": {"n": 2}})
    assert blocks("PUT", ["drop", plain["id"], "d1"], {"elems": {"n": 2}})
    assert blocks("PUT", ["flow", plain["id"]], {"filter": "elems.n > 2"})
    assert blocks("POST", ["flow"], {"path": w.path("x"), "filter": "elems.n > 2"})
    # no filter, no tracks: the write stays on the loop
    assert not blocks("POST", ["drop", plain["id"]], {"elems": {"n": 2}})
    assert not blocks("POST", ["drop"], {"path": plain["path"], "elems": {"n": 2}})
    assert not blocks("PUT", ["flow", plain["id"]], {"description": "d"})


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_costly_flow_filter_does_not_stall_other_tenants(world: World, method: str) -> None:
    w = world
    fid = w.alice.ok("POST", "/flow", {"path": w.path("gated")})["id"]
    did = w.alice.ok("POST", f"/drop/{fid}", {"elems": {"s": "c"}})["id"]
    w.alice.ok("PUT", f"/flow/{fid}", {"filter": HOSTILE})
    rnd = random.Random(7)
    text = "".join(rnd.choice("ab") for _ in range(200_000))
    body = {"elems": {"s": text}}
    url = f"/drop/{fid}" if method == "POST" else f"/drop/{fid}/{did}"
    stop = threading.Event()
    statuses: list[int] = []

    def attack() -> None:
        while not stop.is_set():
            statuses.append(w.alice.call(method, url, body).status)

    carol = httpx.Client(
        base_url=w.lp.base_url, headers={"X-Auth-Token": w.carol.token}, timeout=30
    )
    t = threading.Thread(target=attack)
    t.start()
    try:
        measured = latencies(carol, n=10, path=f"/v0.1/{w.carol.account}/flow")
    finally:
        stop.set()
        t.join(60)
        carol.close()
    assert statuses
    assert set(statuses) == {400}  # refused by the filter
    assert_not_stalled(measured)
