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

from ..services._params import JSONObject
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

    # The reply bodies are typed as on REST (`api.drop(fid).create` -> JSONObject...):
    # the platform answers a WebSocket request with the body of the same REST call.

    async def create_drop(self, flow_id: str, drop: Any) -> JSONObject:
        """Create a drop (a dict or a ``Drop`` model) in a flow; the reply is the stored drop."""
        created: JSONObject = await self.send(create_drop_frame(flow_id, drop))
        return created

    async def find_drop(self, flow_id: str, drop_id: str) -> JSONObject:
        """Read one drop by id."""
        found: JSONObject = await self.send(find_drop_frame(flow_id, drop_id))
        return found

    async def find_drops(self, flow_id: str, **options: Any) -> list[JSONObject]:
        """List a flow's drops; ``options`` are REST query parameters (limit, filter...)."""
        found: list[JSONObject] = await self.send(find_drops_frame(flow_id, options))
        return found

    async def update_drop(self, flow_id: str, drop_id: str, changes: Any) -> JSONObject:
        """Update a drop with the given members (a dict or a model); the reply is the updated drop."""
        updated: JSONObject = await self.send(update_drop_frame(flow_id, drop_id, changes))
        return updated

    async def delete_drop(self, flow_id: str, drop_id: str) -> Any:
        """Delete a drop."""
        return await self.send(delete_drop_frame(flow_id, drop_id))
