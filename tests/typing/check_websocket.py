"""Type-checked uses of the WebSocket client: typed options and callbacks (issue 16).

Never executed as tests: ``test_checkers.py`` runs mypy and pyright on this file.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from typing_extensions import assert_type

from flowthings import API, WebSocketClient
from flowthings.models import Drop
from flowthings.services.websocket import OnMessage


def on_message(ws: WebSocketClient, resource: str, data: dict[str, Any]) -> None:
    print(resource, data["id"])


def on_drop(ws: WebSocketClient, flow_id: str, drop: Drop) -> None:
    print(flow_id, drop.elems)


def on_error(ws: WebSocketClient, exc: BaseException) -> None:
    print(exc)


def connect(api: API) -> None:
    ws = api.websocket.connect(
        on_open=lambda ws: ws.subscribe("f1"),  # a lambda's parameters are inferred
        on_message=on_message,
        on_close=lambda ws: print("closed"),
        on_error=on_error,
        on_drop=on_drop,
        on_reconnect=lambda ws, attempt: print(attempt + 1),
        heartbeat_interval=None,
        request_timeout=2.5,
        max_retries=3,
        header={"X-Trace": "1"},
    )
    assert_type(ws, WebSocketClient)
    assert_type(ws.subscribe("f1"), Future[Any])
    ws.subscribe("f1", lambda ws, body: print(body))
    handler: OnMessage = on_message
    api.websocket.connect(on_message=handler)
    api.websocket.connect(on_message=lambda ws, resource, data: print(data.get("elems")))
