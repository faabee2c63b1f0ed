"""Typed service views: same requests as the sync services, models in and out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from flowthings import API, FlowThingsNotFound, M, Token, mem
from flowthings.models import (
    AggregateRow,
    ApiTask,
    Device,
    Drop,
    Flow,
    Group,
    Identity,
    MqttTask,
    RssTask,
    Share,
    TokenPermission,
    Track,
)
from flowthings.models import Token as TokenModel
from flowthings.models.elements import FloatElement
from flowthings.services.typed import (
    TypedDropFactory,
    TypedDropService,
    TypedService,
    TypedShareService,
    TypedStatisticsService,
    TypedTokenService,
)

BASE = "https://api.flowthings.io/v0.1/acc"
FLOW = {
    "id": "f5575f4e02b738dfc9af7314c",
    "path": "/acc/pears/test1",
    "capacity": 500,
    "creationDate": 1433793760545,
    "creatorId": "i551ac39ad4c6c02e55b74632",
}
FLOW2 = {**FLOW, "id": "f2", "path": "/acc/pears/test2"}
DROP = {
    "id": "d1",
    "flowId": "f1",
    "path": "/acc/pears",
    "creationDate": 1433800947425,
    "elems": {"temp": {"type": "float", "value": 21.5}, "room": "kitchen"},
}
REFS = {"f1": {"id": "f1", "path": "/acc/x/y"}}


def envelope(body: Any, status: int = 200, references: Any = None) -> dict[str, Any]:
    return {
        "head": {
            "ok": status < 400,
            "status": status,
            "errors": [] if status < 400 else ["nope"],
            "messages": [],
            "references": references or {},
        },
        "body": body,
    }


def reply(body: Any, status: int = 200, references: Any = None) -> httpx.Response:
    return httpx.Response(status, json=envelope(body, status, references))


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        yield mock


@pytest.fixture
def api() -> Iterator[API]:
    with API(Token("acc", "tok"), max_retries=0) as client:
        yield client


@pytest.fixture
def flows(api: API) -> TypedService[Flow]:
    return TypedService(api.flow, Flow)


def sent(route: respx.Route) -> tuple[str, str, list[tuple[str, str]], Any]:
    request = route.calls.last.request
    body = json.loads(request.content) if request.content else None
    assert request.headers["X-Auth-Token"] == "tok"
    return request.method, request.url.path, list(request.url.params.multi_items()), body


def test_read(router: respx.MockRouter, flows: TypedService[Flow]) -> None:
    route = router.get("/flow/f1").mock(return_value=reply(FLOW))
    flow = flows.read("f1")
    assert isinstance(flow, Flow)
    assert flow.capacity == 500
    assert flow.to_wire() == FLOW
    assert sent(route) == ("GET", "/v0.1/acc/flow/f1", [], None)


def test_read_with_refs(router: respx.MockRouter, flows: TypedService[Flow]) -> None:
    route = router.get("/flow/f1").mock(return_value=reply(FLOW, references=REFS))
    flow, refs = flows.read("f1", refs=True)
    assert isinstance(flow, Flow)
    assert refs == REFS
    assert sent(route)[2] == [("refs", "1")]


def test_read_or_else(router: respx.MockRouter, flows: TypedService[Flow]) -> None:
    router.get("/flow/f1").mock(return_value=reply(FLOW))
    router.get("/flow/nope").mock(return_value=reply(None, 404))
    assert isinstance(flows.read_or_else("f1", None), Flow)
    assert flows.read_or_else("nope", "default") == "default"
    assert flows.read_or_else("nope") is None
    assert flows.read_or_else("nope", refs=True) is None
    flow, refs = flows.read_or_else("f1", None, refs=True)  # type: ignore[misc]
    assert isinstance(flow, Flow)
    assert refs == {}
    with pytest.raises(FlowThingsNotFound):
        flows.read("nope")


def test_read_many(router: respx.MockRouter, flows: TypedService[Flow]) -> None:
    route = router.route(method="MGET", path="/flow").mock(
        return_value=reply({"f1": FLOW, "f2": FLOW2})
    )
    result = flows.read_many(["f1", "f2"])
    assert {k: type(v) for k, v in result.items()} == {"f1": Flow, "f2": Flow}
    assert sent(route)[3] == ["f1", "f2"]


def test_find_many_with_typed_filter(router: respx.MockRouter, flows: TypedService[Flow]) -> None:
    route = router.get("/flow").mock(return_value=reply([FLOW, FLOW2]))
    result = flows.find_many(Flow.q.capacity > 10, Flow.q.path.re("^/acc"), limit=5)
    assert [f.path for f in result] == ["/acc/pears/test1", "/acc/pears/test2"]
    assert sent(route)[2] == [
        ("filter", "(capacity > 10) && (path =~ /^\\/acc/)"),
        ("limit", "5"),
    ]


def test_typed_filter_sends_what_mem_sends(
    router: respx.MockRouter, api: API, flows: TypedService[Flow]
) -> None:
    route = router.get("/flow").mock(return_value=reply([]))
    flows.find(Flow.q.displayName == "Foo")
    typed = sent(route)
    api.flow.find(mem.displayName == "Foo")
    assert sent(route) == typed


@pytest.mark.parametrize(
    ("args", "method", "path", "body", "check"),
    [
        pytest.param(("f1",), "GET", "/flow/f1", FLOW, lambda r: isinstance(r, Flow), id="id"),
        pytest.param(
            (["f1"],), "MGET", "/flow", {"f1": FLOW},
            lambda r: isinstance(r["f1"], Flow), id="ids",
        ),
        pytest.param(
            (mem.path == "/acc/pears/test1",), "GET", "/flow", [FLOW],
            lambda r: isinstance(r[0], Flow), id="filter",
        ),
        pytest.param((), "GET", "/flow", [FLOW], lambda r: isinstance(r[0], Flow), id="none"),
    ],
)  # fmt: skip
def test_find_dispatch(
    router: respx.MockRouter,
    flows: TypedService[Flow],
    args: tuple[Any, ...],
    method: str,
    path: str,
    body: Any,
    check: Any,
) -> None:
    router.route(method=method, path=path).mock(return_value=reply(body))
    assert check(flows.find(*args))
    result, refs = flows.find(*args, refs=True)
    assert check(result)
    assert refs == {}


def test_create_from_model(router: respx.MockRouter, flows: TypedService[Flow]) -> None:
    route = router.post("/flow").mock(return_value=reply(FLOW, 201))
    flow = flows.create(Flow(path="/acc/pears/test1", capacity=500))
    assert flow.id == FLOW["id"]
    assert sent(route)[3] == {"path": "/acc/pears/test1", "capacity": 500}


def test_create_from_dict(router: respx.MockRouter, flows: TypedService[Flow]) -> None:
    route = router.post("/flow").mock(return_value=reply(FLOW, 201))
    assert isinstance(flows.create({"path": "/acc/pears/test1"}), Flow)
    assert sent(route)[3] == {"path": "/acc/pears/test1"}


def test_update_with_m_sends_the_diff(router: respx.MockRouter, flows: TypedService[Flow]) -> None:
    route = router.put("/flow/f1").mock(return_value=reply({**FLOW, "displayName": "Foo"}))
    model = Flow.model_validate({**FLOW, "id": "f1"})
    updated = flows.update(M(model, displayName="Foo"))
    assert updated.displayName == "Foo"
    assert sent(route)[3] == {"displayName": "Foo"}


def test_update_many(router: respx.MockRouter, flows: TypedService[Flow]) -> None:
    route = router.route(method="MPUT", path="/flow").mock(
        return_value=reply({"f1": FLOW, "f2": FLOW2})
    )
    result = flows.update_many([{"id": "f1", "capacity": 1}, {"id": "f2", "capacity": 2}])
    assert set(result) == {"f1", "f2"}
    assert all(isinstance(v, Flow) for v in result.values())
    assert sent(route)[3] == {"f1": {"id": "f1", "capacity": 1}, "f2": {"id": "f2", "capacity": 2}}


def test_save_routes_like_the_sync_service(
    router: respx.MockRouter, flows: TypedService[Flow]
) -> None:
    post = router.post("/flow").mock(return_value=reply(FLOW, 201))
    put = router.put("/flow/f1").mock(return_value=reply(FLOW))
    mput = router.route(method="MPUT", path="/flow").mock(return_value=reply({"f1": FLOW}))
    assert isinstance(flows.save(Flow(path="/acc/pears/test1")), Flow)
    assert post.called
    assert isinstance(flows.save(Flow(id="f1", path="/acc/pears/test1")), Flow)
    assert sent(put)[3] == {"id": "f1", "path": "/acc/pears/test1"}
    saved = flows.save([Flow(id="f1", path="/acc/pears/test1")])
    assert isinstance(saved["f1"], Flow)
    assert mput.called


def test_delete(router: respx.MockRouter, flows: TypedService[Flow]) -> None:
    router.delete("/flow/f1").mock(return_value=reply(FLOW))
    router.delete("/flow/f2").mock(return_value=reply(None))
    deleted = flows.delete("f1")
    assert isinstance(deleted, Flow)
    assert flows.delete("f2") is None


def test_projection_is_returned_unvalidated(
    router: respx.MockRouter, flows: TypedService[Flow]
) -> None:
    route = router.get("/flow").mock(return_value=reply([{"id": "f1"}]))
    (flow,) = flows.find(only=["id"])
    assert flow.id == "f1"
    assert flow.to_wire() == {"id": "f1"}
    assert sent(route)[2] == [("only", "id")]
    with pytest.raises(ValidationError):
        flows.find()


def test_invalid_answer_without_projection_raises(router: respx.MockRouter, api: API) -> None:
    router.get("/track/t1").mock(return_value=reply({"id": "t1"}))
    with pytest.raises(ValidationError):
        TypedService(api.track, Track).read("t1")


def test_drop_view(router: respx.MockRouter, api: API) -> None:
    drops = TypedDropService(api.drop("f1"))
    assert drops.flow_id == "f1"
    find = router.get("/drop/f1").mock(return_value=reply([DROP]))
    create = router.post("/drop/f1").mock(return_value=reply(DROP, 201))
    (drop,) = drops.find(Drop.q.elems["temp"] > 3, limit=1)
    assert drop.elems["temp"] == FloatElement(value=21.5)
    assert drop.plain_elems() == {"temp": 21.5, "room": "kitchen"}
    assert sent(find)[2] == [("filter", "elems.temp > 3"), ("limit", "1")]
    created = drops.create(Drop(elems={"temp": FloatElement(value=21.5), "room": "kitchen"}))
    assert created.id == "d1"
    assert sent(create)[3] == {
        "elems": {"temp": {"type": "float", "value": 21.5}, "room": "kitchen"}
    }


def test_drop_aggregate_and_delete_all(router: respx.MockRouter, api: API) -> None:
    drops = TypedDropService(api.drop("f1"))
    rows = [{"town": "Brooklyn", "$avg:windSpeed": 11.2, "$count": 42}]
    route = router.post("/drop/f1/aggregate").mock(return_value=reply(rows))
    result = drops.aggregate(["$avg:windSpeed", "$count"], group_by=["town"],
                             rules={"windy": mem.windSpeed > 10})  # fmt: skip
    assert result == [AggregateRow.model_validate(rows[0])]
    assert result[0]["$count"] == 42
    assert sent(route)[3] == {
        "output": ["$avg:windSpeed", "$count"],
        "groupBy": ["town"],
        "rules": {"windy": "windSpeed > 10"},
    }
    delete = router.delete("/drop/f1").mock(return_value=reply(None))
    drops.delete_all()
    assert delete.called


def test_drop_factory_view(router: respx.MockRouter, api: API) -> None:
    factory = TypedDropFactory(api.drop)
    assert isinstance(factory("f1"), TypedDropService)
    create = router.post("/drop").mock(return_value=reply(DROP, 201))
    find = router.get("/drop").mock(return_value=reply([DROP]))
    created = factory.create(Drop(path="/acc/pears", elems={"room": "kitchen"}))
    assert created.flowId == "f1"
    assert sent(create)[3] == {"path": "/acc/pears", "elems": {"room": "kitchen"}}
    (found,) = factory.find(path="/acc/pears", limit=1)
    assert found.id == "d1"
    assert ("path", "/acc/pears") in sent(find)[2]


def test_token_and_share_views_have_no_update(router: respx.MockRouter, api: API) -> None:
    tokens = TypedTokenService(api.token)
    shares = TypedShareService(api.share)
    assert not hasattr(tokens, "update")
    assert not hasattr(shares, "save")
    token_body = {"id": "k1", "tokenString": "secret", "paths": {"/acc/x": {"dropRead": True}}}
    route = router.post("/token").mock(return_value=reply(token_body, 201))
    token = tokens.create(TokenModel(paths={"/acc/x": TokenPermission(dropRead=True)}))
    assert token.tokenString == "secret"
    assert sent(route)[3] == {"paths": {"/acc/x": {"dropRead": True}}}
    share_body = {"id": "s1", "issuedTo": "i1", "paths": {"/acc/x": {"read": True}}}
    router.get("/share").mock(return_value=reply([share_body]))
    (share,) = shares.find()
    assert isinstance(share, Share)
    assert share.paths["/acc/x"].read is True


def test_statistics_view(router: respx.MockRouter, api: API) -> None:
    stats = TypedStatisticsService(api.statistics)
    route = router.get("/statistics/flowDropAdded/f1/2015/1").mock(return_value=reply([20, 0, 0]))
    assert stats.flow_drop_added("f1", 2015, 1) == [20, 0, 0]
    assert route.called
    for name, metric in [
        ("flow_tracked", "flowTracked"),
        ("track_hit", "trackHit"),
        ("track_pass", "trackPass"),
        ("api_call_by_identity", "apiCallByIdentity"),
        ("drop_created_by", "dropCreatedBy"),
    ]:
        router.get(f"/statistics/{metric}/x1").mock(return_value=reply([1]))
        assert getattr(stats, name)("x1", level="DAY") == [1]
    router.get("/statistics/trackHit/bad").mock(return_value=reply(["x"]))
    with pytest.raises(ValidationError):
        stats.track_hit("bad")


def test_view_exposes_model_and_untyped_service(api: API) -> None:
    flows = TypedService(api.flow, Flow)
    assert flows.model is Flow
    assert flows.untyped is api.flow
    assert "Flow" in repr(flows)


def test_services_expose_typed_views(api: API) -> None:
    expected = {
        "flow": Flow,
        "track": Track,
        "group": Group,
        "identity": Identity,
        "device": Device,
        "api_task": ApiTask,
        "mqtt_task": MqttTask,
        "rss_task": RssTask,
    }
    for name, model in expected.items():
        view = getattr(api, name).typed
        assert type(view) is TypedService
        assert view.untyped is getattr(api, name)
        assert view.model is model
    assert type(api.token.typed) is TypedTokenService
    assert type(api.share.typed) is TypedShareService
    assert type(api.statistics.typed) is TypedStatisticsService
    assert type(api.drop.typed) is TypedDropFactory
    drops = api.drop("f1").typed
    assert type(drops) is TypedDropService
    assert drops.flow_id == "f1"
