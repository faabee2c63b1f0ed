"""Query features end to end: filter, paging, sorting, projection, references."""

from __future__ import annotations

from typing import Any

import pytest

from flowthings import AGE, EXISTS, FlowThingsBadRequest, mem
from flowthings.local.base import ids as _ids
from flowthings.local.testing import LocalPlatform

API = Any


@pytest.fixture
def a(flowthings_api: API) -> str:
    name: str = flowthings_api.creds.account
    return name


@pytest.fixture
def weather(flowthings_api: API, a: str) -> dict[str, Any]:
    flow: dict[str, Any] = flowthings_api.flow.create({"path": f"/{a}/weather"})
    for city, temp, tags in [
        ("Brooklyn", 18, ["sea"]),
        ("Queens", 22, ["sea", "park"]),
        ("Harlem", 25, ["park"]),
        ("Astoria", 16, []),
    ]:
        flowthings_api.drop(flow["id"]).create(
            {"elems": {"city": city, "temp": temp, "tags": tags}}
        )
    return flow


def cities(drops: list[dict[str, Any]]) -> list[str]:
    return [d["elems"]["city"] for d in drops]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        pytest.param(mem.elems.temp > 20, ["Harlem", "Queens"], id="gt"),
        pytest.param(mem.elems.city == "Queens", ["Queens"], id="eq-string"),
        pytest.param("temp <= 18", ["Astoria", "Brooklyn"], id="bare-element-name"),
        pytest.param(mem.elems.city.re("^[ab]", "i"), ["Astoria", "Brooklyn"], id="regex"),
        pytest.param(mem.elems.city.IN("Harlem", "Nowhere"), ["Harlem"], id="in"),
        pytest.param(mem.elems.tags.CONTAINS("sea"), ["Queens", "Brooklyn"], id="contains"),
        pytest.param(EXISTS(mem.elems.nope), [], id="exists"),
        pytest.param(AGE < 600000, ["Astoria", "Harlem", "Queens", "Brooklyn"], id="age"),
        pytest.param(
            (mem.elems.temp > 17).OR(mem.elems.city == "Astoria"),
            ["Astoria", "Harlem", "Queens", "Brooklyn"],
            id="or",
        ),
    ],
)
def test_filters(
    flowthings_api: API, weather: dict[str, Any], flt: Any, expected: list[str]
) -> None:
    drops = flowthings_api.drop(weather["id"])
    got = drops.find(filter=flt, hints=0) if isinstance(flt, str) else drops.find(flt, hints=0)
    assert sorted(cities(got)) == sorted(expected)


def test_filters_on_other_resources(flowthings_api: API, a: str) -> None:
    flowthings_api.flow.create({"path": f"/{a}/x", "description": "one"})
    flowthings_api.flow.create({"path": f"/{a}/y", "description": "two"})
    got = flowthings_api.flow.find(mem.description == "two")
    assert [f["path"] for f in got] == [f"/{a}/y"]
    got = flowthings_api.flow.find(mem.path.re(f"^/{a}/x$"))
    assert [f["path"] for f in got] == [f"/{a}/x"]


def test_default_order_is_newest_first(flowthings_api: API, weather: dict[str, Any]) -> None:
    drops = flowthings_api.drop(weather["id"])
    assert cities(drops.find(hints=0)) == ["Astoria", "Harlem", "Queens", "Brooklyn"]
    assert cities(drops.find(order="asc", hints=0)) == ["Brooklyn", "Queens", "Harlem", "Astoria"]
    assert cities(drops.find(limit=1, order="desc", hints=0)) == ["Astoria"]


def test_sort_by_member(flowthings_api: API, weather: dict[str, Any]) -> None:
    drops = flowthings_api.drop(weather["id"])
    asc = drops.find(sort="elems.temp", order="asc", hints=0)
    assert cities(asc) == ["Astoria", "Brooklyn", "Queens", "Harlem"]
    desc = drops.find(sort="temp", hints=0)  # bare element name, default desc
    assert cities(desc) == ["Harlem", "Queens", "Brooklyn", "Astoria"]
    by_typed = drops.find(sort="elems.city", order="asc")  # typed rendering, same order
    assert [d["elems"]["city"]["value"] for d in by_typed] == sorted(cities(asc))


