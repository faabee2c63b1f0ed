"""``api.websocket`` of the asyncio API: sessions over the asyncio transport, `connect()`.

The session request is the sync service's (`session_spec`, `session_ws_url`),
awaited. The client itself (`flowthings.asyncio._ws_client`) needs the
``websockets`` package, imported only when a client is built, so that the
REST side of ``flowthings.asyncio`` works without it.
"""

from __future__ import annotations

import ssl as ssl_module
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypedDict

from typing_extensions import Unpack

from .._context import ServiceContext
from ..services._base import Service
from ..services.websocket import SESSION_PATH, session_spec, session_ws_url

if TYPE_CHECKING:
    from .._config import Token
    from ._ws_client import AsyncOnError, AsyncOnReconnect, WebSocketClient

__all__ = ["AsyncWebSocketOptions", "AsyncWebSocketService"]

MISSING_WEBSOCKETS = (
    "the asyncio WebSocket client needs the 'websockets' package: "
    "pip install 'flowthings[asyncio]'"
)


class AsyncWebSocketOptions(TypedDict, total=False):
    """The keyword options of the asyncio ``api.websocket.connect`` (see
    `flowthings.asyncio.WebSocketClient` for each)."""

    on_error: AsyncOnError | None
    on_reconnect: AsyncOnReconnect | None
    heartbeat_interval: float | None
    request_timeout: float
    reconnect: bool
    max_retries: int | None
    backoff_base: float
    backoff_max: float
    connect_timeout: float
    header: Mapping[str, str] | None
    ssl: ssl_module.SSLContext | None
    creds: Token | None


class AsyncWebSocketService(Service):
    """Sessions on the WebSocket host (`{ws_host}/session`), awaited."""

    def __init__(self, context: ServiceContext) -> None:
        super().__init__(context, SESSION_PATH)

    def _url(self, path: str) -> str:
        return self._context.ws_url(self._path + path)

    async def session_url(self) -> str:
        """Opens a new session (`POST /session`) and returns its WebSocket URL."""
        session: object = await self._context.execute(session_spec(self._context))
        return session_ws_url(self._context, session)

    def connect(self, **options: Unpack[AsyncWebSocketOptions]) -> WebSocketClient:
        """A WebSocket client of this API; it connects on ``async with`` (or ``open()``).

        Every connection (the first and each reconnection) opens a new session
        with `session_url`, through this API's transport and credentials.

        Args:
            **options: `AsyncWebSocketOptions`: error and reconnection
                callbacks, heartbeats, reconnection, request timeouts, TLS.

        Raises:
            ImportError: The ``websockets`` package is not installed.

        Examples:
            >>> async with api.websocket.connect() as ws:
            ...     await ws.subscribe(flow_id)
            ...     async for drop in ws.drops(flow_id):
            ...         print(drop.elems)
        """
        try:
            from ._ws_client import WebSocketClient
        except ModuleNotFoundError as exc:
            if exc.name != "websockets" and not (exc.name or "").startswith("websockets."):
                raise
            raise ImportError(MISSING_WEBSOCKETS, name="websockets") from exc

        options.setdefault("creds", self._context.creds)
        return WebSocketClient(self.session_url, **options)
