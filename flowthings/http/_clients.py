"""The httpx clients the SDK creates when the caller passes none.

They are httpx clients (``isinstance(api.http_client, httpx.Client)``; hooks,
headers, timeouts and the environment's proxies work as in httpx) with two
differences that only save work:

- their transport sends each request with one write (`flowthings.http._coalesce`),
  unless the environment names a proxy (httpx's own transport routes it);
- their cookie store hands an answer to `http.cookiejar` only when it sets a
  cookie. httpx extracts cookies from every answer, and before asking the jar
  it builds urllib request and response stand-ins: about a third of httpx's
  own CPU per call, its transport aside. An answer without ``Set-Cookie``
  cannot add a cookie (``Set-Cookie2`` is ignored by the standard policy), so
  skipping it changes nothing: cookies a server does set (a load balancer's
  affinity cookie) are kept and sent back as before.

A client the caller passes in is used as it is.
"""

from __future__ import annotations

import sys
import urllib.request
from typing import Any

import httpx

from .._version import __version__

__all__ = ["POOL_CONNECTIONS", "new_async_client", "new_client", "pooled_client_options"]

POOL_CONNECTIONS = 100
"""``max_connections`` of the client a transport creates."""


def pooled_client_options() -> dict[str, Any]:
    """Pool limits and headers of the client a transport creates (sync or asyncio)."""
    _import_httpcore_safely()
    return {
        "limits": httpx.Limits(max_connections=POOL_CONNECTIONS, max_keepalive_connections=20),
        "headers": {"User-Agent": f"flowthings-python/{__version__}"},
    }


def new_client() -> httpx.Client:
    """A pooled `httpx.Client` (the SDK's default; the caller's `API` closes it)."""
    options = pooled_client_options()
    if _environment_proxies():
        return _Client(**options)
    from ._coalesce import CoalescingTransport  # imports httpcore: after the safe import

    return _Client(transport=CoalescingTransport(limits=options["limits"]), **options)


def new_async_client() -> httpx.AsyncClient:
    """A pooled `httpx.AsyncClient` (the asyncio `API`'s default)."""
    options = pooled_client_options()
    if _environment_proxies():
        return _AsyncClient(**options)
    from ._coalesce import AsyncCoalescingTransport  # imports httpcore: after the safe import

    transport = AsyncCoalescingTransport(limits=options["limits"])
    return _AsyncClient(transport=transport, **options)


def _environment_proxies() -> bool:
    """Whether the environment names a proxy (``HTTP_PROXY``, ``ALL_PROXY``, ...).

    httpx routes through those only when it builds the client's transport
    itself (a client given a ``transport`` ignores them), so with a proxy
    configured the client keeps httpx's transport: the proxy is honoured,
    requests are not coalesced. `urllib.request.getproxies` is where httpx
    reads them too.
    """
    return bool(urllib.request.getproxies())


class _SetCookies(httpx.Cookies):
    """A cookie store that skips the answers that set no cookie."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


class _SetCookieStore:
    """The `cookies` property of `_Client` and `_AsyncClient`: a `_SetCookies` store
    (placed before httpx's class, it overrides httpx's property of the same name)."""

    _set_cookies: _SetCookies

    @property
    def cookies(self) -> httpx.Cookies:
        """Cookie values to include when sending requests (as in httpx)."""
        return self._set_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:  # what httpx's setter takes
        self._set_cookies = _SetCookies(cookies)


class _Client(_SetCookieStore, httpx.Client):
    """`httpx.Client` with a `_SetCookies` store."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.cookies = None  # an empty store (no `cookies=` option is passed)


class _AsyncClient(_SetCookieStore, httpx.AsyncClient):
    """`httpx.AsyncClient` with a `_SetCookies` store."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.cookies = None


def _import_httpcore_safely() -> None:
    """Imports httpcore even when trio is installed and eventlet/gevent patched `select`.

    httpcore imports trio when it can; under eventlet or gevent monkey-patching
    trio's import fails with AttributeError (the patched `select` has no
    `epoll`), not the ImportError httpcore expects.
    """
    try:
        import httpcore  # pyright: ignore[reportUnusedImport]
    except AttributeError:
        sys.modules["trio"] = None  # type: ignore[assignment]  # makes `import trio` an ImportError
        import httpcore  # noqa: F401
