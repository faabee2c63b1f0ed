"""The httpx clients the SDK creates (flowthings/http/_clients.py, _coalesce.py).

On the wire: a raw loopback server reads once and finds the whole request
(head and body) there; a body larger than what a stream holds back still
arrives whole; cookies a server sets are kept and sent back, and cookies
set on the client are sent. Below the wire: the streams hold writes until
the next read, forget what they could not send, wrap TLS, and the transports
raise httpx's errors for httpcore's.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx
import pytest

from flowthings import API, Token
from flowthings.asyncio import API as AsyncAPI
from flowthings.http._coalesce import (
    COALESCE_BYTES,
    AsyncCoalescingStream,
    AsyncCoalescingTransport,
    CoalescingStream,
    CoalescingTransport,
)

CREDS = Token("alice", "t0ken")
ANSWER = json.dumps(
    {"head": {"status": 201, "ok": True, "messages": [], "errors": [], "references": {}},
     "body": {"id": "d1", "elems": {}}}
).encode()  # fmt: skip


class OneReadServer:
    """Accepts connections; per request, records what its *first* ``recv`` got,
    reads the rest by Content-Length, and answers a 201 envelope."""

    def __init__(self) -> None:
        self.set_cookies: list[bytes] = []  # one per answer, in order, while there are any
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.first_reads: list[bytes] = []
        self.requests: list[bytes] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while True:
                first = conn.recv(1 << 20)
                if not first:
                    return
                data = first
                while b"\r\n\r\n" not in data:
                    data += conn.recv(1 << 20)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                while len(body) < length:
                    body += conn.recv(1 << 20)
                self.first_reads.append(first)
                self.requests.append(head + b"\r\n\r\n" + body)
                cookie = (
                    b"set-cookie: %s\r\n" % self.set_cookies.pop(0) if self.set_cookies else b""
                )
                conn.sendall(
                    b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n%s"
                    b"content-length: %d\r\n\r\n%s" % (cookie, len(ANSWER), ANSWER)
                )

    def cookie_headers(self) -> list[bytes | None]:
        """The Cookie header of each request (None: none sent)."""
        found = []
        for request in self.requests:
            lines = request.partition(b"\r\n\r\n")[0].split(b"\r\n")
            values = [
                line.split(b":", 1)[1].strip()
                for line in lines
                if line.lower().startswith(b"cookie:")
            ]
            found.append(values[0] if values else None)
        return found

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def one_read_server() -> Iterator[OneReadServer]:
    server = OneReadServer()
    yield server
    server.close()


def test_a_request_arrives_whole_in_the_servers_first_read(one_read_server: OneReadServer) -> None:
    with API(CREDS, host=f"127.0.0.1:{one_read_server.port}", secure=False, max_retries=0) as api:
        for i in range(5):  # the first on a new connection, the others on the kept-alive one
            api.drop("f1").create({"elems": {"i": i, "note": "x" * 100}})
    assert len(one_read_server.first_reads) == 5
    for i, first in enumerate(one_read_server.first_reads):
        assert first.startswith(b"POST /v0.1/alice/drop/f1 HTTP/1.1\r\n")
        _head, _, body = first.partition(b"\r\n\r\n")
        assert json.loads(body) == {"elems": {"i": i, "note": "x" * 100}}  # all of it


def test_the_asyncio_client_sends_a_request_whole_too(one_read_server: OneReadServer) -> None:
    async def main() -> None:
        api = AsyncAPI(CREDS, host=f"127.0.0.1:{one_read_server.port}", secure=False, max_retries=0)
        async with api:
            for i in range(3):
                await api.drop("f1").create({"elems": {"i": i}})

    asyncio.run(main())
    assert len(one_read_server.first_reads) == 3
    for i, first in enumerate(one_read_server.first_reads):
        assert json.loads(first.partition(b"\r\n\r\n")[2]) == {"elems": {"i": i}}


def test_a_body_larger_than_what_is_held_back_arrives_whole(one_read_server: OneReadServer) -> None:
    text = "y" * (3 * COALESCE_BYTES)
    with API(CREDS, host=f"127.0.0.1:{one_read_server.port}", secure=False, max_retries=0) as api:
        api.drop("f1").create({"elems": {"text": text}})
    (request,) = one_read_server.requests
    assert json.loads(request.partition(b"\r\n\r\n")[2]) == {"elems": {"text": text}}


class Inner(httpcore.NetworkStream):
    """A network stream that records writes and answers reads from a script."""

    def __init__(self, answers: list[bytes] | None = None, fail_writes: int = 0) -> None:
        self.writes: list[tuple[bytes, float | None]] = []
        self.answers = answers or []
        self.fail_writes = fail_writes
        self.closed = False
        self.tls: tuple[ssl.SSLContext, str | None] | None = None

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self.fail_writes:
            self.fail_writes -= 1
            raise httpcore.WriteError("broken pipe")
        self.writes.append((buffer, timeout))

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.answers.pop(0) if self.answers else b""

    def close(self) -> None:
        self.closed = True

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        wrapped = Inner(self.answers)
        wrapped.tls = (ssl_context, server_hostname)
        return wrapped

    def get_extra_info(self, info: str) -> Any:
        return {"is_readable": False, "socket": "sock"}.get(info)


def test_writes_wait_for_the_next_read_and_go_out_as_one() -> None:
    inner = Inner(answers=[b"HTTP/1.1 ..."])
    stream = CoalescingStream(inner)
    stream.write(b"HEAD\r\n\r\n", timeout=1.0)
    stream.write(b"")  # nothing: ignored
    stream.write(b"BODY", timeout=2.0)
    assert inner.writes == []
    assert stream.read(100, timeout=5.0) == b"HTTP/1.1 ..."
    assert inner.writes == [(b"HEAD\r\n\r\nBODY", 2.0)]  # one write, the latest write timeout
    stream.read(100)
    assert len(inner.writes) == 1  # nothing held: nothing written


def test_a_stream_holds_back_at_most_coalesce_bytes() -> None:
    inner = Inner()
    stream = CoalescingStream(inner)
    stream.write(b"h" * 100)
    stream.write(b"b" * (COALESCE_BYTES - 101))
    assert inner.writes == []
    stream.write(b"!")  # reaches the bound: everything held goes out
    assert [len(data) for data, _ in inner.writes] == [COALESCE_BYTES]
    stream.write(b"tail")
    stream.flush()
    assert inner.writes[-1][0] == b"tail"


def test_a_failed_write_is_not_sent_again_and_close_drops_what_is_held() -> None:
    inner = Inner(fail_writes=1)
    stream = CoalescingStream(inner)
    stream.write(b"request one")
    with pytest.raises(httpcore.WriteError):
        stream.read(10)
    stream.write(b"request two")
    stream.flush()
    assert inner.writes == [(b"request two", None)]
    stream.write(b"never read")
    stream.close()
    assert inner.closed
    assert inner.writes == [(b"request two", None)]


def test_tls_wraps_the_coalescing_and_extra_info_passes_through() -> None:
    inner = Inner()
    stream = CoalescingStream(inner)
    stream.write(b"before tls")
    context = ssl.create_default_context()
    tls = stream.start_tls(context, "example.com")
    assert inner.writes == [(b"before tls", None)]  # sent before the handshake
    assert isinstance(tls, CoalescingStream)
    assert stream.get_extra_info("socket") == "sock"
    assert stream.get_extra_info("is_readable") is False


class AsyncInner(httpcore.AsyncNetworkStream):
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.writes.append(buffer)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return b"answer"

    async def aclose(self) -> None:
        self.closed = True

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return AsyncInner()


def test_the_asyncio_stream_holds_writes_until_the_next_read() -> None:
    async def main() -> None:
        inner = AsyncInner()
        stream = AsyncCoalescingStream(inner)
        await stream.write(b"HEAD")
        await stream.write(b"BODY")
        assert inner.writes == []
        assert await stream.read(10) == b"answer"
        assert inner.writes == [b"HEADBODY"]
        await stream.write(b"x" * COALESCE_BYTES)
        assert len(inner.writes) == 2
        await stream.write(b"held")
        assert isinstance(
            await stream.start_tls(ssl.create_default_context()), AsyncCoalescingStream
        )
        assert inner.writes[-1] == b"held"
        await stream.write(b"dropped")
        await stream.aclose()
        assert inner.closed
        assert b"dropped" not in inner.writes

    asyncio.run(main())


class Failing(httpcore.NetworkBackend):
    def __init__(self, error: Exception) -> None:
        self.error = error

    def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise self.error


class AsyncFailing(httpcore.AsyncNetworkBackend):
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise self.error


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpcore.ConnectError("refused"), httpx.ConnectError),
        (httpcore.ConnectTimeout("slow"), httpx.ConnectTimeout),
        (httpcore.ReadTimeout("slow"), httpx.ReadTimeout),
        (httpcore.WriteError("pipe"), httpx.WriteError),
        (httpcore.RemoteProtocolError("bad"), httpx.RemoteProtocolError),
        (httpcore.UnsupportedProtocol("gopher"), httpx.UnsupportedProtocol),
    ],
)
def test_the_transports_raise_httpx_errors_for_httpcore_errors(
    raised: Exception, expected: type[Exception]
) -> None:
    limits = httpx.Limits(max_connections=1)
    request = httpx.Request("GET", "http://127.0.0.1:9/x")
    with pytest.raises(expected, match=str(raised)) as caught:
        CoalescingTransport(limits=limits, backend=Failing(raised)).handle_request(request)
    assert type(caught.value) is expected
    assert caught.value.__cause__ is raised

    async def main() -> None:
        transport = AsyncCoalescingTransport(limits=limits, backend=AsyncFailing(raised))
        await transport.handle_async_request(httpx.Request("GET", "http://127.0.0.1:9/x"))

    with pytest.raises(expected, match=str(raised)):
        asyncio.run(main())


def test_an_error_that_is_not_httpcores_is_raised_as_it_is() -> None:
    error = RuntimeError("a bug in a backend")
    transport = CoalescingTransport(limits=httpx.Limits(), backend=Failing(error))
    with pytest.raises(RuntimeError) as caught:
        transport.handle_request(httpx.Request("GET", "http://127.0.0.1:9/x"))
    assert caught.value is error


def test_cookies_a_server_sets_are_kept_and_sent_back(one_read_server: OneReadServer) -> None:
    one_read_server.set_cookies = [b"affinity=node-2; Path=/", b"other=1; Path=/v0.1/nowhere"]
    with API(CREDS, host=f"127.0.0.1:{one_read_server.port}", secure=False, max_retries=0) as api:
        assert isinstance(api.http_client, httpx.Client)
        for i in range(4):
            api.drop("f1").create({"elems": {"i": i}})
        assert api.http_client.cookies.get("affinity") == "node-2"
        assert dict(api.http_client.cookies) == {"affinity": "node-2", "other": "1"}
    # the first answer set it; the second set one for another path (not sent back)
    assert one_read_server.cookie_headers() == [
        None,
        b"affinity=node-2",
        b"affinity=node-2",
        b"affinity=node-2",
    ]


def test_cookies_set_on_the_client_are_sent(one_read_server: OneReadServer) -> None:
    async def main() -> None:
        api = AsyncAPI(CREDS, host=f"127.0.0.1:{one_read_server.port}", secure=False, max_retries=0)
        async with api:
            assert isinstance(api.http_client, httpx.AsyncClient)
            api.http_client.cookies = {"session": "s1"}
            await api.drop("f1").create({"elems": {}})
            api.http_client.cookies.set("extra", "e", domain="127.0.0.1")
            await api.drop("f1").create({"elems": {}})

    one_read_server.set_cookies = [b"affinity=a1"]
    asyncio.run(main())
    first, second = one_read_server.cookie_headers()
    assert first == b"session=s1"
    assert second is not None
    assert sorted(second.split(b"; ")) == [b"affinity=a1", b"extra=e", b"session=s1"]


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_the_environment_names_is_used(
    one_read_server: OneReadServer, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, f"http://127.0.0.1:{one_read_server.port}")
    # the platform's host does not resolve: only the proxy can answer
    with API(CREDS, host="platform.invalid:8080", secure=False, max_retries=0) as api:
        api.drop("f1").create({"elems": {"i": 1}})

    async def main() -> None:
        async with AsyncAPI(
            CREDS, host="platform.invalid:8080", secure=False, max_retries=0
        ) as api:
            await api.drop("f1").create({"elems": {"i": 2}})

    asyncio.run(main())
    lines = [request.split(b"\r\n", 1)[0] for request in one_read_server.requests]
    assert lines == [b"POST http://platform.invalid:8080/v0.1/alice/drop/f1 HTTP/1.1"] * 2
