"""``ws.drops()`` and ``ws.messages()`` of the asyncio WebSocket client: ``async for``
over pushed drops, as ``Drop`` models or as the pushed dicts.

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
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from ..websocket._drops import END, DropStream, DropStreams, StreamEnded

if TYPE_CHECKING:
    from ..models import Drop

__all__ = ["AsyncDropIterator", "AsyncMessageIterator", "AsyncPushIterator", "RawQueue"]

_T = TypeVar("_T")


class RawQueue(asyncio.Queue[Any]):
    """The queue of a ``messages()`` iterator: it gets the pushed dict, not a model."""


class AsyncPushIterator(DropStream, AsyncIterator[_T], Generic[_T]):
    """What `AsyncDropIterator` and `AsyncMessageIterator` share.

    Yields what was pushed after it was created; ends when the client closes,
    or when nothing came for ``timeout`` seconds.

    Attributes:
        gaps: How many times the connection was lost while this iterator was
            open (each time, the drops pushed until the reconnection were missed).
    """

    _raw = False

    def __init__(
        self,
        streams: DropStreams,
        flow_id: str | None,
        timeout: float | None,
        raise_on_gap: bool,
    ) -> None:
        q: asyncio.Queue[Any] = RawQueue() if self._raw else asyncio.Queue()
        super().__init__(streams, streams.register(flow_id, q), timeout, raise_on_gap)
        self._queue = q

    def __aiter__(self) -> AsyncPushIterator[_T]:
        return self

    async def __anext__(self) -> _T:
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
                # loop): stop collecting pushes for it, then let it unwind
                self.close()
                raise
            try:
                pushed = self.take(item)
            except StreamEnded:
                break
            if pushed is not None:
                return cast(_T, pushed)
        self.close()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop iterating and unregister (idempotent)."""
        self.close()


class AsyncDropIterator(AsyncPushIterator["Drop"]):
    """One ``ws.drops()`` iterator: pushed drops as ``Drop`` models."""

    def __aiter__(self) -> AsyncDropIterator:
        return self

    if TYPE_CHECKING:  # what the generic base yields, named for readers and docs

        async def __anext__(self) -> Drop: ...


class AsyncMessageIterator(AsyncPushIterator[dict[str, Any]]):
    """One ``ws.messages()`` iterator: pushed drops as the platform sent them (dicts,
    what the thread client's ``on_message`` gets)."""

    _raw = True

    def __aiter__(self) -> AsyncMessageIterator:
        return self
