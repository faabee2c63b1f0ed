"""The SQL find path answers exactly what the Python evaluator answers.

``core.find_sql.find_drops`` lets SQLite pre-filter (``query.sql``) and order
element sorts, both on the ``drop_elems`` side table and on the JSON text;
the reference is ``run_query`` over every stored drop (the
evaluator on each one). Random filters over random drops, typed wrappers,
drop references, escaped NULs, huge integers and near-equal floats included.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowthings.local.core import find_sql
from flowthings.local.core.find_sql import find_drops
from flowthings.local.query.params import parse_query, run_query
from flowthings.local.query.sql import drop_prefilter, member_paths
from flowthings.local.storage.store import Store

_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

NOW = 1_700_000_100_000
_ids = itertools.count()

_TYPES = ["integer", "float", "string", "boolean", "date", "list", "map", "dropRef", "custom"]

_POOL = [None, True, False, 0, 1, -1, 2.5, 0.1, 1e-300, 10**30, 1_700_000_000_003,
         "a", "b", "", "a\x00b", "d1", "f1"]  # fmt: skip
_scalars = (
    st.sampled_from(_POOL)  # mostly values the literals below name
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.30000000000000004, 2.4999999999999996, 2.5000000000000004, -0.0])
    | st.sampled_from(["A", "é", "ab", "\U0001f600"])
)


_KEYS = st.sampled_from(["x", "y", "value", "type", "flowId", "dropId"])


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.fixed_dictionaries({"type": st.sampled_from(_TYPES), "value": children})
        | st.fixed_dictionaries({"type": st.sampled_from(_TYPES), "value": children})
        | st.lists(children, max_size=3)
        | st.dictionaries(_KEYS, children, max_size=3)
    )


_json = st.recursive(_scalars, _extend, max_leaves=6)

_elems = st.dictionaries(st.sampled_from(["x", "y", "n", "location"]), _json, max_size=4)
_drops = st.lists(
    st.fixed_dictionaries(
        {"elems": _elems | st.fixed_dictionaries({"type": st.just("map"), "value": _elems})},
        optional={"location": _json},
    ),
    max_size=14,
)

# the shapes the SQL must not lose, whatever hypothesis draws
_TRICKY = [
    {"elems": {"x": {"type": "integer", "value": 1}}},
    {"elems": {"x": {"type": "string", "value": "a"}}},
    {"elems": {"x": {"type": "map", "value": {"y": {"type": "float", "value": 2.5}}}}},
    {"elems": {"type": "map", "value": {"x": 1, "n": "a"}}},
    {"elems": {"x": {"flowId": "f1", "dropId": "d1"}}},
    {"elems": {"x": {"type": "dropRef", "value": {"flowId": "f1", "dropId": "d1"}}}},
    {"elems": {"x": "a\x00b", "y": "a"}},
    {"elems": {"x": 0.30000000000000004, "n": 10**30}},
    {"elems": {"x": [1, "a"]}, "location": {"lat": 0, "lon": 0}},
    {"elems": {"location": {"lat": 2.5, "lon": 1}}},
    {"elems": {"x": True, "y": None}},
    {"elems": {"x": {"type": "list", "value": {"type": "integer", "value": 0}}}},  # nested
]

_members = st.sampled_from(
    ["x", "y", "n", "elems.x", "x.value", "x.y", "location", "location.lat", "creationDate", "z"]
)
_literals = st.sampled_from(
    ["1", "-1", "0", "2.5", "0.1", "1e-300", "100000000000000000000000000000", "'a'", "'b'",
     "''", "'a\\u0000b'", "'d1'", "true", "false", "null", "Date(1700000000003)", "ObjectId('f1')",
     "1700000000005"]
)  # fmt: skip
_ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


def _leaf() -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(_members, _ops, _literals).map(" ".join),
        st.tuples(_members, _ops, _members).map(" ".join),
        st.tuples(_members, st.lists(_literals, max_size=3)).map(
            lambda t: f"{t[0]} IN [{', '.join(t[1])}]"
        ),
        st.tuples(_members, st.lists(_literals, max_size=2)).map(
            lambda t: f"{t[0]} CONTAINS [{', '.join(t[1])}]"
        ),
        _members.map(lambda m: f"EXISTS {m}"),
        st.tuples(_ops, st.sampled_from(["5", "95000", "100000", "99996"])).map(
            lambda t: f"AGE {t[0]} {t[1]}"
        ),
        _members.map(lambda m: f"{m} =~ /a/i"),
        st.sampled_from(["HAS integer", "MATCHES /b/", "location WITHIN 5 KM OF [0, 0]"]),
    )


_filters = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda t: f"{t[0]} && {t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]} || {t[1]})"),
        inner.map(lambda f: f"NOT ({f})"),
    ),
    max_leaves=4,
)


def _store(drops: list[dict[str, Any]]) -> Store:
    store = Store()
    for i, drop in enumerate(drops):
        created = 1_700_000_000_000 + i // 2  # pairs share a creation date (ties)
        obj = {"id": f"d{next(_ids)}", "flowId": "f1", "path": "/a/f", "creationDate": created,
               **drop}  # fmt: skip
        store.insert("a", "drop", obj, flow_id="f1")
    return store


def _both(store: Store, params: dict[str, Any]) -> tuple[list[str], list[str]]:
    q = parse_query(params)
    reference = run_query(
        store.scan("a", "drop", flow_id="f1", newest_first=q.descending or q.sort != "creationDate"),
        q, drop=True, now_ms=NOW,
    )  # fmt: skip
    got = find_drops(store, "a", "f1", q, now_ms=NOW)
    # the same find never reading rows by a side-table driver (always scanning)
    drive_max = find_sql._DRIVE_MAX
    find_sql._DRIVE_MAX = 0  # type: ignore[misc]
    try:
        scanned = find_drops(store, "a", "f1", q, now_ms=NOW)
    finally:
        find_sql._DRIVE_MAX = drive_max  # type: ignore[misc]
    assert [d["id"] for d in scanned] == [d["id"] for d in reference]
    # the same find through the JSON functions only (no drop_elems side table)
    store.drop_elems = False
    try:
        json_only = find_drops(store, "a", "f1", q, now_ms=NOW)
    finally:
        del store.drop_elems
    assert [d["id"] for d in json_only] == [d["id"] for d in reference]
    return [d["id"] for d in got], [d["id"] for d in reference]


@_SETTINGS
@given(_drops, _filters)
@example(_TRICKY, "x == 1")
@example(_TRICKY, "x == 0 || y == 'a' || x >= true")
@example(_TRICKY, "x > 'a' && y <= 'a'")  # x is "a\x00b": SQLite's JSON reads "a"
@example(_TRICKY, "x == 'a' || x == 'd1'")
@example(_TRICKY, "x.y > 2 && EXISTS x")
@example(_TRICKY, "n == 'a' || x == 'a\\u0000b' || x < 'a\\u0000c'")
@example(_TRICKY, "x < 0.30000000000000005 && x > 0.30000000000000003")
@example(_TRICKY, "x CONTAINS ['a'] || location.lat >= 2.5 || NOT creationDate > 1700000000003")
@example(_TRICKY, "x == true || AGE < 99997")
def test_sql_filter_answers_like_the_evaluator(drops: list[dict[str, Any]], text: str) -> None:
    store = _store(drops)
    try:
        got, expected = _both(store, {"filter": text, "limit": "1000"})
    finally:
        store.close()
    assert got == expected, (text, drop_prefilter(text))


@_SETTINGS
@example(_TRICKY, None, "x", "asc", 0, 3)
@example(_TRICKY, None, "x", "desc", 1, 4)
@example(_TRICKY, "EXISTS n", "n", "desc", 0, 1)
@given(
    _drops,
    st.none() | _filters,
    st.sampled_from(["x", "elems.y", "n", "location", "location.lat", "creationDate", "path"]),
    st.sampled_from(["asc", "desc"]),
    st.integers(min_value=0, max_value=3),
    st.integers(min_value=0, max_value=5),
)
def test_sql_sorted_page_is_the_evaluators_page(
    drops: list[dict[str, Any]], text: str | None, sort: str, order: str, skip: int, limit: int
) -> None:
    store = _store(drops)
    params = {"sort": sort, "order": order, "skip": str(skip), "limit": str(limit)}
    if text is not None:
        params["filter"] = text
    try:
        got, expected = _both(store, params)
    finally:
        store.close()
    assert got == expected


def test_many_near_equal_numbers_sort_like_python() -> None:
    values = [2.5, 2.4999999999999996, 2.5000000000000004, 10**30, -(10**30), 3, 3.0, True, "3"]
    store = _store([{"elems": {"n": v}} for v in values * 3])
    try:
        for order, limit in itertools.product(("asc", "desc"), range(1, 12)):
            got, expected = _both(store, {"sort": "n", "order": order, "limit": str(limit)})
            assert got == expected, (order, limit)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("text", "restricts"),
    [
        ("temp > 39.99", True),
        ("x == 'a' && y =~ /b/", True),
        ("x =~ /b/", False),
        ("x == 1 || y =~ /b/", False),
        ("NOT x == 1", False),
        ("NOT creationDate < 5", True),
        ("AGE < 1000", True),
        ("x == null", False),
        ("x IN [1, 'a']", True),
        ("x IN [1, null]", False),
    ],
)
def test_which_filters_restrict_rows(text: str, restricts: bool) -> None:
    assert (drop_prefilter(text) is not None) is restricts


def test_member_paths_cover_typed_wrappers_and_drop_members() -> None:
    assert member_paths(["x"]) == [("elems", "x"), ("elems", "value", "x")]
    location = member_paths(["location"])
    assert location is not None
    assert ("location",) in location
    assert ("elems", "location") in location
    assert member_paths(["a", "b", "c", "d", "e"]) is None  # too many: no restriction


@pytest.mark.parametrize(
    "sort", ["a[0]", "a b", "é", "$", 'x"', "x'y", "a\x00", "x\\y", "elems", "x..y", "x.y", "'); --"]
)
def test_any_sort_name_answers_like_the_evaluator(sort: str) -> None:
    drops = [
        {"elems": {"a[0]": 1, "a b": "q", "é": 3, "$": 2, "x": {"y": 1}, "'); --": 1}},
        {"elems": {"a[0]": 2, "a b": "p", "é": 1, "$": 1, "'); --": 0}},
    ]
    store = _store(drops)
    try:
        for order in ("asc", "desc"):
            got, expected = _both(store, {"sort": sort, "order": order})
            assert got == expected
    finally:
        store.close()
