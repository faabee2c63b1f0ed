"""Red-team F9: no 403/404 existence oracle.

A share recipient or a narrow token could tell an existing flow (403) from a
missing one (404) by id or path, and so list the sharer's flows. An object the
caller may do nothing with now answers exactly like a missing one: same
status, same errors.
"""

from __future__ import annotations

from typing import Any

from .conftest import Actor, World

MISSING_FLOW = "f0123456789abcdef01234567"


def _same(a: Any, b: Any) -> None:
    assert (a.status, a.errors) == (b.status, b.errors), (a, b)
    assert a.status == 404


def _probes(world: World, actor: Actor) -> None:
    a = world.alice.account
    secret = world.flows["private"]
    for fid, missing in ((secret["id"], MISSING_FLOW),):
        for method, tail, body in (
            ("GET", "", None),
            ("POST", "", {"elems": {"x": 1}}),
            ("DELETE", "", None),
            ("MGET", "", ["d0123456789abcdef01234567"]),
            ("GET", "/d0123456789abcdef01234567", None),
            ("POST", "/aggregate", {"output": ["$count"]}),
        ):
            _same(
                actor.call(method, f"/drop/{fid}{tail}", body, account=a),
                actor.call(method, f"/drop/{missing}{tail}", body, account=a),
            )
        for method, body in (("GET", None), ("PUT", {"description": "x"}), ("DELETE", None)):
            _same(
                actor.call(method, f"/flow/{fid}", body, account=a),
                actor.call(method, f"/flow/{missing}", body, account=a),
            )
    _same(
        actor.call("GET", "/drop", params={"path": world.path("private")}, account=a),
        actor.call("GET", "/drop", params={"path": world.path("nothing")}, account=a),
    )
    _same(
        actor.call("POST", "/drop", {"path": world.path("private"), "elems": {}}, account=a),
        actor.call("POST", "/drop", {"path": world.path("nothing"), "elems": {}}, account=a),
    )


def test_share_recipient_cannot_probe_flows(world: World) -> None:
    _probes(world, world.bob)


def test_narrow_token_cannot_probe_flows(world: World) -> None:
    _probes(world, world.narrow)


def test_owner_only_objects_look_missing(world: World) -> None:
    a = world.alice.account
    share_id = world.share["id"]
    token_id = world.token["id"]
    group = world.alice.ok("POST", "/group", {"memberIds": []})
    for oid, seg in ((share_id, "share"), (token_id, "token"), (group["id"], "group")):
        for actor in (world.bob, world.narrow):
            if oid == token_id and actor is world.narrow:
                continue  # a token principal may read its own Token object
            missing = oid[0] + "0123456789abcdef01234567"
            _same(
                actor.call("GET", f"/{seg}/{oid}", account=a),
                actor.call("GET", f"/{seg}/{missing}", account=a),
            )
            _same(
                actor.call("DELETE", f"/{seg}/{oid}", account=a),
                actor.call("DELETE", f"/{seg}/{missing}", account=a),
            )


def test_what_the_caller_may_see_still_answers_403_for_more(world: World) -> None:
    # the narrow token may read drops of /alice/shared, not write them: that is a 403
    fid = world.flows["shared"]["id"]
    a = world.alice.account
    assert world.narrow.call("GET", f"/drop/{fid}", account=a).status == 200
    assert world.narrow.call("POST", f"/drop/{fid}", {"elems": {}}, account=a).status == 403
    # and bob sees his shared flow
    assert world.bob.call("GET", f"/flow/{fid}", account=a).status == 200
