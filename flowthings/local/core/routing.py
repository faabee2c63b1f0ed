"""Glue between the platform core and the track engine (:mod:`flowthings.local.tracks.engine`).

:func:`route_drop` runs after a drop has been committed (and pushed to the
drop listeners) by :meth:`Platform.create_drop`:

* It is called **outside the store lock**: the track filters and the JS run
  while other requests may write; each produced drop is then written with
  :meth:`Platform.write_drop`, which takes the lock, commits, counts and
  notifies the drop listeners — so track-produced drops are pushed exactly
  once, in the order they are written, like any other drop.
* :func:`~flowthings.local.tracks.engine.route` already follows the whole chain
  (breadth-first, loops cut, ``max_hops``): its writes are written in the
  order it returns them and are **not** routed again.
* Routing is synchronous: when ``POST /drop`` answers, the tracked drops are
  stored (tests and demos rely on it). A failing track is logged and
  forwards nothing; the original write never fails because of a track.
* A track acts with its **creator's** rights (``creatorId``: the account
  owner, or another account's identity holding shares here) — and, once
  edited, also within its **last editor's** (``lastEditorId``) — re-checked
  at routing time with the platform's access decision (``core.auth.can``): they
  must still be allowed ``drop_read`` on the source, else the track is not
  run, and ``drop_write`` on each destination, else that drop is refused —
  logged on logger ``flowthings.local.tracks``, never written.
  So code in a track on a shared flow cannot write anywhere its creator
  could not, and revoking a share stops the creator's tracks.
* A produced drop is accepted when its destination flow exists in the
  track's account, the drop validates (``elems`` object) and the flow's
  filter passes; rejected outputs are dropped silently (as a flow filter
  rejects a REST write). Tracks only route within their own account (their
  ``source``/``destination`` must be in it). Fan-out is capped by
  :func:`~flowthings.local.tracks.engine.route` (depth, drops and runs per drop).
* Counting: ``trackHit``/``trackPass`` per track (from the engine's
  ``on_event``), ``flowDropAdded`` + ``flowTracked`` per destination flow
  for each tracked write. Tracked drops get the track's ``creatorId``;
  ``dropCreatedBy`` counts API writes only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from flowthings.local.base import ids as _ids
from flowthings.local.base.envelope import PlatformError, bad_request
from flowthings.local.core.auth import Action, Principal, can
from flowthings.local.core.resources import KINDS, clean_input, validate
from flowthings.local.storage.engine import Storage
from flowthings.local.tracks.engine import JsSandbox, route

__all__ = ["RoutingHost", "route_drop"]

Obj = dict[str, Any]


class RoutingHost(Protocol):
    """What routing needs of the platform (its drop operations implement it).

    A protocol rather than an import of ``core.drops``, which calls
    :func:`route_drop`: the dependency points one way.
    """

    store: Storage
    js: JsSandbox

    def gate(self, flow: Obj, drop: Obj) -> None:
        """Raise a 400 unless ``drop`` passes the filter of ``flow``."""

    def record_event(
        self, account: str, stat: str, object_id: str, ts_ms: int | None = None
    ) -> None:
        """Count one ``stat`` event for ``object_id``."""

    def write_drop(
        self, account: str, flow: Obj, body: Obj, creator_id: str, *, tracked: bool = False
    ) -> Obj:
        """Store a validated drop in ``flow``, count it and notify the drop listeners."""

log = logging.getLogger("flowthings.local.tracks")


MAX_DROP_BYTES = 1024 * 1024
"""Largest produced drop (as JSON), the REST body limit: a track writes nothing
that a request could not."""


def _prepare(platform: RoutingHost, account: str, flow: Obj, body: Any) -> Obj:
    """Clean, validate and gate a produced drop (raises ``PlatformError``)."""
    try:
        size = len(json.dumps(body, ensure_ascii=False, allow_nan=False).encode())
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise bad_request(f"the produced drop is not valid JSON: {exc}") from None
    if size > MAX_DROP_BYTES:
        raise bad_request(f"the produced drop exceeds {MAX_DROP_BYTES} bytes")
    kind = KINDS["drop"]
    drop = clean_input(kind, body)
    validate(kind, drop, account)
    platform.gate(flow, drop)
    return drop


def route_drop(platform: RoutingHost, account: str, flow: Obj, drop: Obj) -> None:
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
    principals: dict[str, Principal | None] = {}

    def creator_principal(identity_id: str) -> Principal | None:
        # One lookup per creator and routed drop: shares revoked since the
        # track was created are seen on the next drop.
        if identity_id not in principals:
            principals[identity_id] = next(
                (
                    Principal(row.name, row.identity_id)
                    for row in platform.store.accounts()
                    if row.identity_id == identity_id
                ),
                None,
            )
        return principals[identity_id]

    def authorize(track: Mapping[str, Any], action: str, path: str) -> bool:
        checked: Action = "drop_write" if action == "drop_write" else "drop_read"
        # The creator and the last editor (who may have rewritten the JS) must
        # both be allowed: editing someone else's track never lends their rights.
        for member in ("creatorId", "lastEditorId"):
            identity = track.get(member)
            if identity is None and member == "lastEditorId":
                continue
            principal = creator_principal(identity) if isinstance(identity, str) else None
            if principal is None:
                return False  # the account is gone: the track has no rights
            if not can(platform.store, principal, checked, account, path):
                return False
        return True

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
        authorize=authorize,
        on_event=on_event,
        now_ms=_ids.now_ms(),
        account=account,
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
