"""Red-team F2: share subscriptions must not rescan the sharer's account per push.

A share recipient's WebSocket subscriptions are re-checked before every push
(and when a token, share or group changes). Resolving a share grant scans every
group and share of the sharer's account, so those checks ran O(subscriptions x
groups) work under the global store lock on every drop write, and any change in
any account re-checked every subscription of every tenant. Grants are now cached
per (account, identity) until that account's tokens/shares/groups change, and a
change only re-checks the changed account's subscriptions. Access must still
end as soon as it is revoked (the group variant below; test_live_pushes.py has
the rest).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from flowthings.local.base import ids as _ids

from .conftest import World
from .test_live_pushes import _ended, _frames, _got_end, _markers, _subscribe, _write


@contextmanager
def _counting_scans(w: World, account: str) -> Iterator[list[str]]:
    """Record the kinds scanned in ``account`` while the block runs."""
    store = w.lp.platform.store
    seen: list[str] = []
    real = store.scan

    def scan(acc: str, kind: str, **kw: Any) -> Any:
        if acc == account:
            seen.append(kind)
        return real(acc, kind, **kw)

    store.scan = scan  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        del store.scan


def _seed_groups(w: World, member: str, n: int) -> None:
    store, now = w.lp.platform.store, _ids.now_ms()
    with store.transaction():
        for i in range(n):
            group = {
                "id": _ids.new_id("group"),
                "creationDate": now,
                "memberIds": [member],
                "displayName": f"g{i}",
            }
            store.insert(w.alice.account, "group", group)


def test_pushes_do_not_rescan_the_sharers_groups(world: World) -> None:
    w = world
    bob_identity = w.bob.ok("GET", "/identity")[0]["id"]
    _seed_groups(w, bob_identity, 300)
    fid = w.flows["shared"]["id"]
    sockets = [_subscribe(w.bob, w, fid) for _ in range(8)]
    try:
        with _counting_scans(w, w.alice.account) as seen:
            for i in range(3):
                _write(w, fid, f"m{i}")
            for ws in sockets:
                frames = _frames(ws, lambda fs: len(_markers(fs)) == 3)
                assert _markers(frames) == ["m0", "m1", "m2"]
        # before: every push scanned every group and share once per subscription
        assert seen.count("group") <= 1, len(seen)
    finally:
        for ws in sockets:
            ws.close()


def test_a_change_in_one_account_does_not_recheck_other_tenants(world: World) -> None:
    w = world
    fid = w.flows["shared"]["id"]
    ws = _subscribe(w.bob, w, fid)
    platform = w.lp.platform
    checked: list[str | None] = []
    real = platform.authenticate

    def authenticate(token: str | None, auth_account: str | None = None) -> Any:
        if token == w.bob.token:
            checked.append(auth_account)
        return real(token, auth_account)

    platform.authenticate = authenticate  # type: ignore[method-assign]
    try:
        group = w.carol.ok("POST", "/group", {"displayName": "c", "memberIds": []})
        w.carol.ok("PUT", f"/group/{group['id']}", {"displayName": "c2"})
        w.carol.ok("DELETE", f"/group/{group['id']}")
        assert checked == []  # before: carol's changes re-checked bob's subscription
        # a change in alice's own account still re-checks (and keeps) it
        mine = w.alice.ok("POST", "/group", {"displayName": "a", "memberIds": []})
        w.alice.ok("PUT", f"/group/{mine['id']}", {"displayName": "b"})
        assert checked
        del platform.authenticate
        _write(w, fid, "still")
        assert _markers(_frames(ws, lambda fs: bool(_markers(fs)))) == ["still"]
    finally:
        platform.__dict__.pop("authenticate", None)
        ws.close()


def test_group_grants_follow_membership_changes(world: World) -> None:
    w = world
    bob_identity = w.bob.ok("GET", "/identity")[0]["id"]
    fid = w.flows["private"]["id"]
    assert w.bob.call("GET", f"/drop/{fid}", account=w.alice.account).status == 404
    group = w.alice.ok("POST", "/group", {"displayName": "g", "memberIds": [bob_identity]})
    w.alice.ok(
        "POST",
        "/share",
        {"issuedTo": group["id"], "paths": {w.path("private"): {"dropRead": True}}},
    )
    # the cached grant of bob in alice's account is rebuilt after the new share
    assert w.bob.call("GET", f"/drop/{fid}", account=w.alice.account).status == 200
    ws = _subscribe(w.bob, w, fid)
    try:
        _write(w, fid, "before")
        assert _markers(_frames(ws, lambda fs: bool(_markers(fs)))) == ["before"]
        w.alice.ok("PUT", f"/group/{group['id']}", {"memberIds": []})
        _write(w, fid, "after")
        frames = _frames(ws, _got_end(fid))
        assert _markers(frames) == []
        assert _ended(frames, fid, 403)
    finally:
        ws.close()
    assert w.bob.call("GET", f"/drop/{fid}", account=w.alice.account).status == 404


@pytest.mark.parametrize("kind", ["group", "share"])
def test_a_rolled_back_write_does_not_leave_a_grant(world: World, kind: str) -> None:
    w = world
    bob_identity = w.bob.ok("GET", "/identity")[0]["id"]
    fid = w.flows["private"]["id"]
    platform, store = w.lp.platform, w.lp.platform.store
    alice = platform.authenticate(w.alice.token)
    bob = platform.authenticate(w.bob.token)
    share = {"issuedTo": bob_identity, "paths": {w.path("private"): {"dropRead": True}}}

    def granted_then_rolled_back() -> None:
        with store.transaction():
            if kind == "group":
                body = {"memberIds": [bob_identity]}
                share["issuedTo"] = platform.create(alice, w.alice.account, "group", body)["id"]
            platform.create(alice, w.alice.account, "share", share)
            assert platform.can(bob, "drop_read", w.alice.account, w.path("private"))
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        granted_then_rolled_back()
    assert w.bob.call("GET", f"/drop/{fid}", account=w.alice.account).status == 404
