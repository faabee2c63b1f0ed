"""A lean HTTP/1.1 protocol for the usual request, handing anything else to h11.

Why: on a drop write, h11's event machinery (and uvicorn's cycle around it)
was over half the server's CPU — more than the platform's own work — so the
server could not store more than ~1,100 drops/s from 8 writers on two cores
(issue 20). ``httptools`` is faster but refuses the platform's ``MGET`` and
``MPUT`` methods, so it cannot be the server's parser.

What it does: requests of the common, unambiguous shape — ``HTTP/1.1``, an
upper-case method, a visible-ASCII target starting with ``/``, well-formed
header lines, exactly one ``Host``, at most one ``Content-Length`` and no
``Transfer-Encoding``, ``Expect`` or upgrade — are parsed here with a few
``bytes`` operations, the body read whole (it is at most :data:`FAST_BODY`
bytes), and the ASGI app run with a minimal cycle. At the first request of
any other shape (chunked bodies, WebSocket upgrades, ``HTTP/1.0``, obsolete
line folding, a malformed or oversized head, a bigger body...) the
connection is handed, at that request's first byte, to the h11 protocol
(:class:`~flowthings.local.http.server` ``_DeadlineH11``), which serves it
and everything after it on that connection exactly as before. So h11 stays
the parser of record for everything unusual, including every error answer;
``tests/local/test_fast_path.py`` sends the same requests, good and bad, to
both and compares the answers.

Limits kept (see ``server``): a request's head and body must arrive within
``request_timeout`` seconds of its first byte (or of the connection being
opened); an idle kept-alive connection closes after ``timeout_keep_alive``;
a head over :data:`MAX_HEAD` bytes goes to h11 (which refuses it); reading
pauses while a request is being answered and more than :data:`FAST_BODY`
bytes wait; the request's cancel event is set when its client goes away.
"""

from __future__ import annotations

import asyncio
import http
import logging
import re
from typing import Any, cast
from urllib.parse import unquote

from flowthings.local.http.app import cancel_event

__all__ = ["FAST_BODY", "MAX_HEAD", "FastPathProtocol"]

log = logging.getLogger("uvicorn.error")

MAX_HEAD = 16 * 1024
"""Most bytes of request line and headers served here (h11's own limit)."""

FAST_BODY = 64 * 1024
"""Bodies up to this size are read here; bigger ones go through h11, which
streams them to the app (which refuses bodies over ``MAX_BODY``)."""

# the whole head in one pass: request line, then header lines (token name, colon, a value
# without control characters but tab); CR/LF only as line ends
_HEAD = re.compile(
    rb"[A-Z]{1,16} /[\x21-\x7e]* HTTP/1\.1"
    rb"(?:\r\n[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\x00-\x08\x0a-\x1f\x7f]*)*"
)
_DIGITS = re.compile(rb"[0-9]{1,10}")
# headers whose presence means "not the usual shape": h11 decides
_HAND_OFF = frozenset([b"transfer-encoding", b"upgrade", b"expect", b"te", b"trailer"])
_REASONS = {s.value: s.phrase.encode() for s in http.HTTPStatus}


class _Request:
    """One parsed request (head and body) of the usual shape."""

    __slots__ = ("body", "close", "headers", "method", "target")

    def __init__(
        self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], close: bool
    ) -> None:
        self.method, self.target, self.headers, self.close = method, target, headers, close
        self.body = b""


def parse_head(head: bytes) -> tuple[_Request, int] | None:
    """Parse a request head (without its final blank line).

    Returns the request and its body's length, or ``None`` when the head is
    not of the usual shape (h11 then decides what it is).
    """
    if _HEAD.fullmatch(head) is None:
        return None
    lines = head.split(b"\r\n")
    method, target, _ = lines[0].split(b" ")
    headers: list[tuple[bytes, bytes]] = []
    length = b""
    hosts = 0
    close = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.lower()
        value = value.strip(b" \t")
        if name == b"content-length":
            if length or _DIGITS.fullmatch(value) is None:
                return None  # repeated or not a plain number: h11 answers
            length = value
        elif name == b"host":
            hosts += 1
        elif name == b"connection":
            tokens = [t.strip().lower() for t in value.split(b",")]
            if b"upgrade" in tokens:
                return None
            close = close or b"close" in tokens
        elif name in _HAND_OFF:
            return None
        headers.append((name, value))
    if hosts != 1:
        return None
    return _Request(method, target, headers, close), int(length or b"0")


