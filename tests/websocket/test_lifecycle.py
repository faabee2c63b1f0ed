"""Lifecycle, thread and bookkeeping guarantees of the SDK WebSocket client.

Every wait is on an event or a queue with a generous timeout; no assertion
depends on how long a sleep lasted.
"""

from __future__ import annotations

import contextlib
import gc
import json
import queue
import socket
import threading
import time
from typing import Any

import pytest

from flowthings import API, FlowThingsError
from flowthings.websocket._client import (
    FlowThingsConnectionLost,
    FlowThingsRequestTimeout,
    WebSocketClient,
)
from flowthings.websocket._requests import RequestTable

from ._raw_peer import accept_handshake
from .conftest import WAIT, Recorder, WsServer, connect, flow


def ws_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("flowthings-ws")]


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Any:
    before = set(ws_threads())
    yield
    leaked = [t for t in ws_threads() if t not in before]
    for t in leaked:
        t.join(WAIT)
    assert [t for t in leaked if t.is_alive()] == []


class CountingFactory:
    """Wraps a client's session factory; can hold calls until released."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def __call__(self) -> str:
        self.calls += 1
        self.entered.set()
        assert self.release.wait(WAIT)
        url: str = self.inner()
        return url


# -- run() / close() ---------------------------------------------------------------


def test_run_returns_after_close_from_another_thread(api: API, rec: Recorder) -> None:
    ws = connect(api, **rec.callbacks())
    runner = threading.Thread(target=ws.run, name="flowthings-ws-test-runner")
    runner.start()
    assert ws.wait_open(WAIT)
    ws.close()
    runner.join(WAIT)
    assert not runner.is_alive()
    assert rec.close_count == 1
    assert not ws.connected


def test_close_right_after_run_in_thread_joins_the_thread(api: API) -> None:
    for _ in range(10):  # the thread may not have entered run() yet
        closed: list[WebSocketClient] = []
        ws = connect(api, on_close=closed.append)
        thread = ws.run_in_thread()
        ws.close()
        assert not thread.is_alive()
        assert closed == [ws]


def test_close_before_start_then_run_returns_at_once(api: API, rec: Recorder) -> None:
    ws = connect(api, **rec.callbacks())
    ws.close()
    ws.run()
    assert rec.close_count == 1
    assert not rec.opened.is_set()


def test_a_client_starts_once(api: API) -> None:
    ws = connect(api)
    try:
        ws.run_in_thread()
        with pytest.raises(FlowThingsError):
            ws.run_in_thread()
        with pytest.raises(FlowThingsError):
            ws.run()
    finally:
        ws.close()


def test_close_from_a_callback_ends_run(api: API, rec: Recorder) -> None:
    callbacks = rec.callbacks()
    callbacks["on_open"] = lambda ws: ws.close()
    ws = connect(api, **callbacks)
    ws.run()  # blocks until the close requested by on_open completes
    assert rec.close_count == 1


def test_max_retries_zero_does_not_reconnect(server: WsServer, api: API, rec: Recorder) -> None:
    ws = connect(api, max_retries=0, backoff_base=0.01, **rec.callbacks())
    factory = CountingFactory(ws.session_factory)
    ws.session_factory = factory
    thread = ws.run_in_thread(wait_open=WAIT)
    server.stop()
    assert rec.closed.wait(WAIT)
    thread.join(WAIT)
    assert not thread.is_alive()
    assert factory.calls == 0
    assert isinstance(rec.errors.get(timeout=WAIT), FlowThingsConnectionLost)


def test_run_returns_when_retries_are_exhausted(server: WsServer, api: API, rec: Recorder) -> None:
    ws = connect(api, max_retries=3, backoff_base=0.01, backoff_max=0.02, **rec.callbacks())
    factory = CountingFactory(ws.session_factory)
    ws.session_factory = factory
    runner = threading.Thread(target=ws.run, name="flowthings-ws-test-runner")
    runner.start()
    assert ws.wait_open(WAIT)
    server.stop()
    runner.join(WAIT)
    assert not runner.is_alive()
    assert factory.calls == 3
    assert rec.close_count == 1


def test_close_while_reconnecting_ends_the_loop(server: WsServer, api: API, rec: Recorder) -> None:
    ws = connect(api, backoff_base=0.01, backoff_max=0.02, **rec.callbacks())
    factory = CountingFactory(ws.session_factory)
    ws.session_factory = factory
    thread = ws.run_in_thread(wait_open=WAIT)
    factory.release.clear()
    server.stop()
    server.start()
    assert factory.entered.wait(WAIT)  # the loop is asking for a new session
    closer = threading.Thread(target=ws.close, kwargs={"timeout": WAIT})
    closer.start()
    factory.release.set()  # the session arrives after close(): it must not be used for long
    closer.join(WAIT)
    thread.join(WAIT)
    assert not closer.is_alive()
    assert not thread.is_alive()
    assert not ws.connected
    assert rec.close_count == 1
    assert rec.reconnects.empty()


class MuteServer:
    """Accepts one WebSocket handshake, then never answers anything (not even close)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conn: socket.socket | None = None
        self.thread = threading.Thread(target=self._serve, name="mute-server")
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        self.conn = conn
        accept_handshake(conn)
        with contextlib.suppress(OSError):  # reset instead of a clean end: also gone
            while conn.recv(4096):  # swallow every frame until the client goes
                pass

    def close(self) -> None:
        self.thread.join(WAIT)
        if self.conn is not None:
            self.conn.close()
        self.listener.close()


