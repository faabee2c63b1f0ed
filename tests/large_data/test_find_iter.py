"""`find_iter`: cursor paging on the local platform, plain and typed doors."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from flowthings import API, FlowThingsError, mem
from flowthings.local.testing import LocalPlatform
from flowthings.models import Drop, Flow
from flowthings.services._paging import Pager, sort_value

from .conftest import bulk_fill


@pytest.fixture
def flow_id(flowthings_api: API) -> str:
    flow = flowthings_api.flow.create({"path": f"/{flowthings_api.creds.account}/big"})
    fid: str = flow["id"]
    return fid


def _ids(items: Any) -> list[str]:
    return [d["id"] for d in items]


# ---------------------------------------------------------------- the state machine


def test_pager_requests_follow_the_cursor() -> None:
    pager = Pager((mem.elems.x > 1,), {"sort": "elems.n", "order": "asc"}, page_size=3)
    first = pager.next_request()
    assert first is not None
    assert [str(f) for f in first.filters] == ["elems.x > 1"]
    assert first.params == {"sort": "elems.n", "order": "asc", "limit": 3}
    page = [
        {"id": "d1", "elems": {"n": 1}},
        {"id": "d2", "elems": {"n": 2}},
        {"id": "d3", "elems": {"n": 2}},
    ]
    assert _ids(pager.feed(page)) == ["d1"]  # the trailing ties wait for the tie phase
    ties = pager.next_request()
    assert ties is not None
    assert [str(f) for f in ties.filters] == ["elems.x > 1", "elems.n == 2"]
    assert ties.params["sort"] == "id"
    assert _ids(pager.feed(page[1:])) == ["d2", "d3"]
    after = pager.next_request()
    assert after is not None
    assert [str(f) for f in after.filters][1:] == ["elems.n > 2"]
    assert pager.feed([]) == []
    missing = pager.next_request()
    assert missing is not None
    assert [str(f) for f in missing.filters][1:] == ["NOT EXISTS elems.n"]
    assert _ids(pager.feed([{"id": "d9", "elems": {}}])) == ["d9"]
    assert pager.next_request() is None


@pytest.mark.parametrize(
    ("params", "error"),
    [
        pytest.param({"start": 10}, TypeError, id="start"),
        pytest.param({"skip": 10}, TypeError, id="skip"),
        pytest.param({"refs": True}, TypeError, id="refs"),
        pytest.param({"order": "up"}, ValueError, id="order"),
        pytest.param({"limit": -1}, ValueError, id="limit"),
        # The escape hatch cannot smuggle an offset past the cursor either.
        pytest.param({"extra_params": {"start": 10}}, TypeError, id="extra-start"),
        pytest.param({"extra_params": {"order": "up"}}, ValueError, id="extra-order"),
        pytest.param({"limit": 1, "extra_params": {"limit": 2}}, TypeError, id="extra-twice"),
    ],
)
def test_find_iter_refuses_bad_arguments_before_any_request(
    flowthings_api: API, params: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        flowthings_api.flow.find_iter(**params)


@pytest.mark.parametrize("size", [0, 1001, True])
def test_page_size_is_checked(flowthings_api: API, size: int) -> None:
    with pytest.raises(ValueError, match="page_size"):
        flowthings_api.flow.find_iter(page_size=size)


def test_unorderable_sort_values_fail_clearly() -> None:
    pager = Pager((), {"sort": "elems.flag"}, page_size=1)
    with pytest.raises(FlowThingsError, match="not a number or a string"):
        pager.feed([{"id": "d1", "elems": {"flag": True}}])


def test_a_sort_member_holding_numbers_and_strings_fails_instead_of_losing_items() -> None:
    pager = Pager((), {"sort": "elems.k", "order": "asc"}, page_size=3)
    page = [{"id": "d1", "elems": {"k": 1}}, {"id": "d2", "elems": {"k": "a"}}]
    with pytest.raises(FlowThingsError, match="both numbers and strings"):
        pager.feed(page)


# ---------------------------------------------------------------- end to end


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_every_drop_once_in_order_across_tie_groups(
    flowthings_platform: LocalPlatform, flowthings_api: API, flow_id: str, order: str
) -> None:
    ids = bulk_fill(
        flowthings_platform, flowthings_api, flow_id, ({"i": i} for i in range(257)), same_ms=7
    )
    got = list(flowthings_api.drop(flow_id).find_iter(order=order, page_size=10))
    assert sorted(_ids(got)) == sorted(ids)
    assert len(got) == len(ids)
    dates = [d["creationDate"] for d in got]
    assert dates == sorted(dates, reverse=order == "desc")


def test_default_order_is_the_platforms_newest_first(
    flowthings_platform: LocalPlatform, flowthings_api: API, flow_id: str
) -> None:
    bulk_fill(flowthings_platform, flowthings_api, flow_id, ({"i": i} for i in range(30)))
    got = list(flowthings_api.drop(flow_id).find_iter(page_size=7))
    assert _ids(got) == _ids(flowthings_api.drop(flow_id).find(limit=100))


def test_sort_on_an_element_with_ties_missing_members_filters_and_only(
    flowthings_platform: LocalPlatform, flowthings_api: API, flow_id: str
) -> None:
    elems = [{"n": i % 5, "keep": i % 3 != 0} if i % 11 else {"keep": True} for i in range(120)]
    bulk_fill(flowthings_platform, flowthings_api, flow_id, elems)
    drops = flowthings_api.drop(flow_id)
    keep = mem.elems.keep == True  # noqa: E712
    everything = drops.find(keep, limit=1000)
    got = list(
        drops.find_iter(keep, sort="elems.n", order="desc", only=["elems.keep"], page_size=4)
    )
    assert sorted(_ids(got)) == sorted(_ids(everything))
    assert len(set(_ids(got))) == len(got)
    keyed = [sort_value(d, "elems.n") for d in got if "n" in d["elems"]]
    assert keyed == sorted(keyed, reverse=True)
    assert all("n" not in d["elems"] for d in got[len(keyed) :])  # missing members come last
    assert all(set(d) <= {"id", "elems"} for d in got)  # only= plus the cursor members


def test_limit_caps_the_total(
    flowthings_platform: LocalPlatform, flowthings_api: API, flow_id: str
) -> None:
    bulk_fill(flowthings_platform, flowthings_api, flow_id, ({"i": i} for i in range(50)))
    assert len(list(flowthings_api.drop(flow_id).find_iter(limit=23, page_size=10))) == 23


def test_flows_and_the_typed_doors(
    flowthings_platform: LocalPlatform, flowthings_api: API, flow_id: str
) -> None:
    account = flowthings_api.creds.account
    for i in range(12):
        flowthings_api.flow.create({"path": f"/{account}/f{i:02}"})
    flows = list(flowthings_api.flow.typed.find_iter(sort="path", order="asc", page_size=5))
    assert all(isinstance(f, Flow) for f in flows)
    paths = [f.path for f in flows]
    assert paths == sorted(paths)
    assert len(paths) == 13
    bulk_fill(flowthings_platform, flowthings_api, flow_id, ({"i": i} for i in range(9)))
    drops = list(flowthings_api.drop(flow_id).typed.find_iter(page_size=2, only=["elems.i"]))
    assert len(drops) == 9
    assert all(isinstance(d, Drop) for d in drops)


def test_no_duplicate_and_no_miss_while_writers_add(
    flowthings_platform: LocalPlatform, flowthings_api: API, flow_id: str
) -> None:
    before = set(
        bulk_fill(
            flowthings_platform, flowthings_api, flow_id, ({"i": i} for i in range(400)), same_ms=3
        )
    )
    stop = threading.Event()
    written: list[str] = []

    def writer() -> None:
        # A bounded number of writes: an ascending iteration may follow the
        # writers to the end of the flow, and must end.
        with flowthings_platform.api_for(flowthings_api.creds) as api:
            for _ in range(150):
                if stop.is_set():
                    return
                written.append(api.drop(flow_id).create({"elems": {"new": True}})["id"])

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for order in ("asc", "desc"):
            got = _ids(flowthings_api.drop(flow_id).find_iter(order=order, page_size=17))
            assert len(got) == len(set(got)), "a drop was yielded twice"
            assert before <= set(got), "a drop that existed throughout was missed"
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert written, "the writers never ran"


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        pytest.param("elems.a == 1", (None, None), id="unrelated"),
        pytest.param("creationDate > 5", (5, None), id="lower"),
        pytest.param(
            "(x == 1) && ((creationDate > 5) || (creationDate == 5 && id > 'd1'))",
            (5, None),
            id="cursor",
        ),
        pytest.param("creationDate == Date(7) && id < 'x'", (7, 7), id="ties"),
        pytest.param("creationDate >= 3 || a == 1", (None, None), id="or-unbounded"),
        pytest.param("NOT creationDate > 3", (None, None), id="not"),
        pytest.param("(creationDate > 3) && (creationDate <= 9)", (3, 9), id="range"),
    ],
)
def test_the_platform_reads_only_the_creation_date_range_a_filter_implies(
    text: str, bounds: tuple[float | None, float | None]
) -> None:
    from flowthings.local.query.bounds import date_bounds

    assert date_bounds(text) == bounds


def test_extra_params_reach_every_page(
    flowthings_platform: LocalPlatform, flowthings_api: API, flow_id: str
) -> None:
    bulk_fill(flowthings_platform, flowthings_api, flow_id, ({"i": i} for i in range(7)))
    drops = flowthings_api.drop(flow_id).find_iter(
        page_size=3, order="asc", extra_params={"sort": "elems.i", "hints": 0}
    )
    assert [d["elems"]["i"] for d in drops] == list(range(7))
