"""`flowthings.asyncio.API`: the SDK's services, awaited, over ``httpx.AsyncClient``."""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType, TracebackType
from typing import Any

import httpx

from .._api import _check_creds, api_options, timeout_of  # pyright: ignore[reportPrivateUsage]
from .._config import DEFAULT, DefaultType, Token, resolve
from .._modify import Params
from ..http._async_transport import AsyncTransport
from ._context import AsyncServiceContext
from ._services import (
    AsyncApiTaskService,
    AsyncDeviceService,
    AsyncDropServiceFactory,
    AsyncFlowService,
    AsyncGroupService,
    AsyncIdentityService,
    AsyncMqttTaskService,
    AsyncRssTaskService,
    AsyncService,
    AsyncShareService,
    AsyncStatisticsService,
    AsyncTokenService,
    AsyncTrackService,
)
from ._websocket import AsyncWebSocketService

__all__ = ["API"]


class API:
    """The asyncio client: every call of `flowthings.API`, awaited.

    Examples:
        >>> async with API(creds, host='127.0.0.1:8080', secure=False) as api:
        ...     flows = await api.flow.find(limit=10)

    Same constructor and options as `flowthings.API` (``async_lib`` is
    accepted for drop-in parity and unused); ``http_client`` is your own
    ``httpx.AsyncClient`` (you keep ownership). Every service method runs the
    sync service's own code against an asyncio executor, so requests, answers,
    errors and retries are those of the sync client; ``find_iter`` is an
    ``async for``, ``create_many`` runs tasks. ``api.websocket.connect()``
    gives the asyncio WebSocket client (`WebSocketClient`).
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
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        options = api_options(
            async_lib, secure, params, host, ws_host, version, timeout, max_retries, retry_post
        )
        self._options = options
        current_timeout = timeout_of(options, own_client=http_client is not None)
        transport = AsyncTransport(http_client, current_timeout, options.retry_policy)
        self._context = context = AsyncServiceContext(options, _check_creds(creds), transport)
        self.root = AsyncService(context, "")
        self.flow = AsyncFlowService(context, "/flow")
        self.drop = AsyncDropServiceFactory(context)
        self.track = AsyncTrackService(context, "/track")
        self.group = AsyncGroupService(context, "/group")
        self.identity = AsyncIdentityService(context, "/identity")
        self.api_task = AsyncApiTaskService(context, "/api-task")
        self.mqtt_task = AsyncMqttTaskService(context, "/mqtt")
        self.rss_task = AsyncRssTaskService(context, "/rss")
        self.token = AsyncTokenService(context, "/token")
        self.share = AsyncShareService(context, "/share")
        self.device = AsyncDeviceService(context, "/device")
        self.statistics = AsyncStatisticsService(context)
        self.websocket = AsyncWebSocketService(context)

    def __repr__(self) -> str:
        host = resolve(self._options.host, "host")
        return f"<asyncio API account={self.creds.account!r} host={host!r}>"

    @property
    def creds(self) -> Token:
        """Get or set the API's Token; setting it re-signs every later request."""
        return self._context.creds

    @creds.setter
    def creds(self, creds: Token) -> None:
        self._context.creds = _check_creds(creds)

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The pooled `httpx.AsyncClient` every request of this API goes through."""
        return self._context.async_transport.client

    async def request(
        self,
        method: str,
        path: str,
        data: Any = None,
        params: Mapping[str, Any] | Params | None = None,
    ) -> Any:
        """Makes an arbitrary platform request under `/v{version}/{account}`."""
        return await self.root.request(method, path, data, params)

    async def aclose(self) -> None:
        """Closes the pooled HTTP client (not one you passed as `http_client`)."""
        await self._context.async_transport.aclose()

    async def __aenter__(self) -> API:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