def test_close_from_a_callback_returns_even_if_the_peer_never_answers() -> None:
    server = MuteServer()
    try:
        closed = threading.Event()
        ws = WebSocketClient(
            f"ws://127.0.0.1:{server.port}/session/x/ws",
            on_open=lambda w: w.close(),  # from the reader thread: cannot wait itself
            on_close=lambda w: closed.set(),
            heartbeat_interval=None,
        )
        ws.close_timeout = 0.2
        thread = ws.run_in_thread()
        assert closed.wait(WAIT)
        thread.join(WAIT)
        assert not thread.is_alive()
    finally:
        server.close()


# -- callbacks -----------------------------------------------------------------------


def test_raising_callbacks_do_not_stop_the_client(api: API, rec: Recorder) -> None:
    fid = flow(api, "raising")
    errors: queue.Queue[BaseException] = queue.Queue()

    def boom(*_: Any) -> None:
        raise RuntimeError("boom")

    def bad_on_error(ws: WebSocketClient, exc: BaseException) -> None:
        errors.put(exc)
        raise RuntimeError("on_error fails too")

    ws = connect(api, on_open=boom, on_drop=boom, on_error=bad_on_error, on_close=boom)
    with ws:
        assert ws.wait_open(WAIT)
        ws.subscribe(fid, callback=boom).result(WAIT)
        api.drop(fid).create({"elems": {"n": 1}})
        assert ws.find_drops(fid, callback=boom).result(WAIT)  # still reading
        assert ws.connected
    assert [str(errors.get(timeout=WAIT)) for _ in range(4)] == ["boom"] * 4


def test_a_malformed_reply_fails_its_request_not_the_reader() -> None:
    errors: list[BaseException] = []
    ws = WebSocketClient("ws://unused", on_error=lambda _ws, exc: errors.append(exc))
    pending = ws._requests.add({"type": "find"}, None, None, WAIT)
    msg_id = pending.request["msgId"]
    ws._dispatch(json.dumps({"head": {"msgId": msg_id, "ok": False, "status": "teapot"}}))
    with pytest.raises(ValueError):
        pending.future.result(0)
    assert len(errors) == 1
    for junk in ("nope", "[]", '{"head": 1}', '{"head": {"msgId": true}}', '{"type": "message"}'):
        ws._dispatch(junk)  # ignored, never raises
    assert len(ws._requests) == 0


# -- bookkeeping ------------------------------------------------------------------------


def test_request_timeouts_are_never_early_and_a_shorter_one_wakes_the_ticker(
    client: WebSocketClient,
) -> None:
    # heartbeats are never answered, so these requests can only time out
    slow = client.send({"type": "heartbeat"}, timeout=60.0)
    started = time.monotonic()
    fast = client.send({"type": "heartbeat"}, timeout=0.3)
    with pytest.raises(FlowThingsRequestTimeout):
        fast.result(WAIT)
    assert time.monotonic() - started >= 0.3
    assert not slow.done()
    assert len(client._requests) == 1


def test_answered_requests_leave_no_trace() -> None:
    table = RequestTable()
    for _ in range(1000):
        p = table.add({"type": "find"}, None, None, 60.0)
        assert table.pop(p.request["msgId"]) is p
    assert len(table) == 0
    assert table.next_deadline() is None
    assert table.expired(time.monotonic() + 120.0) == []
    late = table.add({"type": "find"}, None, None, 0.0)
    assert table.expired(time.monotonic()) == [late]
    assert table.pop(late.request["msgId"]) is None


def test_abandoned_drop_iterators_are_unregistered(api: API, client: WebSocketClient) -> None:
    never_started = client.drops()
    left = client.drops(timeout=WAIT)
    assert len(client._streams) == 2
    del never_started
    gc.collect()
    assert len(client._streams) == 1
    fid = flow(api, "iter")
    client.subscribe(fid).result(WAIT)
    api.drop(fid).create({"elems": {"n": 1}})
    for _ in left:
        break
    del left
    gc.collect()
    assert len(client._streams) == 0
