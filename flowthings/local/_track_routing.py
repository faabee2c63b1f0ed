"""Glue between the platform core and the track engine (:mod:`flowthings.local._tracks`).

:func:`route_drop` runs after a drop has been committed (and pushed to the
drop listeners) by :meth:`Platform.create_drop`:

* It is called **outside the store lock**: the track filters and the JS run
  while other requests may write; each produced drop is then written with
  :meth:`Platform.write_drop`, which takes the lock, commits, counts and
  notifies the drop listeners — so track-produced drops are pushed exactly
  once, in the order they are written, like any other drop.
* :func:`~flowthings.local._tracks.route` already follows the whole chain
  (breadth-first, loops cut, ``max_hops``): its writes are written in the
  order it returns them and are **not** routed again.
* Routing is synchronous: when ``POST /drop`` answers, the tracked drops are
  stored (tests and demos rely on it). A failing track is logged and
  forwards nothing; the original write never fails because of a track.
* A produced drop is accepted when its destination flow exists in the
  track's account, the drop validates (``elems`` object) and the flow's
  filter passes; rejected outputs are dropped silently (as a flow filter
  rejects a REST write). Tracks only route within their own account (their
  ``source``/``destination`` must be in it).
* Counting: ``trackHit``/``trackPass`` per track (from the engine's
  ``on_event``), ``flowDropAdded`` + ``flowTracked`` per destination flow
  for each tracked write. Tracked drops get the track's ``creatorId``;
  ``dropCreatedBy`` counts API writes only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from . import _ids
from ._envelope import PlatformError
from ._resources import KINDS, clean_input, validate
from ._tracks import route

if TYPE_CHECKING:
    from ._platform_drops import DropOperations, Obj

__all__ = ["route_drop"]

log = logging.getLogger("flowthings.local.tracks")


def _prepare(platform: DropOperations, account: str, flow: Obj, body: Any) -> Obj:
    """Clean, validate and gate a produced drop (raises ``PlatformError``)."""
    kind = KINDS["drop"]
    drop = clean_input(kind, body)
    validate(kind, drop, account)
    platform.gate(flow, drop)
    return drop


def route_drop(platform: DropOperations, account: str, flow: Obj, drop: Obj) -> None:
    """Route a committed ``drop`` of ``flow`` through the account's tracks and write the results."""
    if not platform.store.has_kind(account, "track"):  # the common case: one cheap query
        return
    tracks = list(platform.store.scan(account, "track", newest_first=False))
    if not any(t.get("source") == flow["path"] for t in tracks):
        return
    by_source: dict[str, list[Obj]] = {}
    for t in tracks:
        if isinstance(t.get("source"), str):
            by_source.setdefault(t["source"], []).append(t)
    creators = {t["id"]: t.get("creatorId", "") for t in tracks}

    def accept(dest: str, body: dict[str, Any]) -> bool:
        target = platform.store.flow_by_path(account, dest)
        if target is None:
            return False
        try:
            _prepare(platform, account, target, body)
        except PlatformError:
            return False
        return True

    def on_event(series: str, track_id: str) -> None:
        platform.record_event(account, series, track_id)

    outputs = route(
        flow["path"],
        drop,
        lambda path: by_source.get(path, []),
        accept,
        sandbox=platform.js,
        on_event=on_event,
        now_ms=_ids.now_ms(),
    )
    for dest, body, track_id in outputs:
        target = platform.store.flow_by_path(account, dest)
        try:
            if target is None:
                raise PlatformError(404, f"flow {dest} no longer exists")
            new = _prepare(platform, account, target, body)
            creator = str(creators.get(track_id, ""))
            platform.write_drop(account, target, new, creator, tracked=True)
        except PlatformError as exc:
            log.warning("track %s: drop for %s not written: %s", track_id, dest, exc.errors)
