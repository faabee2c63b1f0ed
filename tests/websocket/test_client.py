"""End-to-end tests of the SDK WebSocket client against the local platform."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest

from flowthings import API, FlowThingsNotFound
from flowthings.models import Drop
from flowthings.websocket._client import (
    FlowThingsConnectionLost,
    FlowThingsNotConnected,
    FlowThingsRequestTimeout,
    WebSocketClient,
)

from .conftest import WAIT, Recorder, WsServer, connect, flow


@pytest.mark.parametrize("by", ["id", "path"])
def test_subscribe_and_receive_drops_written_over_rest(
    api: API, client: WebSocketClient, rec: Recorder, by: str
) -> None:
    fid = flow(api, "temps")
    assert client.subscribe(fid if by == "id" else "/alice/temps").result(WAIT) == {}
    written = api.drop(fid).create({"elems": {"t": 21}})
    resource, data = rec.next_message()
    assert resource == fid
    assert data["id"] == written["id"]
    assert data["path"] == "/alice/temps"


def test_documented_blocking_form(api: API, rec: Recorder) -> None:
    fid = flow(api, "doc")
    callbacks = rec.callbacks()

    def on_open(ws: WebSocketClient) -> None:
        ws.subscribe(fid)
        rec.opened.set()

    callbacks["on_open"] = on_open
    ws = connect(api, **callbacks)
    runner = threading.Thread(target=ws.run)  # ws.run() blocks, as in 1.0.5
    runner.start()
    try:
        assert rec.opened.wait(WAIT)
        assert ws.subscriptions == [fid]
        # the subscribe sent from on_open is answered before this request's reply
        ws.find_drops(fid).result(WAIT)
        api.drop(fid).create({"elems": {"x": 1}})
        assert rec.next_message()[0] == fid
    finally:
        ws.close()
        runner.join(WAIT)
    assert not runner.is_alive()
    assert rec.close_count == 1


def test_typed_pushes(api: API, rec: Recorder) -> None:
    fid = flow(api, "typed")
    drops: queue.Queue[tuple[str, Drop]] = queue.Queue()
    with connect(api, on_drop=lambda ws, f, d: drops.put((f, d)), **rec.callbacks()) as ws:
        assert ws.wait_open(WAIT)
        ws.subscribe(fid).result(WAIT)
        stream = ws.drops(fid, timeout=WAIT)
        api.drop(fid).create({"elems": {"n": 1}})
        api.drop(fid).create({"elems": {"n": 2}})
        flow_id, first = drops.get(timeout=WAIT)
        assert flow_id == fid
        assert isinstance(first, Drop)
        got = [next(stream), next(stream)]
        assert all(isinstance(d, Drop) for d in got)
        assert next(d.id for d in got) == first.id
        assert list(ws.drops(fid, timeout=0.05)) == []  # nothing more: ends on timeout


def test_concurrent_requests_get_their_own_replies(api: API, client: WebSocketClient) -> None:
    fid = flow(api, "many")
    results: dict[tuple[int, int], Future[Any]] = {}
    lock = threading.Lock()

    def sender(t: int) -> None:
        for i in range(20):
            future = client.create_drop(fid, {"elems": {"t": t, "i": i}})
            with lock:
                results[(t, i)] = future

    threads = [threading.Thread(target=sender, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(WAIT)
    for (t, i), future in results.items():
        elems = future.result(WAIT)["elems"]
        assert (elems["t"]["value"], elems["i"]["value"]) == (t, i)
    assert len(api.drop(fid).find(limit=1000)) == 160


def test_callback_receives_the_reply_body_and_errors_map_to_exceptions(
    api: API, client: WebSocketClient
) -> None:
    fid = flow(api, "cb")
    bodies: queue.Queue[Any] = queue.Queue()
    created = client.create_drop(fid, {"elems": {"a": 1}}, lambda ws, body: bodies.put(body))
    assert bodies.get(timeout=WAIT) == created.result(WAIT)
    assert (
        client.find_drop(fid, created.result()["id"]).result(WAIT)["id"] == created.result()["id"]
    )
    with pytest.raises(FlowThingsNotFound):
        client.find_drop(fid, "d000000000000000000000000").result(WAIT)


def test_subscribing_to_a_missing_flow_fails_and_is_forgotten(
    client: WebSocketClient, rec: Recorder
) -> None:
    with pytest.raises(FlowThingsNotFound):
        client.subscribe("/alice/nope").result(WAIT)
    assert isinstance(rec.errors.get(timeout=WAIT), FlowThingsNotFound)
    assert client.subscriptions == []


def test_unsubscribe_stops_delivery(api: API, client: WebSocketClient, rec: Recorder) -> None:
    fid, sentinel = flow(api, "a"), flow(api, "sentinel")
    client.subscribe(fid).result(WAIT)
    client.subscribe(sentinel).result(WAIT)
    client.unsubscribe(fid).result(WAIT)
    api.drop(fid).create({"elems": {"x": 1}})
    api.drop(sentinel).create({"elems": {"x": 2}})
    # pushes keep write order on one connection: a push for ``fid`` would come first
    assert rec.next_message()[0] == sentinel
    assert client.subscriptions == [sentinel]


def test_reply_timeout_fails_the_future_and_calls_the_errback(client: WebSocketClient) -> None:
    failures: queue.Queue[BaseException] = queue.Queue()
    # heartbeats are never answered, so this request can only time out
    future = client.send({"type": "heartbeat"}, errback=lambda ws, e: failures.put(e), timeout=0.2)
    with pytest.raises(FlowThingsRequestTimeout):
        future.result(WAIT)
    assert isinstance(failures.get(timeout=WAIT), FlowThingsRequestTimeout)


def test_server_restart_reconnects_and_resubscribes(
    server: WsServer, api: API, rec: Recorder
) -> None:
    fid = flow(api, "restart")
    ws = connect(api, backoff_base=0.05, backoff_max=0.2, **rec.callbacks())
    ws.subscribe(fid)
    ws.run_in_thread(wait_open=WAIT)
    try:
        api.drop(fid).create({"elems": {"n": 1}})
        assert rec.next_message()[0] == fid
        server.stop()
        assert isinstance(rec.errors.get(timeout=WAIT), FlowThingsConnectionLost)
        with pytest.raises(FlowThingsNotConnected):
            ws.find_drops(fid)
        server.start()  # same port, same data
        assert rec.reconnects.get(timeout=WAIT) >= 1
        assert ws.connected
        written = api.drop(fid).create({"elems": {"n": 2}})
        resource, data = rec.next_message()
        assert (resource, data["id"]) == (fid, written["id"])
        assert rec.close_count == 0
    finally:
        ws.close()
    assert rec.close_count == 1


def test_retries_exhausted_is_a_final_close(server: WsServer, api: API, rec: Recorder) -> None:
    ws = connect(api, backoff_base=0.01, backoff_max=0.02, max_retries=2, **rec.callbacks())
    thread = ws.run_in_thread(wait_open=WAIT)
    server.stop()
    assert rec.closed.wait(WAIT)
    thread.join(WAIT)
    assert rec.close_count == 1
    assert rec.reconnects.empty()
    with pytest.raises(FlowThingsNotConnected):
        ws.send({"type": "find", "object": "flow", "id": "f1"})


@pytest.mark.parametrize(
    "heartbeat", [pytest.param(0.1, id="beating"), pytest.param(None, id="silent")]
)
def test_heartbeats_keep_an_idle_connection_open(
    make_server: Callable[..., WsServer], rec: Recorder, heartbeat: float | None
) -> None:
    server = make_server(idle_timeout=0.5)
    with server.api() as api:
        ws = connect(api, heartbeat_interval=heartbeat, reconnect=False, **rec.callbacks())
        with ws:
            assert ws.wait_open(WAIT)
            if heartbeat is None:  # control: the server does close idle connections
                assert isinstance(rec.errors.get(timeout=WAIT), FlowThingsConnectionLost)
                assert rec.closed.wait(WAIT)
                return
            with pytest.raises(queue.Empty):  # three idle timeouts pass without a close
                rec.errors.get(timeout=1.5)
            assert ws.connected
            assert ws.send({"type": "findmany", "object": "flow"}).result(WAIT) == []


def test_context_manager_closes_once(api: API, rec: Recorder) -> None:
    with connect(api, **rec.callbacks()) as ws:
        assert ws.wait_open(WAIT)
        assert rec.opened.is_set()
    assert rec.closed.is_set()
    assert rec.close_count == 1
    ws.close()  # idempotent
    assert rec.close_count == 1


def test_pending_requests_fail_when_the_connection_drops(server: WsServer, api: API) -> None:
    ws = connect(api, reconnect=False)
    with ws:
        assert ws.wait_open(WAIT)
        never_answered = ws.send({"type": "heartbeat"}, timeout=60.0)
        server.stop()
        with pytest.raises(FlowThingsConnectionLost):
            never_answered.result(WAIT)


def test_a_raising_callback_goes_to_on_error(api: API, rec: Recorder) -> None:
    fid = flow(api, "boom")
    callbacks = rec.callbacks()
    seen: queue.Queue[int] = queue.Queue()

    def on_message(ws: WebSocketClient, resource: str, data: Any) -> None:
        seen.put(data["elems"]["n"]["value"])
        raise RuntimeError("boom")

    callbacks["on_message"] = on_message
    with connect(api, **callbacks) as ws:
        assert ws.wait_open(WAIT)
        ws.subscribe(fid).result(WAIT)
        api.drop(fid).create({"elems": {"n": 1}})
        api.drop(fid).create({"elems": {"n": 2}})
        assert [seen.get(timeout=WAIT), seen.get(timeout=WAIT)] == [1, 2]  # still delivering
        error = rec.errors.get(timeout=WAIT)
        assert isinstance(error, RuntimeError)


def test_the_public_fixture_serves_websockets(flowthings_api: API) -> None:
    account = flowthings_api.creds.account
    fid: str = flowthings_api.flow.create({"path": f"/{account}/pub"})["id"]
    ws = connect(flowthings_api)  # a 404/405 here means the fixture lost its WebSocket routes
    drops: queue.Queue[str] = queue.Queue()
    ws.on_message = lambda w, resource, data: drops.put(data["id"])
    with ws:
        assert ws.wait_open(WAIT)
        ws.subscribe(f"/{account}/pub").result(WAIT)
        written = flowthings_api.drop(fid).create({"elems": {"x": 1}})
        assert drops.get(timeout=WAIT) == written["id"]
