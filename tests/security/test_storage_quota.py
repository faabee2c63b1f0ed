"""Red-team F7: a per-account storage quota, enforced on every way in.

A track fan-out stored 100 copies of a 1 MiB drop per incoming drop, with
no bound on what an account may store. Each account now has a quota of
stored document bytes (``serve --quota-bytes``, ``local_platform(quota_bytes=)``,
1 GiB by default), counted incrementally; a write that would go beyond it
is a 413 naming the quota and stores nothing: REST, MPUT, WebSocket frames
and track output alike. Shrinking writes (deletes) always pass. The quota
is lowered here so the tests stay small.
"""

from __future__ import annotations

import httpx
import pytest

from flowthings.local.storage.store import Store

from .conftest import World

PAD = "x" * 1000


def _sum(store: Store, account: str) -> int:
    # what an exact (full-scan) count gives: the incremental one must agree
    with store.lock:
        row = store._conn.execute(
            "SELECT COALESCE(SUM(length(CAST(data AS BLOB))), 0) FROM objects WHERE account = ?",
            (account,),
        ).fetchone()
    return int(row[0])


@pytest.fixture
def quota(world: World, monkeypatch: pytest.MonkeyPatch) -> int:
    """Alice may store about 5 more drops of ``PAD``."""
    store = world.lp.platform.store
    limit = store.stored_bytes(world.alice.account) + 5 * (len(PAD) + 300)
    monkeypatch.setattr(store, "quota", limit)
    return limit


def _fill(world: World, fid: str) -> int:
    n = 0
    while True:
        r = world.alice.call("POST", f"/drop/{fid}", {"elems": {"pad": PAD}})
        if r.status != 201:
            assert r.status == 413, r
            assert "quota" in r.errors[0]
            return n
        n += 1
        assert n < 50


def test_rest_writes_stop_at_the_quota(world: World, quota: int) -> None:
    store = world.lp.platform.store
    a = world.alice.account
    fid = world.flows["private"]["id"]
    n = _fill(world, fid)
    assert 3 <= n <= 6
    assert len(world.alice.ok("GET", f"/drop/{fid}")) == n  # the refused one is not stored
    used = store.stored_bytes(a)
    assert used <= quota
    assert used == _sum(store, a)
    # by path, and new flows, are refused too
    r = world.alice.call("POST", "/drop", {"path": world.path("private"), "elems": {"p": PAD}})
    assert r.status == 413
    r = world.alice.call("POST", "/flow", {"path": world.path("more"), "description": PAD * 3})
    assert r.status == 413
    # other accounts are not affected
    carol_flow = world.carol.ok("POST", "/flow", {"path": f"/{world.carol.account}/f"})
    assert world.carol.call("POST", f"/drop/{carol_flow['id']}", {"elems": {"p": PAD}}).status == 201
    # deleting frees room
    drops = world.alice.ok("GET", f"/drop/{fid}")
    for d in drops[:2]:
        world.alice.ok("DELETE", f"/drop/{fid}/{d['id']}")
    assert world.alice.call("POST", f"/drop/{fid}", {"elems": {"pad": PAD}}).status == 201
    assert store.stored_bytes(a) == _sum(store, a)


def test_updates_and_mput_count(world: World, quota: int) -> None:
    store = world.lp.platform.store
    a = world.alice.account
    fid = world.flows["private"]["id"]
    d = world.alice.ok("POST", f"/drop/{fid}", {"elems": {"n": 1}})
    r = world.alice.call("PUT", f"/drop/{fid}/{d['id']}", {"elems": {"pad": PAD * 10}})
    assert r.status == 413
    r = world.alice.call("MPUT", f"/drop/{fid}", {d["id"]: {"elems": {"pad": PAD * 10}}})
    assert r.status == 413
    r = world.alice.call("MPUT", "/flow", {fid: {"description": PAD * 10}})
    assert r.status == 413
    got = world.alice.ok("GET", f"/drop/{fid}/{d['id']}", params={"hints": "0"})
    assert got["elems"] == {"n": 1}
    # a shrinking update passes, and the count follows it exactly
    world.alice.ok("PUT", f"/drop/{fid}/{d['id']}", {"elems": {}})
    assert store.stored_bytes(a) == _sum(store, a)


