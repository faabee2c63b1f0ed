"""Running the app with uvicorn: in the foreground (CLI) or in a background thread.

Requests of the usual shape are parsed by the lean protocol of
:mod:`~flowthings.local.http.fast_path`; it hands every other connection to
uvicorn's h11 protocol (which passes the non-standard ``MGET`` and ``MPUT``
methods through; ``httptools`` refuses them). WebSockets use
``ws="websockets-sansio"`` (no deprecated legacy implementation is imported). The listening socket is bound
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
* **Body chunks**: a request body may arrive in at most
  :data:`MAX_BODY_CHUNKS` pieces (h11 ``Data`` events, i.e. chunks of a
  chunked body); beyond that the request is a 400 and the connection closes.
  Each piece costs parser time on the event loop whatever its size, so a
  body sent in 1-byte chunks would otherwise stall every tenant for seconds.
* **WebSocket frames** over ``2 * MAX_DOCUMENT`` (2 MiB) close the socket
  (1009); smaller ones over the document limit get a 400 reply. A message
  may come in at most :data:`MAX_WS_FRAGMENTS` frames, all within
  ``request_timeout`` seconds of its first one (else the socket closes with
  1008): like body chunks, each fragment costs event-loop time. Incoming
  bytes are parsed in slices of :data:`_WS_SLICE`, so the cap also applies
  within one big network read.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.frames import Frame

from flowthings.local.base.asgi_ext import SEND_MANY
from flowthings.local.core.platform import Platform
from flowthings.local.core.validate import MAX_DOCUMENT
from flowthings.local.http.app import cancel_event, create_app
from flowthings.local.http.fast_path import FastPathProtocol

__all__ = [
    "MAX_BODY_CHUNKS",
    "MAX_WS_FRAGMENTS",
    "REQUEST_TIMEOUT",
    "SECRET_HEADERS",
    "RedactSecretHeaders",
    "ServerThread",
    "bind",
    "http_protocol",
    "make_server",
]

REQUEST_TIMEOUT = 10.0
"""Seconds a client has to send a whole request (line, headers and body)."""

MAX_BODY_CHUNKS = 4096
"""Most pieces (chunks) one request body may arrive in: a 1 MiB body in
256-byte chunks still fits; 1-byte chunks are refused after a few ms."""

MAX_WS_FRAGMENTS = 1024
"""Most frames one WebSocket message may be fragmented into."""

_H11_HEADERS = 16 * 1024  # h11's (and uvicorn's) default incomplete-event limit
_WS_SLICE = 16 * 1024  # bytes handed to the WebSocket parser at a time


class _TooManyChunks(h11.RemoteProtocolError):
    pass


class _ChunkCountingConnection(h11.Connection):
    """h11 connection counting the body pieces of the current request."""

    chunks = 0

    def next_event(self) -> Any:
        event = super().next_event()
        if type(event) is h11.Data:
            self.chunks += 1
            if self.chunks > MAX_BODY_CHUNKS:
                raise _TooManyChunks(f"The request body arrives in more than {MAX_BODY_CHUNKS} chunks.")
        elif type(event) is h11.Request:
            self.chunks = 0
        return event


class _DeadlineH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for receiving each request."""

    request_timeout = REQUEST_TIMEOUT
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # uvicorn's own connection, with the body pieces counted (same size limit)
        limit = self.config.h11_max_incomplete_event_size
        self.conn = _ChunkCountingConnection(h11.SERVER, _H11_HEADERS if limit is None else limit)
        super().connection_made(transport)
        self._arm()  # a connection that never sends a byte is bounded too

    def send_400_response(self, msg: str) -> None:
        if isinstance(self.conn, _ChunkCountingConnection) and self.conn.chunks > MAX_BODY_CHUNKS:
            msg = f"The request body arrives in more than {MAX_BODY_CHUNKS} chunks."
        if self.conn.our_state in (h11.SEND_BODY, h11.DONE, h11.MUST_CLOSE, h11.CLOSED):
            # the app answered (or is answering) already: just close
            self.transport.close()
            return
        super().send_400_response(msg)

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
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cancel_event(cycle.scope).set()  # the request's work stops (core: SQLite reads)
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


