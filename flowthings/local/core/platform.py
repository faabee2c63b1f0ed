"""Transport-independent core of the local platform: accounts, auth, operations.

:class:`Platform` owns the :class:`~flowthings.local.storage.engine.Storage` and the
track JS sandbox, and implements every operation on plain dicts; HTTP
(``http.app``) and WebSockets (``realtime.ws``) translate requests into calls of
:func:`dispatch` (module ``core.dispatch``) or of these methods directly.

Contracts:

* :meth:`Platform.authenticate` / :meth:`Platform.can` — the ONLY access
  decision (rules in :mod:`flowthings.local.core.auth`): master tokens, Token
  objects (``tokenString``: paths, dropRead/dropWrite, expiry) and Shares.
  WebSocket sessions authenticate with the same credentials, so they get
  the same principal.
* **Share addressing**: a share recipient addresses the sharer's objects
  under the sharer's account, ``/v0.1/{sharer_account}/...``, signed with
  its *own* master token, with ``X-Auth-Account`` naming either its own
  account or the sharer's. Through the SDK that is
  ``API(Token(sharer_account, recipient_master_token))`` (the SDK puts the
  account in the URL and in ``X-Auth-Account``); the same credentials open
  WebSocket sessions on the sharer's flows. The principal stays the
  recipient's identity; ``can()`` grants what the live shares issued to it
  (or to a group of the sharer's account it is a member of) allow on each
  path, and ``X-Auth-Account`` naming an account that shares nothing with
  it is a 403.
* :attr:`Platform.object_listeners` — ``callback(account, kind, old, new)``
  after an object is updated or deleted (``new=None``), under the store
  lock; the WebSocket hub uses it to end subscriptions of deleted flows and
  re-check them when a flow moves or a token/share/group changes.
* :attr:`Platform.drop_listeners` — ``callback(account, flow, drop)`` run
  synchronously after each committed drop *creation* (REST, WebSocket or a
  track; also for ``capacity: 0`` flows, whose drops are not stored), in
  write order, while the store lock is held: keep callbacks fast and
  non-blocking. A raising listener is logged and never fails the write.
  The drop passed is the stored form (elements exactly as given).
* Tracks: after a drop is created, :func:`~flowthings.local.core.routing.route_drop` runs
  the account's tracks *outside* the store lock and writes what they produce
  through :meth:`Platform.write_drop` (so those drops reach the listeners
  too); see that module.
* :meth:`Platform.record_event` — bumps the hourly ``stat_counts`` counter of
  ``(stat, object_id)``: ``flowDropAdded``, ``flowTracked``, ``trackHit``,
  ``trackPass``, ``dropCreatedBy`` and ``apiCallByIdentity`` (the last two in
  the caller's own account).
* :attr:`Platform.extensions` — extra routes of this platform for
  :mod:`~flowthings.local.core.dispatch`, looked up before the built-in
  ones (aggregation, statistics and track simulate, in
  :mod:`~flowthings.local.core.extensions`).

Choices: ``POST /drop`` with a ``path`` that names no flow is a 404 (flows are
not auto-created); drops also carry ``creatorId``; identities can be neither
created nor deleted through the API (403); deleting a flow deletes its drops;
deleting a device deletes its token (its flows stay). Token and share
``paths`` are stored normalised (``core.permissions.validate_paths``); a share's
``issuedTo`` must be an existing identity or group.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from flowthings.local.base import ids as _ids
from flowthings.local.base.envelope import bad_request, forbidden, method_not_allowed, not_found
from flowthings.local.core.auth import Action, Principal, authenticate, can
from flowthings.local.core.drops import DropListener, DropOperations, Obj
from flowthings.local.core.permissions import validate_paths
from flowthings.local.core.resources import (
    KINDS,
    Kind,
    check_ids,
    check_many,
    check_path,
    clean_input,
    validate,
)
from flowthings.local.query.interrupt import PROGRESS_STEPS, interruptible, sql_progress
from flowthings.local.query.params import Query, run_query
from flowthings.local.storage.opener import open_store
from flowthings.local.storage.store import AccountRow
from flowthings.local.tracks.engine import JsSandbox

if TYPE_CHECKING:
    from flowthings.local.core.calls import Handler

ObjectListener = Callable[[str, str, Obj, "Obj | None"], None]
"""``callback(account, kind, old, new)`` after an object was updated (``new``)
or deleted (``new`` is ``None``); run under the store lock."""

__all__ = [
    "Action",
    "Credentials",
    "DEFAULT_QUOTA",
    "DropListener",
    "Obj",
    "ObjectListener",
    "Platform",
    "Principal",
    "object_paths",
]

log = logging.getLogger("flowthings.local")


DEFAULT_ACCOUNT = "demo"

DEFAULT_QUOTA = 1024**3
"""Default storage quota per account: 1 GiB of stored documents (drops, flows,
tracks, ...; see :attr:`Store.quota <flowthings.local.storage.store.Store.quota>`)."""


@dataclass(frozen=True)
class Credentials:
    """An account name and its master token."""

    account: str
    token: str


def object_paths(obj: Obj, kind: str) -> list[str]:
    """The flow paths an object of ``kind`` lives at: the values of the kind's
    ``path_members`` (a flow's/device's ``path``, a track's/task's ``source``
    and ``destination``); empty for account-scoped kinds (tokens, shares,
    groups, identities) and drops, whatever members their body holds."""
    out: list[str] = []
    for member in KINDS[kind].path_members:
        value = obj.get(member)
        for x in value if isinstance(value, list) else [value]:
            if isinstance(x, str) and x.startswith("/"):
                out.append(x)
    return out


def _account_name_ok(name: str) -> bool:
    return bool(name) and len(name) <= 64 and all(c.isalnum() or c in "_-." for c in name)


class Platform(DropOperations):
    """All operations of the local platform on top of one store (SQLite or PostgreSQL).

    Args:
        db: a database URL (``postgresql://...``, ``sqlite:///path``), a
            SQLite file path, or ``":memory:"``; see
            :func:`~flowthings.local.storage.opener.open_store`.
        quota_bytes: most bytes of stored documents per account (default
            :data:`DEFAULT_QUOTA`, 1 GiB; ``None`` = unlimited). A write that
            would go beyond it is a 413 and stores nothing, whatever the way
            in (REST, MPUT, WebSocket, track output).
    """

    def __init__(self, db: str = ":memory:", *, quota_bytes: int | None = DEFAULT_QUOTA) -> None:
        self.store = open_store(db)
        self.store.quota = quota_bytes
        # finds past their request's deadline, or whose caller left, stop inside the database too
        self.store.set_progress_handler(sql_progress, PROGRESS_STEPS)
        try:
            self.js = JsSandbox()
        except BaseException:
            # the caller never gets the platform, so it cannot close the store
            self.store.close()
            raise
        self.drop_listeners: list[DropListener] = []
        self.object_listeners: list[ObjectListener] = []
        # Routes added to this platform only; they win over the built-in ones
        # of core.extensions (dispatch looks here first).
        self.extensions: dict[str, Handler] = {}

    def close(self) -> None:
        """Close the JS sandbox and the store (idempotent)."""
        try:
            self.js.close()
        finally:
            self.store.close()

    def __enter__(self) -> Platform:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

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
        """Return the principal of ``token`` (403 if unknown, expired or mismatched).

        ``token`` is an account's master token or a Token object's
        ``tokenString``; see :mod:`flowthings.local.core.auth`.
        """
        return authenticate(self.store, token, auth_account)

    def can(self, p: Principal, action: Action, account: str, path: str | None = None) -> bool:
        """The single access decision: may ``p`` do ``action`` in ``account`` at ``path``.

        ``action`` ``"access"`` (no path) asks whether ``p`` may address the
        account at all; ``path=None`` otherwise means an object without a
        path (owner only). See :mod:`flowthings.local.core.auth`.
        """
        return can(self.store, p, action, account, path)

    def can_read(self, p: Principal, account: str, obj: Obj, kind: str) -> bool:
        """Whether ``p`` may read ``obj`` (of ``kind``): any of its paths is readable.

        The paths are those of :func:`object_paths` — decided by the kind,
        never by which members the stored body happens to carry.
        """
        if kind == "token" and p.token is not None and obj.get("id") == p.token_id:
            return True
        paths: list[str | None] = [*object_paths(obj, kind)] or [None]
        return any(self.can(p, "read", account, x) for x in paths)

    def visible(self, p: Principal, account: str, obj: Obj, kind: str) -> bool:
        """Whether ``p`` may learn that ``obj`` (of ``kind``) exists.

        True when ``p`` may read it, or do anything (write, read or write
        drops) at one of its paths. Everything else answers exactly like a
        missing object (404), so ids and paths of objects out of reach
        cannot be probed (a 403 there would confirm they exist).
        """
        if self.can_read(p, account, obj, kind):
            return True
        actions: tuple[Action, ...] = ("write", "drop_read", "drop_write")
        return any(self.can(p, a, account, x) for x in object_paths(obj, kind) for a in actions)

    def _get_visible(self, p: Principal, account: str, kind: str, oid: str) -> Obj:
        """The object ``oid``; a 404 when absent or not :meth:`visible` to ``p``."""
        obj = self._get(account, kind, oid)
        if not self.visible(p, account, obj, kind):
            raise not_found()
        return obj

    def authorize_write(self, p: Principal, account: str, obj: Obj, kind: str) -> None:
        """Raise a 403 unless ``p`` may write every path of ``obj`` (of ``kind``).

        Account-scoped kinds have no path: only the owner's master token writes them.
        """
        paths: list[str | None] = [*object_paths(obj, kind)] or [None]
        for x in paths:
            self.authorize(p, "write", account, x)

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
        self.authorize(p, "access", account)
        self.authorize_write(p, account, obj, segment)
        validate(kind, obj, account)
        if segment in ("token", "share"):  # checked by validate(): only normalise
            which: Literal["token", "share"] = "token" if segment == "token" else "share"
            obj["paths"] = validate_paths(obj, kind=which, account=account)
        if segment == "share" and self.store.kind_of(obj["issuedTo"]) not in ("identity", "group"):
            raise bad_request("'issuedTo' must be the id of an identity or a group.")
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
                # the report flow is created on the caller's behalf: it needs the
                # same right as creating that flow directly (owner, or a share on it)
                self.authorize(p, "write", account, report)
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
        self.authorize(p, "access", account)
        obj = self._get_visible(p, account, segment, oid)
        if not self.can_read(p, account, obj, segment):
            raise forbidden()
        return obj

    def find(self, p: Principal, account: str, segment: str, q: Query) -> list[Obj]:
        """List the objects of ``segment`` matching ``q``."""
        self.authorize(p, "access", account)
        newest = q.descending or q.sort != "creationDate"
        objs = (
            o
            for o in self.store.scan(account, segment, newest_first=newest)
            if self.can_read(p, account, o, segment)
        )
        with interruptible():
            return run_query(objs, q, drop=False, now_ms=_ids.now_ms())

    def read_many(self, p: Principal, account: str, segment: str, ids: Any) -> dict[str, Obj]:
        """Return ``{id: object}`` for the readable ids among ``ids``."""
        ids = check_ids(ids)
        self.authorize(p, "access", account)
        found = self.store.get_many(account, segment, ids)
        return {i: o for i, o in found.items() if self.can_read(p, account, o, segment)}

    def _merge(self, p: Principal, account: str, kind: Kind, old: Obj, changes: Any) -> Obj:
        if kind.immutable:
            raise method_not_allowed()
        new = {**old, **clean_input(kind, changes)}
        if kind.name != "drop":  # drops are authorized on their flow (drop_write) by the caller
            self.authorize_write(p, account, old, kind.name)
            self.authorize_write(p, account, new, kind.name)
        validate(kind, new, account)
        new["lastEditDate"] = _ids.now_ms()
        new["lastEditorId"] = p.identity_id
        return new

    def update(self, p: Principal, account: str, segment: str, oid: str, changes: Any) -> Obj:
        """Merge ``changes`` (top-level) into an object; return the full object."""
        if KINDS[segment].immutable:
            raise method_not_allowed()
        return self._update_all(p, account, segment, {oid: changes})[oid]

    def _apply(self, account: str, segment: str, old: Obj, new: Obj) -> None:
        """Store a merged update (the caller holds a transaction)."""
        if segment == "flow" and new["path"] != old["path"]:
            if self.store.flow_by_path(account, new["path"]) is not None:
                raise bad_request(f"A flow with path '{new['path']}' already exists.")
            self.store.repath_drops(old["id"], new["path"])
        self.store.replace(new)
        self._object_changed(account, segment, old, new)

    def _object_changed(self, account: str, kind: str, old: Obj, new: Obj | None) -> None:
        """Tell the object listeners (under the store lock: same lock order as drop
        listeners, so a listener may take its own lock and call back into the core)."""
        with self.store.lock:
            for listener in list(self.object_listeners):
                try:
                    listener(account, kind, old, new)
                except Exception:
                    log.exception("object listener %r failed", listener)

    def update_many(self, p: Principal, account: str, segment: str, body: Any) -> dict[str, Obj]:
        """Apply ``{id: changes}`` atomically: any failure changes nothing.

        The costly part (merging, validating, compiling filters) runs first,
        without holding the store lock that every tenant's requests need;
        then one short transaction re-reads every object and stores the
        prepared versions. An object written by someone else in between is
        merged again inside the transaction, so the result is the same as
        applying the whole batch at that instant.
        """
        if KINDS[segment].immutable:
            raise method_not_allowed()
        return self._update_all(p, account, segment, check_many(body))

    def _update_all(
        self, p: Principal, account: str, segment: str, body: dict[str, Any]
    ) -> dict[str, Obj]:
        # prepare without the lock, then one short transaction (see update_many)
        kind = KINDS[segment]
        prepared: list[tuple[str, Any, Obj, Obj]] = []
        for oid, changes in body.items():
            old = self._get_visible(p, account, segment, oid)
            prepared.append((oid, changes, old, self._merge(p, account, kind, old, changes)))
        out: dict[str, Obj] = {}
        with self.store.transaction():
            for oid, changes, old, new in prepared:
                current = self._get(account, segment, oid)
                if current != old:  # changed since it was prepared: merge again
                    old, new = current, self._merge(p, account, kind, current, changes)
                else:  # rights may have changed meanwhile (cheap: grants are cached)
                    self.authorize_write(p, account, old, segment)
                    self.authorize_write(p, account, new, segment)
                self._apply(account, segment, old, new)
                out[oid] = new
        return out

    def delete(self, p: Principal, account: str, segment: str, oid: str) -> Obj:
        """Delete an object; return it (a flow takes its drops along)."""
        if segment == "identity":
            raise forbidden("Identities cannot be deleted through this API.")
        with self.store.transaction():
            obj = self._get_visible(p, account, segment, oid)
            self.authorize_write(p, account, obj, segment)
            if segment == "flow":
                self.store.delete_drops(oid)
            if segment == "device" and obj.get("tokenId"):
                self.store.delete(obj["tokenId"])
            self.store.delete(oid)
            self._object_changed(account, segment, obj, None)
            if segment == "device" and obj.get("tokenId"):
                self._object_changed(account, "token", {"id": obj["tokenId"]}, None)
        return obj

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run several operations in one transaction (all or nothing)."""
        with self.store.transaction():
            yield
