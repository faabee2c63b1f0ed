"""Transport-independent core of the local platform: accounts, auth, operations.

:class:`Platform` owns the :class:`~flowthings.local._store.Store` and
implements every operation on plain dicts; HTTP (``_app``) and, in a later
issue, WebSockets translate requests into calls of :func:`dispatch` (module
``_dispatch``) or of these methods directly.

Hook points for later issues:

* :meth:`Platform.authorize` / :meth:`Platform.can` — the ONLY access
  decision. A :class:`Principal` is an account's master token today; Token
  objects (paths with dropRead/dropWrite, expiry) and Shares plug in there.
* :attr:`Platform.drop_listeners` — ``callback(account, flow, drop)`` run
  synchronously after each committed drop *creation* (also for
  ``capacity: 0`` flows, whose drops are not stored), in write order, while
  the store lock is held: keep callbacks fast and non-blocking (e.g. hand the
  drop to an event loop with ``call_soon_threadsafe``). A raising listener is
  logged and never fails the write. The drop passed is the stored form
  (elements exactly as given).
* :meth:`Platform.record_event` — bumps the hourly ``stat_counts`` counter of
  ``(stat, object_id)``; used for ``flowDropAdded``, ``dropCreatedBy`` and
  ``apiCallByIdentity`` here, and by tracks/statistics later.
* :attr:`Platform.extensions` — extra routes for ``_dispatch`` (aggregation,
  statistics, track simulate) keyed like ``"drop/*/aggregate"``.

Choices: ``POST /drop`` with a ``path`` that names no flow is a 404 (flows are
not auto-created); drops also carry ``creatorId``; identities can be neither
created nor deleted through the API (403); deleting a flow deletes its drops;
deleting a device deletes its token (its flows stay).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from . import _ids
from ._envelope import bad_request, forbidden, method_not_allowed, not_found
from ._query import Query, compile_filter, run_query
from ._resources import KINDS, Kind, check_path, clean_input, validate
from ._store import AccountRow, Store

if TYPE_CHECKING:
    from ._dispatch import Handler

__all__ = ["Action", "Credentials", "DropListener", "Platform", "Principal"]

log = logging.getLogger("flowthings.local")

Action = Literal["read", "write", "drop_read", "drop_write"]
DropListener = Callable[[str, dict[str, Any], dict[str, Any]], None]
Obj = dict[str, Any]

DEFAULT_ACCOUNT = "demo"


@dataclass(frozen=True)
class Credentials:
    """An account name and its master token."""

    account: str
    token: str


@dataclass(frozen=True)
class Principal:
    """Who is calling: for now always an account's master token."""

    account: str
    identity_id: str
    master: bool = True


def _account_name_ok(name: str) -> bool:
    return bool(name) and len(name) <= 64 and all(c.isalnum() or c in "_-." for c in name)


