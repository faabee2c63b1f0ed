"""Red-team F9: ``.``/``..`` segments in flow, device, track, token and share paths.

Nothing on the platform normalizes paths, but a tool that does would read
``/alice/shared/../secret`` as another flow than the one authorized: a share
recipient with write on ``/alice/shared`` could create such a flow. Every
path written is refused with a 400 when a segment is ``.`` or ``..`` (also
spelled with ``%2e``).
"""

from __future__ import annotations

import pytest

from .conftest import World

DOTTED = ["/shared/../x", "/shared/./x", "/..", "/shared/%2e%2e/x", "/shared/%2E./x", "/./x"]


@pytest.mark.parametrize("tail", DOTTED)
def test_flow_create_with_dot_segments_is_a_400(world: World, tail: str) -> None:
    a = world.alice.account
    r = world.alice.call("POST", "/flow", {"path": f"/{a}{tail}"})
    assert r.status == 400, r
    assert "'.' or '..'" in r.errors[0]
    # a share recipient with write on /alice/shared neither
    r = world.bob.call("POST", "/flow", {"path": f"/{a}{tail}"}, account=a)
    assert r.status in (400, 403), r
    assert not [f for f in world.alice.ok("GET", "/flow") if ".." in f["path"]]


@pytest.mark.parametrize("tail", DOTTED)
def test_flow_update_with_dot_segments_is_a_400(world: World, tail: str) -> None:
    a = world.alice.account
    fid = world.flows["private"]["id"]
    r = world.alice.call("PUT", f"/flow/{fid}", {"path": f"/{a}{tail}"})
    assert r.status == 400, r
    r = world.alice.call("MPUT", "/flow", {fid: {"path": f"/{a}{tail}"}})
    assert r.status == 400, r
    assert world.alice.ok("GET", f"/flow/{fid}")["path"] == world.path("private")


def test_other_paths_with_dot_segments_are_400s(world: World) -> None:
    a = world.alice.account
    bad = f"/{a}/shared/../private"
    bodies = {
        "/track": {"source": bad, "destination": world.path("outside")},
        "/device": {"path": bad},
        "/token": {"paths": {bad: {"dropRead": True}}},
    }
    for url, body in bodies.items():
        r = world.alice.call("POST", url, body)
        assert r.status == 400, (url, r)
    r = world.alice.call("POST", "/track", {"source": world.path("shared"), "destination": [bad]})
    assert r.status == 400, r


def test_dots_inside_a_segment_are_fine(world: World) -> None:
    a = world.alice.account
    for tail in ("/v1.2", "/...", "/a..b/c.", "/.hidden"):
        assert world.alice.ok("POST", "/flow", {"path": f"/{a}{tail}"})["path"] == f"/{a}{tail}"
