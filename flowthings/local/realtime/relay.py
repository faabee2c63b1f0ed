"""Pushes across processes: writes of one ``serve`` process reach subscribers of all.

Several ``serve`` processes on one PostgreSQL database (``store.shared``)
each have their own :class:`~flowthings.local.realtime.pubsub.PubSubHub`. A
write is pushed by the process that made it, as always (its drop and object
listeners), and announced to the others with the store's ``notify``
(PostgreSQL ``NOTIFY``, sent with the commit: a rolled-back write is never
announced). Each process's listener thread hands the announcements of the
*other* processes to the same two callbacks the core calls locally:

* ``["d", account, flow_id, drop_id, drop]``: a drop was written. Pushed only
  when this process has subscribers of the flow, through the same hub
  ``publish`` (so the same permission re-check with the flow's path at write
  time). ``drop`` is ``None`` when it did not fit the payload limit (8000
  bytes): it is read by id then (an already evicted drop is not pushed).
* ``["o", account, kind, object_id, None]``: a flow, token, share, group or
  identity changed: the object is read again, and the hub re-checks what it
  ends (a moved flow, a deleted flow: 404, a revoked share: 403).

No push is duplicated: announcements carry their process's origin and a
process ignores its own. Order: per writing process, pushes keep write order
(``NOTIFY`` is delivered in commit order); writes to one flow through two
processes are ordered by commit. A listener that lost its connection
reconnects; what was announced meanwhile is not pushed (it is stored, and a
find returns it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowthings.local.realtime.pubsub import PubSubHub
from flowthings.local.storage.engine import Storage

__all__ = ["relay_writes"]

DropCallback = Callable[[str, dict[str, Any], dict[str, Any]], None]
ObjectCallback = Callable[[str, str, dict[str, Any], Any], None]

_RELAYED_KINDS = frozenset({"flow", "token", "share", "group", "identity"})
"""Object kinds whose changes end or re-check subscriptions."""


def relay_writes(
    store: Storage,
    drop_listeners: list[Any],
    object_listeners: list[Any],
    hub: PubSubHub,
    on_drop: DropCallback,
    on_object: ObjectCallback,
) -> None:
    """Announce this process's writes and push the other processes' (shared stores only).

    Args:
        store: The platform's store; nothing happens unless ``store.shared``.
        drop_listeners: The core's drop listeners (an announcer is appended).
        object_listeners: The core's object listeners (an announcer is appended).
        hub: This process's push hub (asked whether a flow has subscribers).
        on_drop: The hub's local drop listener, called for other processes' drops.
        on_object: The hub's local object listener, likewise.
    """
    if not store.shared:
        return

    def announce_drop(account: str, flow: dict[str, Any], drop: dict[str, Any]) -> None:
        store.notify(["d", account, flow["id"], drop["id"], drop])

    def announce_object(account: str, kind: str, old: dict[str, Any], new: Any) -> None:
        if kind in _RELAYED_KINDS:
            store.notify(["o", account, kind, old["id"], None])

    def remote(events: list[list[Any]]) -> None:
        for event in events:
            if event[0] == "d":
                _, account, flow_id, drop_id, drop = event
                if not hub.subscriber_count(flow_id):
                    continue
                if drop is None:
                    drop = store.get(account, "drop", drop_id)
                    if drop is None:
                        continue
                with store.lock:  # the local listeners run under it too
                    on_drop(account, {"id": flow_id}, drop)
            elif event[0] == "o":
                _, account, kind, object_id, _ = event
                new = store.get(account, kind, object_id)
                with store.lock:
                    on_object(account, kind, {"id": object_id}, new)

    drop_listeners.append(announce_drop)
    object_listeners.append(announce_object)
    store.listen(remote)
