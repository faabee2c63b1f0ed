"""Token and Share scope rules: exhaustive tables, no unauthorised allow."""

from __future__ import annotations

import itertools
import re
from typing import Any, get_args

import pytest

from flowthings.local.core.permissions import (
    ACTIONS,
    Action,
    Grant,
    PermissionsError,
    covers,
    expires_in_ms,
    is_expired,
    new_token_string,
    share_allows,
    token_allows,
    validate_paths,
)

NOW = 1_433_796_976_988 + 10_000
CREATED = 1_433_796_976_988

PATHS = [
    "/alice",
    "/alice/a",
    "/alice/a/",
    "/alice/a/b",
    "/alice/a/b/c",
    "/alice/ab",
    "/alice/b",
    "/alice/b/x",
    "/bob",
    "/bob/a",
    "/",
    "",
]


@pytest.mark.parametrize(
    ("grant", "path", "expected"),
    [
        ("/alice/a", "/alice/a", True),
        ("/alice/a", "/alice/a/", True),
        ("/alice/a/", "/alice/a/b", True),
        ("/alice/a", "/alice/a/b/c", True),
        ("/alice/a", "/alice/ab", False),
        ("/alice/a", "/alice", False),
        ("/alice/a/b", "/alice/a", False),
        ("/alice", "/alice/a", True),
        ("/alice", "/alicex", False),
        ("/", "/alice", False),
        ("", "/alice", False),
        ("/Alice/a", "/alice/a", False),
    ],
)
def test_covers(grant: str, path: str, expected: bool) -> None:
    assert covers(grant, path) is expected


def _token(**flags: dict[str, bool]) -> dict[str, Any]:
    return {"creationDate": CREATED, "duration": 600_000, "paths": dict(flags)}


TOKEN = {
    "creationDate": CREATED,
    "duration": 600_000,
    "paths": {
        "/alice/a": {"dropRead": True, "dropWrite": False},
        "/alice/b": {"dropRead": False, "dropWrite": True},
    },
}


def _token_oracle(action: str, path: str) -> bool:
    """Independent statement of the token rules for TOKEN."""
    in_a = path.rstrip("/") == "/alice/a" or path.startswith("/alice/a/")
    in_b = path.rstrip("/") == "/alice/b" or path.startswith("/alice/b/")
    if action == "read":
        return in_a or in_b
    if action in ("dropRead", "drop_read"):
        return in_a
    if action in ("dropWrite", "drop_write"):
        return in_b
    return False


ALL_ACTIONS = [*get_args(Action), "delete", "administer", ""]


@pytest.mark.parametrize(("action", "path"), list(itertools.product(ALL_ACTIONS, PATHS)))
def test_token_table(action: Any, path: str) -> None:
    assert token_allows(TOKEN, action, path, NOW) is _token_oracle(action, path)


@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_token_never_writes_objects_or_administers(action: Any) -> None:
    everything = _token(**{"/alice": {"dropRead": True, "dropWrite": True}})
    allowed = token_allows(everything, action, "/alice/x", NOW)
    assert allowed is (action in ("read", "dropRead", "dropWrite", "drop_read", "drop_write"))


@pytest.mark.parametrize(
    ("token", "allowed"),
    [
        pytest.param({"creationDate": CREATED, "duration": 10_001}, True, id="1ms-left"),
        pytest.param({"creationDate": CREATED, "duration": 10_000}, False, id="expires-now"),
        pytest.param({"creationDate": CREATED, "duration": 1}, False, id="expired"),
        pytest.param({"creationDate": CREATED}, True, id="no-duration"),
        pytest.param({"creationDate": CREATED, "duration": None}, True, id="null-duration"),
        pytest.param({"creationDate": CREATED, "duration": -5}, False, id="negative"),
        pytest.param({"creationDate": CREATED, "duration": "600"}, False, id="string"),
        pytest.param({"creationDate": CREATED, "duration": True}, False, id="bool"),
        pytest.param({"duration": 600_000}, False, id="no-creation-date"),
    ],
)
def test_token_expiry(token: dict[str, Any], allowed: bool) -> None:
    token = {**token, "paths": {"/alice": {"dropRead": True, "dropWrite": True}}}
    actions: tuple[Action, ...] = ("read", "dropRead", "dropWrite")
    for action in actions:
        assert token_allows(token, action, "/alice/x", NOW) is allowed
    assert is_expired(token, NOW) is not allowed


