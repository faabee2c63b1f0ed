"""The sync executor of `RequestSpec` s: the only module that sends HTTP.

One `httpx.Client` per `API` (keep-alive, connection pooling), timeouts,
retries with backoff, same-origin redirects and logs. Building the request
(JSON body, query, headers) and reading the answer (the flowthings envelope,
error mapping) are the pure functions of `flowthings.http._spec`; this module
only does the I/O between them.

Credentials never leave the configured origin: requests are sent with
``follow_redirects=False`` whatever client is injected, and redirects are
followed here only when that client asked for it (``follow_redirects=True``)
and only to the same scheme, host and port; a redirect to another origin is a
`FlowThingsConnectionError` and nothing is sent there (httpx itself strips
only ``Authorization``, not ``X-Auth-Token``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from .._config import Token, defaults
from .._errors import FlowThingsConnectionError, FlowThingsServerError, FlowThingsTimeout
from ._clients import new_client
from ._retry import NOT_SENT_ERRORS, RetryPolicy, retry_wait
from ._spec import (
    Decode,
    HttpRequest,
    RequestSpec,
    build_request,
    encode_params,
    interpret,
    signed_headers,
    to_json,
)

__all__ = [
    "NOT_SENT_ERRORS",
    "TLS_ON_PLAIN_HTTP",
    "UNRESOLVED_HOST",
    "RetryPolicy",
    "Transport",
    "encode_params",
    "to_json",
]

logger = logging.getLogger("flowthings")

class Transport:
    """Sends requests for one `API` over one pooled `httpx.Client`.

    Args:
        client: A caller-provided client (proxies, TLS, respx, MockTransport);
            the caller keeps ownership. `None` creates a pooled client that
            `close()` closes.
        timeout: Callable returning the current timeout in seconds (read per
            request, so `defaults.timeout` changes apply).
        retry_policy: Callable returning the current `RetryPolicy`.
    """

    def __init__(
        self,
        client: httpx.Client | None,
        timeout: Callable[[], float | httpx.Timeout | None],
        retry_policy: Callable[[], RetryPolicy],
    ) -> None:
        self._owns_client = client is None
        self._client = client if client is not None else new_client()
        self._timeout = timeout
        self._retry_policy = retry_policy
        self._headers = SignedHeaderCache()

    @property
    def client(self) -> httpx.Client:
        """The underlying `httpx.Client`."""
        return self._client

    def close(self) -> None:
        """Closes the client if this transport created it."""
        if self._owns_client:
            self._client.close()

    def execute(
        self, spec: RequestSpec, params: Mapping[str, Any] | None, creds: Token
    ) -> tuple[Any, dict[str, Any]]:
        """Sends ``spec`` with the merged query ``params``; returns ``(body, references)``.

        Raises:
            FlowThingsException: A subclass chosen by the status, with the
                platform's `errors`; `FlowThingsConnectionError` when no
                answer came.
        """
        return self.send(build_request(spec, params or {}, creds, self._headers(creds)))

    def request(
        self,
        method: str,
        url: str,
        *,
        creds: Token,
        log_path: str,
        data: Any = None,
        params: Mapping[str, Any] | None = None,
        decode: Decode | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Sends one request and returns `(body, head.references)` (`execute` of a spec).

        `decode`, when given, is offered the bytes of a successful answer
        first (the typed views validate models straight from them); when it
        returns `None` the answer is parsed as usual.
        """
        return self.execute(RequestSpec(method, url, log_path, None, data, decode), params, creds)

    def send(self, request: HttpRequest) -> tuple[Any, dict[str, Any]]:
        """The I/O of one request: send, follow same-origin redirects, retry, sleep;
        then `interpret` the answer."""
        method, log_path, creds, target = request.method, request.path, request.creds, request.url
        policy = self._retry_policy()
        timeout = self._resolve_timeout()
        attempt = 0
        started = time.perf_counter()
        while True:
            try:
                response = self._client.request(
                    method,
                    target,
                    content=request.content,
                    params=request.query,
                    headers=request.headers,
                    timeout=timeout,
                    follow_redirects=False,  # followed below, same origin only
                )
                response = self._same_origin_redirects(response)
            except httpx.TransportError as exc:
                wait = retry_wait(policy, method, attempt, error=exc)
                if wait is not None:
                    attempt += 1
                    _log_retry(method, log_path, attempt, wait, None, exc)
                    _sleep(wait)
                    continue
                raise _connection_error(exc, creds, method, log_path, target) from exc
            except httpx.DecodingError as exc:  # a Content-Encoding the body does not match
                message = f"{type(exc).__name__}: {exc}"
                raise FlowThingsServerError(
                    errors=[message], creds=creds, method=method, path=log_path
                ) from exc
            except httpx.RequestError as exc:  # e.g. TooManyRedirects from a caller's client
                message = f"{type(exc).__name__}: {exc}"
                raise FlowThingsConnectionError(
                    errors=[message], creds=creds, method=method, path=log_path
                ) from exc
            wait = retry_wait(policy, method, attempt, response=response)
            if wait is not None:
                attempt += 1
                _log_retry(method, log_path, attempt, wait, response, None)
                _sleep(wait)
                continue
            break
        if logger.isEnabledFor(logging.DEBUG):
            elapsed = (time.perf_counter() - started) * 1000
            logger.debug(
                "%s %s -> %d in %.1f ms (retries=%d)",
                method, log_path, response.status_code, elapsed, attempt,
            )
        return interpret(request, response.status_code, response.content)

    def _same_origin_redirects(self, response: httpx.Response) -> httpx.Response:
        """Follow redirects the way the client asked, but only within the origin.

        Raises:
            CrossOriginRedirect: The answer redirects to another origin (the
                signed headers would go there).
            httpx.TooManyRedirects: More than the client's ``max_redirects``.
        """
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
            response = self._client.send(nxt, follow_redirects=False)
        return response

    def _resolve_timeout(self) -> float | httpx.Timeout:
        return resolve_timeout(self._timeout(), self._client.timeout)