def test_missing_sort_member_comes_last(flowthings_api: API, a: str) -> None:
    for name, desc in (("a", "m"), ("b", None), ("c", "z")):
        body = {"path": f"/{a}/{name}", **({"description": desc} if desc else {})}
        flowthings_api.flow.create(body)
    for order, first in (("asc", "a"), ("desc", "c")):
        got = [f["path"][-1] for f in flowthings_api.flow.find(sort="description", order=order)]
        assert got[0] == first
        assert got[-1] == "b"


def test_paging(flowthings_api: API, weather: dict[str, Any]) -> None:
    drops = flowthings_api.drop(weather["id"])
    assert cities(drops.find(limit=2, hints=0)) == ["Astoria", "Harlem"]
    assert cities(drops.find(limit=2, start=2, hints=0)) == ["Queens", "Brooklyn"]
    assert cities(drops.find(limit=2, skip=1, hints=0)) == ["Harlem", "Queens"]
    assert cities(drops.find(mem.elems.temp > 17, limit=1, start=1, hints=0)) == ["Queens"]
    assert drops.find(limit=0) == []
    assert drops.find(start=10) == []


def test_limit_default_and_maximum(
    flowthings_platform: LocalPlatform, flowthings_api: API, a: str
) -> None:
    flow = flowthings_api.flow.create({"path": f"/{a}/many", "capacity": 5000})
    now = _ids.now_ms()
    flowthings_platform.platform.store.insert_drops(
        a,
        flow["id"],
        (
            {
                "id": _ids.new_id("drop"),
                "flowId": flow["id"],
                "path": flow["path"],
                "creationDate": now + i,
                "lastEditDate": now + i,
                "elems": {"i": i},
            }
            for i in range(1100)
        ),
    )
    drops = flowthings_api.drop(flow["id"])
    assert len(drops.find()) == 20
    assert len(drops.find(limit=5000)) == 1000
    assert drops.find(limit=1, hints=0)[0]["elems"]["i"] == 1099
    assert [d["elems"]["i"] for d in drops.find(mem.elems.i % 500 == 0, hints=0)] == [1000, 500, 0]


def test_only_projection(flowthings_api: API, weather: dict[str, Any]) -> None:
    got = flowthings_api.drop(weather["id"]).find(only=["elems.city"], limit=1, hints=0)
    assert got == [{"id": got[0]["id"], "elems": {"city": "Astoria"}}]
    flows = flowthings_api.flow.find(only=["path", "nope"])
    assert flows == [{"id": weather["id"], "path": weather["path"]}]
    one = flowthings_api.flow.read(weather["id"], only=["capacity"])
    assert one == {"id": weather["id"], "capacity": 1000}


def test_refs(flowthings_api: API, weather: dict[str, Any]) -> None:
    drops, refs = flowthings_api.drop(weather["id"]).find(limit=1, refs=True)
    assert refs[weather["id"]]["path"] == weather["path"]
    assert refs[drops[0]["creatorId"]]["name"] == flowthings_api.creds.account
    assert "masterToken" not in refs[drops[0]["creatorId"]]  # never leaked through references
    assert flowthings_api.creds.token not in repr(refs)
    flow, refs = flowthings_api.flow.read(weather["id"], refs=True)
    assert set(refs) == {flow["creatorId"]}
    assert flowthings_api.drop(weather["id"]).find(limit=1, refs=False)[0]["id"] == drops[0]["id"]


def test_multi_flow_find(flowthings_api: API, a: str, weather: dict[str, Any]) -> None:
    other = flowthings_api.flow.create({"path": f"/{a}/other"})
    flowthings_api.drop(other["id"]).create({"elems": {"a": 1}})
    flowthings_api.drop(other["id"]).create({"elems": {"b": 1}})
    got = flowthings_api.drop.find_in_flows(
        {
            weather["id"]: {"limit": 2, "hints": 0},
            other["id"]: {"filter": EXISTS(mem.elems.a)},
        }
    )
    assert cities(got[weather["id"]]) == ["Astoria", "Harlem"]
    assert [d["elems"] for d in got[other["id"]]] == [{"a": {"type": "integer", "value": 1}}]


def test_bad_filter_is_a_400_naming_the_problem(
    flowthings_api: API, weather: dict[str, Any]
) -> None:
    with pytest.raises(FlowThingsBadRequest) as exc:
        flowthings_api.drop(weather["id"]).find(filter="elems.temp >>> 3")
    assert exc.value.status == 400
    assert exc.value.errors[0].startswith("Invalid filter:")
