"""Issue 14 item 1: privilege never comes from caller-chosen body members.

Account-scoped objects (tokens, shares, groups, identities) are the owner's
only, whatever ``path``/``source``/``destination`` the body claims; and an
object's paths are the members its kind defines, nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import World

DECOYS = ("path", "source", "destination")


def _token_body(w: World) -> dict[str, Any]:
    return {"paths": {f"/{w.alice.account}": {"dropRead": True, "dropWrite": True}}}


def _share_body(w: World) -> dict[str, Any]:
    bob_identity = w.bob.ok("GET", "/identity")[0]["id"]
    flags = dict.fromkeys(("read", "write", "dropRead", "dropWrite", "administer"), True)
    return {"issuedTo": bob_identity, "paths": {f"/{w.alice.account}": flags}}


def _group_body(w: World) -> dict[str, Any]:
    return {"memberIds": [w.bob.ok("GET", "/identity")[0]["id"]]}


BODIES = {"token": _token_body, "share": _share_body, "group": _group_body}


@pytest.mark.parametrize("member", DECOYS)
@pytest.mark.parametrize("kind", sorted(BODIES))
def test_share_recipient_cannot_create_owner_objects(w: World, kind: str, member: str) -> None:
    body = {**BODIES[kind](w), member: w.path("shared")}
    r = w.bob.call("POST", f"/{kind}", body, account=w.alice.account)
    assert r.status == 403, (r.status, r.body)


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_nothing_new_was_stored_by_refused_creates(w: World, kind: str) -> None:
    before = len(w.alice.ok("GET", f"/{kind}"))
    for member in DECOYS:
        body = {**BODIES[kind](w), member: w.path("shared")}
        assert w.bob.call("POST", f"/{kind}", body, account=w.alice.account).status == 403
        assert w.narrow.call("POST", f"/{kind}", body).status == 403
    assert len(w.alice.ok("GET", f"/{kind}")) == before


@pytest.mark.parametrize("kind", ["token", "share", "group"])
def test_decoy_path_does_not_make_owner_objects_readable(w: World, kind: str) -> None:
    # the owner may store any extra member; it must not widen who reads the object
    obj = w.alice.ok("POST", f"/{kind}", {**BODIES[kind](w), "path": w.path("shared")})
    for actor in (w.bob, w.narrow):
        # out of reach: answered like a missing object (no existence oracle)
        assert actor.call("GET", f"/{kind}/{obj['id']}", account=w.alice.account).status == 404
        listed = actor.call("GET", f"/{kind}", account=w.alice.account)
        assert listed.status == 200
        ids = {o["id"] for o in listed.body}
        # a token principal may read its own Token object, nothing else
        assert ids <= ({w.token["id"]} if actor is w.narrow else set())
        many = actor.call("MGET", f"/{kind}", [obj["id"]], account=w.alice.account)
        assert many.status == 200
        assert many.body == {}


def test_identity_update_is_owner_only(w: World) -> None:
    me = w.alice.ok("GET", "/identity")[0]
    r = w.bob.call(
        "PUT",
        f"/identity/{me['id']}",
        {"firstName": "pwned", "path": w.path("shared")},
        account=w.alice.account,
    )
    assert r.status == 404  # bob cannot see alice's identity: it answers like a missing one


def test_decoy_path_on_track_does_not_count(w: World) -> None:
    # a track's paths are its source and destination; a `path` member is just data
    r = w.bob.call(
        "POST",
        "/track",
        {"source": w.path("private"), "path": w.path("shared"), "js": "function(d){return d;}"},
        account=w.alice.account,
    )
    assert r.status == 403
    r = w.bob.call(
        "POST",
        "/track",
        {"source": w.path("shared"), "destination": w.path("private")},
        account=w.alice.account,
    )
    assert r.status == 403


def test_decoy_path_on_task_does_not_count(w: World) -> None:
    r = w.bob.call(
        "POST",
        "/api-task",
        {"destination": w.path("private"), "js": "1", "path": w.path("shared")},
        account=w.alice.account,
    )
    assert r.status == 403


@pytest.fixture
def w(world: World) -> World:
    return world


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("api-task", {"js": "1"}),
        ("rss", {"url": "http://x.test/feed"}),
        ("mqtt", {"uri": "tcp://x.test", "topic": "t"}),
    ],
)
def test_tasks_cannot_create_report_flows_outside_the_share(
    w: World, kind: str, extra: dict[str, Any]
) -> None:
    # a task creates its report flow under /{account}/:reports: a write share
    # on one flow does not cover that
    before = {f["id"] for f in w.alice.ok("GET", "/flow", params={"limit": 1000})}
    body = {"destination": w.path("shared"), **extra}
    r = w.bob.call("POST", f"/{kind}", body, account=w.alice.account)
    assert r.status == 403
    after = {f["id"] for f in w.alice.ok("GET", "/flow", params={"limit": 1000})}
    assert after == before
    assert w.alice.ok("POST", f"/{kind}", body)["reportPath"].startswith(f"/{w.alice.account}/")
