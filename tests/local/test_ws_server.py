"""End-to-end tests of the local platform's WebSocket sessions (real sockets).

The server side is driven with websocket-client's bare ``WebSocket`` so these
tests do not depend on the SDK's WebSocket client.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websocket

from flowthings.local.core.platform import Platform
from flowthings.local.http.server import bind, make_server
from flowthings.local.realtime.pubsub import Outbox, PubSubHub
from flowthings.local.realtime.ws import (
    SessionStore,
    WebSocketSettings,
    _Creds,
    hub_for,
    websocket_routes,
)

TOKEN = "T" * 32
TIMEOUT = 10.0


@dataclass
class Env:
    platform: Platform
    port: int
    http: httpx.Client

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def session(self) -> str:
        r = self.http.post("/session", headers={"X-Auth-Account": "alice", "X-Auth-Token": TOKEN})
        assert r.status_code == 201, r.text
        sid: str = r.json()["body"]["id"]
        return sid

    def connect(self, sid: str | None = None, **kw: Any) -> Any:
        url = f"ws://127.0.0.1:{self.port}/session/{sid or self.session()}/ws"
        return websocket.create_connection(url, timeout=TIMEOUT, suppress_origin=True, **kw)

    def flow(self, path: str) -> str:
        r = self.http.post("/v0.1/alice/flow", json={"path": path})
        assert r.status_code == 201, r.text
        fid: str = r.json()["body"]["id"]
        return fid

    def write(self, flow_id: str, elems: dict[str, Any]) -> dict[str, Any]:
        r = self.http.post(f"/v0.1/alice/drop/{flow_id}", json={"elems": elems})
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()["body"]
        return body


@contextmanager
def serve(settings: WebSocketSettings) -> Iterator[Env]:
    with Platform() as platform, _serving(platform, settings) as env:
        yield env


@contextmanager
def _serving(platform: Platform, settings: WebSocketSettings) -> Iterator[Env]:
    platform.create_account("alice", TOKEN)
    sock = bind()
    server = make_server(platform, routes=websocket_routes(platform, settings))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + TIMEOUT
    while not server.started:
        assert thread.is_alive()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    port = sock.getsockname()[1]
    headers = {"X-Auth-Account": "alice", "X-Auth-Token": TOKEN}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:
        try:
            yield Env(platform, port, http)
        finally:
            server.should_exit = True
            thread.join(TIMEOUT)
            sock.close()


@pytest.fixture
def env() -> Iterator[Env]:
    with serve(WebSocketSettings()) as e:
        yield e


def request(ws: Any, msg: dict[str, Any]) -> dict[str, Any]:
    """Send ``msg`` and return the next frame (the reply)."""
    ws.send(json.dumps(msg))
    return recv(ws)


def close(*sockets: Any) -> None:
    for ws in sockets:
        ws.close()
        ws.shutdown()  # close() skips the socket once the peer closed first


def recv(ws: Any) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(ws.recv())
    return frame


def subscribe(ws: Any, **target: str) -> None:
    reply = request(ws, {"msgId": "s", "type": "subscribe", "object": "drop", **target})
    assert reply["head"]["ok"], reply
    assert reply["head"]["msgId"] == "s"
    assert reply["body"] == {}


# -- sessions ----------------------------------------------------------------


def test_session_post_returns_201_envelope(env: Env) -> None:
    r = env.http.post("/session")
    assert r.status_code == 201
    assert r.json()["head"]["status"] == 201
    assert isinstance(r.json()["body"]["id"], str)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Auth-Account": "alice", "X-Auth-Token": "nope"}, id="bad-token"),
        pytest.param({"X-Auth-Account": "bob", "X-Auth-Token": TOKEN}, id="wrong-account"),
        pytest.param({"X-Auth-Token": TOKEN, "X-Auth-Account": ""}, id="no-account"),
    ],
)
def test_session_post_refuses_bad_credentials(env: Env, headers: dict[str, str]) -> None:
    with httpx.Client(base_url=env.base) as http:
        r = http.post("/session", headers=headers)
    assert r.status_code == 403
    assert r.json()["head"]["ok"] is False


@pytest.mark.parametrize(
    "reuse", [pytest.param(False, id="unknown"), pytest.param(True, id="used")]
)
def test_unknown_or_used_session_is_refused_before_upgrade(env: Env, reuse: bool) -> None:
    sid = env.session() if reuse else "nosuchsession"
    if reuse:
        close(env.connect(sid))
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        env.connect(sid)
    assert info.value.status_code == 404


def test_unused_sessions_expire() -> None:
    store = SessionStore(ttl=0.0)
    sid = store.create(_Creds("alice", TOKEN))
    assert store.claim(sid) is None
    store = SessionStore(ttl=60.0)
    sid = store.create(_Creds("alice", TOKEN))
    assert len(store) == 1
    assert store.claim(sid) == _Creds("alice", TOKEN)
    assert store.claim(sid) is None


# -- subscriptions and pushes --------------------------------------------------


@pytest.mark.parametrize("by", ["flowId", "path"])
def test_subscribe_then_rest_write_is_pushed(env: Env, by: str) -> None:
    fid = env.flow("/alice/temps")
    ws = env.connect()
    try:
        subscribe(ws, **{by: fid if by == "flowId" else "/alice/temps"})
        drop = env.write(fid, {"t": 20})
        push = recv(ws)
        assert push == {"type": "message", "resource": fid, "value": drop}
        assert push["value"]["flowId"] == fid
        assert push["value"]["path"] == "/alice/temps"
    finally:
        close(ws)


def test_subscribe_to_missing_flow_is_an_error_reply(env: Env) -> None:
    ws = env.connect()
    try:
        for target in ({"flowId": "f000000000000000000000000"}, {"path": "/alice/none"}):
            reply = request(ws, {"msgId": 7, "type": "subscribe", "object": "drop", **target})
            assert reply["head"]["ok"] is False
            assert reply["head"]["status"] == 404
            assert reply["head"]["msgId"] == 7
    finally:
        close(ws)


def test_unsubscribe_stops_delivery(env: Env) -> None:
    fid, sentinel = env.flow("/alice/a"), env.flow("/alice/sentinel")
    ws = env.connect()
    try:
        subscribe(ws, flowId=fid)
        subscribe(ws, path="/alice/sentinel")
        reply = request(
            ws, {"msgId": "u", "type": "unsubscribe", "object": "drop", "path": "/alice/a"}
        )
        assert reply["head"]["ok"], reply
        env.write(fid, {"n": 1})
        env.write(sentinel, {"n": 2})
        # Pushes keep write order on one connection, so a push for ``fid``
        # would arrive before the sentinel's.
        assert recv(ws)["resource"] == sentinel
    finally:
        close(ws)


def test_concurrent_rest_writers_every_subscriber_gets_each_drop_once_in_order(env: Env) -> None:
    fid = env.flow("/alice/busy")
    writers, per_writer = 4, 25
    sockets = [env.connect() for _ in range(3)]
    try:
        subscribe(sockets[0], flowId=fid)
        subscribe(sockets[1], path="/alice/busy")
        subscribe(sockets[2], flowId=fid)
        subscribe(sockets[2], path="/alice/busy")  # twice: still one push per drop

        def write(w: int) -> None:
            headers = {"X-Auth-Account": "alice", "X-Auth-Token": TOKEN}
            with httpx.Client(base_url=env.base, headers=headers) as http:
                for i in range(per_writer):
                    r = http.post(f"/v0.1/alice/drop/{fid}", json={"elems": {"w": w, "i": i}})
                    assert r.status_code == 201

        threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT)
        total = writers * per_writer
        received = [[recv(ws)["value"]["id"] for _ in range(total)] for ws in sockets]
        stored = env.http.get(f"/v0.1/alice/drop/{fid}", params={"limit": 1000}).json()["body"]
        write_order = [d["id"] for d in reversed(stored)]  # newest first on REST
        for ids in received:
            assert ids == write_order
        # nothing more is pending: a request's reply is the next frame
        for ws in sockets:
            assert (
                request(ws, {"msgId": "end", "type": "find", "object": "flow", "id": fid})["head"][
                    "msgId"
                ]
                == "end"
            )
    finally:
        close(*sockets)


def test_drops_written_over_the_socket_are_pushed_too(env: Env) -> None:
    fid = env.flow("/alice/self")
    ws = env.connect()
    try:
        subscribe(ws, flowId=fid)
        ws.send(
            json.dumps(
                {
                    "object": "drop",
                    "type": "create",
                    "value": {"path": "/alice/self", "elems": {"x": 1}},
                }
            )
        )
        push = recv(ws)  # no msgId: no reply, only the push
        assert push["type"] == "message"
        assert push["resource"] == fid
    finally:
        close(ws)


# -- requests ----------------------------------------------------------------


def test_crud_over_the_socket(env: Env) -> None:
    ws = env.connect()
    try:
        flow = request(
            ws, {"msgId": 1, "object": "flow", "type": "create", "value": {"path": "/alice/ws"}}
        )
        assert flow["head"]["status"] == 201
        assert flow["head"]["msgId"] == 1
        fid = flow["body"]["id"]
        created = request(
            ws,
            {
                "msgId": 2,
                "object": "drop",
                "type": "create",
                "flowId": fid,
                "value": {"elems": {"v": 1}},
            },
        )
        assert created["head"]["status"] == 201
        did = created["body"]["id"]
        found = request(
            ws, {"msgId": 3, "object": "drop", "type": "find", "flowId": fid, "id": did}
        )
        assert found["body"]["id"] == did
        updated = request(
            ws,
            {
                "msgId": 4,
                "object": "drop",
                "type": "update",
                "flowId": fid,
                "id": did,
                "value": {"elems": {"v": 2}},
            },
        )
        assert updated["head"]["ok"], updated
        many = request(
            ws,
            {
                "msgId": 5,
                "object": "drop",
                "type": "findmany",
                "flowId": fid,
                "options": {"limit": "10", "hints": "0"},
            },
        )
        assert [d["elems"] for d in many["body"]] == [{"v": 2}]
        deleted = request(
            ws, {"msgId": 6, "object": "drop", "type": "delete", "flowId": fid, "id": did}
        )
        assert deleted["head"]["ok"]
        missing = request(
            ws, {"msgId": 7, "object": "drop", "type": "find", "flowId": fid, "id": did}
        )
        assert missing["head"]["status"] == 404
        empty = request(ws, {"msgId": 8, "object": "drop", "type": "findmany", "flowId": fid})
        assert empty["body"] == []
        track = request(
            ws,
            {
                "msgId": 9,
                "object": "track",
                "type": "create",
                "value": {"source": "/alice/ws", "destination": "/alice/ws2"},
            },
        )
        assert track["head"]["status"] == 201, track
        assert track["body"]["id"].startswith("t")
        flows = request(
            ws, {"msgId": 10, "object": "flow", "type": "findmany", "options": {"limit": 5}}
        )
        assert fid in [f["id"] for f in flows["body"]]
    finally:
        close(ws)


def test_requests_use_the_sessions_permissions(env: Env) -> None:
    env.platform.create_account("bob", "B" * 32)
    with httpx.Client(
        base_url=env.base, headers={"X-Auth-Account": "bob", "X-Auth-Token": "B" * 32}
    ) as bob:
        bob_flow = bob.post("/v0.1/bob/flow", json={"path": "/bob/private"}).json()["body"]["id"]
    ws = env.connect()  # alice
    try:
        reply = request(ws, {"msgId": 1, "type": "subscribe", "object": "drop", "flowId": bob_flow})
        assert reply["head"]["ok"] is False
        assert reply["head"]["status"] in (403, 404)
        reply = request(
            ws,
            {
                "msgId": 2,
                "object": "drop",
                "type": "create",
                "flowId": bob_flow,
                "value": {"elems": {}},
            },
        )
        assert reply["head"]["ok"] is False
    finally:
        close(ws)


@pytest.mark.parametrize(
    ("frame", "msg_id"),
    [
        pytest.param("not json", None, id="not-json"),
        pytest.param("[1, 2]", None, id="not-object"),
        pytest.param('{"msgId": "a", "type": "explode"}', "a", id="unknown-type"),
        pytest.param('{"msgId": "b"}', "b", id="no-type"),
        pytest.param('{"msgId": "c", "type": "subscribe", "object": "drop"}', "c", id="no-target"),
        pytest.param('{"msgId": "d", "type": "create", "value": {}}', "d", id="no-object"),
        pytest.param('{"msgId": "e", "type": "find", "object": "flow"}', "e", id="no-id"),
        pytest.param(
            '{"msgId": "f", "type": "find", "object": "drop", "id": "d1"}', "f", id="no-flow"
        ),
        pytest.param(
            '{"msgId": "g", "type": "update", "object": "flow", "id": "f1"}', "g", id="no-value"
        ),
        pytest.param('{"msgId": "h", "type": ["find"]}', "h", id="type-not-a-string"),
        pytest.param(
            '{"msgId": "i", "type": "find", "object": {"x": 1}, "id": "f1"}', "i", id="bad-object"
        ),
        pytest.param(
            '{"msgId": "j", "type": "findmany", "object": "flow", "options": [1]}',
            "j",
            id="options-not-object",
        ),
    ],
)
def test_bad_frame_gets_an_error_reply_and_the_socket_stays_up(
    env: Env, frame: str, msg_id: str | None
) -> None:
    ws = env.connect()
    try:
        ws.send(frame)
        reply = recv(ws)
        assert reply["head"]["ok"] is False
        assert reply["head"]["status"] == 400
        assert reply["head"]["msgId"] == msg_id
        assert reply["head"]["errors"]
        ws.send(json.dumps({"type": "heartbeat"}))  # never answered
        ok = request(ws, {"msgId": "next", "object": "flow", "type": "findmany"})
        assert ok["head"] == {**ok["head"], "ok": True, "msgId": "next"}
    finally:
        close(ws)


# -- connection policies -------------------------------------------------------


def test_idle_connection_is_closed_and_heartbeats_keep_it_open() -> None:
    # The idle timeout is far above the beat period, so a loaded machine that
    # stalls the beating loop for a while still keeps that connection open;
    # the loop beats until the quiet connection was closed, whenever that is.
    with serve(WebSocketSettings(idle_timeout=1.5)) as env:
        quiet, beating = env.connect(), env.connect()
        try:
            frames: list[tuple[int, Any]] = []
            reader = threading.Thread(target=lambda: frames.append(quiet.recv_data_frame()))
            reader.start()
            deadline = time.monotonic() + TIMEOUT
            while reader.is_alive() and time.monotonic() < deadline:
                beating.send(json.dumps({"type": "heartbeat"}))
                reader.join(0.1)
            reader.join(TIMEOUT)
            [(opcode, frame)] = frames
            assert opcode == websocket.ABNF.OPCODE_CLOSE
            assert int.from_bytes(frame.data[:2], "big") == 1001
            assert frame.data[2:] == b"idle timeout"
            reply = request(beating, {"msgId": 1, "object": "flow", "type": "findmany"})
            assert reply["head"]["ok"]
        finally:
            close(quiet, beating)


def wait_for(condition: Any, what: str) -> None:
    """Poll a condition the server reaches asynchronously (no fixed sleeps)."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.mark.parametrize("how", ["close-frame", "abrupt"])