class _BoundedWebSocket(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol with a bound on message fragments,
    and the :data:`~flowthings.local.base.asgi_ext.SEND_MANY` extension (several
    text frames written to the socket at once: one system call, not one each)."""

    request_timeout = REQUEST_TIMEOUT
    _fragments = 0
    _started = 0.0

    async def run_asgi(self) -> None:
        self.scope["extensions"][SEND_MANY] = {}
        await super().run_asgi()

    async def send(self, message: Any) -> None:
        more = message.get(SEND_MANY) if message["type"] == "websocket.send" else None
        if not more:
            await super().send(message)
            return
        await self.writable.wait()  # the transport's flow control, as for one frame
        if self.disconnected:
            raise ClientDisconnected()
        if self.close_sent or not self.handshake_complete or self.initial_response is not None:
            await super().send(message)  # not an open socket: uvicorn's answer to a send
            return
        try:
            for text in (message["text"], *more):
                self.conn.send_text(text.encode())
        except InvalidState:
            raise ClientDisconnected() from None
        self.transport.write(b"".join(self.conn.data_to_send()))

    def data_received(self, data: bytes) -> None:
        # slices: a 256 KiB read of 7-byte frames must not be parsed in one go
        for start in range(0, len(data), _WS_SLICE):
            if self.transport.is_closing():
                return
            super().data_received(data[start : start + _WS_SLICE])

    def handle_text(self, event: Frame) -> None:
        self._first_fragment()
        super().handle_text(event)

    def handle_bytes(self, event: Frame) -> None:
        self._first_fragment()
        super().handle_bytes(event)

    def handle_cont(self, event: Frame) -> None:
        if self.close_sent or self.transport.is_closing():
            return
        self._fragments += 1
        if self._fragments > MAX_WS_FRAGMENTS:
            self._refuse(f"message in more than {MAX_WS_FRAGMENTS} fragments")
        elif self.loop.time() - self._started > self.request_timeout:
            self._refuse(f"message not complete within {self.request_timeout:g} s")
        else:
            super().handle_cont(event)

    def _first_fragment(self) -> None:
        self._fragments = 1
        self._started = self.loop.time()

    def _refuse(self, reason: str) -> None:
        self.frames = []
        self.conn.fail(1008, reason)
        self.handle_parser_exception()


SECRET_HEADERS = frozenset(
    ["x-auth-token", "authorization", "proxy-authorization", "cookie", "set-cookie"]
)
"""Headers whose values never reach a log."""


class RedactSecretHeaders(logging.Filter):
    """Replaces the value of a credential header in the WebSocket handshake's debug log.

    At ``--log-level debug`` the websockets library logs every handshake
    header, through uvicorn's ``uvicorn.error`` logger, as ``"< %s: %s"`` /
    ``"> %s: %s"`` records: a token must not end up in a log file.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            record.msg in ("< %s: %s", "> %s: %s")
            and isinstance(args, tuple)
            and len(args) == 2
            and str(args[0]).lower() in SECRET_HEADERS
        ):
            record.args = (args[0], "[redacted]")
        return True


def _redact_handshake_logs() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, RedactSecretHeaders) for f in logger.filters):
        logger.addFilter(RedactSecretHeaders())


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


def http_protocol(request_timeout: float = REQUEST_TIMEOUT, *, fast_path: bool = True) -> type:
    """The uvicorn HTTP protocol class the platform serves with (``uvicorn.Config(http=...)``).

    Args:
        request_timeout: Seconds a client has to send a whole request.
        fast_path: Serve requests of the usual shape with the lean protocol of
            :mod:`~flowthings.local.http.fast_path` (h11 serves the rest);
            ``False``: h11 serves every request.
    """
    h11_protocol = type("DeadlineH11", (_DeadlineH11,), {"request_timeout": request_timeout})
    if not fast_path:
        return h11_protocol
    return FastPathProtocol.with_fallback(h11_protocol, request_timeout, MAX_BODY_CHUNKS)


def make_server(
    platform: Platform,
    *,
    log_level: str = "warning",
    request_timeout: float = REQUEST_TIMEOUT,
    fast_path: bool = True,
    **app_kw: Any,
) -> Any:
    """Return a ``uvicorn.Server`` serving ``platform`` (not started).

    Args:
        platform: The platform core.
        log_level: uvicorn's log level.
        request_timeout: Seconds a client has to send a whole request.
        fast_path: See :func:`http_protocol`.
        **app_kw: Passed to ``create_app``.
    """
    protocol = http_protocol(request_timeout, fast_path=fast_path)
    _redact_handshake_logs()
    ws_protocol = type(
        "BoundedWebSocket", (_BoundedWebSocket,), {"request_timeout": request_timeout}
    )
    config = uvicorn.Config(
        create_app(platform, **app_kw),
        http=protocol,
        ws_max_size=2 * MAX_DOCUMENT,
        ws=ws_protocol,
        lifespan="off",
        proxy_headers=False,  # nothing reads the client's address: no middleware for it
        server_header=False,  # no "server: uvicorn" on every answer (one header less to parse)
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
