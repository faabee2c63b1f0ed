"""The WebSocket client's callbacks and ``connect()`` options, typed.

Each callback type has the documented positional signature, so a
wrong arity or argument type is a type error and a lambda passed to
``connect()`` gets its parameter types inferred (strict pyright otherwise
rejects it as ``reportUnknownLambdaType``). Callbacks may return anything:
the result is ignored, so ``lambda ws: ws.subscribe(fid)`` is fine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict

if TYPE_CHECKING:
    from .._config import Token
    from ..models import Drop
    from ._client import WebSocketClient

__all__ = [
    "OnClose",
    "OnDrop",
    "OnError",
    "OnMessage",
    "OnOpen",
    "OnReconnect",
    "OnReply",
    "WebSocketOptions",
]


# Callable aliases rather than callback Protocols: mypy infers a lambda's
# parameter types from a Callable only (pyright from both).
OnOpen: TypeAlias = "Callable[[WebSocketClient], object]"
"""``on_open(ws)``: the first connection is open."""

OnClose: TypeAlias = "Callable[[WebSocketClient], object]"
"""``on_close(ws)``: once, on the final close."""

OnMessage: TypeAlias = "Callable[[WebSocketClient, str, dict[str, Any]], object]"
"""``on_message(ws, resource, data)``: a pushed drop; ``resource`` is the flow id,
``data`` the drop as a dict."""

OnDrop: TypeAlias = "Callable[[WebSocketClient, str, Drop], object]"
"""``on_drop(ws, flow_id, drop)``: a pushed drop as a `Drop` model."""

OnError: TypeAlias = "Callable[[WebSocketClient, BaseException], object]"
"""``on_error(ws, exc)`` (and a request's ``errback(ws, exc)``)."""

OnReconnect: TypeAlias = "Callable[[WebSocketClient, int], object]"
"""``on_reconnect(ws, attempt)``: a reconnection succeeded."""

OnReply: TypeAlias = "Callable[[WebSocketClient, Any], object]"
"""``callback(ws, reply_body)``: the reply to a request (any JSON value)."""


class WebSocketOptions(TypedDict, total=False):
    """The keyword options of `api.websocket.connect` beyond the four 1.0.5
    callbacks (see `WebSocketClient` for each)."""

    on_reconnect: OnReconnect | None
    on_drop: OnDrop | None
    heartbeat_interval: float | None
    request_timeout: float
    reconnect: bool
    max_retries: int | None
    backoff_base: float
    backoff_max: float
    connect_timeout: float
    header: Mapping[str, str] | None
    sslopt: Mapping[str, Any] | None
    sockopt: list[tuple[int, int, int]] | None
    creds: Token | None