def test_disconnect_removes_the_connections_subscriptions(env: Env, how: str) -> None:
    fid = env.flow("/alice/gone")
    hub = hub_for(env.platform)
    ws = env.connect()
    subscribe(ws, flowId=fid)
    subscribe(ws, path="/alice/gone")
    assert hub.subscriber_count(fid) == 1
    if how == "close-frame":
        close(ws)
    else:
        ws.shutdown()
    wait_for(lambda: hub.subscriber_count(fid) == 0, "the subscription to go")
    env.write(fid, {"n": 1})  # nobody to push to: must not fail


def test_deleting_a_subscribed_flow_ends_the_subscription_with_a_frame(env: Env) -> None:
    fid, other = env.flow("/alice/doomed"), env.flow("/alice/other")
    ws = env.connect()
    try:
        subscribe(ws, flowId=fid)
        subscribe(ws, flowId=other)
        assert env.http.delete(f"/v0.1/alice/flow/{fid}").status_code == 200
        # one end frame (shaped like a failed reply without msgId), then the
        # socket stays usable for the other subscription
        ended = recv(ws)
        assert ended["type"] == "unsubscribed"
        assert ended["resource"] == fid
        assert ended["head"]["status"] == 404
        assert ended["head"]["msgId"] is None
        assert hub_for(env.platform).subscriber_count(fid) == 0
        env.write(other, {"n": 1})
        assert recv(ws)["resource"] == other
        unsubscribe = {"msgId": "u", "type": "unsubscribe", "object": "drop", "flowId": fid}
        assert request(ws, unsubscribe)["head"]["status"] == 404  # the flow is just gone
    finally:
        close(ws)


