"""Failures are never silent: drop iterators see a lost connection, a client
without ``on_error`` logs what it would have reported, and waiting for a
connection that never opens raises."""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

import pytest

from flowthings import (
    API,
    FlowThingsConnectionError,
    FlowThingsConnectionLost,
    FlowThingsException,
    FlowThingsNotConnected,
    FlowThingsNotFound,
)
from flowthings.websocket._client import WebSocketClient

from .conftest import WAIT, Recorder, WsServer, connect, flow

pytestmark = pytest.mark.timeout(60)


def _reconnecting_client(api: API, rec: Recorder, *flows: str) -> WebSocketClient:
    """A connected client, subscribed to ``flows``, that reconnects within ~0.2 s."""
    ws = connect(api, backoff_base=0.05, backoff_max=0.2, **rec.callbacks())
    for fid in flows:
        ws.subscribe(fid)
    ws.run_in_thread(wait_open=WAIT)
    return ws


def _restart_and_wait(server: WsServer, rec: Recorder) -> None:
    server.stop()
    assert isinstance(rec.errors.get(timeout=WAIT), FlowThingsConnectionLost)
    server.start()  # same port, same data
    assert rec.reconnects.get(timeout=WAIT) >= 1


def test_drop_iterators_count_the_gap_and_carry_on(
    server: WsServer, api: API, rec: Recorder
) -> None:
    fid = flow(api, "gap-count")
    ws = _reconnecting_client(api, rec, fid)
    try:
        stream = ws.drops(fid, timeout=WAIT)
        first = api.drop(fid).create({"elems": {"n": 1}})
        assert next(stream).id == first["id"]
        assert stream.gaps == 0
        _restart_and_wait(server, rec)
        second = api.drop(fid).create({"elems": {"n": 2}})
        assert next(stream).id == second["id"]  # the gap is skipped, not yielded
        assert stream.gaps == 1
    finally:
        ws.close()


def test_raise_on_gap_ends_the_iterator_with_the_connection_error(
    server: WsServer, api: API, rec: Recorder
) -> None:
    fid = flow(api, "gap-raise")
    ws = _reconnecting_client(api, rec, fid)
    try:
        strict = ws.drops(fid, timeout=WAIT, raise_on_gap=True)
        _restart_and_wait(server, rec)
        with pytest.raises(FlowThingsConnectionLost):
            next(strict)
        assert list(strict) == []  # ended for good
        fresh = ws.drops(fid, timeout=WAIT, raise_on_gap=True)
        written = api.drop(fid).create({"elems": {"n": 3}})
        assert next(fresh).id == written["id"]
    finally:
        ws.close()


def test_without_on_error_a_lost_connection_is_logged(
    server: WsServer, api: API, caplog: pytest.LogCaptureFixture
) -> None:
    reconnected = threading.Event()
    ws = connect(
        api,
        backoff_base=0.05,
        backoff_max=0.2,
        on_reconnect=lambda _ws, _attempt: reconnected.set(),
    )
    ws.run_in_thread(wait_open=WAIT)
    try:
        with caplog.at_level(logging.WARNING, logger="flowthings"):
            server.stop()
            server.start()
            assert reconnected.wait(WAIT)
        lost = [r for r in caplog.records if "no on_error callback" in r.getMessage()]
        assert lost
        assert "WebSocket closed" in lost[0].getMessage()
        assert api.creds.token not in caplog.text
    finally:
        ws.close()


def test_without_on_error_a_raising_callback_is_logged_with_its_traceback(
    api: API, caplog: pytest.LogCaptureFixture
) -> None:
    fid = flow(api, "raising-logged")
    seen = threading.Event()

    def boom(*_: Any) -> None:
        seen.set()
        raise RuntimeError("boom in on_message")

    ws = connect(api, on_message=boom)
    with caplog.at_level(logging.WARNING, logger="flowthings"), ws:
        assert ws.wait_open(WAIT)
        ws.subscribe(fid).result(WAIT)
        api.drop(fid).create({"elems": {"n": 1}})
        assert seen.wait(WAIT)
        assert ws.find_drops(fid).result(WAIT)  # the reader carried on
    raised = [r for r in caplog.records if r.exc_info and "boom in on_message" in str(r.exc_info[1])]
    assert raised


def test_run_in_thread_raises_and_closes_when_the_connection_never_opens(
    server: WsServer, api: API, rec: Recorder
) -> None:
    ws = connect(api, backoff_base=0.05, backoff_max=0.1, **rec.callbacks())
    server.stop()  # the session POST and every reconnection now fail
    with pytest.raises(FlowThingsNotConnected, match=r"did not open within 0\.5 s") as info:
        ws.run_in_thread(wait_open=0.5)
    assert rec.closed.wait(WAIT)  # closed for good: no silent retrying thread left
    assert not ws.connected
    reported = rec.errors.get(timeout=WAIT)
    assert isinstance(reported, FlowThingsConnectionError)
    assert isinstance(info.value.__cause__, FlowThingsConnectionError)  # why it never opened


