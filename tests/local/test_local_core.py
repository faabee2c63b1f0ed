"""Unit tests of the platform core: ids, store, hooks, transactions, persistence."""

from __future__ import annotations

import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from flowthings.local.base import ids as _ids
from flowthings.local.base.envelope import PlatformError
from flowthings.local.core.platform import Platform, Principal
from flowthings.local.query.params import Query
from flowthings.local.testing import local_platform


@pytest.fixture(params=["sqlite", "postgresql"])
def core(request: pytest.FixtureRequest) -> Any:
    # every test of the store's behaviour runs on both engines
    db = request.getfixturevalue("pg_url") if request.param == "postgresql" else ":memory:"
    platform = Platform(db)
    creds = platform.create_account("alice")
    principal = platform.authenticate(creds.token)
    yield platform, principal
    platform.close()


def test_ids_have_the_documented_shape_and_sort_by_creation() -> None:
    ids = [_ids.new_id(k) for k in _ids.PREFIXES for _ in range(3)]
    assert all(re.fullmatch(r"[a-z][0-9a-f]{24}", i) for i in ids)
    drops = [_ids.new_id("drop") for _ in range(1000)]
    assert drops == sorted(drops)
    assert len(set(drops)) == 1000
    assert abs(int(drops[0][1:9], 16) - time.time()) < 5
    assert re.fullmatch(r"[A-Za-z0-9]{32}", _ids.new_master_token())
    assert re.fullmatch(r"[A-Za-z0-9]{28}", _ids.new_token_string())


def test_accounts(core: Any) -> None:
    platform, p = core
    assert p == Principal("alice", p.identity_id)
    with pytest.raises(ValueError, match="exists"):
        platform.create_account("alice")
    with pytest.raises(ValueError, match="invalid"):
        platform.create_account("no/slash")
    with pytest.raises(ValueError, match="different token"):
        platform.ensure_account("alice", "x" * 32)
    assert platform.ensure_account("bob", "t" * 32).token == "t" * 32
    assert [c.account for c in platform.accounts()] == ["alice", "bob"]
    with pytest.raises(PlatformError) as exc:
        platform.authenticate("t" * 32, "alice")
    assert exc.value.status == 403


def test_authorize_is_the_single_decision(core: Any) -> None:
    platform, p = core
    assert platform.can(p, "read", "alice")
    assert platform.can(p, "drop_write", "alice", "/alice/x")
    assert not platform.can(p, "read", "bob")
    with pytest.raises(PlatformError):
        platform.authorize(p, "write", "bob", "/bob/x")


def test_drop_listeners_run_in_write_order_and_never_fail_a_write(core: Any) -> None:
    platform, p = core
    seen: list[tuple[str, str, Any]] = []

    def boom(account: str, flow: dict[str, Any], drop: dict[str, Any]) -> None:
        raise RuntimeError("listener bug")

    platform.drop_listeners.extend(
        [lambda acc, flow, drop: seen.append((acc, flow["id"], drop["elems"]["n"])), boom]
    )
    flow = platform.create(p, "alice", "flow", {"path": "/alice/f"})
    zero = platform.create(p, "alice", "flow", {"path": "/alice/z", "capacity": 0})
    for n in range(3):
        platform.create_drop(p, "alice", flow["id"], {"elems": {"n": n}})
    platform.create_drop(p, "alice", zero["id"], {"elems": {"n": 9}})
    with pytest.raises(PlatformError):
        platform.create_drop(p, "alice", flow["id"], {"elems": 1})
    assert seen == [
        ("alice", flow["id"], 0),
        ("alice", flow["id"], 1),
        ("alice", flow["id"], 2),
        ("alice", zero["id"], 9),
    ]
    assert platform.find_drops(p, "alice", zero, Query()) == []