def test_slow_subscriber_is_closed_with_1013_and_writers_do_not_stall() -> None:
    with serve(WebSocketSettings(max_queue=8)) as env:
        fid = env.flow("/alice/firehose")
        # a tiny receive buffer so the server's socket backs up quickly
        slow = env.connect(sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
        try:
            subscribe(slow, flowId=fid)
            blob = "x" * 65536
            total = 200
            started = time.monotonic()
            for i in range(total):  # the core's write path, as REST and tracks use it
                env.platform.create_drop(
                    env.platform.authenticate(TOKEN, "alice"),
                    "alice",
                    fid,
                    {"elems": {"i": i, "b": blob}},
                )
            assert time.monotonic() - started < TIMEOUT
            pushes = 0
            while True:
                opcode, frame = slow.recv_data_frame()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                pushes += 1
            assert int.from_bytes(frame.data[:2], "big") == 1013
            assert b"overflow" in frame.data[2:]
            assert pushes < total
            assert hub_for(env.platform).subscriber_count(fid) == 0
        finally:
            close(slow)


# -- the hub on its own ------------------------------------------------------------


def test_outbox_overflow_is_reported_once_and_bounded() -> None:
    import asyncio

    async def main() -> None:
        box = Outbox(asyncio.get_running_loop(), maxsize=3)
        assert [box.put(str(i)) for i in range(5)] == [True, True, True, False, False]
        assert box.overflowed
        hub = PubSubHub()
        hub.subscribe("f1", box)
        hub.publish("f1", {"id": "d1"})  # dropped, never raises
        hub.drop_connection(box)
        assert hub.subscriber_count("f1") == 0

    asyncio.run(main())


def test_a_closed_outbox_cannot_subscribe() -> None:
    # a subscribe handled in a worker thread after its connection ended
    import asyncio

    async def main() -> None:
        hub, box = PubSubHub(), Outbox(asyncio.get_running_loop())
        assert hub.subscribe("f1", box)
        box.close()
        hub.drop_connection(box)
        assert not hub.subscribe("f2", box)
        assert hub.subscriber_count("f1") == hub.subscriber_count("f2") == 0
        assert not box.put("late")

    asyncio.run(main())


# -- batched writes (base.asgi_ext.SEND_MANY) ---------------------------------------


def test_a_burst_of_pushes_is_written_in_batches_in_order(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowthings.local.base.asgi_ext import SEND_MANY
    from flowthings.local.http.server import _BoundedWebSocket

    batches: list[int] = []
    plain_send = _BoundedWebSocket.send

    async def counting_send(self: Any, message: Any) -> None:
        batches.append(1 + len(message.get(SEND_MANY) or ()))
        await plain_send(self, message)

    monkeypatch.setattr(_BoundedWebSocket, "send", counting_send)
    fid = env.flow("/alice/burst")
    ws = env.connect()
    subscribe(ws, flowId=fid)
    principal = env.platform.authenticate(TOKEN, "alice")
    # written from this thread in one go: the connection's sender finds them all queued
    with env.platform.store.lock:
        for i in range(200):
            env.platform.create_drop(principal, "alice", fid, {"elems": {"i": i}})
    got = [recv(ws) for _ in range(200)]
    assert [f["value"]["elems"]["i"]["value"] for f in got] == list(range(200))
    assert {f["resource"] for f in got} == {fid}
    assert max(batches) > 1, batches  # at least one write carried several frames
    # the socket still answers requests after the batches
    reply = request(ws, {"msgId": "u", "type": "unsubscribe", "object": "drop", "flowId": fid})
    assert reply["head"]["ok"] is True
    close(ws)


def test_a_create_reply_reusing_the_pushed_text_is_the_usual_text() -> None:
    import asyncio

    from flowthings.local.base.envelope import envelope
    from flowthings.local.realtime.ws import _encode_reply

    drop = {"id": "d1", "elems": {"t": {"type": "float", "value": 1.5}, "s": "é\u2028"}, "n": None}
    reply = envelope(201, drop)
    reply["head"]["msgId"] = "m1"
    usual = asyncio.run(_encode_reply(reply))
    assert usual == json.dumps(reply)
    same = asyncio.run(_encode_reply(reply, (dict(drop), json.dumps(drop))))
    assert same == usual
    # another drop's text is never spliced in
    other = {**drop, "id": "d2"}
    assert asyncio.run(_encode_reply(reply, (other, json.dumps(other)))) == usual


def test_queued_frames_are_written_in_bounded_batches_in_order() -> None:
    from flowthings.local.realtime.ws import _BATCH_CHARS, _batches

    frames = [
        str(i) * size for i, size in enumerate([10, _BATCH_CHARS, 5, 7, _BATCH_CHARS // 2] * 3)
    ]
    batches = _batches(frames)
    assert [f for b in batches for f in b] == frames
    assert all(b for b in batches)
    for batch in batches:  # a frame alone may exceed the bound; a batch of several never does
        assert len(batch) == 1 or sum(map(len, batch)) <= _BATCH_CHARS
    assert _batches([]) == []
