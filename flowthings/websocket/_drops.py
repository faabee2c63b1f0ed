"""Typed pushes: ``Drop`` models for ``on_drop`` and the ``ws.drops()`` iterators.

A push is converted to a :class:`~flowthings.models.Drop` only when someone
asked for the typed form (an ``on_drop`` callback or an open iterator), so the
raw ``on_message`` path costs nothing extra. Each iterator has its own
unbounded queue, filled from the reader thread and drained by the iterating
thread; it sees only drops pushed after it was created. The asyncio client
(``flowthings.asyncio``) uses the same `DropStreams` and `DropStream` with an
``asyncio.Queue`` per iterator, so gaps and endings behave the same there. An iterator that is
dropped without being exhausted (never started, or left by ``break``) is
unregistered when it is garbage-collected or closed, so abandoned iterators do
not keep collecting drops.

A lost connection is a gap: the drops pushed while the client reconnects are
never delivered. Every open iterator counts its gaps (``.gaps``); one opened
with ``raise_on_gap=True`` raises the ``FlowThingsConnectionLost`` instead,
so the caller can re-read what it missed (e.g. drops newer than the last
``creationDate`` it saw) and open a new iterator. An iterator over one flow
whose subscription is refused (on a re-subscription after a reconnection,
say because the flow was deleted) always raises that refusal and ends: no
drop can come to it any more.
"""

from __future__ import annotations

import copy
import queue
import threading
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from ..models import Drop

__all__ = ["END", "DropIterator", "DropStream", "DropStreams", "Sink", "StreamEnded", "to_drop"]

END = object()
"""Queued when the client closed for good (and used for a wait that timed out)."""


class _Gap:
    """Queued when pushes were missed: the connection was lost (``final`` is
    false), or the flow's subscription was refused, so none will come again."""

    def __init__(self, error: BaseException, final: bool = False) -> None:
        self.error = error
        self.final = final


def to_drop(value: Any) -> Drop:
    """Validate a pushed drop dict as a ``Drop`` model (imported lazily)."""
    from ..models import Drop

    return Drop.model_validate(value)


class Sink(Protocol):
    """Where a stream's items go: a `queue.SimpleQueue` for the thread client,
    an `asyncio.Queue` for the asyncio one (both only ever appended to from the
    thread or loop that reads the socket)."""

    def put_nowait(self, item: Any, /) -> None: ...


class DropStreams:
    """The open drop iterators of one client (thread or asyncio)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: list[_Entry] = []
        self._ended = False

    def wanted(self, flow_id: str) -> list[Sink]:
        """The queues of the iterators interested in ``flow_id``."""
        with self._lock:
            return [q for f, q in self._queues if f is None or f == flow_id]

    def register(self, flow_id: str | None, sink: Sink) -> _Entry:
        """Add an iterator's queue for the drops of ``flow_id`` (``None``: all flows)."""
        entry: _Entry = (flow_id, sink)
        with self._lock:
            if self._ended:
                sink.put_nowait(END)
            self._queues.append(entry)
        return entry

    def open(
        self, flow_id: str | None, timeout: float | None, raise_on_gap: bool = False
    ) -> DropIterator:
        """A new (blocking) iterator over the drops of ``flow_id`` (``None``: all flows)."""
        q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        return DropIterator(self, self.register(flow_id, q), q, timeout, raise_on_gap)

    def gap(self, error: BaseException) -> None:
        """Mark a lost connection in every open iterator (pushes were missed)."""
        with self._lock:
            for _, q in self._queues:
                q.put_nowait(_Gap(error))

    def refused(self, flow: str, error: BaseException) -> None:
        """End the iterators of ``flow``: its subscription was refused (e.g. the
        flow was deleted or a share revoked while reconnecting)."""
        with self._lock:
            for f, q in self._queues:
                if f == flow:
                    q.put_nowait(_Gap(error, final=True))

    def end(self) -> None:
        """End every iterator (the client closed for good)."""
        with self._lock:
            self._ended = True
            for _, q in self._queues:
                q.put_nowait(END)

    def discard(self, entry: _Entry) -> None:
        """Unregister an iterator's queue (idempotent)."""
        with self._lock:
            for i, known in enumerate(self._queues):
                if known is entry:
                    del self._queues[i]
                    return

    def __len__(self) -> int:
        with self._lock:
            return len(self._queues)


_Entry = tuple["str | None", Sink]


class StreamEnded(Exception):
    """Raised by `DropStream.take` when the stream has nothing more to give."""


class DropStream:
    """What a drop iterator does with each queued item, whatever waits on the queue.

    Unregisters its queue when exhausted, closed or garbage-collected.

    Attributes:
        gaps: How many times the connection was lost while this iterator was
            open (each time, the drops pushed until the reconnection were missed).
    """

    def __init__(
        self, streams: DropStreams, entry: _Entry, timeout: float | None, raise_on_gap: bool
    ) -> None:
        self._timeout = timeout
        self._raise_on_gap = raise_on_gap
        self._done = False
        self.gaps = 0
        self._finalizer = weakref.finalize(self, streams.discard, entry)

    def take(self, item: object) -> Drop | None:
        """The drop to yield for ``item``, or ``None`` for a gap to skip.

        Raises:
            StreamEnded: The client closed (or the wait timed out: ``item`` is `END`).
            FlowThingsException: A gap that ends this stream (``raise_on_gap``, or
                the subscription was refused or ended by the platform).
        """
        if isinstance(item, _Gap):
            self.gaps += 1
            if self._raise_on_gap or item.final:
                self.close()
                # a copy per iterator: one instance raised in several threads
                # would share (and keep growing) one traceback
                raise copy.copy(item.error) from item.error
            return None
        if item is END:
            self.close()
            raise StreamEnded
        return cast("Drop", item)

    def close(self) -> None:
        """Stop iterating and unregister (idempotent)."""
        self._done = True
        self._finalizer()


class DropIterator(DropStream, Iterator["Drop"]):
    """One blocking ``drops()`` iterator of the thread client."""

    def __init__(
        self,
        streams: DropStreams,
        entry: _Entry,
        q: queue.SimpleQueue[Any],
        timeout: float | None,
        raise_on_gap: bool,
    ) -> None:
        super().__init__(streams, entry, timeout, raise_on_gap)
        self._queue = q

    def __iter__(self) -> DropIterator:
        return self

    def __next__(self) -> Drop:
        while not self._done:
            try:
                item = self._queue.get(timeout=self._timeout)
            except queue.Empty:
                item = END
            try:
                drop = self.take(item)
            except StreamEnded:
                break
            if drop is not None:
                return drop
        self.close()
        raise StopIteration
