"""The asyncio client: ``async with flowthings.asyncio.API(creds) as api``.

Owns `API` and the asyncio names of the services. The services are the sync
services themselves, bound to an `AsyncServiceContext` whose ``execute``
awaits `flowthings.http._async_transport.AsyncTransport` (the same
`build_request`, `interpret` and retry decision as the sync executor); their
awaited signatures live in the generated ``_services.pyi``. It also owns the
asyncio WebSocket client (``api.websocket.connect()``: `WebSocketClient`,
built on ``websockets`` and on the thread client's pure pieces in
``flowthings.websocket``). It may import the SDK core, ``_api``, ``_context``,
``http``, ``services`` and ``websocket``; nothing imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._api import API
from ._ws_streams import AsyncDropIterator, AsyncMessageIterator

if TYPE_CHECKING:
    from ._ws_client import WebSocketClient

__all__ = ["API", "AsyncDropIterator", "AsyncMessageIterator", "WebSocketClient"]


def __getattr__(name: str) -> Any:
    # The WebSocket client imports ``websockets`` (the ``asyncio`` extra): only
    # when it is asked for, so the REST client works without that package.
    if name == "WebSocketClient":
        from ._ws_client import WebSocketClient

        return WebSocketClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
