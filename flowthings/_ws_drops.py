"""Typed pushes: ``Drop`` models for ``on_drop`` and the ``ws.drops()`` iterators.

A push is converted to a :class:`~flowthings.models.Drop` only when someone
asked for the typed form (an ``on_drop`` callback or an open iterator), so the
raw ``on_message`` path costs nothing extra. Each iterator has its own
unbounded queue, filled from the reader thread and drained by the iterating
thread; it sees only drops pushed after it was created.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Drop

__all__ = ["DropStreams", "to_drop"]

_END = object()


def to_drop(value: Any) -> Drop:
    """Validate a pushed drop dict as a ``Drop`` model (imported lazily)."""
    from .models import Drop

    return Drop.model_validate(value)


class DropStreams:
    """The open ``drops()`` iterators of one client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: list[tuple[str | None, queue.SimpleQueue[Any]]] = []
        self._ended = False

    def wanted(self, flow_id: str) -> list[queue.SimpleQueue[Any]]:
        """The queues of the iterators interested in ``flow_id``."""
        with self._lock:
            return [q for f, q in self._queues if f is None or f == flow_id]

    def open(self, flow_id: str | None, timeout: float | None) -> Iterator[Drop]:
        """A new iterator over the drops of ``flow_id`` (``None``: all flows)."""
        entry: tuple[str | None, queue.SimpleQueue[Any]] = (flow_id, queue.SimpleQueue())
        with self._lock:
            if self._ended:
                entry[1].put(_END)
            self._queues.append(entry)
        return self._iterate(entry, timeout)

    def end(self) -> None:
        """End every iterator (the client closed for good)."""
        with self._lock:
            self._ended = True
            for _, q in self._queues:
                q.put(_END)

    def _iterate(
        self, entry: tuple[str | None, queue.SimpleQueue[Any]], timeout: float | None
    ) -> Iterator[Drop]:
        try:
            while True:
                try:
                    item = entry[1].get(timeout=timeout)
                except queue.Empty:
                    return
                if item is _END:
                    return
                yield item
        finally:
            with self._lock:
                if entry in self._queues:
                    self._queues.remove(entry)
