"""WebSocket pushes of track-produced drops, and WS sessions of tokens and shares."""

from __future__ import annotations

import json
import queue
import time
from typing import Any

import httpx
import pytest
import websocket  # websocket-client

from flowthings import FlowThingsNotFound, Token
from flowthings.local.testing import LocalPlatform

API = Any
WAIT = 10.0


def _barrier(ws: Any) -> None:
    """Wait for a round trip on ``ws``.

    The server queues a push on the connection while the write that caused it
    is still running, and the client reads frames in order, so once the reply
    to a request sent afterwards has arrived, every push due for the earlier
    writes has been delivered: "nothing more came" is then a fact, not a guess
    made after a sleep. The reply may be an error (a revoked token).
    """
    ws.send({"type": "findmany", "object": "flow"}).exception(timeout=WAIT)


def _collect(api: API, flow_id: str) -> tuple[Any, queue.Queue[tuple[str, Any]]]:
    got: queue.Queue[tuple[str, Any]] = queue.Queue()
    ws = api.websocket.connect(
        on_message=lambda _ws, resource, data: got.put((resource, data)),
        heartbeat_interval=None,
        reconnect=False,
    )
    ws.run_in_thread()
    assert ws.wait_open(WAIT)
    ws.subscribe(flow_id).result(timeout=WAIT)
    return ws, got


def _drain(
    got: queue.Queue[tuple[str, Any]], n: int, timeout: float = WAIT
) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        try:
            out.append(got.get(timeout=max(0.01, deadline - time.monotonic())))
        except queue.Empty:
            break
    return out


def test_track_produced_drops_are_pushed_once_in_order(flowthings_api: API) -> None:
    a = flowthings_api.creds.account
    src = flowthings_api.flow.create({"path": f"/{a}/src"})
    dst = flowthings_api.flow.create({"path": f"/{a}/dst"})
    js = "function (d) { return {elems: {n: d.elems.n.value, double: d.elems.n.value * 2}}; }"
    flowthings_api.track.create({"source": src["path"], "destination": dst["path"], "js": js})
    ws, got = _collect(flowthings_api, dst["id"])
    try:
        for n in range(5):
            flowthings_api.drop(src["id"]).create({"elems": {"n": n}})
        flowthings_api.drop(dst["id"]).create({"elems": {"n": 99, "double": 0}})  # a REST write
        pushed = _drain(got, 6)
        _barrier(ws)
        assert got.empty()  # nothing pushed twice
    finally:
        ws.close()
    assert [r for r, _ in pushed] == [dst["id"]] * 6
    values = [d["elems"]["n"] for _, d in pushed]
    assert [v["value"] if isinstance(v, dict) else v for v in values] == [0, 1, 2, 3, 4, 99]
    stored = flowthings_api.drop(dst["id"]).find(hints=0, order="asc", sort="creationDate")
    assert [d["id"] for d in stored] == [d["id"] for _, d in pushed]


def test_raw_socket_receives_tracked_drop(flowthings_platform: LocalPlatform) -> None:
    creds = flowthings_platform.new_account()
    a = creds.account
    with flowthings_platform.api_for(creds) as api:
        src = api.flow.create({"path": f"/{a}/in"})
        dst = api.flow.create({"path": f"/{a}/out", "capacity": 0})
        api.track.create({"source": src["path"], "destination": dst["path"]})
        headers = {"X-Auth-Token": creds.token, "X-Auth-Account": a}
        r = httpx.post(f"{flowthings_platform.base_url}/session", headers=headers)
        assert r.status_code == 201, r.text
        sock = websocket.create_connection(
            f"ws://{flowthings_platform.ws_host}/session/{r.json()['body']['id']}/ws", timeout=WAIT
        )
        try:
            sock.send(json.dumps({"msgId": 1, "type": "subscribe", "flowId": dst["id"]}))
            assert json.loads(sock.recv())["head"]["status"] == 200
            api.drop(src["id"]).create({"elems": {"k": "v"}})
            push = json.loads(sock.recv())
        finally:
            sock.close()
    assert push["type"] == "message"
    assert push["resource"] == dst["id"]
    assert push["value"]["path"] == dst["path"]


def test_token_and_share_sessions(flowthings_platform: LocalPlatform) -> None:
    owner = flowthings_platform.new_account()
    bob = flowthings_platform.new_account()
    a = owner.account
    with flowthings_platform.api_for(owner) as api, flowthings_platform.api_for(bob) as bob_api:
        shared = api.flow.create({"path": f"/{a}/shared"})
        private = api.flow.create({"path": f"/{a}/private"})
        bob_id = bob_api.identity.find()[0]["id"]
        api.share.create({"issuedTo": bob_id, "paths": {shared["path"]: {"dropRead": True}}})
        tok = api.token.create({"paths": {shared["path"]: {"dropRead": True}}})
        for creds in (Token(a, bob.token), Token(a, tok["tokenString"])):
            with flowthings_platform.api_for(creds) as scoped:
                ws, got = _collect(scoped, shared["id"])
                try:
                    refused = ws.subscribe(private["id"])
                    with pytest.raises(FlowThingsNotFound):  # out of reach: like a missing flow
                        refused.result(timeout=WAIT)
                    api.drop(private["id"]).create({"elems": {"secret": True}})
                    api.drop(shared["id"]).create({"elems": {"ok": True}})
                    pushed = _drain(got, 1)
                    _barrier(ws)
                finally:
                    ws.close()
                assert [r for r, _ in pushed] == [shared["id"]]
                assert got.empty()


def test_revoked_token_subscription_stops_pushing(flowthings_platform: LocalPlatform) -> None:
    owner = flowthings_platform.new_account()
    with flowthings_platform.api_for(owner) as api:
        flow = api.flow.create({"path": f"/{owner.account}/f"})
        tok = api.token.create({"paths": {flow["path"]: {"dropRead": True}}})
        with flowthings_platform.api_for(Token(owner.account, tok["tokenString"])) as scoped:
            ws, got = _collect(scoped, flow["id"])
            try:
                api.token.delete(tok["id"])
                api.drop(flow["id"]).create({"elems": {"after": "revocation"}})
                _barrier(ws)
            finally:
                ws.close()
        assert got.empty()
