"""Aggregation and statistics end to end through the SDK."""

from __future__ import annotations

import datetime as dt
import random
import statistics as pystats
from typing import Any

import pytest

from flowthings import FlowThingsBadRequest, FlowThingsForbidden, Token, mem
from flowthings.local.testing import LocalPlatform

API = Any


@pytest.fixture
def a(flowthings_api: API) -> str:
    name: str = flowthings_api.creds.account
    return name


TOWNS = ["Brooklyn", "Queens", "Harlem"]


@pytest.fixture
def weather(flowthings_api: API, a: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    flow = flowthings_api.flow.create({"path": f"/{a}/weather"})
    rng = random.Random(7)
    rows = []
    for i in range(30):
        row = {
            "town": TOWNS[i % 3],
            "wind": rng.randint(0, 40),
            "temp": round(rng.uniform(-5, 30), 2),
        }
        flowthings_api.drop(flow["id"]).create({"elems": row})
        rows.append(row)
    return flow, rows


def test_aggregate_matches_python(flowthings_api: API, weather: Any) -> None:
    flow, rows = weather
    got = flowthings_api.drop(flow["id"]).aggregate(
        ["$count", "$avg:wind", "$min:temp", "$max:temp", "$sum:wind"], group_by=["town"]
    )
    expected = []
    for town in sorted(TOWNS):
        mine = [r for r in rows if r["town"] == town]
        expected.append(
            {
                "town": town,
                "$count": len(mine),
                "$avg:wind": pystats.fmean(r["wind"] for r in mine),
                "$min:temp": min(r["temp"] for r in mine),
                "$max:temp": max(r["temp"] for r in mine),
                "$sum:wind": sum(r["wind"] for r in mine),
            }
        )
    assert [g["town"] for g in got] == [e["town"] for e in expected]
    for g, e in zip(got, expected, strict=True):
        assert g["$count"] == e["$count"]
        assert g["$sum:wind"] == e["$sum:wind"]
        assert g["$avg:wind"] == pytest.approx(e["$avg:wind"])
        assert (g["$min:temp"], g["$max:temp"]) == (e["$min:temp"], e["$max:temp"])


def test_aggregate_filter_rules_and_sorts(flowthings_api: API, weather: Any) -> None:
    flow, rows = weather
    got = flowthings_api.drop(flow["id"]).aggregate(
        ["$count", "$avg:windy"],
        group_by=[],
        filter=mem.elems.town != "Harlem",
        rules={"windy": mem.elems.wind > 20},
    )
    kept = [r for r in rows if r["town"] != "Harlem"]
    assert got == [
        {
            "$count": len(kept),
            "$avg:windy": pytest.approx(sum(r["wind"] > 20 for r in kept) / len(kept)),
        }
    ]
    ordered = flowthings_api.drop(flow["id"]).aggregate(
        ["$count", "$max:wind"], ["town"], sorts=["-$max:wind"]
    )
    maxima = [g["$max:wind"] for g in ordered]
    assert maxima == sorted(maxima, reverse=True)
    year = dt.datetime.now(dt.timezone.utc).year
    by_year = flowthings_api.drop(flow["id"]).aggregate(["$count"], ["$year"])
    assert by_year in ([{"$year": year, "$count": 30}], [{"$year": year + 1, "$count": 30}])


@pytest.mark.parametrize(
    "body",
    [
        {"groupBy": []},
        {"output": "$count", "groupBy": []},
        {"output": ["$count"], "groupBy": "town"},
        {"output": ["$nope:x"], "groupBy": []},
        {"output": ["$count"], "groupBy": [], "filter": "elems.x >"},
        None,
    ],
)
def test_aggregate_bad_requests_are_400(flowthings_api: API, weather: Any, body: Any) -> None:
    flow, _ = weather
    with pytest.raises(FlowThingsBadRequest):
        flowthings_api.request("POST", f"/drop/{flow['id']}/aggregate", body)


def test_the_documented_1_0_5_call_without_group_by_is_one_group(
    flowthings_api: API, weather: Any
) -> None:
    flow, _ = weather
    drops = flowthings_api.drop(flow["id"])
    one_group = drops.aggregate(["$count"], group_by=[])
    assert drops.aggregate(["$count"]) == one_group
    assert one_group == [{"$count": len(weather[1])}]
    rule = drops.aggregate(["$avg:test"], rules={"test": mem.elems.temp > 1000})
    assert rule == [{"$avg:test": 0}]


def test_aggregate_needs_drop_read(
    flowthings_platform: LocalPlatform, flowthings_api: API, weather: Any
) -> None:
    flow, _ = weather
    a = flowthings_api.creds.account
    tok = flowthings_api.token.create({"paths": {flow["path"]: {"dropWrite": True}}})
    with (
        flowthings_platform.api_for(Token(a, tok["tokenString"])) as api,
        pytest.raises(FlowThingsForbidden),
    ):
        api.drop(flow["id"]).aggregate(["$count"], [])
    tok = flowthings_api.token.create({"paths": {flow["path"]: {"dropRead": True}}})
    with flowthings_platform.api_for(Token(a, tok["tokenString"])) as api:
        assert api.drop(flow["id"]).aggregate(["$count"], []) == [{"$count": 30}]


# --- statistics ---------------------------------------------------------------------


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def test_flow_drop_added_hourly_buckets(flowthings_api: API, a: str) -> None:
    flow = flowthings_api.flow.create({"path": f"/{a}/s", "capacity": 3})
    n = 7
    first = _today()
    for i in range(n):
        flowthings_api.drop(flow["id"]).create({"elems": {"i": i}})
    today = _today()
    stats = flowthings_api.statistics
    # every write is counted on the UTC day it happened: whether or not the
    # writes straddled a midnight, the days they spanned hold all of them
    spanned = sorted({first, today})
    per_day = [sum(stats.flow_drop_added(flow["id"], d.year, d.month, d.day)) for d in spanned]
    assert sum(per_day) == n
    assert sum(stats.flow_drop_added(flow["id"])) == n
    if first != today:
        return  # the per-hour/day/month checks below assume one UTC day
    hours = stats.flow_drop_added(flow["id"], today.year, today.month, today.day)
    assert len(hours) == 24
    assert sum(hours) == n  # counts additions, not what the capacity kept
    assert stats.flow_drop_added(flow["id"], today.year, today.month, today.day, level="day") == [n]
    days = stats.flow_drop_added(flow["id"], today.year, today.month)
    assert sum(days) == n
    assert days[today.day - 1] == n
    months = stats.flow_drop_added(flow["id"], today.year)
    assert len(months) == 12
    assert months[today.month - 1] == n
    assert sum(stats.flow_drop_added(flow["id"])) == n
    assert len(stats.flow_drop_added(flow["id"], today.year, level="HOUR")) in (8760, 8784)
    assert stats.flow_drop_added(flow["id"], today.year - 1) == [0] * 12


def test_identity_series(flowthings_platform: LocalPlatform) -> None:
    creds = flowthings_platform.new_account()
    with flowthings_platform.api_for(creds) as api:
        me = api.identity.find()[0]["id"]  # call 1
        flow = api.flow.create({"path": f"/{creds.account}/x"})  # call 2
        for i in range(3):  # calls 3-5
            api.drop(flow["id"]).create({"elems": {"i": i}})
        assert sum(api.statistics.drop_created_by(me, level="year")) == 3  # call 6
        assert sum(api.statistics.api_call_by_identity(me, level="year")) == 7  # incl. itself


@pytest.mark.parametrize(
    "path",
    [
        "/statistics/nope/x",
        "/statistics/flowDropAdded/x/20x5",
        "/statistics/flowDropAdded/x/2015/13",
        "/statistics/flowDropAdded/x/2015/2/29",
        "/statistics/flowDropAdded/x/1969",
    ],
)
def test_statistics_bad_input_is_400(flowthings_api: API, path: str) -> None:
    with pytest.raises(FlowThingsBadRequest):
        flowthings_api.request("GET", path)


def test_statistics_bad_level_is_400(flowthings_api: API) -> None:
    with pytest.raises(FlowThingsBadRequest):
        flowthings_api.request("GET", "/statistics/flowDropAdded/x/2015", params={"level": "week"})


def test_statistics_follow_permissions(
    flowthings_platform: LocalPlatform, flowthings_api: API, a: str
) -> None:
    flow = flowthings_api.flow.create({"path": f"/{a}/p"})
    other = flowthings_api.flow.create({"path": f"/{a}/q"})
    me = flowthings_api.identity.find()[0]["id"]
    tok = flowthings_api.token.create({"paths": {flow["path"]: {"dropRead": True}}})
    with flowthings_platform.api_for(Token(a, tok["tokenString"])) as api:
        assert api.statistics.flow_drop_added(flow["id"]) == [0] * 12
        for call in (
            lambda: api.statistics.flow_drop_added(other["id"]),
            lambda: api.statistics.api_call_by_identity(me),
        ):
            with pytest.raises(FlowThingsForbidden):
                call()
