"""Red-team F6: a filter number the platform computes with as a float (a ``WITHIN``
distance, latitude or longitude) that lies beyond the float range (an integer of
more than 309 digits) is a 400 at every filter entry point, never a 500.
"""

from __future__ import annotations

import pytest

from .conftest import World

HUGE = "9" * 400

FILTERS = {
    "distance": f"location WITHIN {HUGE} miles OF [0, 0]",
    "latitude": f"location WITHIN 0 m OF [{HUGE}, 0]",
    "longitude": f"location WITHIN 0 m OF [0, {HUGE}]",
}


@pytest.fixture
def w(world: World) -> World:
    return world


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_rest_filter_entry_points_refuse_a_huge_within_number(w: World, name: str) -> None:
    f = FILTERS[name]
    fid = w.flows["shared"]["id"]
    replies = {
        "drops": w.alice.call("GET", f"/drop/{fid}", params={"filter": f}),
        "flows": w.alice.call("GET", "/flow", params={"filter": f}),
        "aggregate": w.alice.call(
            "POST", f"/drop/{fid}/aggregate", {"output": ["$count"], "filter": f}
        ),
        "flow-filter": w.alice.call("POST", "/flow", {"path": w.path("w"), "filter": f}),
        "track": w.alice.call("POST", "/track", {"source": w.path("shared"), "filter": f}),
        "share-recipient": w.bob.call(
            "GET", f"/drop/{fid}", params={"filter": f}, account=w.alice.account
        ),
        "token": w.narrow.call("GET", f"/drop/{fid}", params={"filter": f}),
    }
    statuses = {k: r.status for k, r in replies.items()}
    assert set(statuses.values()) == {400}, statuses
    assert "out of range" in " ".join(replies["drops"].errors)


def test_ws_findmany_refuses_a_huge_within_number(w: World) -> None:
    ws = w.alice.socket()
    try:
        reply = ws.request(
            {
                "type": "findmany",
                "object": "drop",
                "flowId": w.flows["shared"]["id"],
                "options": {"filter": FILTERS["distance"]},
            }
        )
        assert reply["head"]["status"] == 400, reply
    finally:
        ws.close()


def test_a_huge_but_float_sized_within_distance_still_works(w: World) -> None:
    fid = w.flows["shared"]["id"]
    w.alice.ok("POST", f"/drop/{fid}", {"elems": {"location": {"lat": 1.0, "lon": 2.0}}})
    f = "location WITHIN " + "9" * 300 + " m OF [0, 0]"
    assert len(w.alice.ok("GET", f"/drop/{fid}", params={"filter": f})) == 1


@pytest.mark.parametrize(
    "f",
    [
        f"elems.v > {HUGE}",
        f"elems.v == -{HUGE}",
        f"elems.v % {HUGE} == 1",
        f"AGE(elems.v) > {HUGE}",
        f"creationDate > {HUGE}",
        f"AGE(creationDate) < {HUGE}",
        f"elems.v IN [{HUGE}, 1.5]",
        f"creationDate > Date({HUGE})",
    ],
)
def test_other_huge_integer_literals_are_answered_not_500(w: World, f: str) -> None:
    fid = w.flows["shared"]["id"]
    w.alice.ok("POST", f"/drop/{fid}", {"elems": {"v": 1.5}})
    for params in ({"filter": f}, {"filter": f, "sort": "creationDate"}):
        r = w.alice.call("GET", f"/drop/{fid}", params=params)
        assert r.status in (200, 400), (r.status, r.errors)
    r = w.alice.call("POST", f"/drop/{fid}/aggregate", {"output": ["$count"], "filter": f})
    assert r.status in (200, 400), (r.status, r.errors)
