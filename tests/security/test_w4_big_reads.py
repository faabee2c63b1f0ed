"""Reads of big documents cannot stall the other tenants or the server's memory.

An account may store up to its quota in documents of up to 1 MiB. Reading a
page of them is seconds of decoding: such reads run in a worker thread once
the account stores more than ``BIG_ACCOUNT_BYTES`` (or read another account's
data), and an unfiltered find stops reading as soon as what it read exceeds
the answer limit (a 400 it would end in anyway), instead of decoding all of it.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from flowthings.local.base.encode import MAX_RESPONSE, TOO_LARGE
from flowthings.local.core.calls import Call
from flowthings.local.core.platform import Platform
from flowthings.local.http import app as http_app
from flowthings.local.storage import store as store_module
from flowthings.local.storage.store import Store

from .conftest import World


def _big_drops(a: str, n: int, size: int) -> list[dict[str, Any]]:
    tag = secrets.token_hex(6)  # the platform is shared by the session's tests: fresh ids
    return [
        {"id": f"d{tag}{i:012d}", "elems": {"blob": "x" * size}, "creationDate": i,
         "path": f"/{a}/p"}
        for i in range(n)
    ]  # fmt: skip


def test_reads_of_a_big_account_leave_the_event_loop(world: World) -> None:
    w = world
    platform, a = w.lp.platform, w.alice.account
    fid = w.flows["private"]["id"]
    call = Call("GET", "0.1", a, ["drop", fid])
    who = platform.authenticate(w.alice.token, a)
    assert not http_app._big_read(platform, call, who)  # a small account stays on the loop
    platform.store.insert_drops(a, fid, _big_drops(a, 20, 1_000_000))
    assert platform.store.stored_bytes(a) > http_app.BIG_ACCOUNT_BYTES
    assert http_app._big_read(platform, call, who)
    # a share recipient reading alice's data: off the loop, whatever alice stores
    bob = platform.authenticate(w.bob.token, w.bob.account)
    assert http_app._big_read(platform, Call("GET", "0.1", a, ["drop", fid]), bob)


def test_an_unfiltered_find_stops_reading_past_the_answer_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world
    a, fid = w.alice.account, w.flows["private"]["id"]
    per = 1_000_000
    w.lp.platform.store.insert_drops(a, fid, _big_drops(a, 40, per))
    decoded: list[int] = []
    loads = store_module._loads

    def counting(data: str) -> Any:
        decoded.append(len(data))
        return loads(data)

    monkeypatch.setattr(store_module, "_loads", counting)
    r = w.alice.call("GET", f"/drop/{fid}", params={"limit": 1000})
    assert r.status == 400
    assert r.errors == [TOO_LARGE]
    # it stopped once MAX_RESPONSE was read: not the 40 MB stored
    assert sum(decoded) <= MAX_RESPONSE
    assert len(decoded) < 40
    # a page that fits is still answered
    r = w.alice.call("GET", f"/drop/{fid}", params={"limit": 5})
    assert r.status == 200
    assert len(r.body) == 5


def test_the_kind_cache_asked_before_authentication_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store_module, "_KINDS_CACHED", 100)
    store = Store()
    try:
        store.insert("real", "track", {"id": "t1", "creationDate": 1})
        for i in range(1000):  # strangers' account names
            assert not store.has_kind(f"nobody{i}", "track")
            assert len(store._kinds) <= 100
        assert store.has_kind("real", "track")
    finally:
        store.close()


def test_a_read_is_authenticated_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    platform: Platform = world.lp.platform
    calls: list[str] = []
    authenticate = platform.authenticate

    def counting(token: str | None, account: str | None) -> Any:
        calls.append(str(account))
        return authenticate(token, account)

    monkeypatch.setattr(platform, "authenticate", counting)
    assert world.alice.call("GET", "/flow").status == 200
    assert len(calls) == 1