def test_record_event_counts_per_hour(core: Any) -> None:
    platform, p = core
    flow = platform.create(p, "alice", "flow", {"path": "/alice/f"})
    d = platform.create_drop(p, "alice", flow["id"], {"elems": {}})
    hour = d["creationDate"] - d["creationDate"] % 3_600_000
    counts = platform.store.stat_counts("alice", "flowDropAdded", flow["id"], 0, 2**62)
    assert counts == [(hour, 1)]
    platform.record_event("alice", "trackHit", "t1", 7_200_001)
    platform.record_event("alice", "trackHit", "t1", 7_300_000)
    assert platform.store.stat_counts("alice", "trackHit", "t1", 0, 2**62) == [(7_200_000, 2)]


def test_failed_batch_rolls_back_everything(core: Any) -> None:
    platform, p = core
    flow = platform.create(p, "alice", "flow", {"path": "/alice/f"})

    def batch() -> None:
        with platform.batch():
            platform.update(p, "alice", "flow", flow["id"], {"description": "changed"})
            platform.create(p, "alice", "flow", {"path": "/alice/g"})
            platform.create(p, "alice", "flow", {"path": "/alice/f"})  # duplicate: 400

    with pytest.raises(PlatformError):
        batch()
    assert platform.read(p, "alice", "flow", flow["id"]) == flow
    assert len(platform.find(p, "alice", "flow", Query())) == 1


def test_store_eviction_keeps_newest(core: Any) -> None:
    platform, p = core
    flow = platform.create(p, "alice", "flow", {"path": "/alice/f", "capacity": 100000})
    now = _ids.now_ms()
    platform.store.insert_drops(
        "alice",
        flow["id"],
        (
            {"id": _ids.new_id("drop"), "creationDate": now + i, "elems": {"i": i}}
            for i in range(50)
        ),
    )
    assert platform.store.evict(flow["id"], 10) == 40
    left = [d["elems"]["i"] for d in platform.store.scan("alice", "drop", flow_id=flow["id"])]
    assert left == list(range(49, 39, -1))
    assert platform.store.evict(flow["id"], 10) == 0


def test_scan_pages_through_batches(core: Any) -> None:
    platform, p = core
    flow = platform.create(p, "alice", "flow", {"path": "/alice/f", "capacity": 100000})
    now = _ids.now_ms()
    platform.store.insert_drops(
        "alice",
        flow["id"],
        (
            {"id": _ids.new_id("drop"), "creationDate": now + i // 3, "elems": {"i": i}}
            for i in range(1500)
        ),
    )
    asc = [
        d["elems"]["i"]
        for d in platform.store.scan("alice", "drop", flow_id=flow["id"], newest_first=False)
    ]
    assert asc == list(range(1500))
    desc = [d["elems"]["i"] for d in platform.store.scan("alice", "drop", flow_id=flow["id"])]
    assert desc == asc[::-1]


def test_restart_keeps_all_data(tmp_path: Path) -> None:
    db = str(tmp_path / "platform.db")
    with local_platform(db=db, accounts={"alice": "a" * 32, "bob": None}) as lp:
        bob = lp.platform.accounts()[1]
        api = lp.api
        flow = api.flow.create({"path": "/alice/kept", "capacity": 10})
        drop = api.drop(flow["id"]).create({"elems": {"x": 1}}, hints=0)
        tok = api.token.create({"paths": {"/alice/kept": {"dropRead": True}}})
    # closing(): a sqlite3 connection's own ``with`` only commits, it does not close
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with local_platform(db=db) as lp:
        assert lp.account == "alice"
        assert lp.token == "a" * 32
        assert lp.platform.accounts()[1] == bob
        api = lp.api
        assert api.flow.read(flow["id"]) == flow
        assert api.drop(flow["id"]).find(hints=0) == [drop]
        assert api.token.read(tok["id"])["tokenString"] == tok["tokenString"]
        second = api.drop(flow["id"]).create({"elems": {"x": 2}})
        assert second["id"] > drop["id"]
    with (
        pytest.raises(ValueError, match="different token"),
        local_platform(db=db, accounts={"alice": "b" * 32}),
    ):
        pass
