"""End-to-end tests of tracks through the SDK against the running local platform."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from flowthings.local.testing import LocalPlatform

API = Any


@pytest.fixture
def a(flowthings_api: API) -> str:
    name: str = flowthings_api.creds.account
    return name


def flows(api: API, a: str, *names: str) -> list[dict[str, Any]]:
    return [api.flow.create({"path": f"/{a}/{n}"}) for n in names]


def elems(api: API, flow: dict[str, Any]) -> list[dict[str, Any]]:
    """Plain elements of the flow's drops, oldest first."""
    drops = api.drop(flow["id"]).find(hints=0, order="asc", sort="creationDate")
    return [d["elems"] for d in drops]


def test_filter_gates_what_reaches_the_destination(flowthings_api: API, a: str) -> None:
    src, dst = flows(flowthings_api, a, "src", "dst")
    flowthings_api.track.create(
        {"source": src["path"], "destination": dst["path"], "filter": "elems.t > 20"}
    )
    for t in (10, 25, 30, 5):
        flowthings_api.drop(src["id"]).create({"elems": {"t": t}})
    assert elems(flowthings_api, dst) == [{"t": 25}, {"t": 30}]
    tracked = flowthings_api.drop(dst["id"]).find(hints=0)
    assert all(d["flowId"] == dst["id"] and d["path"] == dst["path"] for d in tracked)


def test_js_transform_sees_typed_input(flowthings_api: API, a: str) -> None:
    src, dst = flows(flowthings_api, a, "src", "dst")
    js = (
        "function (input) { return {elems: {x2: input.elems.x.value * 2, t: input.elems.x.type}}; }"
    )
    flowthings_api.track.create({"source": src["path"], "destination": dst["path"], "js": js})
    flowthings_api.drop(src["id"]).create({"elems": {"x": 21}})
    assert elems(flowthings_api, dst) == [{"x2": 42, "t": "integer"}]


def test_destination_list_and_returned_map(flowthings_api: API, a: str) -> None:
    src, d1, d2, d3 = flows(flowthings_api, a, "src", "d1", "d2", "d3")
    flowthings_api.track.create({"source": src["path"], "destination": [d1["path"], d2["path"]]})
    js = (
        f"function (i) {{ return {{'{d3['path']}': [{{elems: {{n: 1}}}}, {{elems: {{n: 2}}}}]}}; }}"
    )
    flowthings_api.track.create({"source": src["path"], "js": js})
    flowthings_api.drop(src["id"]).create({"elems": {"k": "v"}})
    assert elems(flowthings_api, d1) == [{"k": "v"}]
    assert elems(flowthings_api, d2) == [{"k": "v"}]
    assert elems(flowthings_api, d3) == [{"n": 1}, {"n": 2}]


def test_chains_follow_and_loops_are_cut(flowthings_api: API, a: str) -> None:
    x, y, z = flows(flowthings_api, a, "x", "y", "z")
    for s, d in ((x, y), (y, z), (z, x)):  # a cycle x -> y -> z -> x
        flowthings_api.track.create({"source": s["path"], "destination": d["path"]})
    flowthings_api.drop(x["id"]).create({"elems": {"n": 1}})
    # each track passed once: x (original + one loop back), y, z
    assert len(elems(flowthings_api, x)) == 2
    assert len(elems(flowthings_api, y)) == 1
    assert len(elems(flowthings_api, z)) == 1


def test_disabled_track_and_failing_js_forward_nothing(flowthings_api: API, a: str) -> None:
    src, d1, d2 = flows(flowthings_api, a, "src", "d1", "d2")
    flowthings_api.track.create(
        {"source": src["path"], "destination": d1["path"], "disabled": True}
    )
    flowthings_api.track.create(
        {"source": src["path"], "destination": d2["path"], "js": "function (i) { throw 'x'; }"}
    )
    created = flowthings_api.drop(src["id"]).create({"elems": {"n": 1}})
    assert created["elems"]["n"] in (1, {"type": "integer", "value": 1})
    assert elems(flowthings_api, d1) == []
    assert elems(flowthings_api, d2) == []
    assert len(elems(flowthings_api, src)) == 1


def test_destination_filter_and_missing_flow_reject_silently(flowthings_api: API, a: str) -> None:
    src = flowthings_api.flow.create({"path": f"/{a}/src"})
    dst = flowthings_api.flow.create({"path": f"/{a}/dst", "filter": "elems.ok == true"})
    flowthings_api.track.create({"source": src["path"], "destination": dst["path"]})
    flowthings_api.track.create({"source": src["path"], "destination": f"/{a}/nowhere"})
    flowthings_api.drop(src["id"]).create({"elems": {"ok": False}})
    flowthings_api.drop(src["id"]).create({"elems": {"ok": True}})
    assert elems(flowthings_api, dst) == [{"ok": True}]


def test_tracked_drops_are_counted(flowthings_api: API, a: str) -> None:
    src, dst = flows(flowthings_api, a, "src", "dst")
    track = flowthings_api.track.create(
        {"source": src["path"], "destination": dst["path"], "filter": "elems.n > 1"}
    )
    for n in range(4):
        flowthings_api.drop(src["id"]).create({"elems": {"n": n}})
    stats = flowthings_api.statistics
    assert sum(stats.track_hit(track["id"], level="YEAR")) == 4
    assert sum(stats.track_pass(track["id"], level="YEAR")) == 2
    assert sum(stats.flow_tracked(dst["id"], level="YEAR")) == 2
    assert sum(stats.flow_drop_added(dst["id"], level="YEAR")) == 2
    assert sum(stats.flow_drop_added(src["id"], level="YEAR")) == 4
    assert sum(stats.flow_tracked(src["id"], level="YEAR")) == 0


def simulate(lp: LocalPlatform, creds: Any, body: Any) -> httpx.Response:
    headers = {"X-Auth-Token": creds.token, "X-Auth-Account": creds.account}
    return httpx.post(lp.url("/track/simulate", account=creds.account), json=body, headers=headers)


def test_simulate_endpoint(flowthings_platform: LocalPlatform) -> None:
    creds = flowthings_platform.new_account()
    js = "function (d) { console.log('got', d.elems.a.value); d.elems.b = 2; return d; }"
    r = simulate(flowthings_platform, creds, {"drop": {"elems": {"a": 1}}, "js": js})
    assert r.status_code == 200, r.text
    body = r.json()["body"]
    if not body["drops"] and "timed out" in str(body["log"]):
        # a call has 200 ms of wall clock: a loaded machine (a full suite on 2 cores)
        # once took longer; the output is what this test is about, so once more
        r = simulate(flowthings_platform, creds, {"drop": {"elems": {"a": 1}}, "js": js})
        body = r.json()["body"]
    assert body["drops"] == [{"elems": {"a": 1, "b": 2}}], body["log"]  # the log says why
    assert body["log"] == [{"line_no": 1, "level": "log", "message": "got 1"}]

    failing = simulate(
        flowthings_platform, creds, {"drop": {"elems": {}}, "js": "function (d) {\n null.x; }"}
    )
    assert failing.status_code == 200
    assert failing.json()["body"]["drops"] == []
    assert failing.json()["body"]["log"][-1]["level"] == "error"

    assert simulate(flowthings_platform, creds, {"js": js}).status_code == 400
    assert simulate(flowthings_platform, creds, {"drop": {"elems": {}}}).status_code == 400
    other = flowthings_platform.new_account()
    stranger = type(creds)(creds.account, other.token)
    assert (
        simulate(flowthings_platform, stranger, {"drop": {"elems": {}}, "js": js}).status_code
        == 403
    )
