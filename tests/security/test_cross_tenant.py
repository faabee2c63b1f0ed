"""Every route and frame type, played by tenants that must not get in.

``carol`` (no grant at all) is refused everything in alice's account; the
narrow token and bob's share reach only what they grant, never alice's
private flow, her account-scoped objects, or anything of another account.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Actor, World

KINDS = (
    "flow",
    "track",
    "group",
    "identity",
    "device",
    "api-task",
    "mqtt",
    "rss",
    "token",
    "share",
)


def _routes(w: World) -> list[tuple[str, str, Any]]:
    """(method, path, body) of every route, aimed at alice's private objects."""
    priv = w.flows["private"]["id"]
    drop = w.alice.ok("POST", f"/drop/{priv}", {"elems": {"secret": 1}})["id"]
    a = w.alice.account
    routes: list[tuple[str, str, Any]] = []
    for kind in KINDS:
        routes += [
            ("GET", f"/{kind}", None),
            ("POST", f"/{kind}", {"path": f"/{a}/x", "paths": {f"/{a}": {"read": True}}}),
            ("MGET", f"/{kind}", [priv, w.token["id"], w.share["id"]]),
            ("MPUT", f"/{kind}", {priv: {"description": "pwned"}}),
            ("GET", f"/{kind}/{priv}", None),
            ("PUT", f"/{kind}/{priv}", {"description": "pwned"}),
            ("PUT", f"/{kind}/{priv}/description", "pwned"),
            ("DELETE", f"/{kind}/{priv}", None),
        ]
    routes += [
        ("GET", "/drop", None),
        ("POST", "/drop", {"path": f"/{a}/private", "elems": {"x": 1}}),
        ("MGET", "/drop", [{"flowId": priv}]),
        ("GET", f"/drop/{priv}", None),
        ("POST", f"/drop/{priv}", {"elems": {"x": 1}}),
        ("DELETE", f"/drop/{priv}", None),
        ("MGET", f"/drop/{priv}", [drop]),
        ("MPUT", f"/drop/{priv}", {drop: {"elems": {"x": 2}}}),
        ("GET", f"/drop/{priv}/{drop}", None),
        ("PUT", f"/drop/{priv}/{drop}", {"elems": {"x": 2}}),
        ("DELETE", f"/drop/{priv}/{drop}", None),
        ("POST", f"/drop/{priv}/aggregate", {"output": ["$count"], "group_by": []}),
        ("GET", f"/statistics/flowDropAdded/{priv}", None),
        ("POST", "/track/simulate", {"js": "function(d){return d;}", "drop": {"elems": {}}}),
    ]
    return routes


def _untouched(w: World) -> None:
    priv = w.flows["private"]["id"]
    flow = w.alice.ok("GET", f"/flow/{priv}")
    assert flow.get("description") != "pwned"
    drops = w.alice.ok("GET", f"/drop/{priv}", params={"hints": "0"})
    assert [d["elems"] for d in drops] == [{"secret": 1}]


def _refused(actor: Actor, w: World, method: str, path: str, body: Any) -> None:
    r = actor.call(method, path, body, account=w.alice.account)
    if r.status == 200 and method in ("GET", "MGET"):
        # a listing may answer 200 with only what the actor may see
        items = r.body.values() if isinstance(r.body, dict) else r.body
        for item in items:
            seen = item if isinstance(item, list) else [item]
            for obj in seen:
                assert obj.get("path", "").startswith(w.path("shared")) or (
                    obj.get("id") == w.token["id"] and actor is w.narrow
                ), (method, path, obj)
        return
    assert r.status in (400, 403, 404, 405), (method, path, r.status, r.body)


def test_an_outsider_is_refused_everything(world: World) -> None:
    for method, path, body in _routes(world):
        r = world.carol.call(method, path, body, account=world.alice.account)
        assert r.status == 403, (method, path, r.status, r.body)
    _untouched(world)


@pytest.mark.parametrize("who", ["narrow", "bob"])
def test_grantees_reach_nothing_private(world: World, who: str) -> None:
    actor = getattr(world, who)
    for method, path, body in _routes(world):
        _refused(actor, world, method, path, body)
    _untouched(world)


def test_an_outsider_cannot_open_a_session_on_the_account(world: World) -> None:
    r = world.carol.http.post(
        "/session",
        headers={"X-Auth-Token": world.carol.token, "X-Auth-Account": world.alice.account},
    )
    assert r.status_code == 403
    # nor sign a REST call for it through X-Auth-Account
    r2 = world.carol.call(
        "GET", "/flow", headers={"X-Auth-Account": world.alice.account}, account=world.carol.account
    )
    assert r2.status == 403


@pytest.mark.parametrize("who", ["narrow", "bob"])
def test_every_frame_type_respects_the_grant(world: World, who: str) -> None:
    w = world
    priv = w.flows["private"]["id"]
    drop = w.alice.ok("POST", f"/drop/{priv}", {"elems": {"secret": 1}})["id"]
    ws = getattr(w, who).socket(w.alice.account)
    frames: list[dict[str, Any]] = [
        {"type": "subscribe", "object": "drop", "flowId": priv},
        {"type": "subscribe", "object": "drop", "path": w.path("private")},
        {"type": "find", "object": "drop", "flowId": priv, "id": drop},
        {"type": "findmany", "object": "drop", "flowId": priv},
        {"type": "create", "object": "drop", "flowId": priv, "value": {"elems": {"x": 1}}},
        {"type": "update", "object": "drop", "flowId": priv, "id": drop, "value": {"elems": {}}},
        {"type": "delete", "object": "drop", "flowId": priv, "id": drop},
        {"type": "find", "object": "flow", "id": priv},
        {"type": "update", "object": "flow", "id": priv, "value": {"description": "pwned"}},
        {"type": "delete", "object": "flow", "id": priv},
        {"type": "create", "object": "flow", "value": {"path": w.path("private/x")}},
        {"type": "create", "object": "track", "value": {"source": w.path("private")}},
    ]
    try:
        for frame in frames:
            reply = ws.request(frame)
            assert reply["head"]["status"] in (403, 404), (frame, reply)
        listed = ws.request({"type": "findmany", "object": "flow"}, "l")
        assert listed["head"]["status"] == 200
        assert {f["path"] for f in listed["body"]} <= {w.path("shared")}
    finally:
        ws.close()
    _untouched(w)