class FastPathProtocol(asyncio.Protocol):
    """uvicorn HTTP protocol serving the usual request itself (see the module doc).

    Built by uvicorn with its usual arguments; :meth:`with_fallback` makes the
    subclass that knows which h11 protocol takes unusual connections over.
    """

    fallback: Any = None  # the h11 protocol class taking unusual connections over
    request_timeout = 10.0
    max_body_pieces = 4096

    @classmethod
    def with_fallback(
        cls, fallback: type[asyncio.Protocol], request_timeout: float, max_body_pieces: int
    ) -> type[FastPathProtocol]:
        """A subclass handing unusual requests to ``fallback``, with the server's limits."""
        attrs = {
            "fallback": fallback,
            "request_timeout": request_timeout,
            "max_body_pieces": max_body_pieces,
        }
        return type("FastPath", (cls,), attrs)

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self.config, self.server_state, self.app_state = config, server_state, app_state
        self.app = config.loaded_app
        self.loop = _loop or asyncio.get_event_loop()
        self.root_path: str = config.root_path
        self.keep_alive_s: float = config.timeout_keep_alive
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.buffer = bytearray()
        self.cycle: _Cycle | None = None
        self.reading = True
        self.writable = asyncio.Event()
        self.writable.set()
        self._timer: asyncio.TimerHandle | None = None
        self._pending: tuple[_Request, int, int] | None = None  # parsed head, body start, length
        self._searched = 0  # bytes of the buffer known to hold no end of head
        self._pieces = 0  # pieces of the pending request's body received so far
        self._addresses: tuple[Any, Any, str] = (None, None, "http")

    # -- asyncio.Protocol ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (uvloop's transports are not asyncio.Transport subclasses: no isinstance check)
        self.server_state.connections.add(self)
        self.transport = cast(asyncio.Transport, transport)
        self._addresses = _addresses(self.transport)
        self._arm(self.request_timeout)  # a connection that never sends a byte is bounded too

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.cycle is None:
            self._serve_next()
        elif len(self.buffer) > FAST_BODY and self.reading:
            self.reading = False  # pipelined requests wait: do not buffer without bound
            self.transport.pause_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.server_state.connections.discard(self)
        self._disarm()
        self.writable.set()
        cycle = self.cycle
        if cycle is not None and not cycle.complete:
            cycle.gone()

    def eof_received(self) -> bool | None:
        return None  # close when the client half-closes (as uvicorn does)

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def shutdown(self) -> None:
        """Close between requests; after the current one otherwise (uvicorn's graceful exit)."""
        if self.cycle is None or self.cycle.complete:
            self.transport.close()
        else:
            self.cycle.keep_alive = False

    # -- requests ---------------------------------------------------------------------

    def _serve_next(self) -> None:
        buffer = self.buffer
        if not buffer:
            return
        if self._timer is None or self._timer_is_keep_alive:
            self._arm(self.request_timeout)  # the next request's first bytes
        pending = self._pending
        if pending is None:
            # search only the new bytes (and 3 before them): a head dribbled byte by
            # byte must not cost its length squared
            since = max(0, self._searched - 3)
            end = buffer.find(b"\r\n\r\n", since, MAX_HEAD + 4)
            if end < 0:
                self._searched = len(buffer)
                if (
                    not 65 <= buffer[0] <= 90  # not a method's first letter (TLS, say)
                    or len(buffer) > MAX_HEAD
                    or buffer.find(b"\n\n", since) >= 0
                    or buffer.find(b"\n\r\n", since) >= 0
                ):
                    self._hand_off()  # not the usual shape: h11 answers (at once)
                return
            self._searched = 0
            parsed = parse_head(bytes(buffer[:end]))
            if parsed is None or parsed[1] > FAST_BODY:
                self._hand_off()
                return
            pending = self._pending = (parsed[0], end + 4, parsed[1])
        request, start, length = pending
        if len(buffer) < start + length:
            self._pieces += 1
            if self._pieces > self.max_body_pieces:
                # each piece costs loop time: h11 takes over and counts its own (then refuses)
                self._hand_off()
            return  # the body is on its way (within the deadline)
        self._pending = None
        self._pieces = 0
        request.body = bytes(buffer[start : start + length])
        del buffer[: start + length]
        self._disarm()
        self._run(request)

    def _run(self, request: _Request) -> None:
        raw_path, _, query = request.target.partition(b"?")
        server, client, scheme = self._addresses
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "server": server,
            "client": client,
            "scheme": scheme,
            "method": request.method.decode("ascii"),
            "root_path": self.root_path,
            "path": self.root_path + unquote(raw_path.decode("ascii")),
            "raw_path": self.root_path.encode("ascii") + raw_path,
            "query_string": query,
            "headers": request.headers,
            "state": self.app_state.copy(),
        }
        cycle = _Cycle(self, scope, request)
        self.cycle = cycle
        task = self.loop.create_task(cycle.run(self.app))
        tasks = self.server_state.tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def response_done(self, cycle: _Cycle) -> None:
        """The app answered ``cycle``: close, or serve the next request."""
        self.server_state.total_requests += 1
        self.cycle = None
        if not cycle.keep_alive:
            self.transport.close()
            return
        if self.transport.is_closing():
            return
        if not self.reading:
            self.reading = True
            self.transport.resume_reading()
        if self.buffer:
            self._serve_next()
        else:
            self._arm(self.keep_alive_s, keep_alive=True)

    def _hand_off(self) -> None:
        """Let the h11 protocol serve this connection from the buffered request on."""
        self._disarm()
        self.server_state.connections.discard(self)
        protocol = self.fallback(
            config=self.config,
            server_state=self.server_state,
            app_state=self.app_state,
            _loop=self.loop,
        )
        protocol.connection_made(self.transport)
        self.transport.set_protocol(protocol)
        if not self.reading:
            self.reading = True
            self.transport.resume_reading()
        data = bytes(self.buffer)
        self.buffer.clear()
        self._pending = None
        protocol.data_received(data)

    # -- timers -----------------------------------------------------------------------

    _timer_is_keep_alive = False

    def _arm(self, seconds: float, keep_alive: bool = False) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._expired)
        self._timer_is_keep_alive = keep_alive

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()


