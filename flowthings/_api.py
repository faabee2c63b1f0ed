"""`API`: configuration, one pooled transport, and the services."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from ._config import DEFAULT, DefaultType, Token, defaults, resolve, split_host_urls
from ._context import ApiOptions, ServiceContext
from ._modify import Params
from .http._transport import Transport
from .services import (
    ApiTaskService,
    DeviceService,
    DropServiceFactory,
    FlowService,
    GroupService,
    IdentityService,
    MqttTaskService,
    RssTaskService,
    Service,
    ShareService,
    StatisticsService,
    TokenService,
    TrackService,
    WebSocketService,
)

if TYPE_CHECKING:
    from .green._api import AsyncAPI, LazyAPI
    from .green._lib import GreenPool

__all__ = ["API"]


def _check_creds(creds: object) -> Token:
    if isinstance(creds, Token):
        return creds
    account = getattr(creds, "account", None)
    token = getattr(creds, "token", None)
    if isinstance(account, str) and isinstance(token, str):
        return Token(account, token)
    raise TypeError("creds must be a flowthings.Token(account, token)")


def api_options(
    async_lib: ModuleType | DefaultType | None,
    secure: bool | DefaultType,
    params: Mapping[str, Any] | Params | DefaultType,
    host: str | DefaultType,
    ws_host: str | DefaultType,
    version: str | DefaultType,
    timeout: float | httpx.Timeout | DefaultType,
    max_retries: int | DefaultType,
    retry_post: bool,
) -> ApiOptions:
    """The checked options of an `API` (sync or asyncio: the same constructor)."""
    host, ws_host, secure = split_host_urls(host, ws_host, secure)
    if isinstance(params, Params):
        params = params.to_dict()
    if max_retries is not DEFAULT and (isinstance(max_retries, bool) or max_retries < 0):
        raise ValueError("max_retries must be an int >= 0")
    return ApiOptions(
        async_lib=async_lib,
        secure=secure,
        params=params,
        host=host,
        ws_host=ws_host,
        version=version,
        timeout=timeout,
        max_retries=max_retries,
        retry_post=retry_post,
    )


def timeout_of(options: ApiOptions, own_client: bool) -> Callable[[], float | httpx.Timeout | None]:
    """The timeout in force per request; ``None``: the caller's own client's."""

    def current_timeout() -> float | httpx.Timeout | None:
        if options.timeout is DEFAULT:
            # A caller's own client keeps its own timeout unless one was given.
            return None if own_client else defaults.timeout
        return options.timeout

    return current_timeout


class API:
    """Creates a new API instance for interacting with the platform.

    Examples:
        >>> api = API(creds)

    Options left at `DEFAULT` follow `flowthings.defaults` at call time.

    Args:
        creds: The `Token` that signs every request.
        async_lib: `eventlet` or `gevent`, for `async_()` and `lazy()`.
        secure: `False` uses http:// and ws:// instead of https:// and wss://.
        params: Query parameters sent with every request (per-call ones win).
        host: REST host, optionally with a port (`'127.0.0.1:8080'`), or a
            URL (`'http://127.0.0.1:8080'`) whose scheme sets `secure`.
        ws_host: WebSocket session host, optionally with a port (or a URL,
            as for `host`). Left at `DEFAULT` while `host` is given, it
            follows `host`.
        version: Platform API version (URL segment `/v{version}`).
        timeout: Seconds (or an `httpx.Timeout`); timeouts are always on.
        max_retries: Retries of idempotent requests, and of any request that
            could not be sent at all (0 disables).
        retry_post: Also retry POST requests that may have reached the server
            (off: a POST may not be repeatable).
        http_client: Your own configured `httpx.Client` (proxies, TLS, mocks);
            you keep ownership of it.
    """

    def __init__(
        self,
        creds: Token,
        async_lib: ModuleType | DefaultType | None = DEFAULT,
        secure: bool | DefaultType = DEFAULT,
        params: Mapping[str, Any] | Params | DefaultType = DEFAULT,
        *,
        host: str | DefaultType = DEFAULT,
        ws_host: str | DefaultType = DEFAULT,
        version: str | DefaultType = DEFAULT,
        timeout: float | httpx.Timeout | DefaultType = DEFAULT,
        max_retries: int | DefaultType = DEFAULT,
        retry_post: bool = False,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._options = options = api_options(
            async_lib, secure, params, host, ws_host, version, timeout, max_retries, retry_post
        )
        current_timeout = timeout_of(options, own_client=http_client is not None)
        transport = Transport(http_client, current_timeout, options.retry_policy)
        self._context = ServiceContext(options, _check_creds(creds), transport)
        context = self._context
        self.root = Service(context, "")
        self.flow = FlowService(context, "/flow")
        self.drop = DropServiceFactory(context)
        self.track = TrackService(context, "/track")
        self.group = GroupService(context, "/group")
        self.identity = IdentityService(context, "/identity")
        self.api_task = ApiTaskService(context, "/api-task")
        self.mqtt_task = MqttTaskService(context, "/mqtt")
        self.rss_task = RssTaskService(context, "/rss")
        self.token = TokenService(context, "/token")
        self.share = ShareService(context, "/share")
        self.device = DeviceService(context, "/device")
        self.statistics = StatisticsService(context)
        self.websocket = WebSocketService(context)

    def __repr__(self) -> str:
        return f"<API account={self.creds.account!r} host={resolve(self._options.host, 'host')!r}>"

    @property
    def creds(self) -> Token:
        """Get or set the API's Token; setting it re-signs every later request."""
        return self._context.creds

    @creds.setter
    def creds(self, creds: Token) -> None:
        self._context.creds = _check_creds(creds)

    @property
    def http_client(self) -> httpx.Client:
        """The pooled `httpx.Client` every request of this API goes through."""
        return self._context.transport.client

    def request(
        self,
        method: str,
        path: str,
        data: Any = None,
        params: Mapping[str, Any] | Params | None = None,
    ) -> Any:
        """Makes an arbitrary platform request under `/v{version}/{account}`.

        Args:
            method: HTTP method.
            path: Request path, e.g. `/flow`.
            data: Request data (JSON body).
            params: Request query parameters.
        """
        return self.root.request(method, path, data, params)

    @property
    def async_lib(self) -> ModuleType | None:
        """The green-thread library in force (`defaults.async_lib` unless given)."""
        lib: ModuleType | None = resolve(self._options.async_lib, "async_lib")
        return lib

    def async_(self, pool: GreenPool | int | None = None) -> AsyncAPI:
        """Returns an API wrapper whose calls return green threads.

        Requests are queued internally; `results()` waits for all of them.
        Needs eventlet or gevent (`defaults.async_lib` or `API(async_lib=...)`).
        `getattr(api, "async")()` is the same call for code written for 1.0.5.
        """
        from .green._api import AsyncAPI

        return AsyncAPI(self, pool)

    def lazy(self, pool: GreenPool | int | None = None) -> LazyAPI:
        """Returns an API wrapper whose calls return `GreenThunk`s.

        Every request starts at once in a green thread; reading a thunk waits
        for its result.
        """
        from .green._api import LazyAPI

        return LazyAPI(self, pool)

    def close(self) -> None:
        """Closes the pooled HTTP client (not one you passed as `http_client`)."""
        self._context.transport.close()

    def __enter__(self) -> API:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# `async` is a keyword since Python 3.7; code written for 1.0.5 can still
# reach the method with getattr(api, "async").
setattr(API, "async", API.async_)

