"""Per-request list sizes are capped: aggregation ``rules``/``output``/``groupBy``/
``sorts``, ``only`` and ``MGET`` ids. Above the cap a clear 400, at it a 200."""

from __future__ import annotations

import pytest

from flowthings.local.analytics.aggregate import MAX_LIST, MAX_RULES
from flowthings.local.core.resources import MAX_LIST as MAX_PATHS
from flowthings.local.core.resources import MAX_MEMBERS, MAX_MGET
from flowthings.local.query.params import MAX_ONLY

from .conftest import World


def _agg(world: World, body: dict[str, object]) -> tuple[int, list[str]]:
    fid = world.flows["private"]["id"]
    world.alice.ok("POST", f"/drop/{fid}", {"elems": {"v": 1}})
    r = world.alice.call("POST", f"/drop/{fid}/aggregate", {"output": ["$count"], **body})
    return r.status, r.errors


def test_rules_are_capped(world: World) -> None:
    rules = {f"r{i}": f"elems.v > {i}" for i in range(MAX_RULES + 1)}
    status, errors = _agg(world, {"rules": rules})
    assert status == 400
    assert f"at most {MAX_RULES}" in errors[0]
    rules.popitem()
    assert _agg(world, {"rules": rules})[0] == 200


@pytest.mark.parametrize("member", ["output", "groupBy", "sorts"])
def test_aggregation_lists_are_capped(world: World, member: str) -> None:
    entries = [f"$sum:f{i}" for i in range(MAX_LIST + 1)]
    if member != "output":
        entries = [f"f{i}" for i in range(MAX_LIST + 1)]
    status, errors = _agg(world, {member: entries})
    assert status == 400
    assert member in errors[0]
    assert f"at most {MAX_LIST}" in errors[0]
    assert _agg(world, {member: entries[:MAX_LIST]})[0] == 200


def test_only_is_capped(world: World) -> None:
    fid = world.flows["private"]["id"]
    many = ",".join(f"m{i}" for i in range(MAX_ONLY + 1))
    r = world.alice.call("GET", f"/drop/{fid}", params={"only": many})
    assert r.status == 400
    assert "'only'" in r.errors[0]
    r = world.alice.call("GET", "/flow", params={"only": many})
    assert r.status == 400
    ok = ",".join(f"m{i}" for i in range(MAX_ONLY))
    assert world.alice.call("GET", f"/drop/{fid}", params={"only": ok}).status == 200
    ws = world.alice.socket()
    try:
        reply = ws.request(
            {"type": "findmany", "object": "drop", "flowId": fid, "options": {"only": many}}
        )
        assert reply["head"]["status"] == 400
    finally:
        ws.close()


def test_mget_ids_are_capped(world: World) -> None:
    fid = world.flows["private"]["id"]
    ids = [f"d{i:024x}" for i in range(MAX_MGET + 1)]
    for path in ("/flow", f"/drop/{fid}"):
        r = world.alice.call("MGET", path, ids)
        assert r.status == 400, (path, r)
        assert f"At most {MAX_MGET}" in r.errors[0]
        assert world.alice.call("MGET", path, ids[:MAX_MGET]).status == 200


def test_object_lists_are_capped(world: World) -> None:
    a = world.alice.account
    paths = [f"/{a}/d{i}" for i in range(MAX_PATHS + 1)]
    r = world.alice.call("POST", "/track", {"source": world.path("shared"), "destination": paths})
    assert r.status == 400
    assert "at most" in r.errors[0]
    ok = {"source": world.path("shared"), "destination": paths[:MAX_PATHS]}
    assert world.alice.call("POST", "/track", ok).status == 201
    grants = {p: {"dropRead": True} for p in paths}
    for kind, extra in (("token", {}), ("share", {"issuedTo": world.share["issuedTo"]})):
        r = world.alice.call("POST", f"/{kind}", {"paths": grants, **extra})
        assert r.status == 400, (kind, r)
        assert "at most" in r.errors[0]
    members = [f"i{i:024x}" for i in range(MAX_MEMBERS + 1)]
    r = world.alice.call("POST", "/group", {"memberIds": members})
    assert r.status == 400
    assert world.alice.call("POST", "/group", {"memberIds": members[:MAX_MEMBERS]}).status == 201
