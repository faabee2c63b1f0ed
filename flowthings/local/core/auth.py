"""Who is calling and what they may do: the principal and the one access decision.

:class:`~flowthings.local.core.platform.Platform` delegates
``authenticate()`` and ``can()`` here; the rules on paths, flags and expiry
are the pure functions of :mod:`flowthings.local.core.permissions`.

Credentials (``X-Auth-Token``, optional ``X-Auth-Account``)
    * an account's **master token** → a master principal of that account;
    * a Token object's **tokenString** → a token principal of the token's
      account, refused (403) once the token has expired;
    * anything else → 403. ``X-Auth-Account``, when given, must name the
      account of the master token or of the Token object — or, for a master
      token, an account that shares something with its identity (so the SDK's
      ``Token(sharer_account, recipient_master_token)`` works: the SDK sends
      the account both in the URL and in ``X-Auth-Account``). The principal
      is still the recipient's.

Access (:func:`can`, action on a path in the URL's account)
    * ``access`` (no path): may the principal address ``/v…/{account}/`` at
      all. The owner's master token and its Token objects may; so may the
      master token of any identity holding a live share of that account
      (directly or through a group of that account).
    * Master token in its own account: everything.
    * Token principal: what :func:`~flowthings.local.core.permissions.token_allows`
      grants on the path — ``read`` of objects under its paths, ``drop_read``
      / ``drop_write`` per flags; never ``write`` (create, update or delete
      of flows, tracks, tokens, shares, ...).
    * Share recipient (another account's master token): what the shares it
      received from ``account`` grant (``Grant.master(..., shares=...)``).
    * Objects without a path (tokens, shares, groups, identities, the
      statistics of an identity) are the owner's only (path ``None``), except
      that a token principal may read its own Token object.

Shares are looked up lazily (only when a principal addresses another
account), cached for the lifetime of the principal (one request) and, across
requests, per (account, identity) until a token, share, group or identity of
that account is written (see :func:`_shares_grant`).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from flowthings.local.base import ids as _ids
from flowthings.local.base.envelope import forbidden
from flowthings.local.core.permissions import Grant, expires_in_ms, is_expired
from flowthings.local.storage.engine import Storage

if TYPE_CHECKING:
    from flowthings.local.storage.store import AccountRow

__all__ = ["Action", "Principal", "authenticate", "can", "stable_until"]

Action = Literal["access", "read", "write", "drop_read", "drop_write"]


@dataclass(frozen=True)
class Principal:
    """Who is calling.

    Attributes:
        account: The account of the credentials (the token's account for a
            Token object).
        identity_id: The calling identity (a Token object's ``issuedBy``).
        master: Whether the credentials are the account's master token.
        token: The Token object used, for token principals.
    """

    account: str
    identity_id: str
    master: bool = True
    token: dict[str, Any] | None = None
    _grants: dict[str, Grant] = field(default_factory=dict, compare=False, repr=False)

    @property
    def token_id(self) -> str | None:
        """The id of the Token object used, if any."""
        return None if self.token is None else str(self.token.get("id"))


def authenticate(store: Storage, token: str | None, auth_account: str | None = None) -> Principal:
    """Return the principal of ``token`` (403 if unknown, expired or mismatched)."""
    if not token:
        raise forbidden()
    row = _master_account(store, token)
    if row is not None:
        p = Principal(row.name, row.identity_id)
        if auth_account and auth_account != row.name and not can(store, p, "access", auth_account):
            raise forbidden()
        return p
    found = store.token_by_string(token)
    if found is None:
        raise forbidden()
    account, obj = found
    if (auth_account and auth_account != account) or is_expired(obj, _ids.now_ms()):
        raise forbidden()
    issuer = obj.get("issuedBy")
    return Principal(account, issuer if isinstance(issuer, str) else "", master=False, token=obj)


_CACHE_MAX = 10_000
_cache_lock = threading.Lock()
# store -> master token -> its account row: an account's master token never
# changes and accounts are never deleted, so a hit stays true (misses are not
# kept: a Token object's string is looked up next, and accounts are added)
_master_cache: weakref.WeakKeyDictionary[Storage, dict[str, AccountRow]] = (
    weakref.WeakKeyDictionary()
)


def _master_account(store: Storage, token: str) -> AccountRow | None:
    """The account whose master token is ``token`` (one query per token and store)."""
    per_store = _master_cache.get(store)
    row = None if per_store is None else per_store.get(token)
    if row is None:
        row = store.account_by_token(token)
        if row is not None:
            with _cache_lock:
                known = _master_cache.setdefault(store, {})
                if len(known) >= _CACHE_MAX:
                    known.clear()
                known[token] = row
    return row


# store -> (sharer account, recipient account, identity) -> (access stamp, grant)
_grant_cache: weakref.WeakKeyDictionary[Storage, dict[tuple[str, str, str], tuple[Any, Grant]]] = (
    weakref.WeakKeyDictionary()
)


def _shares_grant(store: Storage, p: Principal, account: str) -> Grant:
    """The grant of master principal ``p`` in another ``account`` (its shares there).

    Resolving it scans every group and share of ``account``, so it is cached
    per (account, identity) across requests and WebSocket re-checks, next to
    the account's :meth:`~flowthings.local.storage.engine.Storage.access_stamp`
    read *before* the scan: any write of a token, share, group or identity of
    ``account`` (or a rollback) makes the next call scan again. Expiry is not
    part of the cache: :meth:`Grant.allows` and :func:`can` compare the
    shares' expiry with the clock on every decision.
    """
    grant = p._grants.get(account)
    if grant is not None:
        return grant
    key = (account, p.account, p.identity_id)
    stamp = store.access_stamp(account)
    with _cache_lock:
        per_store = _grant_cache.setdefault(store, {})
        hit = per_store.get(key)
    if hit is not None and hit[0] == stamp:
        grant = hit[1]
    else:
        groups = [
            g["id"]
            for g in store.scan(account, "group")
            if p.identity_id in (g.get("memberIds") or ())
        ]
        targets = {p.identity_id, *groups}
        shares = [
            (s, account) for s in store.scan(account, "share") if s.get("issuedTo") in targets
        ]
        grant = Grant.master(p.account, identity_id=p.identity_id, group_ids=groups, shares=shares)
        with _cache_lock:
            if len(per_store) >= _CACHE_MAX:
                per_store.clear()  # crude bound; entries are cheap to rebuild
            per_store[key] = (stamp, grant)
    p._grants[account] = grant
    return grant


def can(store: Storage, p: Principal, action: Action, account: str, path: str | None = None) -> bool:
    """The single access decision (see the module docstring)."""
    if p.master and p.account == account:
        return True
    now = _ids.now_ms()
    if p.token is not None:
        if p.account != account or is_expired(p.token, now):
            return False
        if action == "access":
            return True
        return (
            path is not None
            and action != "write"
            and Grant.for_token(p.token).allows(action, path, now)
        )
    if not p.master:
        return False
    grant = _shares_grant(store, p, account)
    if action == "access":
        return any(not is_expired(share, now) for share, _ in grant.shares)
    return path is not None and grant.allows(action, path, now)


def stable_until(p: Principal, account: str, now_ms: int) -> float:
    """Until when (epoch ms) :func:`can` answers for ``p`` in ``account`` stay as they are
    unless ``account``'s :meth:`~flowthings.local.storage.store.Store.access_stamp` moves.

    What the decisions rest on — ``p``'s Token object, or the groups and
    shares of ``account`` behind a master principal of another account — is
    only changed by writes that move the stamp; the clock matters only
    through their expiry: the earliest one is returned (``inf`` when none
    expires). Call it after :func:`can` (which resolves the shares); before,
    a master principal of another account gets ``now_ms`` (nothing known).
    WebSocket subscriptions cache their per-push re-check with it.
    """
    if p.master and p.account == account:
        return float("inf")
    docs: list[dict[str, Any]] = []
    if p.token is not None:
        docs.append(p.token)
    elif p.master:
        grant = p._grants.get(account)
        if grant is None:
            return float(now_ms)
        docs.extend(dict(share) for share, _ in grant.shares)
    until = float("inf")
    for doc in docs:
        left = expires_in_ms(doc, now_ms)
        if left is not None:
            until = min(until, float(now_ms + left))
    return until
