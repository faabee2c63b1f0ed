"""A local platform whose server can be stopped and restarted on the same port; helpers."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flowthings import API, Token
from flowthings.local.core.platform import Platform
from flowthings.local.http.server import bind
from flowthings.local.http.server import make_server as make_http_server
from flowthings.local.realtime.ws import WebSocketSettings, websocket_routes
from flowthings.websocket._client import WebSocketClient

ACCOUNT = "alice"
TOKEN = "A" * 32
WAIT = 10.0


class WsServer:
    """The local platform on a fixed loopback port; ``stop()``/``start()`` keep the data."""

    def __init__(self, settings: WebSocketSettings) -> None:
        self.settings = settings
        self.platform = Platform()
        self.platform.create_account(ACCOUNT, TOKEN)
        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: Any = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self._sock = bind("127.0.0.1", self.port)
        self.port = self._sock.getsockname()[1]
        routes = websocket_routes(self.platform, self.settings)
        self._server = make_http_server(self.platform, routes=routes)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + WAIT
        while not self._server.started:
            assert self._thread.is_alive(), "server did not start"
            assert time.monotonic() < deadline, "server did not start in time"
            time.sleep(0.005)

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(WAIT)
        self._sock.close()
        self._thread = None

    def api(self) -> API:
        return API(
            Token(ACCOUNT, TOKEN), secure=False, host=self.host, ws_host=self.host, max_retries=0
        )

    def close(self) -> None:
        self.stop()
        self.platform.close()


def connect(api: API, **kwargs: Any) -> WebSocketClient:
    """``api.websocket.connect(...)``, the documented entry point."""
    return api.websocket.connect(**kwargs)


class Recorder:
    """Collects every callback of a client; tests wait on its queues."""

    def __init__(self) -> None:
        self.messages: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.errors: queue.Queue[BaseException] = queue.Queue()
        self.reconnects: queue.Queue[int] = queue.Queue()
        self.opened = threading.Event()
        self.closed = threading.Event()
        self.close_count = 0

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_open": lambda ws: self.opened.set(),
            "on_message": lambda ws, res, data: self.messages.put((res, data)),
            "on_error": lambda ws, exc: self.errors.put(exc),
            "on_close": self._on_close,
            "on_reconnect": lambda ws, attempt: self.reconnects.put(attempt),
        }

    def _on_close(self, ws: WebSocketClient) -> None:
        self.close_count += 1
        self.closed.set()

    def next_message(self) -> tuple[str, Any]:
        return self.messages.get(timeout=WAIT)


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def client(api: API, rec: Recorder) -> Iterator[WebSocketClient]:
    ws = connect(api, **rec.callbacks())
    ws.run_in_thread(wait_open=WAIT)
    yield ws
    ws.close()


def flow(api: API, name: str) -> str:
    fid: str = api.flow.create({"path": f"/alice/{name}"})["id"]
    return fid


@pytest.fixture
def make_server() -> Iterator[Callable[..., WsServer]]:
    """``make_server(**settings)`` starts a `WsServer`; all are closed after the test.

    Also the asyncio client's (tests/asyncio/conftest.py re-exports it with `server`).
    """
    servers: list[WsServer] = []

    def factory(**settings: Any) -> WsServer:
        server = WsServer(WebSocketSettings(**settings))
        server.start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.close()


@pytest.fixture
def server(make_server: Callable[..., WsServer]) -> WsServer:
    """A started `WsServer` with the default WebSocket settings."""
    return make_server()


@pytest.fixture
def api(server: WsServer) -> Iterator[API]:
    with server.api() as api:
        yield api
