"""`api.async_()` / `api.lazy()` / `GreenThunk` in-process, with fake libraries.

No eventlet or gevent here: the fakes in `green_fakes` defer each call to
its first wait, and the wire is an `httpx.MockTransport`. Real green threads
and real sockets are covered by `test_green_subprocess.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

import flowthings
from flowthings import API, FlowThingsError, FlowThingsNotFound, FlowThingsServerError, Token, mem
from flowthings.green._api import AsyncAPI, AsyncView, GreenThunk, LazyAPI, LazyView, _services
from flowthings.models import Flow
from flowthings.services import DropService, DropServiceFactory, FlowService

from .green_fakes import FakePool, fake_eventlet, fake_gevent

ROOT = Path(__file__).parent.parent.parent


class Server:
    """A MockTransport platform: `/flow/<id>` answers `{"id": id}`; `missing*` is 404."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        parts = request.url.path.split("/")[3:]
        status, body = 200, None
        if parts[0] == "flow" and len(parts) > 1:
            if parts[1].startswith("missing"):
                status = 404
            elif parts[1] == "broken":
                status = 500
            elif parts[1].startswith("model"):
                body = {"id": parts[1], "path": "/acc/model"}
            else:
                body = {"id": parts[1]}
        elif parts[0] == "flow":
            body = [{"id": "f1"}, {"id": "f2"}]
        elif parts[0] == "drop" and len(parts) > 1:
            body = [{"id": "d1", "flowId": parts[1]}]
            if parts[1].startswith("model"):
                body[0]["elems"] = {}
        elif parts[0] == "drop":
            body = {"id": "d-new"}
        elif parts[0] == "statistics":
            body = [1, 2, 3]
        head = {"status": status, "ok": status < 400, "errors": ["nope"] if status >= 400 else []}
        if request.url.params.get("refs") == "1":
            head["references"] = {"r": {"id": "r"}}
        return httpx.Response(status, json={"head": head, "body": body})

    def seen(self) -> list[str]:
        return [f"{r.method} {r.url.raw_path.decode()}" for r in self.requests]


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture(params=["eventlet", "gevent"])
def api(request: pytest.FixtureRequest, server: Server) -> Iterator[API]:
    lib = fake_eventlet() if request.param == "eventlet" else fake_gevent()
    client = httpx.Client(transport=httpx.MockTransport(server))
    with API(Token("acc", "tok"), async_lib=lib, http_client=client) as api:
        yield api
    client.close()


# --- library resolution ------------------------------------------------------


@pytest.mark.parametrize("view", ["async_", "lazy"])
def test_no_library_raises_with_instructions(view: str) -> None:
    api = API(Token("acc", "tok"), async_lib=None)
    with pytest.raises(FlowThingsError, match="eventlet or gevent") as info:
        getattr(api, view)()
    assert "monkey_patch()" in str(info.value)
    assert "defaults.async_lib" in str(info.value)


def test_no_library_by_default() -> None:
    assert flowthings.defaults.async_lib is None
    with pytest.raises(FlowThingsError):
        API(Token("acc", "tok")).async_()


@pytest.mark.parametrize(
    "lib",
    [
        pytest.param(json, id="other-module"),
        pytest.param(type("eventlet", (), {"__name__": "eventlet"})(), id="not-a-module"),
    ],
)
def test_unsupported_library_raises(lib: Any) -> None:
    api = API(Token("acc", "tok"), async_lib=lib)
    with pytest.raises(FlowThingsError, match="unsupported async_lib"):
        api.lazy()


def test_defaults_async_lib_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    api = API(Token("acc", "tok"))
    lib = fake_gevent()
    monkeypatch.setattr(flowthings.defaults, "async_lib", lib)
    assert api.async_lib is lib
    assert api.async_().lib.name == "gevent"