class _Cycle:
    """One request's ASGI run: ``receive`` gives the whole body once, ``send`` writes."""

    __slots__ = (
        "_chunked",
        "_done",
        "_head",
        "_head_pending",
        "complete",
        "disconnected",
        "keep_alive",
        "proto",
        "request",
        "scope",
        "started",
    )  # fmt: skip

    def __init__(self, proto: FastPathProtocol, scope: dict[str, Any], request: _Request) -> None:
        self.proto, self.scope = proto, scope
        self.request: _Request | None = request  # until the app received it
        self.keep_alive = not request.close
        self.started = self.complete = self.disconnected = False
        self._chunked = False
        self._head = request.method == b"HEAD"
        self._done: asyncio.Event | None = None
        self._head_pending = b""

    def gone(self) -> None:
        """The client disconnected before the answer was complete."""
        self.disconnected = True
        cancel_event(self.scope).set()  # the request's work stops (core: SQLite reads)
        if self._done is not None:
            self._done.set()

    async def run(self, app: Any) -> None:
        try:
            await app(self.scope, self.receive, self.send)
        except BaseException as exc:
            log.error("Exception in ASGI application\n", exc_info=exc)
            if not self.started and not self.disconnected:
                await self._send_500()
            else:
                self.proto.transport.close()
        else:
            if not self.complete and not self.disconnected:
                log.error("ASGI callable returned without completing response.")
                if self.started:
                    self.proto.transport.close()
                else:
                    await self._send_500()

    async def receive(self) -> dict[str, Any]:
        request = self.request
        if request is not None and not self.disconnected:
            self.request = None
            return {"type": "http.request", "body": request.body, "more_body": False}
        if not self.disconnected and not self.complete:
            self._done = self._done or asyncio.Event()
            await self._done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        proto = self.proto
        if not proto.writable.is_set() and not self.disconnected:
            await proto.writable.wait()
        if self.disconnected:
            return
        kind = message["type"]
        if not self.started:
            if kind != "http.response.start":
                raise RuntimeError(f"Expected ASGI message 'http.response.start', but got '{kind}'.")
            self.started = True
            self._head_bytes(message)
            return
        if self.complete or kind != "http.response.body":
            raise RuntimeError(f"Unexpected ASGI message '{kind}'.")
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        out = self._head_pending + (b"" if self._head else self._framed(body, more))
        self._head_pending = b""
        if not more:
            self.complete = True
            if self._done is not None:
                self._done.set()
        if out:
            proto.transport.write(out)
        if self.complete:
            proto.response_done(self)

    def _head_bytes(self, message: dict[str, Any]) -> None:
        """Build the status line and headers (written with the first body piece)."""
        status: int = message["status"]
        headers: list[tuple[bytes, bytes]] = [
            *self.proto.server_state.default_headers,
            *message.get("headers", ()),
        ]
        names = {name.lower() for name, _ in headers}
        if b"content-length" not in names and status >= 200 and status not in (204, 304):
            self._chunked = True
            headers.append((b"transfer-encoding", b"chunked"))
        if not self.keep_alive and b"connection" not in names:
            headers.append((b"connection", b"close"))
        lines = [b"HTTP/1.1 %d %s" % (status, _REASONS.get(status, b""))]
        lines += [name + b": " + value for name, value in headers]
        head = b"\r\n".join(lines) + b"\r\n\r\n"
        if head.count(b"\n") != len(lines) + 1:
            raise RuntimeError("a response header holds a line break")  # never sent
        self._head_pending = head

    def _framed(self, body: bytes, more: bool) -> bytes:
        if not self._chunked:
            return body
        chunk = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
        return chunk if more else chunk + b"0\r\n\r\n"

    async def _send_500(self) -> None:
        self.keep_alive = False
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"21")]
        await self.send({"type": "http.response.start", "status": 500, "headers": headers})
        await self.send({"type": "http.response.body", "body": b"Internal Server Error"})


def _addresses(transport: asyncio.Transport) -> tuple[Any, Any, str]:
    """``(server, client, scheme)`` of the connection, as ASGI scopes carry them."""
    server = transport.get_extra_info("sockname")
    client = transport.get_extra_info("peername")
    scheme = "https" if transport.get_extra_info("sslcontext") else "http"
    server = tuple(server[:2]) if isinstance(server, tuple) else None
    client = tuple(client[:2]) if isinstance(client, tuple) else None
    return server, client, scheme
