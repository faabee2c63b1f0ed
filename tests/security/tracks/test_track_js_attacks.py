"""Track JS cannot break the host: serialization, output validation, memory, fairness."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from flowthings.local.testing import LocalPlatform
from flowthings.local.tracks.js import TrackError, validate_track_output

from .._latency import assert_not_stalled, latencies
from .conftest import Actor

pytest.importorskip("py_mini_racer")


@pytest.fixture
def owner(flowthings_platform: LocalPlatform) -> Any:
    creds = flowthings_platform.new_account()
    actor = Actor(flowthings_platform, creds.account, creds.token)
    yield actor
    actor.http.close()


def _simulate(actor: Actor, js: str, elems: dict[str, Any] | None = None) -> httpx.Response:
    return actor.http.post("/track/simulate", json={"drop": {"elems": elems or {}}, "js": js})


HOSTILE_GLOBALS = [
    "JSON.stringify = function () { return '{\"result\": NaN}'; };",
    "JSON.stringify = function () { return 'not json'; };",
    "JSON.stringify = function () { return '[]'; };",
    "JSON.stringify = function () { throw new Error('no'); };",
    "Array.prototype.push = function () { throw new Error('no'); };",
    "Array.prototype.join = function () { return 1; };",
    "RegExp.prototype.exec = function () { throw new Error('no'); };",
    "String = function () { throw new Error('no'); };",
    "Reflect.apply = function () { throw new Error('no'); };",
]


@pytest.mark.parametrize("hostile", HOSTILE_GLOBALS)
def test_replaced_builtins_do_not_change_the_serialized_result(owner: Actor, hostile: str) -> None:
    js = f"function (d) {{ {hostile} console.log('hi', {{a: 1}}); d.elems.v = 2; return d; }}"
    r = _simulate(owner, js, {"v": 1})
    assert r.status_code == 200, r.text
    body = r.json()["body"]
    assert body["drops"] == [{"elems": {"v": 2}}]
    assert body["log"][0]["message"] == 'hi {"a":1}'


CRAFTED = [
    "function (d) { return {elems: {x: {toJSON: function () { return NaN; }}}}; }",
    "function (d) { Object.prototype.toJSON = function () { return 'x'; }; return d; }",
    "function (d) { Array.prototype.toJSON = function () { return [{level: 5}]; };"
    " console.log(1); return d; }",
    "function (d) { return {elems: {s: '\\ud800'}}; }",
    "function (d) { var o = {}; for (var i = 0; i < 200; i++) o = {o: o}; return {elems: o}; }",
    "function (d) { return {elems: {get x() { throw new Error('getter'); }}}; }",
    "function (d) { var o = {elems: {}}; o.elems.self = o; return o; }",
]


@pytest.mark.parametrize("case", range(len(CRAFTED)))
def test_crafted_results_never_answer_500(owner: Actor, case: int) -> None:
    js = CRAFTED[case]
    r = _simulate(owner, js)
    assert r.status_code == 200, r.text
    flow = owner.flow(f"/t{case}")
    dest = owner.flow(f"/t{case}/out")
    owner.ok("POST", "/track", {"source": flow["path"], "destination": dest["path"], "js": js})
    assert owner.http.post(f"/drop/{flow['id']}", json={"elems": {"a": 1}}).status_code == 201
    # whatever the track did, reading what it wrote works (nothing non-JSON was stored)
    assert owner.http.get(f"/drop/{dest['id']}").status_code == 200
    assert owner.http.get("/flow").status_code == 200


def test_validate_track_output_is_strict() -> None:
    for raw in ('{"result": NaN}', '{"result": Infinity}', '{"result": 1e999}', "[]", "nope"):
        with pytest.raises(TrackError):
            validate_track_output(raw)
    value, log, error, _ = validate_track_output(
        '{"result": {"elems": {}}, "log": [{"level": 5, "message": 7, "line_no": true}, 3]}'
    )
    assert value == {"elems": {}}
    assert error is None
    assert log == [{"line_no": None, "level": "log", "message": "7"}]


@pytest.mark.parametrize(
    "alloc",
    [
        "new Uint8Array(512 * 1024 * 1024)",
        "new ArrayBuffer(2 ** 31)",
        "new Float64Array(64 * 1024 * 1024)",
        "new SharedArrayBuffer(512 * 1024 * 1024)",
        "new Uint8Array(160 * 1024 * 1024).fill(1)",
        "(function () { var l = []; for (var i = 0; i < 40; i++)"
        " l.push(new Uint8Array(8 * 1024 * 1024).fill(1)); return l; })()",
    ],
)
def test_array_buffers_are_bounded(owner: Actor, alloc: str) -> None:
    js = f"function (d) {{ var a = {alloc}; return {{elems: {{n: a.length || 1}}}}; }}"
    r = _simulate(owner, js)
    assert r.status_code == 200, r.text
    body = r.json()["body"]
    assert body["drops"] == []
    assert body["log"][-1]["level"] == "error"
    # the sandbox still works afterwards
    ok = _simulate(owner, "function (d) { return {elems: {n: new Uint8Array(1024).length}}; }")
    assert ok.json()["body"]["drops"] == [{"elems": {"n": 1024}}]


def test_runaway_tracks_of_one_account_do_not_delay_others(
    flowthings_platform: LocalPlatform, owner: Actor
) -> None:
    other_creds = flowthings_platform.new_account()
    other = Actor(flowthings_platform, other_creds.account, other_creds.token)
    statuses: list[int] = []
    retry_after: list[str | None] = []
    lock = threading.Lock()
    start = threading.Barrier(61)

    def flood() -> None:
        with httpx.Client(
            base_url=owner.http.base_url, headers={"X-Auth-Token": owner.token}, timeout=60
        ) as c:
            start.wait()
            r = c.post(
                "/track/simulate",
                json={"drop": {"elems": {}}, "js": "function (d) { while (true) {} }"},
            )
            with lock:
                statuses.append(r.status_code)
                retry_after.append(r.headers.get("retry-after"))

    threads = [threading.Thread(target=flood) for _ in range(60)]
    for t in threads:
        t.start()
    start.wait()
    try:
        time.sleep(0.05)
        measured = latencies(other.http)
        t0 = time.monotonic()
        r = _simulate(other, "function (d) { return {elems: {ok: true}}; }")
        other_simulate = time.monotonic() - t0
        assert r.json()["body"]["drops"] == [{"elems": {"ok": True}}]
    finally:
        for t in threads:
            t.join()
        other.http.close()
    assert_not_stalled(measured)
    assert other_simulate < 5.0, other_simulate  # serialised, it waited behind 60 x 200 ms
    # the flood was throttled: refusals are 429s with Retry-After, the rest ran (failed runs)
    assert set(statuses) <= {200, 429}
    assert statuses.count(429) >= 10  # at most 2 run and 8 wait at any time
    assert all(ra == "1" for s, ra in zip(statuses, retry_after, strict=True) if s == 429)


def test_simulate_fan_out_is_capped(owner: Actor) -> None:
    js = "function (d) { var o = []; for (var i = 0; i < 1000; i++) o.push({elems: {}}); return o; }"
    r = _simulate(owner, js)
    assert r.status_code == 200, r.text
    body = r.json()["body"]
    assert body["drops"] == []
    assert "more than 100 drops" in body["log"][-1]["message"]


def test_a_worker_that_overruns_its_deadline_is_killed_and_replaced() -> None:
    from flowthings.local.tracks.js import _PRELUDE, JsSandbox
    from flowthings.local.tracks.js_pool import WorkerDied, pool

    request = {
        "prelude": _PRELUDE.replace("_MAX_LOG__", "99"),
        "js": "function (d) { while (true) {} }",
        "payload": '{"elems": {}}',
        "timeout_ms": 30_000,  # V8 would let it run: the pool's deadline must stop it
        "memory": 16 * 1024 * 1024,
        "max_output": 1024,
    }
    start = time.monotonic()
    with pool().worker() as worker, pytest.raises(WorkerDied, match="in time"):
        worker.call(request, time.monotonic() + 0.3)
    assert time.monotonic() - start < 5.0
    assert worker.proc.poll() is not None  # killed, not left spinning
    with JsSandbox() as box:
        assert box.run("function (d) { return 1; }", {"elems": {}}).value == 1
