"""Red-team F3: an answer is at most ``MAX_RESPONSE`` (16 MiB) of JSON; a bigger
one is a 400 that names ``limit``/``only`` (never a gigabyte built in memory),
and big answers are encoded off the event loop.
"""

from __future__ import annotations

import pytest

from flowthings.local.base.encode import MAX_RESPONSE

from .conftest import World

BIG = "a" * (1_000_000)


@pytest.fixture
def w(world: World) -> World:
    return world


@pytest.fixture
def big_flow(w: World) -> str:
    fid: str = w.alice.ok("POST", "/flow", {"path": w.path("bigread"), "capacity": 100})["id"]
    for _ in range(MAX_RESPONSE // len(BIG) + 1):
        w.alice.ok("POST", f"/drop/{fid}", {"elems": {"s": BIG}})
    return fid


def test_a_too_large_answer_is_a_400_naming_limit(w: World, big_flow: str) -> None:
    r = w.alice.call("GET", f"/drop/{big_flow}", params={"limit": 1000})
    assert r.status == 400, r.status
    assert "'limit'" in " ".join(r.errors), r.errors
    m = w.alice.call("MGET", "/drop", [{"flowId": big_flow, "params": {"limit": 1000}}])
    assert m.status == 400, m.status
    # asking for less works
    few = w.alice.ok("GET", f"/drop/{big_flow}", params={"limit": 3})
    assert len(few) == 3
    assert all(d["elems"]["s"]["value"] == BIG for d in few)


def test_a_too_large_websocket_answer_is_a_400_reply(w: World, big_flow: str) -> None:
    ws = w.alice.socket()
    try:
        reply = ws.request(
            {"type": "findmany", "object": "drop", "flowId": big_flow, "options": {"limit": 1000}},
            "big",
        )
        assert reply["head"]["status"] == 400, reply["head"]
        assert reply["head"]["msgId"] == "big"
        few = ws.request(
            {"type": "findmany", "object": "drop", "flowId": big_flow, "options": {"limit": 2}}
        )
        assert few["head"]["status"] == 200
        assert len(few["body"]) == 2
    finally:
        ws.close()