class SignedHeaderCache:
    """The four 1.0.5 headers, built once per credentials (they can be swapped).

    Shared by the sync and asyncio transports; call it with the credentials.
    """

    def __init__(self) -> None:
        self._signed: tuple[Token, httpx.Headers] | None = None

    def __call__(self, creds: Token) -> httpx.Headers:
        signed = self._signed
        if signed is None or signed[0] is not creds:
            # One tuple, assigned at once: a thread never pairs old creds with new headers.
            signed = self._signed = (creds, signed_headers(creds))
        return signed[1]


def resolve_timeout(
    configured: float | httpx.Timeout | None, client_timeout: httpx.Timeout
) -> float | httpx.Timeout:
    """The timeout of one request: the configured one, else the client's, else the default.

    A caller-provided client without any timeout still gets one.
    """
    if configured is None:
        if client_timeout.read is not None or client_timeout.connect is not None:
            return client_timeout
        return defaults.timeout
    return configured


def _log_retry(
    method: str,
    log_path: str,
    attempt: int,
    wait: float,
    response: httpx.Response | None,
    error: Exception | None,
) -> None:
    reason = f"status {response.status_code}" if response is not None else repr(error)
    logger.debug("%s %s: retry %d in %.2f s after %s", method, log_path, attempt, wait, reason)


class CrossOriginRedirect(httpx.RequestError):
    """An answer redirected to another origin; it was not followed."""


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default


def _origin_text(url: httpx.URL) -> str:
    scheme, host, port = _origin(url)
    return f"{scheme}://{host}:{port}"


def _sleep(seconds: float) -> None:
    """The wait between retries: one seam that tests replace instead of the
    process-wide `time.sleep`. It looks `time.sleep` up on every call so that
    green-thread monkey-patching applies even after this module was imported."""
    time.sleep(seconds)


def _connection_error(
    exc: httpx.TransportError, creds: Token, method: str, log_path: str, url: httpx.URL
) -> FlowThingsConnectionError:
    cls = FlowThingsTimeout if isinstance(exc, httpx.TimeoutException) else FlowThingsConnectionError
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    # the full URL (credentials travel in headers, never in it) and what to check
    message = f"{detail}, requesting {url}{_connection_hint(exc, url)}"
    return cls(errors=[message], creds=creds, method=method, path=log_path)


# what the OS and OpenSSL say for these two mistakes (read by the CLI's hints too)
TLS_ON_PLAIN_HTTP = ("WRONG_VERSION_NUMBER", "wrong version number", "record layer failure")
UNRESOLVED_HOST = (
    "Name or service not known",
    "nodename nor servname",
    "getaddrinfo failed",
    "Temporary failure in name resolution",
    "No address associated with hostname",
)


def _connection_hint(exc: httpx.TransportError, url: httpx.URL) -> str:
    """The likely cause of a connection failure, and what to change (or "")."""
    text = str(exc)
    port = url.port or (443 if url.scheme == "https" else 80)
    where = f"{url.host}:{port}"
    if url.scheme == "https" and any(s in text for s in TLS_ON_PLAIN_HTTP):
        return (
            f" -- the server at {where} answered TLS with plain HTTP: for a plain-HTTP "
            "server such as the local platform pass secure=False (or host='http://...')"
        )
    if isinstance(exc, httpx.ConnectError) and any(s in text for s in UNRESOLVED_HOST):
        return f" -- the host name {url.host!r} does not resolve: check host="
    if isinstance(exc, httpx.ConnectError) and "refused" in text.lower():
        return (
            f" -- nothing is listening on {where}: is the platform running there "
            f"(e.g. python -m flowthings.local serve --port {port}), and are host= "
            "and secure= right?"
        )
    return ""
