"""The request helpers of the asyncio WebSocket client, each an ``await``.

The frames are the thread client's (`flowthings.websocket._wire`), so both
send the same 1.0.5 requests; here each helper awaits ``send`` and returns
the reply's body, or raises the `FlowThingsException` subclass of an error
reply (``FlowThingsNotFound``, ...), `FlowThingsRequestTimeout` or
`FlowThingsConnectionLost`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..websocket._wire import (
    create_drop_frame,
    delete_drop_frame,
    find_drop_frame,
    find_drops_frame,
    request_frame,
    update_drop_frame,
)

__all__ = ["AsyncDropRequests"]


class AsyncDropRequests:
    """Request helpers of `flowthings.asyncio.WebSocketClient`; each returns the reply body."""

    if TYPE_CHECKING:

        async def send(self, data: Mapping[str, Any], *, timeout: float | None = None) -> Any: ...

    async def request(self, obj: str, kind: str, **fields: Any) -> Any:
        """Send a request about a ``drop``, ``flow`` or ``track``.

        Args:
            obj: ``drop``, ``flow`` or ``track``.
            kind: ``create``, ``find``, ``findmany``, ``update`` or ``delete``.
            **fields: The other members of the frame (``flowId``, ``id``,
                ``value``, ``options``).
        """
        return await self.send(request_frame(obj, kind, **fields))

    async def create_drop(self, flow_id: str, drop: Any) -> Any:
        """Create a drop (a dict or a ``Drop`` model) in a flow; the stored drop."""
        return await self.send(create_drop_frame(flow_id, drop))

    async def find_drop(self, flow_id: str, drop_id: str) -> Any:
        """Read one drop by id."""
        return await self.send(find_drop_frame(flow_id, drop_id))

    async def find_drops(self, flow_id: str, **options: Any) -> Any:
        """List a flow's drops; ``options`` are REST query parameters (limit, filter...)."""
        return await self.send(find_drops_frame(flow_id, options))

    async def update_drop(self, flow_id: str, drop_id: str, changes: Any) -> Any:
        """Update a drop with the given members (a dict or a model)."""
        return await self.send(update_drop_frame(flow_id, drop_id, changes))

    async def delete_drop(self, flow_id: str, drop_id: str) -> Any:
        """Delete a drop."""
        return await self.send(delete_drop_frame(flow_id, drop_id))