def test_run_in_thread_stops_waiting_when_the_client_gave_up(
    server: WsServer, api: API, rec: Recorder
) -> None:
    ws = connect(api, reconnect=False, **rec.callbacks())
    server.stop()
    started = time.monotonic()
    with pytest.raises(FlowThingsNotConnected) as info:
        ws.run_in_thread(wait_open=60)
    # the run loop ended on the first refused attempt: waiting on for the
    # whole minute would be a hang (a generous bound, not a speed test)
    assert time.monotonic() - started < 30
    assert isinstance(info.value.__cause__, FlowThingsConnectionError)
    assert rec.closed.wait(WAIT)


def test_a_frame_nested_too_deep_is_dropped_and_the_connection_lives_on() -> None:
    from websockets.sync.server import serve

    release = threading.Event()

    def handler(conn: Any) -> None:
        conn.send('{"type": "message", "resource": "f1", "value": {"n": 1}}')
        conn.send("[" * 100_000 + "]" * 100_000)
        conn.send('{"type": "message", "resource": "f1", "value": {"n": 2}}')
        release.wait(WAIT)

    messages: queue.Queue[Any] = queue.Queue()
    closed = threading.Event()
    with serve(handler, "127.0.0.1", 0) as srv:
        port = srv.socket.getsockname()[1]
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        ws = WebSocketClient(
            f"ws://127.0.0.1:{port}/s",
            on_message=lambda _ws, _res, value: messages.put(value),
            on_close=lambda _ws: closed.set(),
        )
        try:
            ws.run_in_thread(wait_open=WAIT)
            assert messages.get(timeout=WAIT) == {"n": 1}
            assert messages.get(timeout=WAIT) == {"n": 2}  # read on past the deep frame
            assert ws.connected
            assert not closed.is_set()
        finally:
            release.set()
            ws.close()
            srv.shutdown()


def test_a_refused_resubscription_ends_the_flows_drop_iterators(
    server: WsServer, api: API, rec: Recorder
) -> None:
    fid = flow(api, "deleted-while-away")
    other = flow(api, "still-here")
    ws = _reconnecting_client(api, rec, fid, other)
    try:
        stream = ws.drops(fid)  # no timeout: without the fix it would wait forever
        everything = ws.drops(timeout=WAIT)
        api.flow.delete(fid)  # the live subscription outlives the flow until reconnection
        server.stop()
        server.start()  # the re-subscription is refused: the flow is gone
        with pytest.raises(FlowThingsException) as info:
            next(stream)
        assert not isinstance(info.value, FlowThingsConnectionError)  # the refusal itself
        assert fid not in ws.subscriptions
        # an iterator over every flow is not ended by it: it goes on with the others
        assert rec.reconnects.get(timeout=WAIT) >= 1  # every re-subscription was answered
        written = api.drop(other).create({"elems": {"n": 1}})
        assert next(everything).id == written["id"]
        assert everything.gaps == 1
    finally:
        ws.close()


def test_requests_failed_by_close_are_not_warnings(
    api: API, caplog: pytest.LogCaptureFixture
) -> None:
    ws = connect(api)
    with caplog.at_level(logging.DEBUG, logger="flowthings"):
        ws.run_in_thread(wait_open=WAIT)
        futures = [ws.send({"type": "heartbeat"}, timeout=WAIT) for _ in range(3)]
        ws.close()
    for future in futures:
        assert isinstance(future.exception(WAIT), FlowThingsConnectionLost)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert any("request failed" in r.getMessage() for r in caplog.records)


def test_a_deleted_flow_ends_its_subscription_and_drop_iterators(
    api: API, rec: Recorder
) -> None:
    # the platform's ``unsubscribed`` frame (flow deleted, access gone) is not
    # silent: the subscription is forgotten, the flow's iterators end with it
    fid, other = flow(api, "doomed"), flow(api, "kept")
    ws = _reconnecting_client(api, rec, fid, other)
    try:
        doomed = ws.drops(fid, timeout=WAIT)
        api.flow.delete(fid)
        with pytest.raises(FlowThingsNotFound):
            next(doomed)
        assert isinstance(rec.errors.get(timeout=WAIT), FlowThingsNotFound)
        assert ws.subscriptions == [other]
    finally:
        ws.close()