def test_websocket_writes_count(world: World, quota: int) -> None:
    fid = world.flows["private"]["id"]
    ws = world.alice.socket()
    try:
        statuses = []
        for i in range(12):
            reply = ws.request(
                {"type": "create", "object": "drop", "flowId": fid, "value": {"elems": {"p": PAD}}},
                msg_id=f"m{i}",
            )
            statuses.append(reply["head"]["status"])
        assert 413 in statuses
        assert statuses.count(201) <= 6
    finally:
        ws.close()


def test_track_fan_out_stops_at_the_quota(world: World, quota: int) -> None:
    store = world.lp.platform.store
    a = world.alice.account
    dests = [world.alice.ok("POST", "/flow", {"path": world.path(f"d{i}")}) for i in range(20)]
    world.alice.ok(
        "POST",
        "/track",
        {"source": world.path("outside"), "destination": [f["path"] for f in dests]},
    )
    r = world.alice.call("POST", f"/drop/{world.flows['outside']['id']}", {"elems": {"p": PAD}})
    assert r.status in (201, 413)
    stored = sum(len(world.alice.ok("GET", f"/drop/{f['id']}")) for f in dests)
    assert stored < 20  # the quota cut the fan-out short
    assert store.stored_bytes(a) <= quota
    assert store.stored_bytes(a) == _sum(store, a)


def test_capacity_eviction_and_renames_keep_the_count_exact(world: World) -> None:
    store = world.lp.platform.store
    a = world.alice.account
    flow = world.alice.ok("POST", "/flow", {"path": world.path("ring"), "capacity": 3})
    for i in range(8):
        world.alice.ok("POST", f"/drop/{flow['id']}", {"elems": {"i": i, "p": "y" * i * 50}})
    assert store.stored_bytes(a) == _sum(store, a)
    world.alice.ok("PUT", f"/flow/{flow['id']}", {"path": world.path("ring-renamed-longer")})
    assert store.stored_bytes(a) == _sum(store, a)
    world.alice.ok("DELETE", f"/drop/{flow['id']}")
    assert store.stored_bytes(a) == _sum(store, a)
    world.alice.ok("DELETE", f"/flow/{flow['id']}")
    assert store.stored_bytes(a) == _sum(store, a)


def test_serve_and_local_platform_take_a_quota() -> None:
    from flowthings.local.__main__ import _parser, _quota_of
    from flowthings.local.core.platform import DEFAULT_QUOTA
    from flowthings.local.testing import local_platform

    def parsed(*argv: str) -> int | None:
        return _quota_of(_parser().parse_args(["serve", *argv]).quota_bytes)

    assert parsed() == DEFAULT_QUOTA == 1024**3
    assert parsed("--quota-bytes", "5000") == 5000
    assert parsed("--quota-bytes", "0") is None
    with pytest.raises(SystemExit):
        parsed("--quota-bytes", "-1")
    with local_platform(quota_bytes=4000) as lp:
        assert lp.platform.store.quota == 4000
        api = lp.api
        flow = api.flow.create({"path": f"/{lp.creds.account}/q"})
        api.drop(flow["id"]).create({"elems": {"p": "x" * 1000}})
        with httpx.Client(base_url=lp.url(account=lp.creds.account)) as http:
            r = http.post(
                f"/drop/{flow['id']}",
                json={"elems": {"p": "x" * 4000}},
                headers={"X-Auth-Token": lp.creds.token},
            )
        assert r.status_code == 413
        assert "4000 bytes" in r.json()["head"]["errors"][0]
