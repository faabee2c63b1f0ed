"""Token scope enforcement, expiry and shares, end to end through the SDK."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from flowthings import FlowThingsBadRequest, FlowThingsForbidden, FlowThingsNotFound, Token
from flowthings.local.testing import LocalPlatform

API = Any

# Token scopes: name -> (grant path relative to the account, flags, duration)
SCOPES: dict[str, tuple[str, dict[str, bool], int | None]] = {
    "read-only": ("/home", {"dropRead": True}, None),
    "write-only": ("/home", {"dropWrite": True}, None),
    "both": ("/home", {"dropRead": True, "dropWrite": True}, None),
    "parent": ("", {"dropRead": True, "dropWrite": True}, None),
    "sibling": ("/ho", {"dropRead": True, "dropWrite": True}, None),
    "child": ("/home/deeper", {"dropRead": True, "dropWrite": True}, None),
    "expired": ("/home", {"dropRead": True, "dropWrite": True}, 1),
}


class World:
    """An owner account with flow ``/{a}/home`` holding one drop."""

    def __init__(self, lp: LocalPlatform) -> None:
        self.lp = lp
        self.creds = lp.new_account()
        self.a = self.creds.account
        self.owner = lp.api_for(self.creds)
        self.flow = self.owner.flow.create({"path": f"/{self.a}/home"})
        self.drop = self.owner.drop(self.flow["id"]).create({"elems": {"n": 0}})

    def token_api(self, scope: str) -> tuple[API, dict[str, Any]]:
        rel, flags, duration = SCOPES[scope]
        # the parent scope is the account root ("/{a}")
        body: dict[str, Any] = {"paths": {f"/{self.a}{rel}": flags}}
        if duration is not None:
            body["duration"] = duration
        tok = self.owner.token.create(body)
        if duration is not None:
            time.sleep((duration + 5) / 1000)
        return self.lp.api_for(Token(self.a, tok["tokenString"])), tok

    def drop_count(self) -> int:
        return len(self.owner.drop(self.flow["id"]).find(limit=1000))


@pytest.fixture
def world(flowthings_platform: LocalPlatform) -> Iterator[World]:
    w = World(flowthings_platform)
    yield w
    w.owner.close()


# Actions: name -> (callable(world, api), needs) where needs is the grant the action requires:
# "read" (any covering entry), "dropRead", "dropWrite", or "never".
Action = Callable[[World, API], Any]
ACTIONS: dict[str, tuple[Action, str]] = {
    "read flow": (lambda w, api: api.flow.read(w.flow["id"]), "read"),
    "list drops": (lambda w, api: api.drop(w.flow["id"]).find(), "dropRead"),
    "read drop": (lambda w, api: api.drop(w.flow["id"]).read(w.drop["id"]), "dropRead"),
    "write drop": (lambda w, api: api.drop(w.flow["id"]).create({"elems": {"n": 1}}), "dropWrite"),
    "write drop by path": (
        lambda w, api: api.drop.create({"path": w.flow["path"], "elems": {"n": 2}}),
        "dropWrite",
    ),
    "delete drop": (lambda w, api: api.drop(w.flow["id"]).delete(w.drop["id"]), "dropWrite"),
    "create flow": (lambda w, api: api.flow.create({"path": f"/{w.a}/home/new"}), "never"),
    "update flow": (
        lambda w, api: api.flow.update({"id": w.flow["id"], "description": "x"}),
        "never",
    ),
    "delete flow": (lambda w, api: api.flow.delete(w.flow["id"]), "never"),
    "create track": (
        lambda w, api: api.track.create({"source": w.flow["path"], "destination": "/x/y"}),
        "never",
    ),
    "create token": (
        lambda w, api: api.token.create({"paths": {w.flow["path"]: {"dropRead": True}}}),
        "never",
    ),
    "list identities": (lambda w, api: api.identity.find() or _forbidden(), "never"),
}


def _forbidden() -> None:
    raise FlowThingsForbidden(errors=["empty"], creds=None, method="GET", path="/identity")


def allowed(scope: str, needs: str) -> bool:
    rel, flags, duration = SCOPES[scope]
    if duration is not None or rel in ("/ho", "/home/deeper") or needs == "never":
        return False
    return needs == "read" or flags.get(needs, False)


def _state(w: World) -> tuple[Any, ...]:
    flows = sorted((f["id"], f.get("description")) for f in w.owner.flow.find(limit=100))
    drops = sorted(d["id"] for d in w.owner.drop(w.flow["id"]).find(limit=1000))
    tracks = [t["id"] for t in w.owner.track.find()]
    return flows, drops, tracks, len(w.owner.token.find())


@pytest.mark.parametrize("scope", list(SCOPES))
def test_token_scope_table(world: World, scope: str) -> None:
    """Every (scope, action): allowed ones succeed, the others are 403 and change nothing."""
    api, _ = world.token_api(scope)
    unauthorised: list[str] = []
    with api:
        for name, (action, needs) in ACTIONS.items():
            before = _state(world)
            if allowed(scope, needs):
                action(world, api)
                continue
            try:
                action(world, api)
            except (FlowThingsForbidden, FlowThingsNotFound):  # 404: out of reach entirely
                if _state(world) != before:
                    unauthorised.append(f"{name} (changed state)")
            else:
                unauthorised.append(name)
    assert unauthorised == []


def test_token_sees_only_its_paths_and_itself(world: World) -> None:
    other = world.owner.flow.create({"path": f"/{world.a}/other"})
    api, tok = world.token_api("read-only")
    with api:
        assert [f["id"] for f in api.flow.find()] == [world.flow["id"]]
        assert [t["id"] for t in api.token.find()] == [tok["id"]]
        mine = api.token.read(tok["id"])
        assert mine["paths"] == {f"/{world.a}/home": {"dropRead": True, "dropWrite": False}}
        # out of reach: answered like a missing flow (no existence oracle)
        with pytest.raises(FlowThingsNotFound):
            api.flow.read(other["id"])
        with pytest.raises(FlowThingsNotFound):
            api.drop(other["id"]).find()
    assert len(world.owner.token.find()) == 1


def test_token_expiry_and_revocation(world: World) -> None:
    # 1.5 s of life: the first read must fit in it even on a loaded CI machine
    tok = world.owner.token.create(
        {"paths": {world.flow["path"]: {"dropRead": True}}, "duration": 1500}
    )
    assert 0 < tok["expiresInMs"] <= 1500
    assert "expiresInMs" not in world.owner.token.create(
        {"paths": {world.flow["path"]: {"dropRead": True}}}
    )
    with world.lp.api_for(Token(world.a, tok["tokenString"])) as api:
        assert api.drop(world.flow["id"]).find()
        time.sleep(max(0.0, tok["expiresInMs"] / 1000) + 0.05)
        with pytest.raises(FlowThingsForbidden):
            api.drop(world.flow["id"]).find()
        assert world.owner.token.read(tok["id"])["expiresInMs"] == 0
    live = world.owner.token.create({"paths": {world.flow["path"]: {"dropRead": True}}})
    with world.lp.api_for(Token(world.a, live["tokenString"])) as api:
        assert api.drop(world.flow["id"]).find()
        world.owner.token.delete(live["id"])
        with pytest.raises(FlowThingsForbidden):
            api.drop(world.flow["id"]).find()


def test_token_is_bound_to_its_account(world: World, flowthings_platform: LocalPlatform) -> None:
    _, tok = world.token_api("both")
    other = flowthings_platform.new_account()
    with (
        world.lp.api_for(Token(other.account, tok["tokenString"])) as api,
        pytest.raises(FlowThingsForbidden),
    ):
        api.flow.find()


@pytest.mark.parametrize(
    "paths",
    [
        {"/elsewhere/x": {"dropRead": True}},
        {"/{a}/x": {"dropRead": "yes"}},
        {},
    ],
)
def test_bad_token_paths_are_400(world: World, paths: dict[str, Any]) -> None:
    body = {"paths": {k.replace("{a}", world.a): v for k, v in paths.items()}}
    with pytest.raises(FlowThingsBadRequest):
        world.owner.token.create(body)


def test_device_token_scope(world: World) -> None:
    dev = world.owner.device.create({"path": f"/{world.a}/dev"})
    tok = world.owner.token.read(dev["tokenId"])
    with world.lp.api_for(Token(world.a, tok["tokenString"])) as api:
        flow = api.flow.find(path=f"/{world.a}/dev/default")
        assert api.drop(flow[0]["id"]).create({"elems": {"on": True}})
        with pytest.raises(FlowThingsNotFound):
            api.drop(world.flow["id"]).find()


# --- shares -------------------------------------------------------------------------


def _identity(api: API) -> str:
    ident: str = api.identity.find()[0]["id"]
    return ident


@pytest.fixture
def shared(world: World, flowthings_platform: LocalPlatform) -> Iterator[tuple[World, Token]]:
    """World plus a recipient account ``bob`` (its master token)."""
    bob = flowthings_platform.new_account()
    return world, bob


def test_share_grants_recipient_access(shared: tuple[World, Token]) -> None:
    w, bob = shared
    private = w.owner.flow.create({"path": f"/{w.a}/private"})
    with w.lp.api_for(bob) as bob_api:
        bob_id = _identity(bob_api)
    w.owner.share.create(
        {
            "issuedTo": bob_id,
            "paths": {w.flow["path"]: {"read": True, "dropRead": True, "dropWrite": True}},
        }
    )
    # the recipient addresses the sharer's account with its own master token
    with w.lp.api_for(Token(w.a, bob.token)) as api:
        assert [f["id"] for f in api.flow.find()] == [w.flow["id"]]
        assert api.drop(w.flow["id"]).find()
        made = api.drop(w.flow["id"]).create({"elems": {"by": "bob"}})
        assert made["creatorId"] == bob_id
        for forbidden in (
            lambda: api.flow.read(private["id"]),
            lambda: api.drop(private["id"]).find(),
            lambda: api.flow.create({"path": f"{w.flow['path']}/sub"}),
            lambda: api.flow.delete(w.flow["id"]),
            lambda: api.share.create({"issuedTo": bob_id, "paths": {w.flow["path"]: {}}}),
        ):
            with pytest.raises((FlowThingsForbidden, FlowThingsNotFound)):
                forbidden()
        assert api.token.find() == []  # the sharer's tokens stay invisible
    # the same with X-Auth-Account = the recipient's own account
    headers = {"X-Auth-Token": bob.token, "X-Auth-Account": bob.account}
    r = httpx.get(w.lp.url(f"/drop/{w.flow['id']}", account=w.a), headers=headers)
    assert r.status_code == 200
    assert len(r.json()["body"]) == 2
    r = httpx.get(w.lp.url(f"/drop/{private['id']}", account=w.a), headers=headers)
    assert r.status_code == 404  # out of reach: answered like a missing flow
    # nothing leaked: the private flow is untouched
    assert w.owner.drop(private["id"]).find() == []


def test_share_write_flag_lets_recipient_create_flows(shared: tuple[World, Token]) -> None:
    w, bob = shared
    with w.lp.api_for(bob) as bob_api:
        bob_id = _identity(bob_api)
    w.owner.share.create(
        {"issuedTo": bob_id, "paths": {w.flow["path"]: {"read": True, "write": True}}}
    )
    with w.lp.api_for(Token(w.a, bob.token)) as api:
        sub = api.flow.create({"path": f"{w.flow['path']}/sub"})
        assert sub["path"] == f"/{w.a}/home/sub"
        with pytest.raises(FlowThingsForbidden):  # write, but no dropWrite
            api.drop(sub["id"]).create({"elems": {}})
        with pytest.raises(FlowThingsForbidden):
            api.flow.create({"path": f"/{w.a}/outside"})


def test_share_to_group_and_expiry(
    shared: tuple[World, Token], flowthings_platform: LocalPlatform
) -> None:
    w, bob = shared
    carol = flowthings_platform.new_account()
    with w.lp.api_for(bob) as bob_api, w.lp.api_for(carol) as carol_api:
        bob_id, carol_id = _identity(bob_api), _identity(carol_api)
    group = w.owner.group.create({"memberIds": [bob_id]})
    w.owner.share.create({"issuedTo": group["id"], "paths": {w.flow["path"]: {"dropRead": True}}})
    with w.lp.api_for(Token(w.a, bob.token)) as api:
        assert api.drop(w.flow["id"]).find()
    with (
        w.lp.api_for(Token(w.a, carol.token)) as api,
        pytest.raises(FlowThingsForbidden),  # not a member, no share
    ):
        api.drop(w.flow["id"]).find()
    w.owner.share.create(
        {"issuedTo": carol_id, "paths": {w.flow["path"]: {"dropRead": True}}, "duration": 300}
    )
    with w.lp.api_for(Token(w.a, carol.token)) as api:
        assert api.drop(w.flow["id"]).find()
        time.sleep(0.35)
        with pytest.raises(FlowThingsForbidden):
            api.drop(w.flow["id"]).find()


def test_share_needs_a_real_recipient(world: World) -> None:
    with pytest.raises(FlowThingsBadRequest):
        world.owner.share.create(
            {"issuedTo": "i" + "0" * 24, "paths": {world.flow["path"]: {"read": True}}}
        )