@pytest.mark.parametrize("make", [fake_eventlet, fake_gevent])
def test_unpatched_socket_warns(make: Any) -> None:
    api = API(Token("acc", "tok"), async_lib=make(patched=False))
    for view in (api.async_, api.lazy):
        with pytest.warns(RuntimeWarning, match="monkey") as record:
            view()
        assert record[0].filename == __file__  # points at the caller


def test_pool_default_size_and_choices(api: API) -> None:
    default = api.async_().pool
    assert isinstance(default, FakePool)
    assert default.size == 100
    sized = api.lazy(7).pool
    assert isinstance(sized, FakePool)
    assert sized.size == 7
    mine = FakePool()
    assert api.async_(mine).pool is mine


@pytest.mark.parametrize(
    ("pool", "error"),
    [
        pytest.param(0, ValueError, id="zero"),
        pytest.param(True, TypeError, id="bool"),
        pytest.param("big", TypeError, id="str"),
    ],
)
def test_bad_pool(api: API, pool: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        api.async_(pool)


# --- views ---------------------------------------------------------------------


@pytest.mark.parametrize("cls", [AsyncAPI, LazyAPI])
def test_every_service_has_a_typed_view(api: API, cls: type[Any]) -> None:
    names = {name for name, _ in _services(api)}
    assert names == set(cls.__annotations__)
    view = cls(api)
    for name, service in _services(api):
        assert getattr(view, name).service is service


def test_async_alias_and_repr(api: API) -> None:
    async_api = getattr(api, "async")()
    assert isinstance(async_api, AsyncAPI)
    assert async_api.api is api
    assert "AsyncAPI" in repr(async_api)
    assert "FlowService" in repr(async_api.flow)


def test_factory_views(api: API) -> None:
    async_drops = api.async_().drop("f1")
    assert isinstance(async_drops, AsyncView)
    assert isinstance(async_drops.service, DropService)
    assert async_drops.service.flow_id == "f1"
    lazy_drops = api.lazy().drop("f2")
    assert isinstance(lazy_drops, LazyView)
    assert isinstance(api.lazy().drop.service, DropServiceFactory)
    with pytest.raises(TypeError):
        api.async_().flow("f1")  # type: ignore[misc,arg-type]


def test_attributes_that_are_not_methods(api: API) -> None:
    view = api.async_().drop("f1")
    with pytest.raises(AttributeError, match=r"view\.service\.flow_id"):
        view.flow_id  # noqa: B018
    with pytest.raises(AttributeError):
        view._context  # noqa: B018
    with pytest.raises(AttributeError):
        view.no_such_method  # noqa: B018
    assert view.find.__name__ == "find"
    assert view.find.__doc__ == DropService.find.__doc__


# --- async: queue and results() --------------------------------------------------


def test_calls_are_queued_not_waited(api: API, server: Server) -> None:
    async_api = api.async_()
    async_api.flow.read("f1")
    async_api.flow.read("f2")
    assert async_api.pending == 2
    assert server.requests == []
    assert async_api.results() == [{"id": "f1"}, {"id": "f2"}]
    assert async_api.pending == 0
    assert async_api.results() == []


def test_same_requests_on_the_wire_as_sync(api: API, server: Server) -> None:
    api.flow.find(mem.path == "/a", limit=2, refs=True)
    api.drop("f1").find(limit=1)
    api.drop.create({"path": "/acc/x"})
    api.statistics.track_hit("t1", 2026, 1)
    api.request("GET", "/flow/f9", params={"only": "id"})
    sync = server.seen()
    server.requests.clear()
    async_api = api.async_()
    async_api.flow.find(mem.path == "/a", limit=2, refs=True)
    async_api.drop("f1").find(limit=1)
    async_api.drop.create({"path": "/acc/x"})
    async_api.statistics.track_hit("t1", 2026, 1)
    async_api.request("GET", "/flow/f9", params={"only": "id"})
    results = async_api.results()
    assert server.seen() == sync
    assert results[0] == ([{"id": "f1"}, {"id": "f2"}], {"r": {"id": "r"}})
    assert results[1:4] == [[{"id": "d1", "flowId": "f1"}], {"id": "d-new"}, [1, 2, 3]]


def test_typed_doors(api: API) -> None:
    async_api = api.async_()
    async_api.flow.call(FlowService.read, "f1")
    async_api.drop("f2").call(DropService.find_many)
    async_api.spawn(api.flow.read, "f3", refs=True)
    assert async_api.results() == [
        {"id": "f1"},
        [{"id": "d1", "flowId": "f2"}],
        ({"id": "f3"}, {"r": {"id": "r"}}),
    ]


def test_results_with_exceptions(api: API) -> None:
    async_api = api.async_()
    for fid in ["a", "missing", "b", "broken"]:
        async_api.flow.read(fid)
    pairs = async_api.results(with_exceptions=True)
    assert [(type(e).__name__ if e else None, r) for e, r in pairs] == [
        (None, {"id": "a"}),
        ("FlowThingsNotFound", None),
        (None, {"id": "b"}),
        ("FlowThingsServerError", None),
    ]
    assert isinstance(pairs[1][0], FlowThingsNotFound)
    assert pairs[1][0].path == "/flow/missing"
    assert async_api.pending == 0


def test_results_raises_the_first_error_and_clears(api: API) -> None:
    async_api = api.async_()
    for fid in ["a", "broken", "missing"]:
        async_api.flow.read(fid)
    with pytest.raises(FlowThingsServerError):
        async_api.results()
    assert async_api.pending == 0
    async_api.flow.read("c")
    assert async_api.results() == [{"id": "c"}]


@pytest.mark.parametrize("with_exceptions", [False, True])
def test_results_raise_misuse_either_way(api: API, with_exceptions: bool) -> None:
    async_api = api.async_()
    async_api.flow.read(123)
    async_api.flow.read("a")
    with pytest.raises(TypeError, match="id must be a str"):
        async_api.results(with_exceptions=with_exceptions)
    assert async_api.pending == 0


# --- lazy -----------------------------------------------------------------------


def test_lazy_waits_on_first_access_only(api: API, server: Server) -> None:
    lazy = api.lazy()
    flow = lazy.flow.read("f1")
    assert server.requests == []
    assert flow["id"] == "f1"
    assert flow["id"] == "f1"
    assert len(server.requests) == 1


def test_lazy_dependent_calls(api: API, server: Server) -> None:
    lazy = api.lazy()
    flows = lazy.flow.find(mem.path == "/a")
    drops = lazy.drop(flows[0]["id"]).find(limit=10)
    assert drops.unwrap() == [{"id": "d1", "flowId": "f1"}]
    assert server.seen()[-1] == "GET /v0.1/acc/drop/f1?limit=10"


def test_lazy_errors_raise_on_every_access(api: API) -> None:
    missing = api.lazy().flow.read("missing")
    for _ in range(2):
        with pytest.raises(FlowThingsNotFound):
            missing["id"]


def test_lazy_request_stats_and_refs(api: API) -> None:
    lazy = api.lazy()
    body, refs = lazy.flow.read("f1", refs=True)
    assert (body, refs) == ({"id": "f1"}, {"r": {"id": "r"}})
    assert lazy.request("GET", "/flow/f2") == {"id": "f2"}
    assert lazy.statistics.flow_drop_added("f1") == [1, 2, 3]
    assert lazy.spawn(api.flow.read, "f3").unwrap() == {"id": "f3"}


def test_typed_views(api: API) -> None:
    flow = api.lazy().flow.typed.read("model1")
    assert isinstance(flow.unwrap(), Flow)
    assert flow.path == "/acc/model"  # attributes read through to the model
    async_api = api.async_()
    async_api.drop("model2").typed.find(limit=1)
    async_api.drop.typed("model3").find()
    drops_f2, drops_f3 = async_api.results()
    assert [type(d).__name__ for d in drops_f2 + drops_f3] == ["Drop", "Drop"]
    assert drops_f3[0].flowId == "model3"


# --- GreenThunk -------------------------------------------------------------------


def thunk(value: Any) -> GreenThunk[Any]:
    return GreenThunk(lambda: value)


def test_thunk_waits_once() -> None:
    calls: list[int] = []

    def wait() -> dict[str, int]:
        calls.append(1)
        return {"a": 1}

    t = GreenThunk(wait)
    assert calls == []
    assert t["a"] == 1
    assert t.unwrap() == {"a": 1}
    assert t.force() is t.unwrap()
    assert calls == [1]


def test_thunk_of_none_waits_once() -> None:
    calls: list[int] = []
    t = GreenThunk(lambda: calls.append(1))
    assert not t
    assert t.unwrap() is None
    assert calls == [1]


def test_thunk_as_dict() -> None:
    t = thunk({"id": "f1", "n": 2})
    assert isinstance(t, MutableMapping)
    assert t["id"] == "f1"
    assert "id" in t
    assert "x" not in t
    assert len(t) == 2
    assert list(t) == ["id", "n"]
    assert dict(t.items()) == {"id": "f1", "n": 2}
    assert t.get("x", 0) == 0
    assert t == {"id": "f1", "n": 2}
    assert {"id": "f1", "n": 2} == t  # noqa: SIM300  # the reflected __eq__
    assert t != {"id": "f1"}
    t["n"] = 3
    del t["id"]
    assert t.unwrap() == {"n": 3}
    assert str(t) == "{'n': 3}"
    assert repr(t) == "{'n': 3}"
    assert bool(t)


def test_thunk_as_list() -> None:
    t = thunk([{"id": "a"}, {"id": "b"}, {"id": "a"}])
    assert isinstance(t, MutableMapping)
    assert not isinstance(t, Sequence)
    assert len(t) == 3
    assert t[1] == {"id": "b"}
    assert t[-1] == {"id": "a"}
    assert t[:1] == [{"id": "a"}]
    assert [d["id"] for d in t] == ["a", "b", "a"]
    assert [d["id"] for d in reversed(t)] == ["a", "b", "a"]
    assert {"id": "b"} in t
    assert t.index({"id": "b"}) == 1
    assert t.count({"id": "a"}) == 2
    assert t == [{"id": "a"}, {"id": "b"}, {"id": "a"}]
    assert [{"id": "a"}, {"id": "b"}, {"id": "a"}] == t  # noqa: SIM300  # the reflected __eq__
    assert t == thunk([{"id": "a"}, {"id": "b"}, {"id": "a"}])
    t[0] = {"id": "z"}
    assert t.unwrap()[0] == {"id": "z"}
    assert type(t.unwrap()) is list
    assert not thunk([])


def test_thunk_as_refs_tuple() -> None:
    t = thunk(({"id": "f1"}, {"r": 1}))
    body, refs = t
    assert body == {"id": "f1"}
    assert refs == {"r": 1}
    assert len(t) == 2
    assert t[0] == {"id": "f1"}


def test_thunk_reads_other_attributes_through() -> None:
    t = thunk([3, 1, 2])
    t.sort()
    assert t.unwrap() == [1, 2, 3]
    with pytest.raises(AttributeError):
        t.no_such_attribute  # noqa: B018
    with pytest.raises(AttributeError):
        t._private  # noqa: B018


def test_thunk_is_unhashable() -> None:
    with pytest.raises(TypeError):
        hash(thunk({}))


def test_thunk_error_propagates() -> None:
    def wait() -> Any:
        raise FlowThingsNotFound(["gone"], status=404)

    t = GreenThunk(wait)
    with pytest.raises(FlowThingsNotFound):
        len(t)
    with pytest.raises(FlowThingsNotFound):
        t.unwrap()
