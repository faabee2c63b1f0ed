"""Red-team F4: non-regex filter work per request is bounded.

Regexes have a per-request time budget; the rest of filter evaluation had
none, so a big filter over a big flow or an aggregation with many
``rules`` ran for minutes in a worker thread. Every request now has one wall-time deadline for all its
filter evaluations (``REQUEST_FILTER_SECONDS``); past it the request is a
clear 400. The deadline is lowered here so the test stays fast.
"""

from __future__ import annotations

import secrets
import time

import pytest

from flowthings.local.analytics.aggregate import MAX_RULES
from flowthings.local.query import regex

from .conftest import World

RULE = " && ".join(f"elems.v > -{i}" for i in range(1, 40))


@pytest.fixture
def flow(world: World) -> str:
    a = world.alice.account
    fid: str = world.flows["private"]["id"]
    tag = secrets.token_hex(9)
    drops = [
        {"id": f"d{tag}{i:06d}", "elems": {"v": i}, "creationDate": i + 1, "path": f"/{a}/private"}
        for i in range(1000)
    ]
    world.lp.platform.store.insert_drops(a, fid, drops)
    return fid


def test_an_aggregation_with_many_rules_stops_at_the_deadline(
    world: World, flow: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(regex, "REQUEST_FILTER_SECONDS", 0.1)
    body = {"output": ["$count"], "groupBy": [], "rules": {f"r{i}": RULE for i in range(MAX_RULES)}}
    start = time.monotonic()
    r = world.alice.call("POST", f"/drop/{flow}/aggregate", body)
    assert r.status == 400, r
    assert "0.1 s" in r.errors[0]
    assert time.monotonic() - start < 5


def test_ordinary_queries_are_not_affected(world: World, flow: str) -> None:
    got = world.alice.ok("GET", f"/drop/{flow}", params={"filter": "elems.v > 990"})
    assert len(got) == 9
    agg = world.alice.ok(
        "POST", f"/drop/{flow}/aggregate", {"output": ["$count"], "groupBy": [], "filter": RULE}
    )
    assert agg
