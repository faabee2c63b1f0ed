"""A loopback HTTP/1.1 server that misbehaves on cue, at the byte level.

`FaultServer` is a raw-socket server (one thread accepting, one thread per
connection). Every request it reads is recorded (`Recorded`: method, path,
headers, body, connection number, arrival time), then answered by the next
scripted `Behaviour` (`server.script(...)`), or, once the script is empty,
normally: a small flowthings envelope, or the response of the real platform
when the server was started as a proxy (`FaultServer(upstream="host:port")`).

A behaviour is a function `(server, sock, request) -> keep_alive`; the
factories below build the faults: resets (RST through `SO_LINGER 0`), bodies
cut short, stalls, HTML error pages, `Retry-After`, truncated or absurd JSON,
huge streamed bodies. A stall waits on an event that `stop()` sets, never on
a sleep.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Behaviour", "FaultServer", "Recorded", "envelope"]

_MAX_STALL = 30.0  # a stalled handler gives up by itself after this (the tests end long before)
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "host", "content-length", "transfer-encoding"})


@dataclass(frozen=True)
class Recorded:
    """One request as the server read it off the wire."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    conn: int  # 1-based number of the TCP connection it arrived on
    at: float  # time.monotonic() when the whole request had been read


Behaviour = Callable[["FaultServer", socket.socket, Recorded], bool]


def envelope(body: Any = None, status: int = 200, errors: list[str] | None = None) -> bytes:
    """A platform envelope, encoded."""
    head = {"ok": status < 400, "status": status, "messages": [], "errors": errors or [], "references": {}}
    return json.dumps({"head": head, "body": body}).encode()


