"""Every documented call sends what 1.0.5 sent: method, URL, query and JSON body."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from flowthings import AGE, API, EXISTS, M, P, Token, mem

from .conftest import BASE, Wire

Call = Callable[[API], Any]

DOCUMENTED = [
    pytest.param(lambda a: a.flow.read("f1"), "GET", "/flow/f1", [], None, id="read"),
    pytest.param(
        lambda a: a.flow.read_or_else("f1", None), "GET", "/flow/f1", [], None, id="read_or_else"
    ),
    pytest.param(
        lambda a: a.flow.read_many(["f1", "f2"]), "MGET", "/flow", [], ["f1", "f2"], id="read_many"
    ),
    pytest.param(lambda a: a.flow.find_many(), "GET", "/flow", [], None, id="find_many-empty"),
    pytest.param(
        lambda a: a.flow.find_many(mem.displayName == "Foo"),
        "GET",
        "/flow",
        [("filter", "displayName == 'Foo'")],
        None,
        id="find_many-filter",
    ),
    pytest.param(
        lambda a: a.flow.find_many(mem.displayName == "foo", mem.path.re("^/foo", "i")),
        "GET",
        "/flow",
        [("filter", "(displayName == 'foo') && (path =~ /^\\/foo/i)")],
        None,
        id="find_many-two-filters-anded",
    ),
    pytest.param(lambda a: a.flow.find("f1"), "GET", "/flow/f1", [], None, id="find-id"),
    pytest.param(
        lambda a: a.flow.find(["f1", "f2"]), "MGET", "/flow", [], ["f1", "f2"], id="find-ids"
    ),
    pytest.param(lambda a: a.flow.find(), "GET", "/flow", [], None, id="find-none"),
    pytest.param(
        lambda a: a.flow.find(mem.foo == True),  # noqa: E712 - the DSL needs ==
        "GET",
        "/flow",
        [("filter", "foo == true")],
        None,
        id="find-filter-bool",
    ),
    pytest.param(
        lambda a: a.flow.find(mem.foo == True, limit=10),  # noqa: E712
        "GET",
        "/flow",
        [("filter", "foo == true"), ("limit", "10")],
        None,
        id="find-filter-params",
    ),
    pytest.param(
        lambda a: a.flow.find(limit=10, refs=True, only=("name", "path")),
        "GET",
        "/flow",
        [("limit", "10"), ("refs", "1"), ("only", "name,path")],
        None,
        id="find-params-refs-only",
    ),
    pytest.param(
        lambda a: a.flow.find(only=["path"], start=20, hints=False),
        "GET",
        "/flow",
        [("only", "path"), ("start", "20"), ("hints", "False")],
        None,
        id="find-params-like-requests",
    ),
    pytest.param(
        lambda a: a.flow.find_many(filter=AGE < 600000),
        "GET",
        "/flow",
        [("filter", "AGE < 600000")],
        None,
        id="find_many-filter-kwarg",
    ),
    pytest.param(
        lambda a: a.flow.create({"path": "/acc/x"}),
        "POST",
        "/flow",
        [],
        {"path": "/acc/x"},
        id="create",
    ),
    pytest.param(
        lambda a: a.flow.update({"id": "f1", "displayName": "Foo"}),
        "PUT",
        "/flow/f1",
        [],
        {"id": "f1", "displayName": "Foo"},
        id="update",
    ),
    pytest.param(
        lambda a: a.flow.update(M({"id": "f1", "path": "/acc/x"}, displayName="Foo")),
        "PUT",
        "/flow/f1",
        [],
        {"displayName": "Foo"},
        id="update-M-sends-diff",
    ),
    pytest.param(
        lambda a: a.flow.update_many([{"id": "f1", "a": 1}, M({"id": "f2"}, b=2)]),
        "MPUT",
        "/flow",
        [],
        {"f1": {"id": "f1", "a": 1}, "f2": {"b": 2}},
        id="update_many",
    ),
    pytest.param(
        lambda a: a.flow.save({"displayName": "x"}),
        "POST",
        "/flow",
        [],
        {"displayName": "x"},
        id="save-create",
    ),
    pytest.param(
        lambda a: a.flow.save({"id": "f1", "displayName": "x"}),
        "PUT",
        "/flow/f1",
        [],
        {"id": "f1", "displayName": "x"},
        id="save-update",
    ),
    pytest.param(
        lambda a: a.flow.save(M({"id": "f1"}, displayName="x")),
        "PUT",
        "/flow/f1",
        [],
        {"displayName": "x"},
        id="save-M",
    ),
    pytest.param(
        lambda a: a.flow.save([{"id": "f1", "a": 1}]),
        "MPUT",
        "/flow",
        [],
        {"f1": {"id": "f1", "a": 1}},
        id="save-list",
    ),
    pytest.param(lambda a: a.flow.delete("f1"), "DELETE", "/flow/f1", [], None, id="delete"),
    pytest.param(
        lambda a: a.flow.delete("f1", {"why": 1}),
        "DELETE",
        "/flow/f1",
        [],
        {"why": 1},
        id="delete-data",
    ),
    pytest.param(
        lambda a: a.drop("f1").find(limit=10),
        "GET",
        "/drop/f1",
        [("limit", "10")],
        None,
        id="drop-find",
    ),
    pytest.param(
        lambda a: a.drop("f1").find(mem.elems.foo == "value"),
        "GET",
        "/drop/f1",
        [("filter", "elems.foo == 'value'")],
        None,
        id="drop-find-filter",
    ),
    pytest.param(lambda a: a.drop("f1").read("d1"), "GET", "/drop/f1/d1", [], None, id="drop-read"),
    pytest.param(
        lambda a: a.drop("f1").create({"elems": {"t": 1}}),
        "POST",
        "/drop/f1",
        [],
        {"elems": {"t": 1}},
        id="drop-create",
    ),
    pytest.param(
        lambda a: a.drop("f1").delete("d1"), "DELETE", "/drop/f1/d1", [], None, id="drop-delete"
    ),
    pytest.param(
        lambda a: a.drop("f1").delete_all(), "DELETE", "/drop/f1", [], None, id="drop-delete_all"
    ),
    pytest.param(
        lambda a: a.drop.create({"path": "/foo"}),
        "POST",
        "/drop",
        [],
        {"path": "/foo"},
        id="drop-create-path",
    ),
    pytest.param(
        lambda a: a.drop.find(path="/acc/x", limit=2),
        "GET",
        "/drop",
        [("limit", "2"), ("path", "/acc/x")],
        None,
        id="drop-find-path",
    ),
    pytest.param(
        lambda a: a.drop.find_in_flows({"f1": {"limit": 2}, "f2": P(filter=EXISTS("elems.a"))}),
        "MGET",
        "/drop",
        [],
        [
            {"flowId": "f1", "params": {"limit": 2}},
            {"flowId": "f2", "params": {"filter": "EXISTS elems.a"}},
        ],
        id="drop-multi-flow",
    ),
    pytest.param(
        lambda a: a.drop("test").aggregate(
            ["$avg:foo", "$min:bar"],
            group_by=["$month"],
            filter=mem.foo > 12,
            rules={"rule": mem.bar > 42},
            sorts=["foo"],
        ),
        "POST",
        "/drop/test/aggregate",
        [],
        {
            "output": ["$avg:foo", "$min:bar"],
            "groupBy": ["$month"],
            "filter": "foo > 12",
            "rules": {"rule": "bar > 42"},
            "sorts": ["foo"],
        },
        id="aggregate",
    ),
    pytest.param(
        lambda a: a.drop("f1").aggregate(["$avg:test"], rules={"test": mem.foo > 42}),
        "POST",
        "/drop/f1/aggregate",
        [],
        {"output": ["$avg:test"], "rules": {"test": "foo > 42"}},
        id="aggregate-documented-example",
    ),
    pytest.param(
        lambda a: a.token.create(
            {"paths": {"/foo": {"administer": True}}, "duration": 42, "description": "Test"}
        ),
        "POST",
        "/token",
        [],
        {"paths": {"/foo": {"administer": True}}, "duration": 42, "description": "Test"},
        id="token-create",
    ),
    pytest.param(lambda a: a.token.find(), "GET", "/token", [], None, id="token-find"),
    pytest.param(lambda a: a.token.read("k1"), "GET", "/token/k1", [], None, id="token-read"),
    pytest.param(
        lambda a: a.token.delete("k1"), "DELETE", "/token/k1", [], None, id="token-delete"
    ),
    pytest.param(
        lambda a: a.share.create({"issuedTo": "bar", "paths": {"/foo": {"administer": True}}}),
        "POST",
        "/share",
        [],
        {"issuedTo": "bar", "paths": {"/foo": {"administer": True}}},
        id="share-create",
    ),
    pytest.param(
        lambda a: a.share.delete("s1"), "DELETE", "/share/s1", [], None, id="share-delete"
    ),
    pytest.param(
        lambda a: a.statistics.flow_drop_added("foo", 2015, 12, 1, "year"),
        "GET",
        "/statistics/flowDropAdded/foo/2015/12/1",
        [("level", "year")],
        None,
        id="stats-full",
    ),
    pytest.param(
        lambda a: a.statistics.flow_tracked("f1"),
        "GET",
        "/statistics/flowTracked/f1",
        [],
        None,
        id="stats-bare",
    ),
    pytest.param(
        lambda a: a.statistics.track_hit("t1", 2015),
        "GET",
        "/statistics/trackHit/t1/2015",
        [],
        None,
        id="stats-year",
    ),
    pytest.param(
        lambda a: a.statistics.track_pass("t1", 2015, 1, level="DAY"),
        "GET",
        "/statistics/trackPass/t1/2015/1",
        [("level", "DAY")],
        None,
        id="stats-month-level",
    ),
    pytest.param(
        lambda a: a.statistics.api_call_by_identity("i1", 2015, None, 3),
        "GET",
        "/statistics/apiCallByIdentity/i1/2015",
        [],
        None,
        id="stats-day-needs-month",
    ),
    pytest.param(
        lambda a: a.statistics.drop_created_by("i1"),
        "GET",
        "/statistics/dropCreatedBy/i1",
        [],
        None,
        id="stats-dropCreatedBy",
    ),
    pytest.param(
        lambda a: a.statistics.flowDropAdded("f1"),
        "GET",
        "/statistics/flowDropAdded/f1",
        [],
        None,
        id="stats-camelCase",
    ),
    pytest.param(
        lambda a: a.request("PUT", "/foo", data="foo", params={"foo": True}),
        "PUT",
        "/foo",
        [("foo", "True")],
        "foo",
        id="api-request",
    ),
    pytest.param(
        lambda a: a.root.request("GET", "/flow"), "GET", "/flow", [], None, id="root-request"
    ),
]

SERVICE_PATHS = [
    ("flow", "/flow"),
    ("track", "/track"),
    ("group", "/group"),
    ("identity", "/identity"),
    ("api_task", "/api-task"),
    ("mqtt_task", "/mqtt"),
    ("rss_task", "/rss"),
    ("device", "/device"),
    ("token", "/token"),
    ("share", "/share"),
]


@pytest.mark.parametrize(("call", "method", "path", "query", "body"), DOCUMENTED)
def test_documented_call_wire(
    wire: Wire,
    api: API,
    call: Call,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    body: Any,
) -> None:
    call(api)
    request = wire.request
    assert request.method == method
    assert str(request.url.copy_with(query=None)) == BASE + path
    assert wire.query == query
    assert wire.json == body
    if body is not None:
        # 1.0.5 sent json.dumps(data) with the default separators.
        assert request.content == json.dumps(body).encode()


def test_headers_sign_every_request(wire: Wire, api: API) -> None:
    api.flow.read("f1")
    headers = wire.request.headers
    assert headers["x-auth-token"] == "sekrit"
    assert headers["x-auth-account"] == "acc"
    assert headers["content-type"] == 'application/json; charset="UTF-8"'
    assert headers["accept"] == "*/*"


@pytest.mark.parametrize(("service", "path"), SERVICE_PATHS)
def test_every_service_path(wire: Wire, api: API, service: str, path: str) -> None:
    getattr(api, service).read("x1")
    assert str(wire.request.url) == f"{BASE}{path}/x1"
    getattr(api, service).find()
    assert str(wire.request.url) == f"{BASE}{path}"


def test_websocket_session_request(wire: Wire, api: API) -> None:
    wire.reply(201, {"id": "sess"})
    assert api.websocket.request("POST") == {"id": "sess"}
    assert str(wire.request.url) == "https://ws.flowthings.io/session"
    assert wire.request.method == "POST"
    assert wire.request.headers["x-auth-account"] == "acc"


def test_returns_body_and_refs_tuple(wire: Wire, api: API) -> None:
    wire.reply(200, [{"id": "f1"}], references={"i1": {"name": "acc"}})
    assert api.flow.find(limit=1) == [{"id": "f1"}]
    flows, refs = api.flow.find(limit=1, refs=True)
    assert flows == [{"id": "f1"}]
    assert refs == {"i1": {"name": "acc"}}
    _body, refs = api.flow.read("f1", refs=True)
    assert refs == {"i1": {"name": "acc"}}


def test_refs_false_sends_zero_and_returns_body(wire: Wire, api: API) -> None:
    wire.reply(200, [])
    assert api.flow.find(refs=False) == []
    assert wire.query == [("refs", "0")]


def test_p_params_builder_accepted(wire: Wire, api: API) -> None:
    api.request("GET", "/flow", params=P(limit=5).refs(True))
    assert wire.query == [("limit", "5"), ("refs", "1")]


def test_default_params_merged_under_call_params(wire: Wire) -> None:
    with API(Token("acc", "tok"), params={"hints": 0, "limit": 5}) as client:
        client.flow.find(limit=7)
    assert wire.query == [("hints", "0"), ("limit", "7")]


def test_ids_are_escaped(wire: Wire, api: API) -> None:
    api.flow.read("a/../b?c")
    assert wire.request.url.raw_path == b"/v0.1/acc/flow/a%2F..%2Fb%3Fc"
    api.drop("f/1").find()
    assert wire.request.url.raw_path == b"/v0.1/acc/drop/f%2F1"


@pytest.mark.parametrize(
    ("call", "error"),
    [
        pytest.param(lambda a: a.flow.read(""), ValueError, id="empty-id"),
        pytest.param(lambda a: a.flow.read(".."), ValueError, id="dotdot-id"),
        pytest.param(lambda a: a.flow.read(12), TypeError, id="int-id"),
        pytest.param(lambda a: a.flow.read_many("f1"), TypeError, id="read_many-str"),
        pytest.param(lambda a: a.flow.read_many(["f1", None]), TypeError, id="read_many-none-id"),
        pytest.param(lambda a: a.drop(None), TypeError, id="drop-none-flow"),
        pytest.param(lambda a: a.flow.delete(None), TypeError, id="delete-none"),
        pytest.param(lambda a: a.flow.create("x"), TypeError, id="create-str"),
        pytest.param(lambda a: a.flow.update({"displayName": "x"}), Exception, id="update-no-id"),
        pytest.param(lambda a: a.drop("f1").aggregate("$count"), TypeError, id="aggregate-str"),
        pytest.param(
            lambda a: a.statistics.track_hit("t1", "20x5"), ValueError, id="stats-bad-year"
        ),
        pytest.param(
            lambda a: a.drop.find(path="relative"), ValueError, id="drop-find-relative-path"
        ),
        pytest.param(
            lambda a: a.flow.find(mem.x == 1, filter=mem.y == 2), TypeError, id="find-two-filters"
        ),
        pytest.param(
            lambda a: a.drop.find(mem.x == 1, path="/acc/f", filter="y == 2"),
            TypeError,
            id="drop-find-by-path-two-filters",
        ),
    ],
)
def test_bad_input_fails_before_io(
    wire: Wire, api: API, call: Call, error: type[Exception]
) -> None:
    with pytest.raises(error):
        call(api)
    assert not wire.route.called


def test_tokens_and_shares_are_immutable(wire: Wire, api: API) -> None:
    from flowthings import FlowThingsError

    for service in (api.token, api.share):
        with pytest.raises(FlowThingsError, match="immutable"):
            service.update({"id": "k1"})
        with pytest.raises(FlowThingsError, match="immutable"):
            service.save({"id": "k1"})
        with pytest.raises(FlowThingsError, match="immutable"):
            service.update_many([{"id": "k1"}])
    assert not wire.route.called


def test_async_keyword_alias_is_the_same_method() -> None:
    assert getattr(API, "async") is API.async_


def test_query_string_bytes_match_requests_encoding(wire: Wire, api: API) -> None:
    from urllib.parse import urlencode

    tricky = (mem.path == "/a b'c&d=e+f%").AND(mem.x.re("^/x y", "i"))
    api.flow.find(tricky, limit=10, only=["a", "b"], hints=True)
    # 1.0.5 used requests, which encodes with urlencode(..., doseq=True).
    expected = urlencode(
        [("filter", str(tricky)), ("limit", "10"), ("only", "a,b"), ("hints", "True")], doseq=True
    )
    assert wire.request.url.raw_path == f"/v0.1/acc/flow?{expected}".encode()
