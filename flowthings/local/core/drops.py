"""Drop operations of the local platform core (a mixin of :class:`~.platform.Platform`).

Split out of ``core.platform`` to keep modules small; the contracts (drop
listeners in write order under the store lock, track routing outside it)
are documented there and in ``core.routing``. :meth:`DropOperations.write_drop`
re-reads the flow under the store lock, so a drop racing a flow delete is a
404 (nothing stored, no orphan) and one racing a rename or a capacity change
gets the flow's new path and capacity.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from flowthings.local.base import ids as _ids
from flowthings.local.base.encode import MAX_RESPONSE
from flowthings.local.base.envelope import bad_request, not_found
from flowthings.local.core.find_sql import find_drops
from flowthings.local.core.resources import (
    KINDS,
    Kind,
    check_ids,
    check_many,
    clean_input,
    validate,
)
from flowthings.local.core.routing import route_drop
from flowthings.local.core.validate import validate_document
from flowthings.local.query.interrupt import interruptible
from flowthings.local.query.params import Query, compile_filter, run_query

if TYPE_CHECKING:
    from flowthings.local.core.auth import Action, Principal
    from flowthings.local.storage.engine import Storage
    from flowthings.local.tracks.engine import JsSandbox

__all__ = ["DropListener", "DropOperations", "Obj"]

log = logging.getLogger("flowthings.local")

DropListener = Callable[[str, dict[str, Any], dict[str, Any]], None]
Obj = dict[str, Any]


class DropOperations:
    """Drop operations; needs the attributes and methods declared below."""

    store: Storage
    js: JsSandbox
    drop_listeners: list[DropListener]

    if TYPE_CHECKING:

        def authorize(
            self, p: Principal, action: Action, account: str, path: str | None = None
        ) -> None: ...

        def record_event(
            self, account: str, stat: str, object_id: str, ts_ms: int | None = None
        ) -> None: ...

        def _get(self, account: str, kind: str, oid: str) -> Obj: ...

        def visible(self, p: Principal, account: str, obj: Obj, kind: str) -> bool: ...

        def _merge(self, p: Principal, account: str, kind: Kind, old: Obj, changes: Any) -> Obj: ...

    def flow(
        self, p: Principal, account: str, flow_id: str | None = None, path: str | None = None
    ) -> Obj:
        """Return a flow by id or path (404 if absent, 403 if the account is not accessible).

        A flow ``p`` may do nothing with is a 404 too, exactly like a missing
        one (no existence oracle). Callers check the drop permission they
        need on the flow's path.
        """
        self.authorize(p, "access", account)
        if flow_id is not None:
            flow = self.store.get(account, "flow", flow_id)
        else:
            flow = self.store.flow_by_path(account, path) if isinstance(path, str) else None
        if flow is None or not self.visible(p, account, flow, "flow"):
            raise not_found()
        return flow

    def gate(self, flow: Obj, drop: Obj) -> None:
        """Raise a 400 unless ``drop`` passes the filter of ``flow``."""
        f = flow.get("filter")
        if f and not compile_filter(f).matches(drop, now_ms=_ids.now_ms(), drop=True):
            raise bad_request(f"The drop does not match the filter of flow {flow['path']}: {f}")

    def create_drop(
        self,
        p: Principal,
        account: str,
        flow_id: str | None,
        body: Any,
        *,
        flow: Obj | None = None,
        checked: bool = False,
    ) -> Obj:
        """Write a drop to a flow (by id, or by ``path`` in ``body`` when ``flow_id`` is None).

        ``flow``: the flow ``flow_id`` names, when the caller just read it with
        :meth:`flow` (saves reading it again; :meth:`write_drop` re-reads it
        under the store lock anyway). ``checked``: ``body`` came out of
        :func:`~flowthings.local.core.validate.parse_document` (REST and
        WebSocket input), so :meth:`write_drop` need not walk it again.
        """
        kind = KINDS["drop"]
        drop = clean_input(kind, body)
        if flow_id is None and not isinstance(body.get("path"), str):
            raise bad_request("'path' is required to create a drop without a flow id.")
        if flow is None or flow.get("id") != flow_id:
            flow = self.flow(p, account, flow_id, body.get("path"))
        validate(kind, drop, account)
        self.authorize(p, "drop_write", account, flow["path"])
        self.gate(flow, drop)
        drop = self.write_drop(account, flow, drop, p.identity_id, checked=checked)
        self.record_event(p.account, "dropCreatedBy", p.identity_id, drop["creationDate"])
        try:
            route_drop(self, account, flow, drop)
        except Exception:  # the drop is committed: a routing failure must not fail the write
            log.exception("routing drop %s of %s through tracks failed", drop["id"], flow["path"])
        return drop

    def write_drop(
        self,
        account: str,
        flow: Obj,
        body: Obj,
        creator_id: str,
        *,
        tracked: bool = False,
        checked: bool = False,
    ) -> Obj:
        """Store a validated drop in ``flow``, count it and notify the drop listeners.

        No permission check, no filter gate, no track routing: callers do those.
        ``tracked`` also counts ``flowTracked``. ``flow`` is read again under
        the store lock, so a concurrent delete (404, nothing stored) or path
        or capacity change of the flow is honoured. ``body`` is checked by
        :func:`~flowthings.local.core.validate.validate_document` (a 400 when it could not be
        stored and read back) unless ``checked`` says it was when parsed (REST
        and WebSocket input); track output is always checked here.
        """
        if not checked or tracked:
            validate_document(body, "The track's drop" if tracked else "The drop")
        with self.store.lock:
            current = self.store.get(account, "flow", flow["id"])
            if current is None:
                raise not_found()
            flow = current
            now = _ids.now_ms()
            drop = {"id": _ids.new_id("drop"), **body, "creationDate": now, "lastEditDate": now}
            drop.update(creatorId=creator_id, flowId=flow["id"], path=flow["path"])
            with self.store.transaction():
                if flow.get("capacity", 1) > 0:
                    self.store.insert(account, "drop", drop, flow_id=flow["id"])
                    self.store.evict(flow["id"], flow.get("capacity", 1000))
                self.record_event(account, "flowDropAdded", flow["id"], now)
                if tracked:
                    self.record_event(account, "flowTracked", flow["id"], now)
            self._notify(account, flow, drop)
        return drop

    def _notify(self, account: str, flow: Obj, drop: Obj) -> None:
        for listener in list(self.drop_listeners):
            try:
                listener(account, flow, drop)
            except Exception:
                log.exception("drop listener %r failed", listener)

    def find_drops(self, p: Principal, account: str, flow: Obj, q: Query) -> list[Obj]:
        """Find the drops of ``flow`` matching ``q``."""
        self.authorize(p, "drop_read", account, flow["path"])
        with interruptible():  # SQLite stops too past the deadline or when the caller left
            if q.filter is None and q.sort == "creationDate":
                # nothing to evaluate per drop: SQLite skips the first `skip` rows itself
                # every drop read is answered: past MAX_RESPONSE of them the answer
                # is a 400 anyway, so stop reading (and decoding) there
                drops = self.store.scan(
                    account,
                    "drop",
                    flow_id=flow["id"],
                    newest_first=q.descending,
                    offset=q.skip,
                    max_bytes=MAX_RESPONSE,
                )
                return run_query(drops, replace(q, skip=0), drop=True, now_ms=_ids.now_ms())
            return find_drops(self.store, account, flow["id"], q, now_ms=_ids.now_ms())

    def _drop(self, p: Principal, account: str, flow: Obj, drop_id: str, action: Action) -> Obj:
        drop = self.store.get(account, "drop", drop_id)
        if drop is None or drop.get("flowId") != flow["id"]:
            raise not_found()
        self.authorize(p, action, account, flow["path"])
        return drop

    def read_drop(self, p: Principal, account: str, flow: Obj, drop_id: str) -> Obj:
        """Read one drop of ``flow``."""
        return self._drop(p, account, flow, drop_id, "drop_read")

    def read_drops(self, p: Principal, account: str, flow: Obj, ids: Any) -> dict[str, Obj]:
        """Return ``{id: drop}`` for the ids among ``ids`` that are drops of ``flow``."""
        ids = check_ids(ids)
        self.authorize(p, "drop_read", account, flow["path"])
        found = self.store.get_many(account, "drop", ids)
        return {i: d for i, d in found.items() if d.get("flowId") == flow["id"]}

    def update_drop(self, p: Principal, account: str, flow: Obj, drop_id: str, changes: Any) -> Obj:
        """Merge ``changes`` into a drop (the flow filter still applies)."""
        return self._update_drops(p, account, flow, {drop_id: changes})[drop_id]

    def update_drops(self, p: Principal, account: str, flow: Obj, body: Any) -> dict[str, Obj]:
        """Apply ``{dropId: changes}`` atomically (any failure changes nothing).

        Merging, validating and gating every drop against the flow's filter
        (regexes, scans of big drops) runs first, without the store lock that
        every tenant needs; one short transaction then re-reads each drop and
        stores the prepared version, or merges and gates again a drop that was
        written in between.
        """
        return self._update_drops(p, account, flow, check_many(body))

    def _update_drops(
        self, p: Principal, account: str, flow: Obj, body: dict[str, Any]
    ) -> dict[str, Obj]:
        kind = KINDS["drop"]
        prepared: list[tuple[str, Any, Obj, Obj]] = []
        for drop_id, changes in body.items():
            old = self._drop(p, account, flow, drop_id, "drop_write")
            new = self._merge(p, account, kind, old, changes)
            self.gate(flow, new)
            prepared.append((drop_id, changes, old, new))
        out: dict[str, Obj] = {}
        with self.store.transaction():
            for drop_id, changes, old, new in prepared:
                current = self._drop(p, account, flow, drop_id, "drop_write")
                if current != old:
                    new = self._merge(p, account, kind, current, changes)
                    self.gate(flow, new)
                self.store.replace(new)
                out[drop_id] = new
        return out

    def delete_drop(self, p: Principal, account: str, flow: Obj, drop_id: str) -> Obj:
        """Delete one drop; return it."""
        with self.store.transaction():
            drop = self._drop(p, account, flow, drop_id, "drop_write")
            self.store.delete(drop_id)
        return drop

    def delete_all_drops(self, p: Principal, account: str, flow: Obj) -> int:
        """Empty ``flow``; return how many drops were deleted."""
        self.authorize(p, "drop_write", account, flow["path"])
        with self.store.transaction():
            return self.store.delete_drops(flow["id"])
