"""Element rendering (``query.elements``): typed for ``/v0.1``, plain for ``hints=0``, ``/v4.0``."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowthings.local.query.elements import plain, render_drop, render_elems, typed_parts
from flowthings.local.query.evaluate import resolve
from flowthings.local.query.parser import parse_filter

from .conftest import Client


def T(t: str, v: Any) -> dict[str, Any]:
    return {"type": t, "value": v}


LOC = {"lat": 51.5, "lon": -0.12, "specifiers": {"ZIP": "10001"}}

# (stored element, plain rendering)
PLAIN_CASES = [
    pytest.param(T("integer", 75), 75, id="integer"),
    pytest.param(T("long", 2**40), 2**40, id="long"),
    pytest.param(T("float", 1.5), 1.5, id="float"),
    pytest.param(T("boolean", False), False, id="boolean"),
    pytest.param(T("string", "s"), "s", id="string"),
    pytest.param(T("email", "a@b.c"), "a@b.c", id="email"),
    pytest.param(T("date", 1302547651168), 1302547651168, id="date-int-ms"),
    pytest.param(T("id", "0987654321ABCDEF12345678"), "0987654321ABCDEF12345678", id="id"),
    pytest.param(
        T("sortedSet", [T("integer", 100), T("integer", 90), 100]), [100, 90, 100], id="sortedSet"
    ),
    pytest.param(T("set", [T("string", "a"), "b"]), ["a", "b"], id="set-mixed"),
    pytest.param(T("list", [T("list", [T("integer", 1)]), 2]), [[1], 2], id="nested-list"),
    pytest.param(T("map", {"v": 15.4, "t": T("float", 30.4)}), {"v": 15.4, "t": 30.4}, id="map"),
    pytest.param(T("sortedMap", {"b": T("map", {"c": T("integer", 1)})}), {"b": {"c": 1}},
                 id="sortedMap-nested"),
    pytest.param(T("location", LOC), LOC, id="location-as-is"),
    pytest.param(
        T("dropRef", {"flowId": T("id", "f1"), "dropId": T("id", "d1")}),
        {"flowId": "f1", "dropId": "d1"},
        id="dropRef-ids-unwrapped",
    ),
    pytest.param(T("length", {"magnitude": 3, "unit": "feet"}), {"magnitude": 3, "unit": "feet"},
                 id="length-record"),
    pytest.param(T("text", T("html", "<b>x</b>")), T("html", "<b>x</b>"),
                 id="text-payload-not-unwrapped-again"),
    pytest.param(T("mediaRef", {"odd": [T("integer", 1)]}), {"odd": [T("integer", 1)]},
                 id="unknown-payload-shape-as-is"),
    pytest.param(T("integer", None), None, id="null-payload"),
    pytest.param({"k": T("integer", 1), "l": [T("string", "a")]}, {"k": 1, "l": ["a"]},
                 id="plain-map-items-unwrapped"),
    pytest.param([T("boolean", True), {"x": T("date", 5)}], [True, {"x": 5}],
                 id="plain-list-items-unwrapped"),
    pytest.param({"type": "a", "value": 1, "x": 2}, {"type": "a", "value": 1, "x": 2},
                 id="extra-keys-not-typed"),
    pytest.param({"type": "integer", "value": 1, "x": T("integer", 2)},
                 {"type": "integer", "value": 1, "x": 2}, id="extra-keys-items-unwrapped"),
    pytest.param({"type": "custom", "value": 5}, {"type": "custom", "value": 5},
                 id="unknown-type-name-is-a-user-map"),
    pytest.param({"type": 1, "value": 2}, {"type": 1, "value": 2}, id="non-string-type"),
    pytest.param({"type": "integer"}, {"type": "integer"}, id="half-typed"),
    pytest.param({"value": 1}, {"value": 1}, id="value-only"),
    pytest.param({"type": "Integer", "value": 1}, {"type": "Integer", "value": 1},
                 id="type-names-case-sensitive"),
    pytest.param(None, None, id="null"),
    pytest.param("s", "s", id="plain-scalar"),
]  # fmt: skip


@pytest.mark.parametrize(("stored", "expected"), PLAIN_CASES)
def test_plain(stored: Any, expected: Any) -> None:
    assert plain(stored) == expected


@pytest.mark.parametrize(("stored", "expected"), PLAIN_CASES)
def test_filters_resolve_to_the_same_plain_value(stored: Any, expected: Any) -> None:
    # filters and aggregation read members through `resolve`: one rule for all
    assert resolve({"elems": {"x": stored}}, ["x"], drop=True) == expected


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        pytest.param("x", T("string", "x"), id="string"),
        pytest.param(True, T("boolean", True), id="boolean"),
        pytest.param(3, T("integer", 3), id="integer"),
        pytest.param(2**31, T("long", 2**31), id="long"),
        pytest.param(-(2**31), T("integer", -(2**31)), id="int32-min"),
        pytest.param(1.5, T("float", 1.5), id="float"),
        pytest.param({"k": T("integer", 1)}, T("map", {"k": T("integer", 1)}), id="map-nested-kept"),
        pytest.param([1], T("list", [1]), id="list"),
        pytest.param(None, None, id="null-stays-null"),
        pytest.param(T("date", 5), T("date", 5), id="typed-kept"),
        pytest.param(T("sortedSet", [2, 1]), T("sortedSet", [2, 1]), id="typed-kept-as-given"),
        pytest.param({"type": "custom", "value": 5}, T("map", {"type": "custom", "value": 5}),
                     id="user-map-wrapped"),
        pytest.param({"type": "a", "value": 1, "x": 2}, T("map", {"type": "a", "value": 1, "x": 2}),
                     id="extra-keys-wrapped"),
    ],
)  # fmt: skip
def test_typed_rendering_of_top_level_elements(stored: Any, typed: Any) -> None:
    assert render_elems({"x": stored}, typed=True) == {"x": typed}


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"type": "integer", "value": 1, "x": 1}, id="extra-key"),
        pytest.param({"type": "nope", "value": 1}, id="unknown-type"),
        pytest.param({"type": ["integer"], "value": 1}, id="unhashable-type"),
        pytest.param([T("integer", 1)], id="list"),
    ],
)
def test_typed_parts_rejects_non_elements(value: Any) -> None:
    assert typed_parts(value) is None


@pytest.mark.parametrize("typed", [True, False])
@pytest.mark.parametrize("elems", [None, [1], "x", 3])
def test_render_drop_leaves_non_object_elems_alone(elems: Any, typed: bool) -> None:
    drop = {"id": "d", "elems": elems}
    assert render_drop(drop, typed) == drop


def test_hints_plain_value_matches_filter() -> None:
    drop = {"elems": {"total": T("integer", 7), "tags": T("set", [T("string", "a")])}}
    shown = render_drop(drop, typed=False)["elems"]
    assert shown == {"total": 7, "tags": ["a"]}
    assert parse_filter("total == 7 && tags CONTAINS ['a']").matches(drop, drop=True)


# ------------------------------------------------------------ end to end ---

DOCS_ELEMS = {
    "name": "foo",
    "status_codes": T("sortedSet", [T("integer", 100), T("integer", 90)]),
    "anotherDrop": T("dropRef", {"flowId": T("id", "ab" * 12), "dropId": T("id", "cd" * 12)}),
    "birthday": T("date", 1302547651168),
    "stats": {"voltage": 15.4},
}
DOCS_PLAIN = {
    "name": "foo",
    "status_codes": [100, 90],
    "anotherDrop": {"flowId": "ab" * 12, "dropId": "cd" * 12},
    "birthday": 1302547651168,
    "stats": {"voltage": 15.4},
}
DOCS_TYPED = {**DOCS_ELEMS, "name": T("string", "foo"), "stats": T("map", {"voltage": 15.4})}


def test_every_drop_read_renders_by_version_and_hints(client: Client) -> None:
    flow = client.body("POST", "/flow", {"path": f"/{client.account}/el"})
    fid = flow["id"]
    created = client.body("POST", f"/drop/{fid}", {"elems": DOCS_ELEMS})
    assert created["elems"] == DOCS_TYPED
    did = created["id"]
    reads: list[tuple[str, str, dict[str, Any], Any]] = [
        ("GET", f"/drop/{fid}", {}, lambda b: b[0]),
        ("GET", f"/drop/{fid}/{did}", {}, lambda b: b),
        ("GET", "/drop", {"path": flow["path"]}, lambda b: b[0]),
        ("MGET", f"/drop/{fid}", {}, lambda b: b[did]),
    ]
    for method, path, params, pick in reads:
        body = [did] if method == "MGET" else None
        for version, extra, want in [
            ("0.1", {}, DOCS_TYPED),
            ("0.1", {"hints": "1"}, DOCS_TYPED),
            ("0.1", {"hints": "0"}, DOCS_PLAIN),
            ("0.1", {"hints": "false"}, DOCS_PLAIN),
            ("4.0", {}, DOCS_PLAIN),
            ("4.0", {"hints": "1"}, DOCS_PLAIN),
        ]:
            got = client.body(method, path, body, version=version, params={**params, **extra})
            assert pick(got)["elems"] == want, (method, path, version, extra)
    multi = [{"flowId": fid, "params": {"hints": 0}}]
    assert client.body("MGET", "/drop", multi)[fid][0]["elems"] == DOCS_PLAIN
    put = client.body("PUT", f"/drop/{fid}/{did}", {"fhash": "h"}, version="4.0")
    assert put["elems"] == DOCS_PLAIN
    # filters see the same plain values a hints=0 read shows
    found = client.body("GET", f"/drop/{fid}", params={"filter": "status_codes CONTAINS [90]"})
    assert [d["id"] for d in found] == [did]


def test_track_output_is_unwrapped_by_hints(client: Client) -> None:
    assert importlib.util.find_spec("py_mini_racer"), "in the dev extra: install it, not skip"
    a = client.account
    src = client.body("POST", "/flow", {"path": f"/{a}/src"})
    dst = client.body("POST", "/flow", {"path": f"/{a}/dst"})
    js = "function (d) { d.elems.total.value += 1; return d; }"
    client.body("POST", "/track", {"source": src["path"], "destination": dst["path"], "js": js})
    client.body("POST", f"/drop/{src['id']}", {"elems": {"total": 41}})
    path = f"/drop/{dst['id']}"
    assert client.body("GET", path)[0]["elems"] == {"total": T("integer", 42)}
    assert client.body("GET", path, params={"hints": "0"})[0]["elems"] == {"total": 42}
    assert client.body("GET", path, version="4.0")[0]["elems"] == {"total": 42}


def _typed_by_the_general_rule(value: Any) -> Any:
    """A top-level element rendered by ``element_type`` alone (no scalar shortcut)."""
    from flowthings.local.query.elements import element_type

    kind = element_type(value)
    if kind is None or typed_parts(value) is not None:
        return value
    return {"type": kind, "value": value}


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=4),
        _json_values
        | st.builds(
            T,
            st.sampled_from(
                ["integer", "long", "float", "string", "boolean", "email", "map", "list"]
            ),
            _json_values,
        ),
        max_size=5,
    )
)
def test_typed_rendering_takes_the_general_rule_for_every_value(elems: dict[str, Any]) -> None:
    expected = {k: _typed_by_the_general_rule(v) for k, v in elems.items()}
    assert render_elems(elems, typed=True) == expected
