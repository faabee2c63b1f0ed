"""Running the app with uvicorn: in the foreground (CLI) or in a background thread.

uvicorn is configured with ``http="h11"`` (it passes the non-standard ``MGET``
and ``MPUT`` methods through) and ``ws="websockets-sansio"`` (no deprecated
legacy WebSocket implementation is imported). The listening socket is bound
before the server starts, so port ``0`` picks a free port that is known up
front.

Connection limits (an idle or slow client must not hold a connection forever):

* **Request read deadline.** A request's line, headers and body must all
  arrive within ``request_timeout`` seconds (default :data:`REQUEST_TIMEOUT`,
  10 s) of its first byte — or of the connection being opened, so a
  connection that sends nothing or only a request line is closed too.
  uvicorn alone arms no timer before the first request, nor while a
  request is incomplete.
* **Keep-alive**: an idle connection between requests is closed after
  uvicorn's ``timeout_keep_alive`` (5 s); headers are bounded by h11's
  16 KiB incomplete-event limit.
* **WebSocket frames** over ``2 * MAX_DOCUMENT`` (2 MiB) close the socket
  (1009); smaller ones over the document limit get a 400 reply.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from flowthings.local.core.platform import Platform
from flowthings.local.core.validate import MAX_DOCUMENT
from flowthings.local.http.app import create_app

__all__ = ["REQUEST_TIMEOUT", "ServerThread", "bind", "make_server"]

REQUEST_TIMEOUT = 10.0
"""Seconds a client has to send a whole request (line, headers and body)."""


class _DeadlineH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for receiving each request."""

    request_timeout = REQUEST_TIMEOUT
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that never sends a byte is bounded too

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and self.conn.their_state is h11.IDLE:
            self._arm()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
            self._disarm()  # the whole request is in (or the connection is ending)

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._disarm()  # the WebSocket layer has its own idle timeout
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """Return a listening TCP socket on ``host:port`` (``0`` = a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def make_server(
    platform: Platform,
    *,
    log_level: str = "warning",
    request_timeout: float = REQUEST_TIMEOUT,
    **app_kw: Any,
) -> Any:
    """Return a ``uvicorn.Server`` serving ``platform`` (not started).

    Args:
        platform: The platform core.
        log_level: uvicorn's log level.
        request_timeout: Seconds a client has to send a whole request.
        **app_kw: Passed to ``create_app``.
    """
    protocol = type("DeadlineH11", (_DeadlineH11,), {"request_timeout": request_timeout})
    config = uvicorn.Config(
        create_app(platform, **app_kw),
        http=protocol,
        ws_max_size=2 * MAX_DOCUMENT,
        ws="websockets-sansio",
        lifespan="off",
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


class ServerThread:
    """A uvicorn server for ``platform`` running in a daemon thread.

    Args:
        platform: the platform to serve.
        host: interface to bind (loopback by default).
        port: port to bind (``0`` = a free port).
        **app_kw: passed to ``create_app`` (e.g. ``routes=`` for WebSockets).
    """

    def __init__(
        self, platform: Platform, host: str = "127.0.0.1", port: int = 0, **app_kw: Any
    ) -> None:
        self.platform = platform
        self.sock = bind(host, port)
        self.host, self.port = self.sock.getsockname()[:2]
        self.server = make_server(platform, **app_kw)
        self._thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self.sock]},
            name=f"flowthings-local-{self.port}",
            daemon=True,
        )

    def start(self, timeout: float = 10.0) -> None:
        """Start serving and wait until the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.sock.close()
                raise RuntimeError("the local flowthings platform failed to start")
            time.sleep(0.005)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit and wait for the thread."""
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.sock.close()
