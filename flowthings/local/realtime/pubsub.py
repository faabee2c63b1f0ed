"""Drop push fan-out for the local platform's WebSocket sessions.

The platform core calls its ``drop_listeners`` after every committed drop write,
from whatever thread did the write (a REST handler's worker thread, a WebSocket
request, a track), in write order per flow. :class:`PubSubHub` is one such
listener: it encodes the push frame once and hands it to every connection
subscribed to that flow.

Choices (documented here because they are the wire-visible behaviour):

* **Exactly once, in write order per flow.** A connection holds a set of flow
  ids, so two subscriptions to the same flow (by id and by path) still give one
  push per drop. The hub appends to each connection's :class:`Outbox` while it
  holds its own lock, so pushes enter every outbox in the order the core
  reported the writes.
* **Writers never wait for readers.** :meth:`Outbox.put` is a bounded,
  lock-protected append plus at most one pending
  ``loop.call_soon_threadsafe`` wake-up per connection; it never blocks on the
  network. When a connection's outbox already holds ``maxsize`` frames (default
  1000), or frames of more than ``max_bytes`` characters together (default
  :data:`DEFAULT_MAX_QUEUE_BYTES`, 16 MiB: a frame may be about 1 MiB, so a
  count alone let a never-reading subscriber pin about 1 GB), the connection
  is marked overflowed, further frames are discarded, and its sender closes
  the socket with code **1013** ("try again later") and a reason naming the
  limit. Memory per slow subscriber is therefore bounded.
* **Subscriptions are by flow id.** A subscription by path is resolved to the
  flow id when the subscribe request is handled (see ``realtime/ws.py``); a flow later
  re-created at the same path is a different flow.
* **Access is re-checked against the flow's current path.** A subscription
  may carry a ``check(path)`` (tokens and shares; the owner's does not): it
  runs before every push with the path the flow has *now*, and when the flow
  is moved (:meth:`PubSubHub.flow_changed`) or a token/share/group of the
  flow's account changes (:meth:`PubSubHub.recheck`, scoped to that account).
  The checks are cheap: share grants are cached per (account, identity) until
  the account's tokens/shares/groups change (``core/auth.py``). When it fails, or when the flow is deleted,
  the subscription ends and the connection gets one **end frame**
  (:func:`end_frame`): ``{"type": "unsubscribed", "resource": flowId,
  "head": {..., "status": 403 or 404, "errors": [why], "msgId": null},
  "body": {}}``. Nothing more is pushed for that flow.
* **Connections clean up after themselves.** When a connection ends its
  outbox is closed, then removed from every flow; a subscribe still being
  handled at that moment is refused by the closed outbox, so no subscription
  outlives its connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "DEFAULT_MAX_QUEUE",
    "DEFAULT_MAX_QUEUE_BYTES",
    "Check",
    "Outbox",
    "OutboxOverflow",
    "PubSubHub",
    "end_frame",
]

DEFAULT_MAX_QUEUE = 1000
DEFAULT_MAX_QUEUE_BYTES = 16 * 1024 * 1024
"""Most characters of frames one connection's outbox may hold (read when an
:class:`Outbox` is made without ``max_bytes``)."""
"""Default bound of a connection's outgoing queue (frames)."""


Check = Callable[[str], bool]
"""``check(current_flow_path)``: may the subscriber still read the flow's drops?"""


def end_frame(flow_id: str, status: int, why: str) -> str:
    """The frame telling a connection its subscription to ``flow_id`` ended.

    Shaped like a failed reply (``head`` with ``msgId: null``) so clients that
    only match replies by ``msgId`` ignore it, plus ``type``/``resource`` so
    others can tell which subscription ended.
    """
    head = {
        "ok": False,
        "status": status,
        "errors": [why],
        "messages": [],
        "references": {},
        "msgId": None,
    }
    return json.dumps({"type": "unsubscribed", "resource": flow_id, "head": head, "body": {}})


# never name the flow's new path: the subscriber may no longer know it
FORBIDDEN = "Subscription ended: access to the flow's drops is gone."
DELETED = "Subscription ended: the flow was deleted."


class OutboxOverflow(Exception):
    """Raised by :meth:`Outbox.get` once the outbox overflowed."""