def _head(status: int, headers: Iterable[tuple[str, str]], length: int | None) -> bytes:
    reason = http.client.responses.get(status, "Unknown")
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines.extend(f"{k}: {v}" for k, v in headers)
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _reset(sock: socket.socket) -> None:
    """Closes with an RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


# --- behaviours -------------------------------------------------------------


def reply(
    status: int = 200,
    body: bytes | None = None,
    *,
    content_type: str = "application/json",
    headers: Iterable[tuple[str, str]] = (),
    close: bool = False,
) -> Behaviour:
    """A well-formed response (`body` defaults to an envelope of `{"id": "f1"}`)."""

    def run(server: FaultServer, sock: socket.socket, req: Recorded) -> bool:
        content = body if body is not None else envelope({"id": "f1"}, status)
        hdrs = [("Content-Type", content_type), *headers]
        if close:
            hdrs.append(("Connection", "close"))
        sock.sendall(_head(status, hdrs, len(content)) + content)
        return not close

    return run


def html_page(status: int, *, retry_after: str | None = None) -> Behaviour:
    """The kind of page a load balancer sends: HTML, not an envelope."""
    title = f"{status} {http.client.responses.get(status, '')}"
    page = f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center><hr><center>nginx</center></body></html>\n"
    headers = [("Retry-After", retry_after)] if retry_after is not None else []
    return reply(status, page.encode(), content_type="text/html", headers=headers)


def rate_limited(retry_after: str | None) -> Behaviour:
    """429 with a flowthings error envelope and (optionally) `Retry-After`."""
    headers = [("Retry-After", retry_after)] if retry_after is not None else []
    return reply(429, envelope(None, 429, ["Too many requests"]), headers=headers)


def truncated_json(status: int = 200) -> Behaviour:
    """A correct Content-Length over a JSON document cut in the middle."""
    whole = envelope({"id": "f1", "path": "/acct/x", "description": "d" * 100}, status)
    return reply(status, whole[: len(whole) // 2])


def deep_json(depth: int = 100_000) -> Behaviour:
    """A valid envelope whose body is nested `depth` levels deep."""
    whole = b'{"head": {"ok": true, "status": 200, "errors": [], "references": {}}, "body": '
    whole += b"[" * depth + b"]" * depth + b"}"
    return reply(200, whole)


def bad_gzip() -> Behaviour:
    """`Content-Encoding: gzip` over bytes that are not gzip."""
    return reply(200, b"\x1f\x8bthis is not gzip at all" * 10, headers=[("Content-Encoding", "gzip")])


def gzip_reply() -> Behaviour:
    """A normal envelope, gzip-encoded (the control case for `bad_gzip`)."""
    return reply(200, gzip.compress(envelope({"id": "f1"})), headers=[("Content-Encoding", "gzip")])


def garbage() -> Behaviour:
    """Bytes that are not HTTP at all, then a close."""

    def run(server: FaultServer, sock: socket.socket, req: Recorded) -> bool:
        sock.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\x00\xff\xfe garbage\r\n\r\n")
        return False

    return run


def reset_before_response() -> Behaviour:
    """Reads the request, then RST: no byte of an answer."""

    def run(server: FaultServer, sock: socket.socket, req: Recorded) -> bool:
        _reset(sock)
        return False

    return run


def _partial(status: int = 200) -> tuple[bytes, bytes]:
    content = envelope({"id": "f1", "description": "x" * 4000}, status)
    return _head(status, [("Content-Type", "application/json")], len(content)), content


def reset_mid_body() -> Behaviour:
    """Headers and half the body, then RST."""

    def run(server: FaultServer, sock: socket.socket, req: Recorded) -> bool:
        head, content = _partial()
        sock.sendall(head + content[: len(content) // 2])
        _reset(sock)
        return False

    return run


def short_body() -> Behaviour:
    """A Content-Length larger than the body sent, then a clean close (FIN)."""

    def run(server: FaultServer, sock: socket.socket, req: Recorded) -> bool:
        head, content = _partial()
        sock.sendall(head + content[: len(content) // 2])
        return False

    return run


def stall_before_headers() -> Behaviour:
    """Reads the request and never answers (until the server stops)."""

    def run(server: FaultServer, sock: socket.socket, req: Recorded) -> bool:
        server.stopping.wait(_MAX_STALL)
        return False

    return run


def stall_mid_body() -> Behaviour:
    """Headers and part of the body, then silence."""

    def run(server: FaultServer, sock: socket.socket, req: Recorded) -> bool:
        head, content = _partial()
        sock.sendall(head + content[:100])
        server.stopping.wait(_MAX_STALL)
        return False

    return run


def huge_json(size: int, chunk: int = 1 << 20) -> Behaviour:
    """A valid envelope of about `size` bytes, streamed (the server holds one chunk)."""

    def run(server: FaultServer, sock: socket.socket, req: Recorded) -> bool:
        prefix = b'{"head": {"ok": true, "status": 200, "errors": [], "references": {}}, "body": {"id": "f1", "blob": "'
        suffix = b'"}}'
        filler = b"a" * chunk
        count = max(1, size // chunk)
        length = len(prefix) + count * chunk + len(suffix)
        sock.sendall(_head(200, [("Content-Type", "application/json")], length) + prefix)
        for _ in range(count):
            sock.sendall(filler)
        sock.sendall(suffix)
        return True

    return run


def huge_html(status: int, size: int, chunk: int = 1 << 20) -> Behaviour:
    """An HTML error page of about `size` bytes, streamed."""

    def run(server: FaultServer, sock: socket.socket, req: Recorded) -> bool:
        prefix = b"<html><body><h1>Bad Gateway</h1><pre>"
        filler = b"<p>upstream said no</p>\n" * (chunk // 24)
        count = max(1, size // len(filler))
        length = len(prefix) + count * len(filler)
        sock.sendall(_head(status, [("Content-Type", "text/html")], length) + prefix)
        for _ in range(count):
            sock.sendall(filler)
        return True

    return run


def reply_then_close() -> Behaviour:
    """A normal answer (no `Connection: close`), then the server drops the idle connection."""
    answer = reply()

    def run(server: FaultServer, sock: socket.socket, req: Recorded) -> bool:
        answer(server, sock, req)
        return False

    return run


def proxy() -> Behaviour:
    """Forwards the request to the upstream platform and relays its answer."""

    def run(server: FaultServer, sock: socket.socket, req: Recorded) -> bool:
        status, headers, content = server.forward(req)
        sock.sendall(_head(status, headers, len(content)) + content)
        return True

    return run


def proxy_then_reset() -> Behaviour:
    """Forwards the request (the platform acts on it), then RSTs the client."""

    def run(server: FaultServer, sock: socket.socket, req: Recorded) -> bool:
        server.forward(req)
        _reset(sock)
        return False

    return run


# --- the server -------------------------------------------------------------


class FaultServer:
    """A scripted loopback HTTP/1.1 server; see the module docstring."""

    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = upstream
        self.requests: list[Recorded] = []
        self.connections = 0
        self.closed: set[int] = set()  # numbers of the connections the server has closed
        self._closed_changed = threading.Condition()
        self.stopping = threading.Event()
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self.port = 0
        self._held: socket.socket | None = None
        self._listen()

    # lifecycle

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        return sock

    def _listen(self, bound: socket.socket | None = None) -> None:
        listener = bound if bound is not None else self._bind()
        listener.listen(64)
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def refuse(self) -> None:
        """Stops listening and closes every open connection: connects are refused.

        The port stays bound (without listening) until `resume`, so connects
        get a reset and no other socket can take the port meanwhile.
        """
        self._close_listener()
        self._close_connections()
        self._held = self._bind()

    def resume(self) -> None:
        """Listens again on the same port."""
        held, self._held = self._held, None
        self._listen(held)

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() wakes the blocked accept(); close() alone may not.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._acceptor is not None:
            self._acceptor.join(5)
            self._acceptor = None
        held, self._held = self._held, None
        if held is not None:  # stopped while refusing
            held.close()

    def _close_connections(self) -> None:
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self.stopping.set()
        self._close_listener()
        self._close_connections()
        for thread in self._threads:
            thread.join(5)

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # scripting and records

    def script(self, *behaviours: Behaviour) -> None:
        """Queues behaviours for the next requests (one each, in order)."""
        with self._lock:
            self._script.extend(behaviours)

    @property
    def pending(self) -> int:
        """Scripted behaviours not used yet."""
        with self._lock:
            return len(self._script)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def _next(self) -> Behaviour:
        with self._lock:
            if self._script:
                return self._script.popleft()
        return proxy() if self.upstream else reply()

    def forward(self, req: Recorded) -> tuple[int, list[tuple[str, str]], bytes]:
        assert self.upstream is not None, "not a proxy"
        upstream = http.client.HTTPConnection(self.upstream, timeout=10)
        try:
            headers = {k: v for k, v in req.headers.items() if k not in _HOP_BY_HOP}
            upstream.request(req.method, req.path, body=req.body or None, headers=headers)
            response = upstream.getresponse()
            content = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            return response.status, kept, content
        finally:
            upstream.close()

    # the wire

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                number = self.connections
                self._conns.add(sock)
            thread = threading.Thread(target=self._serve, args=(sock, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket, number: int) -> None:
        buffer = bytearray()
        try:
            while not self.stopping.is_set():
                req = _read_request(sock, buffer, number)
                if req is None:
                    return
                with self._lock:
                    self.requests.append(req)
                if not self._next()(self, sock, req):
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.discard(sock)
            sock.close()  # a no-op after a reset
            with self._closed_changed:
                self.closed.add(number)
                self._closed_changed.notify_all()

    def wait_closed(self, conn: int, timeout: float = 5.0) -> None:
        """Blocks until the server has closed connection number `conn`."""
        with self._closed_changed:
            assert self._closed_changed.wait_for(lambda: conn in self.closed, timeout), f"connection {conn} still open"


def _read_request(sock: socket.socket, buffer: bytearray, number: int) -> Recorded | None:
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            return None
        buffer.extend(data)
    end = buffer.index(b"\r\n\r\n")
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    del buffer[: end + 4]
    method, path, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(buffer) < length:
        data = sock.recv(65536)
        if not data:
            return None
        buffer.extend(data)
    body = bytes(buffer[:length])
    del buffer[:length]
    return Recorded(method, path, headers, body, number, time.monotonic())
