"""The asyncio executor of `RequestSpec` s: the sync `Transport`'s twin over
``httpx.AsyncClient``.

Building the request and reading the answer are the pure functions of
`flowthings.http._spec`, and whether to retry (and how long to wait) is
`flowthings.http._retry.retry_wait`, all shared with the sync executor; only
the I/O and the waiting (``asyncio.sleep``) differ here.

Cancellation-safe: a cancelled call propagates ``asyncio.CancelledError`` at
once (during a send, a redirect or a retry wait); httpx releases the pooled
connection of an interrupted request, and nothing here catches
``BaseException``.

Bounded by the pool: on the client it creates, at most ``max_connections``
requests are handed to httpx at once; the others wait on a semaphore. Given
``gather`` of 1000 calls, httpcore would otherwise queue 900 of them in its
pool, where each one's wait counts against the pool timeout (they failed
with ``PoolTimeout`` on a slow server) and every connection hand-over scans
the whole queue (about a quarter of the client's CPU at 1000 calls).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from .._config import Token
from .._errors import FlowThingsConnectionError, FlowThingsServerError
from ._clients import POOL_CONNECTIONS, new_async_client
from ._retry import RetryPolicy, retry_wait
from ._spec import HttpRequest, RequestSpec, build_request, interpret
from ._transport import (
    CrossOriginRedirect,
    SignedHeaderCache,
    _connection_error,  # pyright: ignore[reportPrivateUsage]
    _log_retry,  # pyright: ignore[reportPrivateUsage]
    _origin,  # pyright: ignore[reportPrivateUsage]
    _origin_text,  # pyright: ignore[reportPrivateUsage]
    logger,
    resolve_timeout,
)

__all__ = ["AsyncTransport"]


class AsyncTransport:
    """Sends requests for one asyncio `API` over one pooled `httpx.AsyncClient`.

    Args:
        client: A caller-provided client (the caller keeps ownership), or
            `None` for a pooled client that `aclose()` closes.
        timeout: Callable returning the current timeout (read per request).
        retry_policy: Callable returning the current `RetryPolicy`.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None,
        timeout: Callable[[], float | httpx.Timeout | None],
        retry_policy: Callable[[], RetryPolicy],
    ) -> None:
        self._owns_client = client is None
        self._client = client if client is not None else new_async_client()
        # Our own client's pool size; a caller's client keeps its own limits.
        self._max_in_flight = POOL_CONNECTIONS if client is None else None
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self._timeout = timeout
        self._retry_policy = retry_policy
        self._headers = SignedHeaderCache()

    @property
    def client(self) -> httpx.AsyncClient:
        """The underlying `httpx.AsyncClient`."""
        return self._client

    async def aclose(self) -> None:
        """Closes the client if this transport created it."""
        if self._owns_client:
            await self._client.aclose()

    async def execute(
        self, spec: RequestSpec, params: Mapping[str, Any] | None, creds: Token
    ) -> tuple[Any, dict[str, Any]]:
        """Sends ``spec`` with the merged query ``params``; returns ``(body, references)``."""
        return await self.send(build_request(spec, params or {}, creds, self._headers(creds)))

    async def send(self, request: HttpRequest) -> tuple[Any, dict[str, Any]]:
        """The I/O of one request: send, same-origin redirects, retries, ``asyncio.sleep``."""
        method, log_path, creds, target = request.method, request.path, request.creds, request.url
        policy = self._retry_policy()
        timeout = self._resolve_timeout()
        attempt = 0
        started = time.perf_counter()
        while True:
            try:
                async with self._slot():
                    response = await self._client.request(
                        method,
                        target,
                        content=request.content,
                        params=request.query,
                        headers=request.headers,
                        timeout=timeout,
                        follow_redirects=False,  # followed below, same origin only
                    )
                    response = await self._same_origin_redirects(response)
            except httpx.TransportError as exc:
                wait = retry_wait(policy, method, attempt, error=exc)
                if wait is not None:
                    attempt += 1
                    _log_retry(method, log_path, attempt, wait, None, exc)
                    await _sleep(wait)
                    continue
                raise _connection_error(exc, creds, method, log_path, target) from exc
            except httpx.DecodingError as exc:
                message = f"{type(exc).__name__}: {exc}"
                raise FlowThingsServerError(
                    errors=[message], creds=creds, method=method, path=log_path
                ) from exc
            except httpx.RequestError as exc:
                message = f"{type(exc).__name__}: {exc}"
                raise FlowThingsConnectionError(
                    errors=[message], creds=creds, method=method, path=log_path
                ) from exc
            wait = retry_wait(policy, method, attempt, response=response)
            if wait is not None:
                attempt += 1
                _log_retry(method, log_path, attempt, wait, response, None)
                await _sleep(wait)
                continue
            break
        if logger.isEnabledFor(logging.DEBUG):
            elapsed = (time.perf_counter() - started) * 1000
            logger.debug(
                "%s %s -> %d in %.1f ms (retries=%d)",
                method, log_path, response.status_code, elapsed, attempt,
            )
        return interpret(request, response.status_code, response.content)

    async def _same_origin_redirects(self, response: httpx.Response) -> httpx.Response:
        hops = 0
        while self._client.follow_redirects and response.next_request is not None:
            nxt = response.next_request
            if _origin(nxt.url) != _origin(response.request.url):
                raise CrossOriginRedirect(
                    f"refused to follow a redirect from {_origin_text(response.request.url)} to "
                    f"{_origin_text(nxt.url)}: credentials are only sent to the configured host",
                    request=nxt,
                )
            hops += 1
            if hops > self._client.max_redirects:
                raise httpx.TooManyRedirects("Exceeded maximum allowed redirects.", request=nxt)
            response = await self._client.send(nxt, follow_redirects=False)
        return response

    def _slot(self) -> asyncio.Semaphore | contextlib.nullcontext[None]:
        """A place among the requests handed to httpx at once (see the module doc)."""
        if self._max_in_flight is None:
            return contextlib.nullcontext()
        loop = asyncio.get_running_loop()
        slots = self._slots
        if slots is None or slots[0] is not loop:  # a semaphore belongs to one loop
            slots = self._slots = (loop, asyncio.Semaphore(self._max_in_flight))
        return slots[1]

    def _resolve_timeout(self) -> float | httpx.Timeout:
        return resolve_timeout(self._timeout(), self._client.timeout)


async def _sleep(seconds: float) -> None:
    """The wait between retries (a seam tests replace); cancellable."""
    await asyncio.sleep(seconds)