class Platform:
    """All operations of the local platform on top of one SQLite store.

    Args:
        db: a database file path or ``":memory:"``.
    """

    def __init__(self, db: str = ":memory:") -> None:
        self.store = Store(db)
        self.drop_listeners: list[DropListener] = []
        self.extensions: dict[str, Handler] = {}

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    # accounts -----------------------------------------------------------

    def create_account(self, name: str | None = None, token: str | None = None) -> Credentials:
        """Create an account (random name/token when omitted) with its identity.

        Raises:
            ValueError: the name is invalid or taken, or the token is in use.
        """
        name = name or f"user{_ids.new_id('identity')[-10:]}"
        token = token or _ids.new_master_token()
        if not _account_name_ok(name):
            raise ValueError(f"invalid account name {name!r}")
        if not token or any(c.isspace() for c in token):
            raise ValueError("invalid token")
        now = _ids.now_ms()
        identity_id = _ids.new_id("identity")
        identity = {
            "id": identity_id,
            "name": name,
            "creationDate": now,
            "creatorId": "i000000000000000000000001",
            "lastEditDate": now,
        }
        with self.store.transaction():
            if self.store.account(name) or self.store.account_by_token(token):
                raise ValueError(f"account {name!r} or its token already exists")
            self.store.add_account(AccountRow(name, token, identity_id), now)
            self.store.insert(name, "identity", identity)
        return Credentials(name, token)

    def ensure_account(self, name: str, token: str) -> Credentials:
        """Return the account ``name`` with master token ``token``, creating it if needed.

        Raises:
            ValueError: the account exists with another token.
        """
        row = self.store.account(name)
        if row is None:
            return self.create_account(name, token)
        if row.master_token != token:
            raise ValueError(f"account {name!r} exists with a different token")
        return Credentials(name, token)

    def accounts(self) -> list[Credentials]:
        """Return every account with its master token."""
        return [Credentials(r.name, r.master_token) for r in self.store.accounts()]

    # auth ---------------------------------------------------------------

    def authenticate(self, token: str | None, auth_account: str | None = None) -> Principal:
        """Return the principal of ``token`` (403 if unknown or mismatched)."""
        row = self.store.account_by_token(token) if token else None
        if row is None or (auth_account and auth_account != row.name):
            raise forbidden()
        return Principal(row.name, row.identity_id)

    def can(self, p: Principal, action: Action, account: str, path: str | None = None) -> bool:
        """The single access decision: may ``p`` do ``action`` in ``account`` at ``path``."""
        return p.master and p.account == account

    def authorize(
        self, p: Principal, action: Action, account: str, path: str | None = None
    ) -> None:
        """Raise a 403 unless :meth:`can` allows the access."""
        if not self.can(p, action, account, path):
            raise forbidden()

    # events -------------------------------------------------------------

    def record_event(
        self, account: str, stat: str, object_id: str, ts_ms: int | None = None
    ) -> None:
        """Count one ``stat`` event (e.g. ``flowDropAdded``) for ``object_id``."""
        self.store.bump(account, stat, object_id, _ids.now_ms() if ts_ms is None else ts_ms)

    # generic resources --------------------------------------------------

    def _get(self, account: str, kind: str, oid: str) -> Obj:
        obj = self.store.get(account, kind, oid)
        if obj is None:
            raise not_found()
        return obj

    def _new(self, p: Principal, kind: str, obj: Obj) -> Obj:
        now = _ids.now_ms()
        return {
            "id": _ids.new_id(kind),
            **obj,
            "creationDate": now,
            "lastEditDate": now,
            "creatorId": p.identity_id,
        }

    def _insert_flow(self, p: Principal, account: str, obj: Obj) -> Obj:
        if self.store.flow_by_path(account, obj["path"]) is not None:
            raise bad_request(f"A flow with path '{obj['path']}' already exists.")
        flow = self._new(p, "flow", obj)
        self.store.insert(account, "flow", flow)
        return flow

    def create(self, p: Principal, account: str, segment: str, body: Any) -> Obj:
        """Create an object of ``segment`` (``flow``, ``track``, ...) from ``body``."""
        kind = KINDS[segment]
        if segment == "drop":
            raise not_found()
        if segment == "identity":
            raise forbidden("Identities cannot be created through this API.")
        obj = {**kind.defaults, **clean_input(kind, body)}
        self.authorize(p, "write", account, obj.get("path"))
        validate(kind, obj, account)
        with self.store.transaction():
            if segment == "flow":
                return self._insert_flow(p, account, obj)
            obj = self._new(p, segment, obj)
            if segment in ("token", "share"):
                obj["issuedBy"] = p.identity_id
                if segment == "token":
                    obj["tokenString"] = _ids.new_token_string()
            elif segment in ("api-task", "mqtt", "rss"):
                report = f"/{account}/:reports/{obj['id']}-report"
                flow = self._insert_flow(p, account, {"path": report, "capacity": 1000})
                obj.update(status="OK", reportFlowId=flow["id"], reportPath=report)
                if segment != "mqtt":
                    obj.update(lastRun=0, nextRun=0, runCt=0)
            elif segment == "device":
                self._device_side_effects(p, account, obj)
            self.store.insert(account, segment, obj)
        return obj

    def _device_side_effects(self, p: Principal, account: str, device: Obj) -> None:
        base = device["path"].rstrip("/")
        for suffix in ("default", "command", "report"):
            path = f"{base}/{suffix}"
            if errors := check_path(path, account):
                raise bad_request(*errors)
            if self.store.flow_by_path(account, path) is None:
                self._insert_flow(p, account, {"path": path, "capacity": 1000})
        token = self._new(
            p,
            "token",
            {
                "paths": {base: {"dropRead": True, "dropWrite": True}},
                "description": f"device {device['id']}",
                "issuedBy": p.identity_id,
                "tokenString": _ids.new_token_string(),
            },
        )
        self.store.insert(account, "token", token)
        device.setdefault("status", "UNSEEN")
        device["tokenId"] = token["id"]

    def read(self, p: Principal, account: str, segment: str, oid: str) -> Obj:
        """Read one object by id (404 if absent or in another account)."""
        self.authorize(p, "read", account)
        obj = self._get(account, segment, oid)
        self.authorize(p, "read", account, obj.get("path"))
        return obj

    def find(self, p: Principal, account: str, segment: str, q: Query) -> list[Obj]:
        """List the objects of ``segment`` matching ``q``."""
        self.authorize(p, "read", account)
        newest = q.descending or q.sort != "creationDate"
        objs = (
            o
            for o in self.store.scan(account, segment, newest_first=newest)
            if self.can(p, "read", account, o.get("path"))
        )
        return run_query(objs, q, drop=False, now_ms=_ids.now_ms())

    def read_many(self, p: Principal, account: str, segment: str, ids: Any) -> dict[str, Obj]:
        """Return ``{id: object}`` for the readable ids among ``ids``."""
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise bad_request("The request body must be a JSON array of ids.")
        self.authorize(p, "read", account)
        found = self.store.get_many(account, segment, ids)
        return {i: o for i, o in found.items() if self.can(p, "read", account, o.get("path"))}

    def _merge(self, p: Principal, account: str, kind: Kind, old: Obj, changes: Any) -> Obj:
        if kind.immutable:
            raise method_not_allowed()
        new = {**old, **clean_input(kind, changes)}
        self.authorize(p, "write", account, old.get("path"))
        self.authorize(p, "write", account, new.get("path"))
        validate(kind, new, account)
        new["lastEditDate"] = _ids.now_ms()
        new["lastEditorId"] = p.identity_id
        return new

    def update(self, p: Principal, account: str, segment: str, oid: str, changes: Any) -> Obj:
        """Merge ``changes`` (top-level) into an object; return the full object."""
        kind = KINDS[segment]
        if kind.immutable:
            raise method_not_allowed()
        with self.store.transaction():
            old = self._get(account, segment, oid)
            new = self._merge(p, account, kind, old, changes)
            if segment == "flow" and new["path"] != old["path"]:
                if self.store.flow_by_path(account, new["path"]) is not None:
                    raise bad_request(f"A flow with path '{new['path']}' already exists.")
                self.store.repath_drops(oid, new["path"])
            self.store.replace(new)
        return new

    def update_many(self, p: Principal, account: str, segment: str, body: Any) -> dict[str, Obj]:
        """Apply ``{id: changes}`` atomically: any failure changes nothing."""
        if KINDS[segment].immutable:
            raise method_not_allowed()
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object of id -> changes.")
        with self.store.transaction():
            return {oid: self.update(p, account, segment, oid, ch) for oid, ch in body.items()}

    def delete(self, p: Principal, account: str, segment: str, oid: str) -> Obj:
        """Delete an object; return it (a flow takes its drops along)."""
        if segment == "identity":
            raise forbidden("Identities cannot be deleted through this API.")
        with self.store.transaction():
            obj = self._get(account, segment, oid)
            self.authorize(p, "write", account, obj.get("path"))
            if segment == "flow":
                self.store.delete_drops(oid)
            if segment == "device" and obj.get("tokenId"):
                self.store.delete(obj["tokenId"])
            self.store.delete(oid)
        return obj

    # drops --------------------------------------------------------------

    def flow(
        self, p: Principal, account: str, flow_id: str | None = None, path: str | None = None
    ) -> Obj:
        """Return a flow by id or path (404 if absent, 403 if not readable)."""
        self.authorize(p, "read", account)
        if flow_id is not None:
            return self._get(account, "flow", flow_id)
        flow = self.store.flow_by_path(account, path) if isinstance(path, str) else None
        if flow is None:
            raise not_found()
        return flow

    def _gate(self, flow: Obj, drop: Obj) -> None:
        f = flow.get("filter")
        if f and not compile_filter(f).matches(drop, now_ms=_ids.now_ms(), drop=True):
            raise bad_request(f"The drop does not match the filter of flow {flow['path']}: {f}")

    def create_drop(self, p: Principal, account: str, flow_id: str | None, body: Any) -> Obj:
        """Write a drop to a flow (by id, or by ``path`` in ``body`` when ``flow_id`` is None)."""
        kind = KINDS["drop"]
        if flow_id is None and isinstance(body, dict) and not isinstance(body.get("path"), str):
            raise bad_request("'path' is required to create a drop without a flow id.")
        flow = self.flow(p, account, flow_id, body.get("path") if isinstance(body, dict) else None)
        drop = clean_input(kind, body)
        validate(kind, drop, account)
        self.authorize(p, "drop_write", account, flow["path"])
        self._gate(flow, drop)
        with self.store.lock:
            drop = self._new(p, "drop", drop)
            drop.update(flowId=flow["id"], path=flow["path"])
            with self.store.transaction():
                if flow.get("capacity", 1) > 0:
                    self.store.insert(account, "drop", drop, flow_id=flow["id"])
                    self.store.evict(flow["id"], flow.get("capacity", 1000))
                self.record_event(account, "flowDropAdded", flow["id"], drop["creationDate"])
                self.record_event(account, "dropCreatedBy", p.identity_id, drop["creationDate"])
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
        newest = q.descending or q.sort != "creationDate"
        drops = self.store.scan(account, "drop", flow_id=flow["id"], newest_first=newest)
        return run_query(drops, q, drop=True, now_ms=_ids.now_ms())

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
        found = self.read_many(p, account, "drop", ids)
        self.authorize(p, "drop_read", account, flow["path"])
        return {i: d for i, d in found.items() if d.get("flowId") == flow["id"]}

    def update_drop(self, p: Principal, account: str, flow: Obj, drop_id: str, changes: Any) -> Obj:
        """Merge ``changes`` into a drop (the flow filter still applies)."""
        with self.store.transaction():
            old = self._drop(p, account, flow, drop_id, "drop_write")
            new = self._merge(p, account, KINDS["drop"], old, changes)
            self._gate(flow, new)
            self.store.replace(new)
        return new

    def update_drops(self, p: Principal, account: str, flow: Obj, body: Any) -> dict[str, Obj]:
        """Apply ``{dropId: changes}`` atomically."""
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object of id -> changes.")
        with self.store.transaction():
            return {i: self.update_drop(p, account, flow, i, ch) for i, ch in body.items()}

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

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run several operations in one transaction (all or nothing)."""
        with self.store.transaction():
            yield
