"""Aggregation engine: results against an independent computation, and 400 cases."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

import pytest

from flowthings.local.analytics.aggregate import AggregationError, aggregate

TOWNS = ["Brooklyn", "Queens", "Bronx"]
BASE = 1_420_070_400_000  # 2015-01-01T00:00:00Z
YEAR_MS = 365 * 86_400_000


def _drops(seed: int, n: int = 200) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    drops = []
    for i in range(n):
        elems: dict[str, Any] = {"town": rng.choice(TOWNS)}
        speed: Any = rng.choice([rng.randint(0, 30), round(rng.uniform(0, 30), 2), "n/a", None])
        if speed is not None:
            # half typed, half plain: both must aggregate by value
            elems["windSpeed"] = {"type": "float", "value": speed} if i % 2 else speed
        if rng.random() < 0.8:
            elems["temp"] = rng.randint(-10, 40)
        drops.append(
            {"id": f"d{i:024x}", "creationDate": BASE + rng.randrange(2 * YEAR_MS), "elems": elems}
        )
    return drops


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _value(drop: dict[str, Any], name: str) -> Any:
    v = drop["elems"].get(name)
    if isinstance(v, dict) and set(v) == {"type", "value"}:
        v = v["value"]
    return v


def _stats(values: list[Any]) -> dict[str, Any]:
    nums = [v for v in values if _num(v)]
    if not nums:
        return {"avg": None, "min": None, "max": None, "sum": None}
    return {"avg": sum(nums) / len(nums), "min": min(nums), "max": max(nums), "sum": sum(nums)}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_group_by_town_matches_python(seed: int) -> None:
    drops = _drops(seed)
    request = {
        "output": ["$count", "$avg:windSpeed", "$min:temp", "$max:temp", "$sum:windSpeed"],
        "groupBy": ["town"],
    }
    result = aggregate(drops, request)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in drops:
        groups[d["elems"]["town"]].append(d)
    assert [row["town"] for row in result] == sorted(groups)
    for row in result:
        members = groups[row["town"]]
        wind = _stats([_value(d, "windSpeed") for d in members])
        temp = _stats([_value(d, "temp") for d in members])
        assert set(row) == {"town", *request["output"]}
        assert row["$count"] == len(members)
        assert row["$avg:windSpeed"] == pytest.approx(wind["avg"])
        assert row["$sum:windSpeed"] == pytest.approx(wind["sum"])
        assert row["$min:temp"] == temp["min"]
        assert row["$max:temp"] == temp["max"]


@pytest.mark.parametrize("seed", [4, 5])
def test_filter_rules_and_date_group(seed: int) -> None:
    drops = _drops(seed)
    request = {
        "output": ["$count", "$avg:hot", "$sum:hot", "$avg:temp"],
        "groupBy": ["$month", "hot"],
        "filter": "town != 'Bronx'",
        "rules": {"hot": "temp > 20"},
    }
    result = aggregate(drops, request)
    expected: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for d in drops:
        if d["elems"]["town"] == "Bronx":
            continue
        month = dt.datetime.fromtimestamp(d["creationDate"] / 1000, tz=dt.timezone.utc).month
        temp = d["elems"].get("temp")
        hot = int(temp is not None and temp > 20)
        expected[(month, hot)].append(d)
    assert [(r["$month"], r["hot"]) for r in result] == sorted(expected)
    for row in result:
        members = expected[(row["$month"], row["hot"])]
        assert row["$count"] == len(members)
        assert row["$avg:hot"] == row["hot"]  # every drop of the group has the same flag
        assert row["$sum:hot"] == row["hot"] * len(members)
        temp = _stats([_value(d, "temp") for d in members])
        assert row["$avg:temp"] == pytest.approx(temp["avg"])


def test_rule_fraction_with_empty_group_by() -> None:
    drops = _drops(6)
    result = aggregate(
        drops, {"output": ["$avg:hot", "$count"], "groupBy": [], "rules": {"hot": "temp > 20"}}
    )
    hot = [int(_value(d, "temp") is not None and _value(d, "temp") > 20) for d in drops]
    assert result == [{"$avg:hot": pytest.approx(sum(hot) / len(hot)), "$count": len(drops)}]


@pytest.mark.parametrize(
    ("selector", "part"),
    [
        pytest.param("$year", lambda d: d.year, id="year"),
        pytest.param("$month:creationDate", lambda d: d.month, id="month-field"),
        pytest.param("$day", lambda d: d.day, id="day"),
        pytest.param("$hour", lambda d: d.hour, id="hour"),
        pytest.param("$minute", lambda d: d.minute, id="minute"),
        pytest.param("$week", lambda d: d.isocalendar()[1], id="week"),
    ],
)
def test_date_selectors(selector: str, part: Any) -> None:
    drops = _drops(7, 300)
    result = aggregate(drops, {"output": ["$count"], "groupBy": [selector]})
    counts: dict[int, int] = defaultdict(int)
    for d in drops:
        counts[part(dt.datetime.fromtimestamp(d["creationDate"] / 1000, tz=dt.timezone.utc))] += 1
    assert result == [{selector: k, "$count": v} for k, v in sorted(counts.items())]


def test_date_selector_on_element_typed_and_missing() -> None:
    june = 1_433_116_800_000  # 2015-06-01
    drops = [
        {"creationDate": 0, "elems": {"when": {"type": "date", "value": june}}},
        {"creationDate": 0, "elems": {"when": june}},
        {"creationDate": 0, "elems": {"when": "yesterday"}},
        {"creationDate": 0, "elems": {}},
    ]
    result = aggregate(drops, {"output": ["$count"], "groupBy": ["$month:when"]})
    assert result == [{"$month:when": None, "$count": 2}, {"$month:when": 6, "$count": 2}]


def test_sorts() -> None:
    drops = _drops(8)
    base = {"output": ["$count", "$avg:temp"], "groupBy": ["town"]}
    desc = aggregate(drops, {**base, "sorts": ["-$count"]})
    assert [r["$count"] for r in desc] == sorted((r["$count"] for r in desc), reverse=True)
    asc = aggregate(drops, {**base, "sorts": ["+$avg:temp"]})
    assert [r["$avg:temp"] for r in asc] == sorted(r["$avg:temp"] for r in asc)
    # a bare field names the output selector on it (python client test style)
    assert aggregate(drops, {**base, "sorts": ["temp"]}) == asc
    by_town_desc = aggregate(drops, {**base, "sorts": ["-town"]})
    assert [r["town"] for r in by_town_desc] == sorted(TOWNS, reverse=True)
    # a member that is no output ties everywhere (Mongo's $sort after $group): not a 400
    assert aggregate(drops, {**base, "sorts": ["nope"]}) == aggregate(drops, base)
    assert aggregate(drops, {**base, "sorts": ["nope", "-town"]}) == by_town_desc


def test_sort_ties_fall_back_to_group_keys_and_nulls_first() -> None:
    drops: list[dict[str, Any]] = [
        {"elems": {"k": "b", "v": 1}},
        {"elems": {"k": "a", "v": 1}},
        {"elems": {"v": 2}},
        {"elems": {"k": "c", "v": "x"}},
    ]
    result = aggregate(drops, {"output": ["$max:v"], "groupBy": ["k"], "sorts": ["$max:v"]})
    assert result == [
        {"k": "c", "$max:v": None},
        {"k": "a", "$max:v": 1},
        {"k": "b", "$max:v": 1},
        {"k": None, "$max:v": 2},
    ]
    default = aggregate(drops, {"output": ["$count"], "groupBy": ["k"]})
    assert [r["k"] for r in default] == [None, "a", "b", "c"]


def test_no_drops_and_no_match() -> None:
    assert aggregate([], {"output": ["$count"], "groupBy": []}) == []
    drops = _drops(9, 10)
    assert (
        aggregate(drops, {"output": ["$count"], "groupBy": ["town"], "filter": "temp > 1000"}) == []
    )


def test_ints_and_floats_group_together_and_sum_type() -> None:
    drops: list[dict[str, Any]] = [
        {"elems": {"g": 1, "v": 2}},
        {"elems": {"g": 1.0, "v": 3}},
        {"elems": {"g": True, "v": 1.5}},
    ]
    result = aggregate(drops, {"output": ["$sum:v", "$count"], "groupBy": ["g"]})
    assert result == [{"g": True, "$sum:v": 1.5, "$count": 1}, {"g": 1, "$sum:v": 5, "$count": 2}]
    assert isinstance(result[1]["$sum:v"], int)


def test_dotted_and_top_level_fields() -> None:
    drops: list[dict[str, Any]] = [
        {"creationDate": 5, "elems": {"stats": {"type": "map", "value": {"volt": 10}}}},
        {"creationDate": 7, "elems": {"stats": {"volt": 20}}},
    ]
    result = aggregate(
        drops,
        {
            "output": ["$avg:stats.volt", "$max:creationDate", "$min:elems.stats.volt"],
            "groupBy": [],
        },
    )
    assert result == [
        {"$avg:stats.volt": 15.0, "$max:creationDate": 7, "$min:elems.stats.volt": 10}
    ]


def test_a_missing_group_by_is_one_group_as_the_documented_1_0_5_call_sends() -> None:
    drops = _drops(10, 5)
    one_group = aggregate(drops, {"output": ["$count"], "groupBy": []})
    assert aggregate(drops, {"output": ["$count"]}) == one_group
    assert aggregate(drops, {"output": ["$count"], "groupBy": None}) == one_group
    assert one_group == [{"$count": len(drops)}]


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param({"groupBy": ["a"]}, id="no-output"),
        pytest.param({"output": "$count", "groupBy": ["a"]}, id="output-not-list"),
        pytest.param({"output": ["$count"], "groupBy": "a"}, id="groupBy-not-list"),
        pytest.param({"output": [], "groupBy": ["a"]}, id="output-empty"),
        pytest.param({"output": [1], "groupBy": ["a"]}, id="output-not-string"),
        pytest.param({"output": ["$median:a"], "groupBy": []}, id="unknown-op"),
        pytest.param({"output": ["$avg"], "groupBy": []}, id="avg-without-field"),
        pytest.param({"output": ["$avg:"], "groupBy": []}, id="avg-empty-field"),
        pytest.param({"output": ["temp"], "groupBy": []}, id="bare-output"),
        pytest.param({"output": ["$count"], "groupBy": ["$quarter"]}, id="unknown-date"),
        pytest.param({"output": ["$count"], "groupBy": ["a..b"]}, id="bad-path"),
        pytest.param({"output": ["$count"], "groupBy": [], "filter": "a >"}, id="bad-filter"),
        pytest.param({"output": ["$count"], "groupBy": [], "filter": 3}, id="filter-not-string"),
        pytest.param({"output": ["$count"], "groupBy": [], "rules": {"r": "=="}}, id="bad-rule"),
        pytest.param(
            {"output": ["$count"], "groupBy": [], "rules": ["a > 1"]}, id="rules-not-object"
        ),
        pytest.param(
            {"output": ["$count"], "groupBy": [], "rules": {"$r": "a > 1"}}, id="rule-name"
        ),
        pytest.param({"output": ["$count"], "groupBy": [], "sorts": "x"}, id="sorts-not-list"),
    ],
)
def test_bad_requests(request_: dict[str, Any]) -> None:
    with pytest.raises(AggregationError) as info:
        aggregate(_drops(10, 5), request_)
    assert isinstance(info.value, ValueError)
    assert str(info.value)


def test_request_not_object() -> None:
    with pytest.raises(AggregationError):
        aggregate([], ["output"])  # type: ignore[arg-type]


def test_age_uses_now_ms() -> None:
    drops = [{"creationDate": 1000, "elems": {}}, {"creationDate": 9000, "elems": {}}]
    request = {"output": ["$count"], "groupBy": [], "filter": "AGE < 5000"}
    assert aggregate(drops, request, now_ms=10_000) == [{"$count": 1}]
