"""The WebSocket protocol without I/O: frames built, frames decoded, reconnection decided.

Shared by the thread client (`flowthings.websocket`) and the asyncio client
(`flowthings.asyncio`), so both send the same 1.0.5 frames, read replies,
pushes and ``unsubscribed`` frames the same way, and wait the same time
before a reconnection, and give up reconnecting at the same point
(`Reconnection`). Nothing here touches a socket, a thread or a loop.

Incoming frames (``websocket.md`` §3, ``local/realtime``):

* a **push** ``{"type": "message", "resource": flowId, "value": drop}``;
* an **end of subscription** ``{"type": "unsubscribed", "resource": flowId,
  "head": {"status": 403|404, "errors": [...], "msgId": null}}``: the
  platform stopped the pushes of that flow (it was deleted, or access to it
  is gone) and will push nothing more for it;
* a **reply** ``{"head": {"msgId": ..., "ok": ..., "status": ...}, "body": ...}``.

Anything else (not JSON, not an object, no ``head``) decodes to ``None`` and is
ignored by both clients: a malformed frame never ends a connection.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from .._errors import FlowThingsForbidden

__all__ = [
    "HEARTBEAT",
    "Ended",
    "Incoming",
    "Push",
    "Reconnection",
    "Reply",
    "backoff_delay",
    "create_drop_frame",
    "decode",
    "delete_drop_frame",
    "find_drop_frame",
    "find_drops_frame",
    "request_frame",
    "subscription_message",
    "update_drop_frame",
    "with_msg_id",
]

HEARTBEAT = '{"type": "heartbeat"}'
"""The keep-alive frame (never answered; the platform closes idle connections)."""


# -- outgoing ------------------------------------------------------------------


def subscription_message(kind: str, resource: str) -> dict[str, Any]:
    """The 1.0.5 (un)subscribe frame: ``path`` for ``/paths``, else ``flowId``."""
    key = "path" if resource.startswith("/") else "flowId"
    return {"type": kind, "object": "drop", key: resource}


def request_frame(obj: str, kind: str, **fields: Any) -> dict[str, Any]:
    """A request about a ``drop``, ``flow`` or ``track`` (``msgId`` not yet added)."""
    return {"object": obj, "type": kind, **fields}


def _wire(obj: Any) -> Any:
    to_wire = getattr(obj, "to_wire", None)
    return to_wire() if callable(to_wire) else obj


def create_drop_frame(flow_id: str, drop: Any) -> dict[str, Any]:
    """Create a drop (a dict or a ``Drop`` model) in a flow."""
    return request_frame("drop", "create", flowId=flow_id, value=_wire(drop))


def find_drop_frame(flow_id: str, drop_id: str) -> dict[str, Any]:
    """Read one drop by id."""
    return request_frame("drop", "find", flowId=flow_id, id=drop_id)


def find_drops_frame(flow_id: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """List a flow's drops; ``options`` are REST query parameters, sent as strings
    (so a filter expression is sent compiled, as on REST)."""
    opts = {k: str(v) for k, v in options.items()}
    return request_frame("drop", "findmany", flowId=flow_id, options=opts)


def update_drop_frame(flow_id: str, drop_id: str, changes: Any) -> dict[str, Any]:
    """Update a drop with the given members (a dict or a model)."""
    return request_frame("drop", "update", flowId=flow_id, id=drop_id, value=_wire(changes))


def delete_drop_frame(flow_id: str, drop_id: str) -> dict[str, Any]:
    """Delete a drop."""
    return request_frame("drop", "delete", flowId=flow_id, id=drop_id)


def with_msg_id(data: Mapping[str, Any], msg_id: int) -> dict[str, Any]:
    """The frame as sent: ``data`` plus the integer ``msgId`` its reply will echo."""
    return {**data, "msgId": msg_id}


# -- incoming ------------------------------------------------------------------


@dataclass(frozen=True)
class Push:
    """A drop pushed to a subscription: ``resource`` is the flow id."""

    resource: str
    value: Any


@dataclass(frozen=True)
class Ended:
    """The platform ended the subscription to flow ``resource`` (``head`` says why)."""

    resource: str
    head: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """The answer to the request whose ``msgId`` is ``head["msgId"]``."""

    head: dict[str, Any]
    body: Any

    @property
    def msg_id(self) -> Any:
        """The echoed ``msgId`` (ours are ints; anything else matches no request)."""
        return self.head.get("msgId")


Incoming = Push | Ended | Reply
"""What one received text frame can be."""


def decode(text: str | bytes) -> Incoming | None:
    """Classify one received frame; ``None`` for a frame to ignore."""
    try:
        loaded: object = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the stack
        return None
    if not isinstance(loaded, dict):
        return None
    msg = cast("dict[str, Any]", loaded)
    kind = msg.get("type")
    if kind == "message":
        return Push(str(msg.get("resource")), msg.get("value"))
    head_value: object = msg.get("head")
    if not isinstance(head_value, dict):
        return None
    head = cast("dict[str, Any]", head_value)
    if kind == "unsubscribed" and isinstance(msg.get("resource"), str):
        return Ended(cast(str, msg["resource"]), head)
    return Reply(head, msg.get("body"))


# -- reconnection ------------------------------------------------------------------


def backoff_delay(
    attempt: int,
    base: float,
    maximum: float,
    jitter: Callable[[float, float], float] = random.uniform,
) -> float:
    """Seconds to wait before reconnection attempt ``attempt`` (1-based).

    Exponential, capped, with jitter: ``min(maximum, base * 2**(attempt-1))``
    scaled by a random factor in [0.5, 1], so many clients dropped at once do
    not all come back in the same instant.
    """
    exponent = min(max(attempt - 1, 0), 62)  # past any sane cap, and no float overflow
    delay: float = min(maximum, base * float(2**exponent))
    return delay * jitter(0.5, 1.0)


class Reconnection:
    """The reconnection policy of both clients: a mixin of their connection loops.

    The options are the client's attributes (set by its constructor, read at
    each decision); the loops own the waiting (a thread event, an asyncio
    event) and the counting of ``attempt``: 1-based, the failed attempts in a
    row since the last connection, plus one once a connection ended.
    """

    reconnect: bool
    max_retries: int | None
    backoff_base: float
    backoff_max: float

    def _should_retry(self, err: BaseException | None, attempt: int) -> bool:
        """Whether to make reconnection attempt number ``attempt`` (1-based).

        Never with reconnection off, nor after a refused session request
        (401/403: the same credentials will be refused again); otherwise up to
        ``max_retries`` attempts in a row (``None``: forever).
        """
        if not self.reconnect or isinstance(err, FlowThingsForbidden):
            return False
        return self.max_retries is None or attempt <= self.max_retries

    def _backoff_delay(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt`` (`backoff_delay` of the options)."""
        return backoff_delay(attempt, self.backoff_base, self.backoff_max)
