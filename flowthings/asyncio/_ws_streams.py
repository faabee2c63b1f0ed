"""``ws.drops()`` of the asyncio WebSocket client: an ``async for`` over pushed drops.

The bookkeeping is the thread client's (`flowthings.websocket._drops`): the
same `DropStreams` registry and the same `DropStream` decisions (gaps counted
or raised, the end of the client, a refused or ended subscription), with an
``asyncio.Queue`` filled by the client's reader task. No task per iterator:
waiting is an ``await`` on the queue, so a cancelled ``async for`` leaves
nothing running, and it unregisters the iterator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ..websocket._drops import END, DropStream, DropStreams, StreamEnded

if TYPE_CHECKING:
    from ..models import Drop

__all__ = ["AsyncDropIterator"]


class AsyncDropIterator(DropStream, AsyncIterator["Drop"]):
    """One ``ws.drops()`` iterator of the asyncio client.

    Yields the drops pushed after it was created, as ``Drop`` models; ends when
    the client closes, or when no drop came for ``timeout`` seconds.

    Attributes:
        gaps: How many times the connection was lost while this iterator was
            open (each time, the drops pushed until the reconnection were missed).
    """

    def __init__(
        self,
        streams: DropStreams,
        flow_id: str | None,
        timeout: float | None,
        raise_on_gap: bool,
    ) -> None:
        q: asyncio.Queue[Any] = asyncio.Queue()
        super().__init__(streams, streams.register(flow_id, q), timeout, raise_on_gap)
        self._queue = q

    def __aiter__(self) -> AsyncDropIterator:
        return self

    async def __anext__(self) -> Drop:
        while not self._done:
            try:
                if self._timeout is None:
                    item = await self._queue.get()
                else:
                    item = await asyncio.wait_for(self._queue.get(), self._timeout)
            except asyncio.TimeoutError:  # the builtin TimeoutError from Python 3.11
                item = END
            except asyncio.CancelledError:
                # the consumer went away (task cancelled, timeout around the
                # loop): stop collecting drops for it, then let it unwind
                self.close()
                raise
            try:
                drop = self.take(item)
            except StreamEnded:
                break
            if drop is not None:
                return drop
        self.close()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop iterating and unregister (idempotent)."""
        self.close()
