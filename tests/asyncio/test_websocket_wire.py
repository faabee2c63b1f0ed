"""The asyncio and thread WebSocket clients send the same frames (issue 18), and the
pure pieces they share decode and back off as documented."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from flowthings import FlowThingsConnectionLost, FlowThingsForbidden, mem
from flowthings.asyncio import WebSocketClient as AsyncClient
from flowthings.models import Drop
from flowthings.websocket._client import WebSocketClient
from flowthings.websocket._requests import connect_error
from flowthings.websocket._wire import Ended, Push, Reconnection, Reply, backoff_delay, decode

WAIT = 10.0


class RecordingServer:
    """A WebSocket server (own thread and loop) that records every frame and
    answers each request with an empty success carrying its ``msgId``."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self._ready = threading.Event()
        self._stop: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.port = 0
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self._thread.start()
        assert self._ready.wait(WAIT)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = self._loop.create_future()
        async with serve(self._handle, "127.0.0.1", 0) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop

    async def _handle(self, conn: ServerConnection) -> None:
        async for text in conn:
            frame = json.loads(text)
            if frame.get("type") == "heartbeat":
                continue
            self.frames.append(frame)
            head = {"ok": True, "status": 200, "msgId": frame.get("msgId")}
            await conn.send(json.dumps({"head": head, "body": {}}))

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/session/s1/ws"

    def take(self) -> list[dict[str, Any]]:
        frames, self.frames = self.frames, []
        return frames

    def close(self) -> None:
        assert self._loop is not None
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(WAIT)


@pytest.fixture
def recorder() -> Iterator[RecordingServer]:
    server = RecordingServer()
    yield server
    server.close()


def test_both_clients_send_the_same_frames(recorder: RecordingServer) -> None:
    drop = Drop(elems={"temp": 21})
    sync = WebSocketClient(recorder.url, heartbeat_interval=None)
    sync.run_in_thread(wait_open=WAIT)
    try:
        for future in (
            sync.subscribe("f1"),
            sync.subscribe("/alice/flow"),
            sync.create_drop("f1", drop),
            sync.find_drop("f1", "d1"),
            sync.find_drops("f1", filter=mem.elems.temp > 20, limit=5),
            sync.update_drop("f1", "d1", {"elems": {"temp": 22}}),
            sync.delete_drop("f1", "d1"),
            sync.request("flow", "findmany", options={"limit": "1"}),
            sync.unsubscribe("f1"),
        ):
            future.result(WAIT)
    finally:
        sync.close()
    sent_by_thread_client = recorder.take()

    async def main() -> None:
        async def session() -> str:
            return recorder.url

        async with AsyncClient(session, heartbeat_interval=None) as ws:
            await ws.subscribe("f1")
            await ws.subscribe("/alice/flow")
            await ws.create_drop("f1", drop)
            await ws.find_drop("f1", "d1")
            await ws.find_drops("f1", filter=mem.elems.temp > 20, limit=5)
            await ws.update_drop("f1", "d1", {"elems": {"temp": 22}})
            await ws.delete_drop("f1", "d1")
            await ws.request("flow", "findmany", options={"limit": "1"})
            await ws.unsubscribe("f1")

    asyncio.run(main())
    sent_by_asyncio_client = recorder.take()
    assert len(sent_by_thread_client) == 9
    assert sent_by_asyncio_client == sent_by_thread_client
    assert sent_by_thread_client[0] == {"type": "subscribe", "object": "drop", "flowId": "f1", "msgId": 1}
    assert sent_by_thread_client[4]["options"] == {"filter": "elems.temp > 20", "limit": "5"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('{"type": "message", "resource": "f1", "value": {"id": "d1"}}', Push("f1", {"id": "d1"}), id="push"),
        pytest.param(
            '{"type": "unsubscribed", "resource": "f1", "head": {"status": 404, "msgId": null}, "body": {}}',
            Ended("f1", {"status": 404, "msgId": None}),
            id="ended",
        ),
        pytest.param('{"head": {"ok": true, "msgId": 3}, "body": [1]}', Reply({"ok": True, "msgId": 3}, [1]), id="reply"),
        pytest.param("not json", None, id="junk"),
        pytest.param("[]", None, id="array"),
        pytest.param('{"head": 1}', None, id="bad-head"),
        pytest.param("[" * 100_000, None, id="too-deep"),
    ],
)
def test_decode_classifies_frames(text: str, expected: object) -> None:
    assert decode(text) == expected


def test_backoff_grows_is_capped_and_jittered() -> None:
    top = [backoff_delay(n, 0.5, 30.0, lambda lo, hi: hi) for n in range(1, 10)]
    assert top == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert backoff_delay(3, 0.5, 30.0, lambda lo, hi: lo) == 1.0
    assert backoff_delay(10_000, 0.5, 30.0, lambda lo, hi: hi) == 30.0  # no overflow
    assert all(1.0 <= backoff_delay(3, 0.5, 30.0) <= 2.0 for _ in range(100))


def test_both_clients_share_one_reconnection_policy() -> None:
    assert issubclass(WebSocketClient, Reconnection)
    assert issubclass(AsyncClient, Reconnection)
    for cls in (WebSocketClient, AsyncClient):  # not shadowed by either loop
        assert cls._should_retry is Reconnection._should_retry
        assert cls._backoff_delay is Reconnection._backoff_delay


class _Policy(Reconnection):
    def __init__(self, reconnect: bool, max_retries: int | None) -> None:
        self.reconnect, self.max_retries = reconnect, max_retries
        self.backoff_base, self.backoff_max = 0.5, 1.0


def test_reconnection_policy_decides_as_documented() -> None:
    lost = FlowThingsConnectionLost(["gone"], None)
    assert _Policy(True, None)._should_retry(lost, 10_000)
    assert _Policy(True, 2)._should_retry(lost, 2)
    assert not _Policy(True, 2)._should_retry(lost, 3)
    assert not _Policy(False, None)._should_retry(None, 1)
    assert not _Policy(True, None)._should_retry(FlowThingsForbidden(["no"], None), 1)
    assert 0.5 <= _Policy(True, None)._backoff_delay(5) <= 1.0  # capped by backoff_max


def test_connect_error_maps_each_failure() -> None:
    forbidden = FlowThingsForbidden(["no"], None)
    assert connect_error(forbidden, None, refused_status=None, why="x") is forbidden
    refused = connect_error(OSError("x"), None, refused_status=502, why="x")
    assert isinstance(refused, FlowThingsConnectionLost)
    assert refused.status == 502
    cause = OSError("refused")
    lost = connect_error(cause, None, refused_status=None, why="cannot connect: refused")
    assert isinstance(lost, FlowThingsConnectionLost)
    assert lost.__cause__ is cause
    assert "cannot connect: refused" in str(lost)
