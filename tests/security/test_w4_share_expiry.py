"""A share with a ``duration`` stops granting anything once it has run out.

The existing suite ends subscriptions on an expiring *token*; this pins the
same for a *share* to another account, with no write of any access object in
between (only the clock ends it): REST reads and writes are refused, the live
subscription ends at the next push with an ``unsubscribed`` 403 and no drop
written after the expiry reaches the former recipient, and a new subscription
is refused.
"""

from __future__ import annotations

import time

from .conftest import World
from .test_live_pushes import _ended, _frames, _got_end, _markers, _subscribe, _write

LIFE_MS = 1500


def test_an_expired_share_ends_rest_access_and_the_subscription(world: World) -> None:
    w = world
    fid = w.flows["private"]["id"]
    bob_identity = w.bob.ok("GET", "/identity")[0]["id"]
    share = w.alice.ok(
        "POST",
        "/share",
        {
            "issuedTo": bob_identity,
            "paths": {w.path("private"): {"read": True, "dropRead": True, "dropWrite": True}},
            "duration": LIFE_MS,
        },
    )
    account = w.alice.account
    assert w.bob.call("GET", f"/drop/{fid}", account=account).status == 200
    ws = _subscribe(w.bob, w, fid)
    try:
        _write(w, fid, "before")
        assert _markers(_frames(ws, lambda fs: len(_markers(fs)) == 1)) == ["before"]

        time.sleep(max(0.0, (share["creationDate"] + LIFE_MS) / 1000 - time.time()) + 0.2)

        assert w.bob.call("GET", f"/drop/{fid}", account=account).status in (403, 404)
        assert w.bob.call("GET", f"/flow/{fid}", account=account).status in (403, 404)
        wrote = w.bob.call("POST", f"/drop/{fid}", {"elems": {"x": 1}}, account=account)
        assert wrote.status in (403, 404)
        _write(w, fid, "after")
        frames = _frames(ws, _got_end(fid))
        assert _markers(frames) == []
        assert _ended(frames, fid, 403)
        again = ws.request({"type": "subscribe", "object": "drop", "flowId": fid}, "again")
        assert again["head"]["status"] in (403, 404)
    finally:
        ws.close()
    listed = w.alice.ok("GET", "/share")
    assert [s["expiresInMs"] for s in listed if s["id"] == share["id"]] == [0]
