"""Helpers of the large-data tests: flows filled through the store's bulk path."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flowthings import API
from flowthings.local.base import ids as _ids
from flowthings.local.testing import LocalPlatform


def bulk_fill(
    lp: LocalPlatform, api: API, flow_id: str, elems: Iterable[dict[str, Any]], *, same_ms: int = 1
) -> list[str]:
    """Insert drops straight into the store (the fastest path); return their ids in order.

    ``same_ms`` drops share each ``creationDate``, so pages end inside groups of ties.
    """
    flow = api.flow.read(flow_id)
    start = _ids.now_ms() - 10_000_000
    drops = []
    for i, e in enumerate(elems):
        drops.append(
            {
                "id": _ids.new_id("drop"),
                "flowId": flow_id,
                "path": flow["path"],
                "creationDate": start + i // same_ms,
                "elems": e,
            }
        )
    lp.platform.store.insert_drops(api.creds.account, flow_id, drops)
    return [d["id"] for d in drops]