def test_expires_in_ms() -> None:
    assert expires_in_ms({"creationDate": CREATED, "duration": 360_000_000}, CREATED + 9) == (
        359_999_991
    )
    assert expires_in_ms({"creationDate": CREATED, "duration": 5}, NOW) == 0
    assert expires_in_ms({"creationDate": CREATED}, NOW) is None


@pytest.mark.parametrize(
    "token",
    [
        pytest.param({"creationDate": CREATED}, id="no-paths"),
        pytest.param({"creationDate": CREATED, "paths": []}, id="paths-list"),
        pytest.param({"creationDate": CREATED, "paths": {"/alice": True}}, id="flags-not-object"),
        pytest.param(
            {"creationDate": CREATED, "paths": {"/alice": {"dropRead": 1, "dropWrite": "yes"}}},
            id="truthy-not-true",
        ),
    ],
)
def test_malformed_tokens_only_grant_what_is_true(token: dict[str, Any]) -> None:
    actions: tuple[Action, ...] = ("dropRead", "dropWrite", "write", "admin")
    for action in actions:
        assert not token_allows(token, action, "/alice/x", NOW)


SHARE = {
    "issuedTo": "i1",
    "creationDate": CREATED,
    "duration": 360_000_000,
    "paths": {
        "/alice/a": {"read": True, "write": True, "dropRead": True, "dropWrite": True},
        "/alice/b": {"read": True, "write": False, "dropRead": False, "dropWrite": False},
        "/alice/b/x": {"administer": True},
    },
}
SHARE_FLAG = {
    "read": "read",
    "write": "write",
    "dropRead": "dropRead",
    "dropWrite": "dropWrite",
    "drop_read": "dropRead",
    "drop_write": "dropWrite",
    "admin": "administer",
}


def _share_oracle(
    share: dict[str, Any], action: str, path: str, who: str, groups: set[str]
) -> bool:
    if share["issuedTo"] not in {who, *groups}:
        return False
    flag = SHARE_FLAG.get(action)
    if flag is None:
        return False
    for grant, flags in share["paths"].items():
        base = grant.rstrip("/")
        if (path.rstrip("/") == base or path.startswith(base + "/")) and flags.get(flag) is True:
            return True
    return False


IDENTITIES = [("i1", set()), ("i2", set()), ("i2", {"g1"}), ("i3", {"g2"}), ("i1", {"g1"})]


@pytest.mark.parametrize("issued_to", ["i1", "g1"])
@pytest.mark.parametrize(("action", "path"), list(itertools.product(ALL_ACTIONS, PATHS)))
def test_share_table(issued_to: str, action: Any, path: str) -> None:
    share = {**SHARE, "issuedTo": issued_to}
    for who, groups in IDENTITIES:
        expected = _share_oracle(share, action, path, who, groups)
        got = share_allows(share, action, path, NOW, identity_id=who, group_ids=groups)
        assert got is expected, (who, groups)


def test_share_expired_or_unaddressed_allows_nothing() -> None:
    expired = {**SHARE, "duration": 1}
    empty_target = {**SHARE, "issuedTo": ""}
    for action, path in itertools.product(ALL_ACTIONS, PATHS):
        assert not share_allows(expired, action, path, NOW, identity_id="i1")
        assert not share_allows(empty_target, action, path, NOW, identity_id="")


def test_share_cannot_reach_outside_the_sharer() -> None:
    share = {**SHARE, "paths": {"/bob/x": {"read": True}}}
    assert share_allows(share, "read", "/bob/x", NOW, identity_id="i1")
    assert not share_allows(share, "read", "/bob/x", NOW, identity_id="i1", owner_account="alice")


