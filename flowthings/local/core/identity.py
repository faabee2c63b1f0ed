"""The read-only ``groupIds`` and ``shares`` members of an Identity.

Neither is stored on the identity: groups list their members
(``Group.memberIds``) and shares name their recipient (``Share.issuedTo``),
both in whichever account created them.  Reading an identity derives the two
members from those objects, so they can never drift out of date.

* ``groupIds``: ids of every group, in any account, whose ``memberIds`` holds
  the identity (oldest group first).
* ``shares``: ``{shareId: {"paths": {...}}}`` for every live (unexpired)
  share issued to the identity itself (not to one of its groups: the platform
  notes say "shares issued to it").  Only the identity itself sees them, like
  ``masterToken``: they tell which other accounts' paths it may use.
"""

from __future__ import annotations

from typing import Any

from flowthings.local.core.permissions import is_expired
from flowthings.local.storage.engine import Storage

__all__ = ["with_memberships"]


def with_memberships(
    store: Storage, obj: dict[str, Any], now_ms: int, *, own: bool
) -> dict[str, Any]:
    """Return *obj* (an identity) with ``groupIds`` and, when *own*, ``shares``.

    Args:
        store: The platform store (groups and shares of every account are scanned).
        obj: The stored identity.
        now_ms: "Now", to leave expired shares out.
        own: Whether the caller is this identity (only then are shares shown).
    """
    identity_id = obj["id"]
    group_ids: list[str] = []
    shares: dict[str, Any] = {}
    for account in store.accounts():
        for group in store.scan(account.name, "group", newest_first=False):
            members = group.get("memberIds")
            if isinstance(members, list) and identity_id in members:
                group_ids.append(group["id"])
        if not own:
            continue
        for share in store.scan(account.name, "share", newest_first=False):
            if share.get("issuedTo") == identity_id and not is_expired(share, now_ms):
                shares[share["id"]] = {"paths": share.get("paths", {})}
    out = {**obj, "groupIds": group_ids}
    if own:
        out["shares"] = shares
    return out
