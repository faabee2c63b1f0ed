"""`api.websocket`: the session endpoint on the WebSocket host, and `connect()`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from typing_extensions import Unpack

from .._context import ServiceContext
from .._errors import FlowThingsServerError
from ..http._spec import RequestSpec
from ..websocket._callbacks import (
    OnClose,
    OnDrop,
    OnError,
    OnMessage,
    OnOpen,
    OnReconnect,
    OnReply,
    WebSocketOptions,
)
from ._base import Service

if TYPE_CHECKING:
    from ..websocket._client import WebSocketClient

__all__ = [
    "OnClose",
    "OnDrop",
    "OnError",
    "OnMessage",
    "OnOpen",
    "OnReconnect",
    "OnReply",
    "WebSocketOptions",
    "WebSocketService",
    "session_spec",
    "session_ws_url",
]


SESSION_PATH = "/session"
"""Sessions live on the WebSocket host, with no version or account segment."""


def session_spec(context: ServiceContext) -> RequestSpec:
    """The session request, `POST {ws_host}/session` with no body: described once,
    executed by the sync client and awaited by the asyncio one."""
    return RequestSpec("POST", context.ws_url(SESSION_PATH), SESSION_PATH, None, None)


def session_ws_url(context: ServiceContext, session: object) -> str:
    """The `ws(s)://{ws_host}/session/{id}/ws` URL of the session `session` answers.

    Raises:
        FlowThingsServerError: The answer holds no session id.
    """
    session_id = cast(dict[str, Any], session).get("id") if isinstance(session, dict) else None
    if not isinstance(session_id, str):
        raise FlowThingsServerError(
            ["the session endpoint answered no session id"], context.creds, "POST", SESSION_PATH
        )
    return context.ws_url(f"{SESSION_PATH}/{quote(session_id, safe='')}/ws", websocket=True)


class WebSocketService(Service):
    """Sessions on the WebSocket host (`{ws_host}/session`, no version or account)."""

    def __init__(self, context: ServiceContext) -> None:
        super().__init__(context, SESSION_PATH)

    def _url(self, path: str) -> str:
        return self._context.ws_url(self._path + path)

    def session_url(self) -> str:
        """Opens a new session (`POST /session`) and returns its WebSocket URL."""
        return session_ws_url(self._context, self.execute(session_spec(self._context)))

    def connect(
        self,
        on_open: OnOpen | None = None,
        on_message: OnMessage | None = None,
        on_close: OnClose | None = None,
        on_error: OnError | None = None,
        **options: Unpack[WebSocketOptions],
    ) -> WebSocketClient:
        """Opens a WebSocket session and returns a client for it.

        Args:
            on_open: `on_open(ws)` once the connection is open.
            on_message: `on_message(ws, resource, data)` for each pushed drop
                (`resource` is the flow id, `data` the drop).
            on_close: `on_close(ws)` on the final close.
            on_error: `on_error(ws, exc)` on errors.
            **options: `WebSocketOptions`, see `WebSocketClient`: heartbeats,
                reconnection, request timeouts, typed drops (`on_drop`).

        Examples:
            >>> ws = api.websocket.connect(on_open=on_open, on_message=on_message)
            >>> ws.run()
        """
        from ..websocket._client import WebSocketClient

        options.setdefault("creds", self._context.creds)
        return WebSocketClient(
            self.session_url(),
            self.session_url,
            on_open=on_open,
            on_message=on_message,
            on_close=on_close,
            on_error=on_error,
            **options,
        )