def test_grant_combinations() -> None:
    master = Grant.master("alice", identity_id="i1", shares=[(SHARE | {"issuedTo": "i1"}, "alice")])
    for action in ACTIONS:
        assert master.allows(action, "/alice/anything", NOW)
        assert not master.allows(action, "/alicex", NOW)
        assert not master.allows(action, "/bob/a", NOW)
    bob = Grant.master("bob", identity_id="i1", shares=[(SHARE, "alice")])
    assert bob.allows("write", "/alice/a/q", NOW)
    assert not bob.allows("write", "/alice/b", NOW)
    assert bob.allows("admin", "/alice/b/x", NOW)
    assert not bob.allows("admin", "/alice/b", NOW)
    assert not bob.allows("nope", "/bob", NOW)  # type: ignore[arg-type]
    token = Grant.for_token(TOKEN)
    for action, path in itertools.product(ALL_ACTIONS, PATHS):
        assert token.allows(action, path, NOW) is _token_oracle(action, path)


def test_no_unauthorised_allow_random_grants() -> None:
    """Random tokens/shares: every allow must be justified by a covering true flag."""
    import random

    rng = random.Random(7)
    prefixes = ["/alice", "/alice/a", "/alice/a/b", "/alice/ab", "/bob"]
    flags = ["read", "write", "dropRead", "dropWrite", "administer"]
    for _ in range(300):
        paths = {
            p: {f: rng.choice([True, False, None, 1]) for f in flags}
            for p in rng.sample(prefixes, rng.randint(1, 3))
        }
        share = {"issuedTo": "i1", "creationDate": CREATED, "paths": paths}
        token = {"creationDate": CREATED, "paths": paths}
        for action, path in itertools.product(ALL_ACTIONS, PATHS):
            if token_allows(token, action, path, NOW):
                assert _token_justified(paths, action, path)
            if share_allows(share, action, path, NOW, identity_id="i1"):
                assert _share_oracle(share, action, path, "i1", set())
            assert not share_allows(share, action, path, NOW, identity_id="i9")


def _token_justified(paths: dict[str, Any], action: str, path: str) -> bool:
    action = {"drop_read": "dropRead", "drop_write": "dropWrite"}.get(action, action)
    for grant, flags in paths.items():
        covered = path.rstrip("/") == grant or path.startswith(grant + "/")
        if covered and (
            action == "read" or (action in ("dropRead", "dropWrite") and flags[action] is True)
        ):
            return True
    return False


def test_validate_paths() -> None:
    body = {"paths": {"/alice/a": {"dropRead": True}, "/alice": {"dropWrite": False, "x": 1}}}
    assert validate_paths(body, kind="token", account="alice") == {
        "/alice/a": {"dropRead": True, "dropWrite": False},
        "/alice": {"dropRead": False, "dropWrite": False},
    }
    share = validate_paths(
        {"paths": {"/alice/a": {"administer": True}}}, kind="share", account="alice"
    )
    assert share == {
        "/alice/a": {
            "read": False,
            "write": False,
            "dropRead": False,
            "dropWrite": False,
            "administer": True,
        }
    }


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing"),
        pytest.param({"paths": {}}, id="empty"),
        pytest.param({"paths": ["/alice"]}, id="list"),
        pytest.param({"paths": {"/bob/a": {}}}, id="other-account"),
        pytest.param({"paths": {"/alicex": {}}}, id="prefix-sibling"),
        pytest.param({"paths": {"/alice/a": True}}, id="flags-not-object"),
        pytest.param({"paths": {"/alice/a": {"dropRead": "yes"}}}, id="flag-not-bool"),
        pytest.param({"paths": {"/alice/a": {}}, "duration": -1}, id="negative-duration"),
        pytest.param({"paths": {"/alice/a": {}}, "duration": 1.5}, id="float-duration"),
    ],
)
def test_validate_paths_errors(body: dict[str, Any]) -> None:
    with pytest.raises(PermissionsError):
        validate_paths(body, kind="token", account="alice")


def test_new_token_string() -> None:
    tokens = {new_token_string() for _ in range(50)}
    assert len(tokens) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9]{28}", t) for t in tokens)
