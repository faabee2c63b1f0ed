"""One tenant's big query must not stall the others (every route, not only tracks).

``MGET``/``MPUT`` and finds that evaluate a filter or sort on every object
run off the event loop; a multi-flow find holds at most 100 flows.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from flowthings.local.core.calls import Call
from flowthings.local.core.dispatch import MAX_MULTI_FIND
from flowthings.local.http.app import _may_block

from .conftest import World


def test_multi_find_is_capped(w: World) -> None:
    fid = w.flows["shared"]["id"]
    body = [{"flowId": fid}] * (MAX_MULTI_FIND + 1)
    r = w.alice.call("MGET", "/drop", body)
    assert r.status == 400
    assert str(MAX_MULTI_FIND) in r.errors[0]
    assert w.alice.call("MGET", "/drop", body[:MAX_MULTI_FIND]).status == 200


@pytest.mark.parametrize(
    ("method", "segments", "params", "expected"),
    [
        ("MGET", ["drop"], {}, True),
        ("MGET", ["flow"], {}, True),
        ("MPUT", ["drop", "f1"], {}, True),
        ("GET", ["drop", "f1"], {"filter": "x > 1"}, True),
        ("GET", ["drop", "f1"], {"sort": "elems.x"}, True),
        ("GET", ["flow"], {"filter": "x > 1"}, True),
        ("GET", ["drop", "f1"], {}, False),
        ("GET", ["drop", "f1", "d1"], {"filter": "x"}, False),
    ],
)
def test_heavy_calls_leave_the_event_loop(
    w: World, method: str, segments: list[str], params: dict[str, str], expected: bool
) -> None:
    call = Call(method, "0.1", w.alice.account, segments, params)
    assert _may_block(w.lp.platform, call) is expected


def test_others_are_answered_while_a_big_multi_find_runs(w: World) -> None:
    a = w.alice.account
    fid = w.flows["private"]["id"]
    drops = [
        {"id": f"d{i:024d}", "elems": {"x": i, "s": "y" * 50}, "creationDate": i, "path": f"/{a}/p"}
        for i in range(1000)
    ]
    w.lp.platform.store.insert_drops(a, fid, drops)
    body = json.dumps([{"flowId": fid, "params": {"limit": 1000}}] * MAX_MULTI_FIND).encode()
    done: list[float] = []

    def heavy() -> None:
        w.alice.call("MGET", "/drop", raw=body)
        done.append(time.monotonic())

    t = threading.Thread(target=heavy)
    t.start()
    time.sleep(0.2)  # the heavy request is being served
    answered = []
    for _ in range(3):
        assert w.carol.call("GET", "/flow").status == 200
        answered.append(time.monotonic())
    t.join(60)
    assert done, "the heavy request did not finish"
    # the other tenant was served meanwhile, not after the heavy request
    assert answered[-1] < done[0]


@pytest.fixture
def w(world: World) -> World:
    return world


@pytest.mark.parametrize("target", ["drops", "flows"])
def test_mput_is_capped(w: World, target: str) -> None:
    from flowthings.local.core.resources import MAX_MPUT

    fid = w.flows["shared"]["id"]
    path = f"/drop/{fid}" if target == "drops" else "/flow"
    body = {f"x{i}": {"elems": {}} for i in range(MAX_MPUT + 1)}
    r = w.alice.call("MPUT", path, body)
    assert r.status == 400
    assert str(MAX_MPUT) in r.errors[0]
