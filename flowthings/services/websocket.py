"""`api.websocket`: the session endpoint on the WebSocket host, and `connect()`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._context import ServiceContext
from ._base import Service

if TYPE_CHECKING:
    pass

__all__ = ["WebSocketService"]


class WebSocketService(Service):
    """Sessions on the WebSocket host (`{ws_host}/session`, no version or account)."""

    def __init__(self, context: ServiceContext) -> None:
        super().__init__(context, "/session")

    def _url(self, path: str) -> str:
        return self._context.ws_url(self._path + path)
