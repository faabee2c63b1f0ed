"""The transports of the clients the SDK creates: httpx's, with one write per request.

httpcore sends a request's head and its body with two socket writes. On a
keep-alive connection to a server that waits for them, each write that
arrives is a wake-up of the server for a partial request (it reads the head,
sleeps, wakes again for the body) and a second packet; between processes on
a virtual machine a wake-up costs more than parsing the request. Measured on
the local platform, 8 writers in an interleaved A/B (benchmarks/results.md):
~10 % more drops stored per second, ~11 % less CPU in the writers and ~7 %
in the server.

`CoalescingStream` keeps what a connection writes until it next reads (the
answer) and sends it with one write; it holds at most `COALESCE_BYTES`, so a
large upload goes out as it is produced. `CoalescingTransport` is httpx's
transport over an httpcore pool of such streams (httpx's own `HTTPTransport`
takes no network backend). Only the clients the SDK creates use it: a client
a caller passes in, and the proxy routes httpx builds from the environment,
keep httpx's transport.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from types import TracebackType
from typing import Any, NoReturn, cast

import httpcore
import httpx

__all__ = [
    "COALESCE_BYTES",
    "AsyncCoalescingBackend",
    "AsyncCoalescingStream",
    "AsyncCoalescingTransport",
    "CoalescingBackend",
    "CoalescingStream",
    "CoalescingTransport",
]

COALESCE_BYTES = 64 * 1024
"""The most a stream holds back; a write that reaches it sends everything held."""

_SocketOptions = Iterable[Any] | None


class CoalescingStream(httpcore.NetworkStream):
    """A network stream whose writes wait for the next read (or close to
    `COALESCE_BYTES`), then go out as one."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream
        self._held: list[bytes] = []
        self._size = 0
        self._timeout: float | None = None

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        self._held.append(buffer)
        self._size += len(buffer)
        self._timeout = timeout  # the write timeout of the latest piece applies
        if self._size >= COALESCE_BYTES:
            self.flush()

    def flush(self) -> None:
        """Send what is held (one write)."""
        if self._held:
            data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
            # forgotten before sending: a failed write is never sent a second time
            self._held.clear()
            self._size = 0
            self._stream.write(data, self._timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.flush()
        return self._stream.read(max_bytes, timeout)

    def close(self) -> None:
        self._held.clear()  # a connection closed before its answer was read: nothing to send
        self._size = 0
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        self.flush()
        return CoalescingStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class AsyncCoalescingStream(httpcore.AsyncNetworkStream):
    """The asyncio twin of `CoalescingStream`."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._held: list[bytes] = []
        self._size = 0
        self._timeout: float | None = None

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        self._held.append(buffer)
        self._size += len(buffer)
        self._timeout = timeout
        if self._size >= COALESCE_BYTES:
            await self.flush()

    async def flush(self) -> None:
        """Send what is held (one write)."""
        if self._held:
            data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
            self._held.clear()
            self._size = 0
            await self._stream.write(data, self._timeout)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        await self.flush()
        return await self._stream.read(max_bytes, timeout)

    async def aclose(self) -> None:
        self._held.clear()
        self._size = 0
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        await self.flush()
        inner = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        return AsyncCoalescingStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class CoalescingBackend(httpcore.NetworkBackend):
    """httpcore's sync backend (or ``backend``) with `CoalescingStream` connections."""

    def __init__(self, backend: httpcore.NetworkBackend | None = None) -> None:
        self._backend: httpcore.NetworkBackend = (
            backend if backend is not None else httpcore.SyncBackend()
        )

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: _SocketOptions = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return CoalescingStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: _SocketOptions = None
    ) -> httpcore.NetworkStream:
        return CoalescingStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class AsyncCoalescingBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend (or ``backend``) with `AsyncCoalescingStream` connections."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        if backend is None:
            # httpcore declares a stand-in AnyIOBackend for when anyio is missing
            # (httpx requires anyio): the type checkers see either class
            backend = cast(httpcore.AsyncNetworkBackend, httpcore.AnyIOBackend())
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: _SocketOptions = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return AsyncCoalescingStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: _SocketOptions = None
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_unix_socket(path, timeout, socket_options)
        return AsyncCoalescingStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class CoalescingTransport(httpx.BaseTransport):
    """httpx's HTTP/1.1 transport (TLS verified as httpx does by default) over a
    pool of `CoalescingStream` connections.

    Args:
        limits: The pool's limits.
        backend: The backend under the coalescing (default: httpcore's socket backend).
    """

    def __init__(
        self, *, limits: httpx.Limits, backend: httpcore.NetworkBackend | None = None
    ) -> None:
        self._pool = httpcore.ConnectionPool(
            network_backend=CoalescingBackend(backend), **_pool_options(limits)
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        try:
            answer = self._pool.handle_request(_core_request(request, request.stream))
        except Exception as exc:
            _raise_mapped(exc)
        assert isinstance(answer.stream, Iterable)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(answer.stream),
            extensions=_extensions(answer),
        )

    def close(self) -> None:
        try:
            self._pool.close()
        except Exception as exc:
            _raise_mapped(exc)

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.close()


class AsyncCoalescingTransport(httpx.AsyncBaseTransport):
    """The asyncio twin of `CoalescingTransport`."""

    def __init__(
        self, *, limits: httpx.Limits, backend: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            network_backend=AsyncCoalescingBackend(backend), **_pool_options(limits)
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        try:
            answer = await self._pool.handle_async_request(_core_request(request, request.stream))
        except Exception as exc:
            _raise_mapped(exc)
        assert isinstance(answer.stream, AsyncIterable)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_AsyncBody(answer.stream),
            extensions=_extensions(answer),
        )

    async def aclose(self) -> None:
        try:
            await self._pool.aclose()
        except Exception as exc:
            _raise_mapped(exc)


def _pool_options(limits: httpx.Limits) -> dict[str, Any]:
    """What httpx's own transport gives its pool by default: TLS verified against
    the default (or ``SSL_CERT_FILE``) certificates, HTTP/1.1, the limits."""
    return {
        "ssl_context": httpx.create_ssl_context(),
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
    }


def _core_request(
    request: httpx.Request, content: Iterable[bytes] | AsyncIterable[bytes]
) -> httpcore.Request:
    url = request.url
    return httpcore.Request(
        method=request.method,
        url=httpcore.URL(
            scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
        ),
        headers=request.headers.raw,
        content=content,
        extensions=request.extensions,
    )


def _extensions(answer: httpcore.Response) -> dict[str, Any]:
    # httpcore annotates it `MutableMapping[str, Any] | dict` (a bare dict: unknown to pyright)
    extensions = answer.extensions  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    return dict(cast("dict[str, Any]", extensions))


class _Body(httpx.SyncByteStream):
    """An answer's body as httpx reads it, httpcore's errors mapped to httpx's."""

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._stream
        except Exception as exc:
            _raise_mapped(exc)

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except Exception as exc:
            _raise_mapped(exc)

    async def aclose(self) -> None:
        aclose = getattr(self._stream, "aclose", None)
        if aclose is not None:
            await aclose()


# httpcore's errors and the httpx errors httpx's own transport raises for them
_ERRORS: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.ProtocolError: httpx.ProtocolError,
}


def _raise_mapped(exc: Exception) -> NoReturn:
    """Raise the httpx error of an httpcore error (the most specific class it
    is an instance of), or ``exc`` itself when it is not one of httpcore's."""
    for cls in type(exc).__mro__:
        mapped = _ERRORS.get(cls)
        if mapped is not None:
            raise mapped(str(exc)) from exc
    raise exc
