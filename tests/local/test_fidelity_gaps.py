"""Fidelity gaps of issue 20: ZIP points, identity memberships, aggregation sorts."""

from __future__ import annotations

import json
from typing import Any

from flowthings.local.testing import LocalPlatform

from .conftest import Client

BROOKLYN = {"lat": 40.703987, "lon": -73.986759}  # ~1.15 km from ZIP 11201's centroid


def _find(client: Client, flow_id: str, filter_text: str) -> Any:
    return client("GET", f"/drop/{flow_id}", params={"filter": filter_text})


def test_within_zip_resolves_us_zip_codes(client: Client) -> None:
    flow = client.body("POST", "/flow", {"path": f"/{client.account}/zips"})
    client.body("POST", f"/drop/{flow['id']}", {"elems": {"n": 1}, "location": BROOKLYN})
    near = _find(client, flow["id"], "location WITHIN 2 KM OF [ZIP=11201]")
    assert near.status_code == 200
    assert [d["elems"]["n"]["value"] for d in near.json()["body"]] == [1]
    far = _find(client, flow["id"], "location WITHIN 1 KM OF [ZIP=11201]")
    assert far.status_code == 200
    assert far.json()["body"] == []


def test_within_unknown_zip_is_a_clear_400(client: Client) -> None:
    flow = client.body("POST", "/flow", {"path": f"/{client.account}/zips"})
    r = _find(client, flow["id"], "location WITHIN 2 KM OF [ZIP=00000]")
    assert r.status_code == 400
    assert "unknown US ZIP code '00000'" in json.dumps(r.json()["head"])


def _identity(client: Client) -> dict[str, Any]:
    found = client.body("GET", "/identity")
    assert len(found) == 1
    ident: dict[str, Any] = found[0]
    read: dict[str, Any] = client.body("GET", f"/identity/{ident['id']}")
    return read


def test_identity_lists_its_groups_and_received_shares(
    flowthings_platform: LocalPlatform, client: Client
) -> None:
    other = Client(flowthings_platform)
    try:
        me = _identity(client)
        assert me["groupIds"] == []
        assert me["shares"] == {}
        group = other.body("POST", "/group", {"displayName": "crew", "memberIds": [me["id"]]})
        other.body("POST", "/group", {"displayName": "others", "memberIds": []})
        paths = {f"/{other.account}/pears": {"read": True, "write": False}}
        share = other.body("POST", "/share", {"issuedTo": me["id"], "paths": paths})
        other.body("POST", "/share", {"issuedTo": group["id"], "paths": paths})  # to the group
        me = _identity(client)
        assert me["groupIds"] == [group["id"]]
        assert list(me["shares"]) == [share["id"]]
        assert me["shares"][share["id"]]["paths"][f"/{other.account}/pears"]["read"] is True
        # references are incidental: they carry neither member
        flow = client.body("POST", "/flow", {"path": f"/{client.account}/refs"})
        r = client("GET", f"/flow/{flow['id']}", params={"refs": "true"})
        ref = r.json()["head"]["references"][me["id"]]
        assert "groupIds" not in ref
        assert "shares" not in ref
    finally:
        other.http.close()


def test_aggregation_sort_on_a_member_that_is_no_output_orders_nothing(client: Client) -> None:
    flow = client.body("POST", "/flow", {"path": f"/{client.account}/agg"})
    for town, wind in (("b", 1), ("a", 5), ("c", 3), ("a", 7)):
        client.body("POST", f"/drop/{flow['id']}", {"elems": {"town": town, "wind": wind}})
    body = {"output": ["$count"], "groupBy": ["town"], "sorts": ["wind"]}
    rows = client.body("POST", f"/drop/{flow['id']}/aggregate", body)
    assert [r["town"] for r in rows] == ["a", "b", "c"]  # a tie everywhere: group keys decide
    body["sorts"] = ["wind", "-$count"]  # later entries still apply
    rows = client.body("POST", f"/drop/{flow['id']}/aggregate", body)
    assert [(r["town"], r["$count"]) for r in rows] == [("a", 2), ("b", 1), ("c", 1)]


def test_only_the_identity_itself_sees_its_shares_and_expired_ones_are_left_out() -> None:
    from flowthings.local.core.identity import with_memberships
    from flowthings.local.storage.store import AccountRow, Store

    store = Store()
    try:
        store.add_account(AccountRow("bob", "t" * 32, "ib"), 1)
        me = {"id": "ia", "name": "alice", "creationDate": 1}
        store.insert("bob", "group", {"id": "g1", "memberIds": ["ia"], "creationDate": 1})
        paths = {"/bob/x": {"read": True}}
        live = {"id": "s1", "issuedTo": "ia", "paths": paths, "creationDate": 1}
        gone = {"id": "s2", "issuedTo": "ia", "paths": paths, "creationDate": 1, "duration": 5}
        store.insert("bob", "share", live)
        store.insert("bob", "share", gone)
        own = with_memberships(store, me, 1000, own=True)
        assert own["groupIds"] == ["g1"]
        assert own["shares"] == {"s1": {"paths": paths}}
        other = with_memberships(store, me, 1000, own=False)
        assert other["groupIds"] == ["g1"]
        assert "shares" not in other
    finally:
        store.close()
