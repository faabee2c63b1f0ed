"""Tracks route with their creator's rights, re-checked at routing time; fan-out is capped."""

from __future__ import annotations

import itertools
import json
import logging
from typing import Any

import pytest

from flowthings.local.tracks.engine import MAX_HOPS, MAX_OUTPUTS, MAX_RUNS, route

from .conftest import Pair

ROUTING_LOG = "flowthings.local.tracks"


def _js_map(*paths: str) -> str:
    routes = {p: {"elems": {"pwned": True}} for p in paths}
    return f"function (d) {{ return {json.dumps(routes)}; }}"


def test_shared_flow_track_cannot_write_outside_the_share(
    pair: Pair, caplog: pytest.LogCaptureFixture
) -> None:
    track = pair.bob.ok(
        "POST",
        "/track",
        {
            "source": pair.shared["path"],
            "destination": pair.out["path"],
            "js": _js_map(pair.secret["path"], pair.out["path"]),
        },
    )
    assert track["creatorId"] == pair.bob_id
    with caplog.at_level(logging.WARNING, logger=ROUTING_LOG):
        pair.alice.ok("POST", f"/drop/{pair.shared['id']}", {"elems": {"x": 1}})
    assert pair.alice.drops(pair.secret) == []
    assert [d["elems"]["pwned"]["value"] for d in pair.alice.drops(pair.out)] == [True]
    refused = [r.getMessage() for r in caplog.records if r.name == ROUTING_LOG]
    assert any(pair.secret["path"] in m and "refused" in m for m in refused), refused


def test_track_destination_outside_share_is_refused_at_creation(pair: Pair) -> None:
    r = pair.bob.http.post(
        "/track", json={"source": pair.shared["path"], "destination": pair.secret["path"]}
    )
    assert r.status_code == 403, r.text


def test_revoked_share_stops_the_creators_tracks(
    pair: Pair, caplog: pytest.LogCaptureFixture
) -> None:
    pair.bob.ok("POST", "/track", {"source": pair.shared["path"], "destination": pair.out["path"]})
    pair.alice.ok("POST", f"/drop/{pair.shared['id']}", {"elems": {"n": 1}})
    assert len(pair.alice.drops(pair.out)) == 1
    pair.alice.ok("DELETE", f"/share/{pair.share['id']}")
    with caplog.at_level(logging.WARNING, logger=ROUTING_LOG):
        pair.alice.ok("POST", f"/drop/{pair.shared['id']}", {"elems": {"n": 2}})
    assert len(pair.alice.drops(pair.out)) == 1  # the second drop did not travel
    assert any("may no longer read" in r.getMessage() for r in caplog.records)


def test_read_only_share_cannot_exfiltrate_through_a_track(pair: Pair) -> None:
    # a recipient who may write the shared flow but not read drops of a second
    # flow cannot pull those drops out through a track it created earlier
    hidden = pair.alice.flow("/shared/hidden")
    pair.bob.ok("POST", "/track", {"source": hidden["path"], "destination": pair.out["path"]})
    pair.alice.ok("DELETE", f"/share/{pair.share['id']}")
    pair.alice.ok(
        "POST",
        "/share",
        {
            "issuedTo": pair.bob_id,
            "paths": {pair.out["path"]: {"read": True, "dropRead": True}},
        },
    )
    pair.alice.ok("POST", f"/drop/{hidden['id']}", {"elems": {"secret": "s3cr3t"}})
    assert pair.alice.drops(pair.out) == []


def test_owner_tracks_still_route_anywhere_in_the_account(pair: Pair) -> None:
    pair.alice.ok(
        "POST",
        "/track",
        {
            "source": pair.shared["path"],
            "destination": pair.out["path"],
            "js": _js_map(pair.secret["path"]),
        },
    )
    pair.alice.ok("POST", f"/drop/{pair.shared['id']}", {"elems": {}})
    assert len(pair.alice.drops(pair.secret)) == 1


def test_fan_out_is_capped_per_incoming_drop(pair: Pair) -> None:
    js = "function (d) { var o = []; for (var i = 0; i < 1000; i++) o.push({elems: {i: i}}); return o; }"
    pair.alice.ok(
        "POST", "/track", {"source": pair.shared["path"], "destination": pair.out["path"], "js": js}
    )
    pair.alice.ok("POST", f"/drop/{pair.shared['id']}", {"elems": {}})
    assert len(pair.alice.drops(pair.out)) == MAX_OUTPUTS


def test_chain_depth_is_capped(pair: Pair) -> None:
    flows = [pair.alice.flow(f"/chain/{i}") for i in range(MAX_HOPS + 4)]
    for src, dst in itertools.pairwise(flows):
        pair.alice.ok("POST", "/track", {"source": src["path"], "destination": dst["path"]})
    pair.alice.ok("POST", f"/drop/{flows[0]['id']}", {"elems": {}})
    reached = [len(pair.alice.drops(f)) for f in flows[1:]]
    assert reached == [1] * MAX_HOPS + [0] * 3


class _NoJs:
    available = True

    def run(self, js: str, drop: Any) -> Any:  # pragma: no cover - tracks here have no JS
        raise AssertionError("no JS expected")


def test_runs_per_drop_are_capped() -> None:
    tracks = [{"id": f"t{i}", "source": "/a/src", "destination": "/a/dst"} for i in range(200)]
    out = route(
        "/a/src",
        {"elems": {}},
        lambda path: tracks if path == "/a/src" else [],
        lambda dest, body: True,
        sandbox=_NoJs(),  # type: ignore[arg-type]
        max_outputs=10_000,
    )
    assert len(out) == MAX_RUNS


def test_editing_the_owners_track_does_not_borrow_the_owners_rights(pair: Pair) -> None:
    track = pair.alice.ok(
        "POST", "/track", {"source": pair.shared["path"], "destination": pair.out["path"]}
    )
    # bob may edit it (source and destination are inside his share) ...
    pair.bob.ok("PUT", f"/track/{track['id']}", {**track, "js": _js_map(pair.secret["path"])})
    pair.alice.ok("POST", f"/drop/{pair.shared['id']}", {"elems": {}})
    # ... but the JS he wrote runs within his rights, not alice's
    assert pair.alice.drops(pair.secret) == []
    # once alice edits it back, it is hers again
    pair.alice.ok("PUT", f"/track/{track['id']}", {**track, "js": _js_map(pair.secret["path"])})
    pair.alice.ok("POST", f"/drop/{pair.shared['id']}", {"elems": {}})
    assert len(pair.alice.drops(pair.secret)) == 1


def test_produced_drops_obey_the_request_body_limit(pair: Pair) -> None:
    js = "function (d) { return {elems: {big: 'x'.repeat(2 * 1024 * 1024)}}; }"
    pair.alice.ok(
        "POST", "/track", {"source": pair.shared["path"], "destination": pair.out["path"], "js": js}
    )
    pair.alice.ok("POST", f"/drop/{pair.shared['id']}", {"elems": {}})
    assert pair.alice.drops(pair.out) == []
