"""The fast paths of the local platform give the answers of the slow ones.

* sorting by a member keeps only ``start + limit`` objects in a heap: same
  page as sorting everything (ties in input order, missing members last);
* ``Store.has_kind`` (the cheap "any tracks?" check);
* which calls leave the event loop (``http.app._may_block``): drop writes only
  when the account has tracks, and then tracks still run;
* the scalar fast paths of ``plain``/``is_number`` agree with the general rule;
* a call without query parameters gets the same ``Query`` as parsing gives.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from flowthings.local.core.calls import Call
from flowthings.local.core.platform import Platform
from flowthings.local.http.app import _may_block
from flowthings.local.query.elements import plain
from flowthings.local.query.evaluate import MISSING, is_number, resolve
from flowthings.local.query.params import Query, _sort_key, parse_query, run_query
from flowthings.local.storage.store import Store

# -- sort by a member: heap vs full sort ---------------------------------------------


def _reference(objs: list[dict[str, Any]], q: Query) -> list[dict[str, Any]]:
    """The former implementation: sort everything, then page."""
    present: list[tuple[Any, dict[str, Any]]] = []
    missing: list[tuple[Any, dict[str, Any]]] = []
    for o in objs:
        v = resolve(o, q.sort.split("."), drop=True)
        (missing if v is MISSING else present).append((_sort_key(v), o))
    present.sort(key=lambda p: p[0], reverse=q.descending)
    ordered = [o for _, o in present] + [o for _, o in missing]
    return ordered[q.skip : q.skip + q.limit]


def _drops(seed: int, n: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    values: list[Any] = [1, 2, 2.0, 3, "a", "b", True, False, None, [1], {"x": 1}]
    out = []
    for i in range(n):
        elems: dict[str, Any] = {"i": i}
        r = rng.random()
        if r < 0.6:
            elems["k"] = rng.choice(values)  # many ties
        elif r < 0.8:
            elems["k"] = {"type": "integer", "value": rng.randint(0, 3)}
        out.append({"id": f"d{i}", "creationDate": i, "elems": elems})
    return out


@pytest.mark.parametrize("descending", [True, False], ids=["desc", "asc"])
@pytest.mark.parametrize(
    ("skip", "limit"),
    [
        pytest.param(0, 20, id="first-page"),
        pytest.param(7, 5, id="middle"),
        pytest.param(0, 0, id="limit-0"),
        pytest.param(0, 1000, id="all"),
        pytest.param(150, 40, id="into-missing"),
        pytest.param(400, 10, id="past-the-end"),
    ],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sort_page_equals_full_sort(seed: int, skip: int, limit: int, descending: bool) -> None:
    objs = _drops(seed, 200)
    q = Query(sort="elems.k", descending=descending, skip=skip, limit=limit)
    got = run_query(iter(objs), q, drop=True, now_ms=0)
    assert [o["id"] for o in got] == [o["id"] for o in _reference(objs, q)]


# -- Store.has_kind ------------------------------------------------------------------


def test_has_kind_follows_inserts_and_deletes() -> None:
    store = Store()
    try:
        assert not store.has_kind("a", "track")
        store.insert("a", "track", {"id": "t1", "creationDate": 1})
        assert store.has_kind("a", "track")
        assert not store.has_kind("b", "track")
        assert not store.has_kind("a", "flow")
        store.delete("t1")
        assert not store.has_kind("a", "track")
    finally:
        store.close()


# -- which calls leave the event loop -----------------------------------------------


def _call(method: str, *segments: str) -> Call:
    return Call(method=method, version="0.1", account="acc", segments=list(segments))


@pytest.mark.parametrize(
    ("call", "with_track", "expected"),
    [
        pytest.param(_call("POST", "drop", "f1"), False, False, id="drop-write-no-tracks"),
        pytest.param(_call("POST", "drop"), False, False, id="drop-by-path-no-tracks"),
        pytest.param(_call("POST", "drop", "f1"), True, True, id="drop-write-with-tracks"),
        pytest.param(_call("POST", "drop"), True, True, id="drop-by-path-with-tracks"),
        pytest.param(_call("POST", "drop", "f1", "aggregate"), False, True, id="aggregate"),
        pytest.param(_call("POST", "track", "simulate"), False, True, id="simulate"),
        pytest.param(_call("GET", "drop", "f1"), True, False, id="find"),
        pytest.param(_call("POST", "flow"), True, False, id="create-flow"),
        pytest.param(_call("POST"), True, False, id="no-segments"),
    ],
)
def test_may_block(call: Call, with_track: bool, expected: bool) -> None:
    platform = Platform()
    try:
        if with_track:
            platform.store.insert("acc", "track", {"id": "t1", "creationDate": 1})
        assert _may_block(platform, call) is expected
    finally:
        platform.close()


def test_drop_writes_on_the_loop_then_through_tracks(flowthings_api: Any) -> None:
    """A write without tracks is answered on the loop; once a track exists it routes."""
    api, a = flowthings_api, flowthings_api.creds.account
    src = api.flow.create({"path": f"/{a}/perf/src"})
    dst = api.flow.create({"path": f"/{a}/perf/dst"})
    api.drop(src["id"]).create({"elems": {"n": 1}})
    assert api.drop(dst["id"]).find() == []
    api.track.create({"source": src["path"], "destination": dst["path"]})
    api.drop(src["id"]).create({"elems": {"n": 2}})
    assert [d["elems"]["n"] for d in api.drop(dst["id"]).find(hints=0)] == [2]


# -- scalar fast paths ---------------------------------------------------------------


class _Int(int):
    pass


@pytest.mark.parametrize(
    ("value", "number"),
    [
        pytest.param(1, True, id="int"),
        pytest.param(1.5, True, id="float"),
        pytest.param(True, False, id="bool"),
        pytest.param(_Int(3), True, id="int-subclass"),
        pytest.param("1", False, id="str"),
        pytest.param(None, False, id="null"),
    ],
)
def test_is_number(value: Any, number: bool) -> None:
    assert is_number(value) is number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(3, 3, id="scalar"),
        pytest.param({"type": "integer", "value": 3}, 3, id="typed"),
        pytest.param(
            {"type": "list", "value": [{"type": "float", "value": 1.5}]}, [1.5], id="list"
        ),
        pytest.param({"a": {"type": "string", "value": "x"}}, {"a": "x"}, id="map"),
        pytest.param(None, None, id="null"),
    ],
)
def test_plain(value: Any, expected: Any) -> None:
    assert plain(value) == expected


# -- unfiltered pages: the offset is skipped by SQLite -------------------------------


@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize(
    ("start", "limit"),
    [
        pytest.param(0, 20, id="first"),
        pytest.param(63, 5, id="across-first-batch"),
        pytest.param(100, 250, id="several-batches"),
        pytest.param(299, 10, id="last"),
        pytest.param(300, 10, id="past-the-end"),
    ],
)
def test_unfiltered_page_equals_slice_of_everything(order: str, start: int, limit: int) -> None:
    platform = Platform()
    try:
        creds = platform.create_account("acc", "tok")
        p = platform.authenticate(creds.token)
        flow = platform.create(p, "acc", "flow", {"path": "/acc/f"})
        drops = [
            # creation dates repeat, so ties are broken by insertion order
            {"id": f"d{i:03d}", "flowId": flow["id"], "creationDate": i // 7, "elems": {"i": i}}
            for i in range(300)
        ]
        platform.store.insert_drops("acc", flow["id"], drops)

        def ids(**params: str) -> list[str]:
            q = parse_query({"order": order, **params})
            return [d["id"] for d in platform.find_drops(p, "acc", flow, q)]

        everything = [d["id"] for d in drops]  # oldest first, ties in insertion order
        if order == "desc":
            everything.reverse()
        assert ids(limit="1000") == everything
        # a filter keeps the scan in Python: same page
        assert (
            ids(filter="elems.i >= 0", start=str(start), limit=str(limit))
            == (everything[start : start + limit])
        )
        assert ids(start=str(start), limit=str(limit)) == everything[start : start + limit]
        assert ids(skip=str(start), limit=str(limit)) == everything[start : start + limit]
    finally:
        platform.close()


# -- no parameters: the cached defaults ----------------------------------------------


@pytest.mark.parametrize("version", ["0.1", "0.9", "4.0", "1.0"])
def test_no_parameters_give_the_parsed_defaults(version: str) -> None:
    # {"order": "desc"} takes the parsing path and asks for the default order
    assert parse_query({}, version=version) == parse_query({"order": "desc"}, version=version)
    assert parse_query({}, version=version).typed is version.startswith("0.")
