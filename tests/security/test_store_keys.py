"""Red-team F5: a member the store binds into a column of its own (``path``) must be a
string for every kind, on every way in; a list, an object or a 65-bit integer is a
400, never a 500 from SQLite.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import World

BAD_PATHS: dict[str, Any] = {"list": [], "object": {"a": 1}, "huge-int": 2**70}


@pytest.fixture
def w(world: World) -> World:
    return world


def _bodies(w: World) -> dict[str, dict[str, Any]]:
    a = w.alice.account
    return {
        "group": {"memberIds": []},
        "token": {"paths": {f"/{a}/shared": {"dropRead": True}}},
        "track": {"source": f"/{a}/shared"},
    }


@pytest.mark.parametrize("bad", sorted(BAD_PATHS))
@pytest.mark.parametrize("segment", ["group", "token", "track"])
def test_post_with_a_non_string_path_is_a_400(w: World, segment: str, bad: str) -> None:
    body = {**_bodies(w)[segment], "path": BAD_PATHS[bad]}
    r = w.alice.call("POST", f"/{segment}", body)
    assert r.status == 400, (r.status, r.errors)
    assert any("'path'" in e for e in r.errors), r.errors


@pytest.mark.parametrize("bad", sorted(BAD_PATHS))
def test_put_mput_and_member_put_refuse_a_non_string_path(w: World, bad: str) -> None:
    gid = w.alice.ok("POST", "/group", {"memberIds": []})["id"]
    value = BAD_PATHS[bad]
    assert w.alice.call("PUT", f"/group/{gid}", {"path": value}).status == 400
    assert w.alice.call("PUT", f"/group/{gid}/path", value).status == 400
    assert w.alice.call("MPUT", "/group", {gid: {"path": value}}).status == 400
    identity = w.alice.ok("GET", "/identity")[0]["id"]
    assert w.alice.call("PUT", f"/identity/{identity}", {"path": value}).status == 400
    # nothing was stored: the group still reads back, and a string path is still fine
    assert "path" not in w.alice.ok("GET", f"/group/{gid}")
    assert w.alice.call("PUT", f"/group/{gid}", {"path": "/x"}).status == 200


def test_a_share_recipient_track_with_a_list_path_is_a_400(w: World) -> None:
    body = {"source": w.path("shared"), "path": []}
    r = w.bob.call("POST", "/track", body, account=w.alice.account)
    assert r.status == 400, (r.status, r.errors)


def test_ws_create_and_update_with_a_non_string_path_are_400(w: World) -> None:
    gid = w.alice.ok("POST", "/group", {"memberIds": []})["id"]
    ws = w.alice.socket()
    try:
        reply = ws.request(
            {
                "type": "create",
                "object": "track",
                "value": {"source": w.path("shared"), "path": []},
            }
        )
        assert reply["head"]["status"] == 400, reply
        frame = json.dumps(
            {"msgId": "u", "type": "update", "object": "group", "id": gid, "value": {"path": {}}}
        )
        assert ws.request(frame)["head"]["status"] == 400
    finally:
        ws.close()
