"""The storage quota on PostgreSQL: kept and checked by the database, for every process.

Each account's document bytes live in ``account_bytes`` (schema version 2),
maintained by a trigger on every row write; a deferred constraint trigger
compares an account that grew with the quota its writer set, at commit. A
refused write is a 413 and stores nothing, and a second store on the same
database (another ``serve`` process) sees and enforces the same total.
"""

from __future__ import annotations

import pytest

from flowthings.local.storage.opener import open_store
from flowthings.local.storage.postgres import PgStore
from flowthings.local.storage.store import QuotaExceeded
from tests.security.conftest import World, world  # noqa: F401  (the fixture, on PostgreSQL here)

# the SQLite quota tests' pad, filler and lowered-quota fixture (engine-agnostic)
from tests.security.test_storage_quota import PAD, _fill, quota  # noqa: F401


def _sum(store: PgStore, account: str) -> int:
    # the exact full-scan count: the trigger-kept one must agree
    row = store._one(
        "SELECT COALESCE(SUM(octet_length(data)), 0) FROM objects WHERE account = %s", (account,)
    )
    return int(row[0])


@pytest.fixture
def store(world: World) -> PgStore:  # noqa: F811
    s = world.lp.platform.store
    assert isinstance(s, PgStore)
    return s


def test_writes_stop_at_the_quota_and_deletes_free_room(
    world: World,  # noqa: F811
    store: PgStore,
    quota: int,  # noqa: F811
) -> None:
    a = world.alice.account
    fid = world.flows["private"]["id"]
    assert store.stored_bytes(a) == _sum(store, a)
    n = _fill(world, fid)
    assert 3 <= n <= 6
    assert len(world.alice.ok("GET", f"/drop/{fid}")) == n  # the refused one is not stored
    assert _sum(store, a) <= quota
    assert store.stored_bytes(a) == _sum(store, a)
    drop = world.alice.ok("GET", f"/drop/{fid}")[-1]
    r = world.alice.call("PUT", f"/drop/{fid}/{drop['id']}", {"elems": {"pad": PAD * 10}})
    assert r.status == 413
    r = world.alice.call("MPUT", "/flow", {fid: {"description": PAD * 10}})
    assert r.status == 413
    # other accounts are not affected
    carol_flow = world.carol.ok("POST", "/flow", {"path": f"/{world.carol.account}/f"})
    assert (
        world.carol.call("POST", f"/drop/{carol_flow['id']}", {"elems": {"p": PAD}}).status == 201
    )
    # deleting frees room; a shrinking update always passes
    for d in world.alice.ok("GET", f"/drop/{fid}")[:2]:
        world.alice.ok("DELETE", f"/drop/{fid}/{d['id']}")
    assert world.alice.call("POST", f"/drop/{fid}", {"elems": {"pad": PAD}}).status == 201
    world.alice.ok("PUT", f"/drop/{fid}/{drop['id']}", {"elems": {}})
    assert store.stored_bytes(a) == _sum(store, a)


def test_another_process_sees_and_enforces_the_same_total(
    world: World,  # noqa: F811
    store: PgStore,
    quota: int,  # noqa: F811
) -> None:
    a = world.alice.account
    fid = world.flows["private"]["id"]
    _fill(world, fid)
    other = open_store(store.url)
    assert isinstance(other, PgStore)
    try:
        assert other.stored_bytes(a) == store.stored_bytes(a)
        other.quota = quota
        big = {
            "id": "d-other",
            "elems": {"pad": PAD * 3},
            "creationDate": 1,
            "path": world.path("private"),
        }
        with pytest.raises(QuotaExceeded) as refused:
            other.insert_drops(a, fid, [big])
        assert refused.value.status == 413
        assert other.get(a, "drop", "d-other") is None
        other.quota = None  # a process without a quota writes freely
        other.insert_drops(a, fid, [big])
        assert store.stored_bytes(a) == _sum(store, a) > quota
    finally:
        other.close()