class Outbox:
    """Bounded, thread-safe queue of outgoing text frames for one connection.

    ``put`` may be called from any thread; ``get`` is awaited on the event
    loop that owns the connection.

    Args:
        loop: The event loop running the connection.
        maxsize: Maximum number of queued frames before the outbox overflows.
        max_bytes: Maximum characters of queued frames (``None``:
            :data:`DEFAULT_MAX_QUEUE_BYTES`).
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        maxsize: int = DEFAULT_MAX_QUEUE,
        max_bytes: int | None = None,
    ) -> None:
        self._loop = loop
        # the thread running ``loop`` (connections make their outbox on it): a
        # put there wakes the sender directly instead of through the self-pipe
        self._loop_thread = threading.get_ident() if _running(loop) else None
        self.maxsize = maxsize
        self.max_bytes = DEFAULT_MAX_QUEUE_BYTES if max_bytes is None else max_bytes
        self._size = 0  # characters queued
        self.reason = ""
        """Why the outbox overflowed (the close reason), once it did."""
        self._lock = threading.Lock()
        self._items: deque[str] = deque()
        self._event = asyncio.Event()
        self._wake_pending = False
        self._closed = False
        self.overflowed = False

    def put(self, frame: str) -> bool:
        """Queue one frame; never blocks.

        Args:
            frame: The text frame to send.

        Returns:
            ``True`` when queued, ``False`` when the outbox is closed or overflowed.
        """
        with self._lock:
            if self._closed or self.overflowed:
                return False
            if len(self._items) >= self.maxsize or self._size + len(frame) > self.max_bytes:
                self.overflowed = True
                self.reason = (
                    f"outgoing queue overflow ({self.maxsize} messages)"
                    if len(self._items) >= self.maxsize
                    else f"outgoing queue overflow ({self.max_bytes} bytes)"
                )
                self._items.clear()
                self._size = 0
                ok = False
            else:
                self._items.append(frame)
                self._size += len(frame)
                ok = True
            if self._wake_pending:
                return ok
            self._wake_pending = True
        if threading.get_ident() == self._loop_thread:
            self._wake()  # a push of a write served on the loop: no system call
            return ok
        with contextlib.suppress(RuntimeError):  # loop closed: the connection is gone
            self._loop.call_soon_threadsafe(self._wake)
        return ok

    def _wake(self) -> None:
        with self._lock:
            self._wake_pending = False
        self._event.set()

    async def get(self) -> list[str]:
        """Wait for and return every queued frame, oldest first.

        Raises:
            OutboxOverflow: The outbox overflowed; the connection must close.
        """
        while True:
            with self._lock:
                if self.overflowed:
                    raise OutboxOverflow
                if self._items:
                    batch = list(self._items)
                    self._items.clear()
                    self._size = 0
                    return batch
                self._event.clear()
            await self._event.wait()

    def close(self) -> None:
        """Refuse further frames (the connection is going away)."""
        with self._lock:
            self._closed = True
            self._items.clear()
            self._size = 0

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        with self._lock:
            return self._closed


class PubSubHub:
    """Maps flow ids to the outboxes of the connections subscribed to them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, dict[Outbox, Check | None]] = {}
        self._paths: dict[str, str] = {}  # flow id -> its current path
        self._accounts: dict[str, str] = {}  # flow id -> its account (scopes recheck)
        self.last_value: tuple[Any, str] | None = None
        """The last pushed drop and its JSON text: a WebSocket create's reply
        carries the same drop, and reuses the text instead of encoding it again."""

    def subscribe(
        self,
        flow_id: str,
        outbox: Outbox,
        check: Check | None = None,
        path: str = "",
        account: str = "",
    ) -> bool:
        """Subscribe a connection to a flow (idempotent).

        ``check(path)``, if given, runs before each push to this subscriber
        (under the core's store lock) with the flow's current ``path``; when
        it returns false the subscription ends with an :func:`end_frame`: a
        revoked or expired token / share, or a flow moved out of its scope,
        stops receiving drops.

        ``account`` is the flow's account: :meth:`recheck` of that account
        re-checks this subscription.

        Returns:
            Whether the subscription was registered: a closed outbox (its
            connection ended while the request was being handled) is refused,
            so a late subscribe cannot outlive its connection.
        """
        with self._lock:
            if outbox.closed:
                return False
            self._subs.setdefault(flow_id, {})[outbox] = check
            self._paths[flow_id] = path or self._paths.get(flow_id, "")
            self._accounts[flow_id] = account or self._accounts.get(flow_id, "")
            return True

    def unsubscribe(self, flow_id: str, outbox: Outbox) -> bool:
        """Unsubscribe a connection from a flow.

        Returns:
            Whether the connection was subscribed.
        """
        with self._lock:
            subs = self._subs.get(flow_id)
            if subs is None or outbox not in subs:
                return False
            self._remove(flow_id, outbox)
            return True

    def _remove(self, flow_id: str, outbox: Outbox) -> None:
        # caller holds self._lock
        subs = self._subs[flow_id]
        del subs[outbox]
        if not subs:
            del self._subs[flow_id]
            self._paths.pop(flow_id, None)
            self._accounts.pop(flow_id, None)

    def drop_connection(self, outbox: Outbox) -> None:
        """Remove a connection from every flow it was subscribed to.

        Close the outbox first: :meth:`subscribe` then refuses it, so nothing
        can re-register it after this call.
        """
        with self._lock:
            for flow_id in [f for f, subs in self._subs.items() if outbox in subs]:
                self._remove(flow_id, outbox)

    def subscriber_count(self, flow_id: str) -> int:
        """Number of connections subscribed to ``flow_id``."""
        with self._lock:
            return len(self._subs.get(flow_id, ()))

    def publish(self, flow_id: str, drop: Mapping[str, Any]) -> None:
        """Push one written drop to the flow's subscribers (any thread, non-blocking).

        Args:
            flow_id: The flow the drop was written to.
            drop: The drop as the platform renders it (must carry ``flowId`` and ``path``).
        """
        with self._lock:
            subs = self._subs.get(flow_id)
            if not subs:
                return
            path = str(drop.get("path", ""))  # the flow's path at write time, i.e. now
            self._paths[flow_id] = path
            self._recheck_locked(flow_id, path)
            subs = self._subs.get(flow_id)
            if not subs:
                return
            # the text of json.dumps({"type": "message", "resource": ..., "value": drop})
            text = json.dumps(drop)
            frame = f'{{"type": "message", "resource": {json.dumps(flow_id)}, "value": {text}}}'
            self.last_value = (drop, text)
            # Appending under the hub lock keeps per-flow order identical in
            # every outbox even if two writer threads race past the core.
            for outbox in subs:
                outbox.put(frame)

    def _recheck_locked(self, flow_id: str, path: str) -> None:
        """End the subscriptions to ``flow_id`` whose check refuses ``path``."""
        for outbox, check in list(self._subs.get(flow_id, {}).items()):
            if check is not None and not _allowed(check, path):
                self._remove(flow_id, outbox)
                outbox.put(end_frame(flow_id, 403, FORBIDDEN))

    def flow_changed(self, flow_id: str, path: str | None) -> None:
        """The flow was moved to ``path`` (re-check) or deleted (``None``: end all)."""
        with self._lock:
            if path is not None:
                if flow_id in self._subs:
                    self._paths[flow_id] = path
                    self._recheck_locked(flow_id, path)
                return
            for outbox in list(self._subs.get(flow_id, {})):
                self._remove(flow_id, outbox)
                outbox.put(end_frame(flow_id, 404, DELETED))

    def recheck(self, account: str | None = None) -> None:
        """Re-check the subscriptions to ``account``'s flows (every one if ``None``).

        Called when a token, share or group of ``account`` changed: only that
        account's grants can have shrunk, so other tenants' subscriptions are
        not touched (a change in one account must not cost every tenant).
        """
        with self._lock:
            for flow_id in list(self._subs):
                if account is None or self._accounts.get(flow_id) in (account, ""):
                    self._recheck_locked(flow_id, self._paths.get(flow_id, ""))

    def listener(self) -> Callable[..., None]:
        """The callable to register in the core's ``drop_listeners``."""
        return self.publish


def _running(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` is the event loop running in this thread."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _allowed(check: Check, path: str) -> bool:
    try:
        return check(path)
    except Exception:  # a failing check must not keep a subscription alive
        return False
