"""Typed drop reads validate models straight from the answer's bytes, with the same results.

``api.drop(fid).typed`` reads (``read``, ``read_or_else``, ``find`` by id or
by filters, ``find_many``) hand the answer's bytes to the fast validator of
``flowthings.models._wire`` through the transport's ``decode`` hook, and fall
back to the usual parse for any answer it does not take (projections missing
required members, odd bodies, errors). Both paths must give the same result.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from flowthings import API, FlowThingsNotFound, FlowThingsServerError, Token, mem
from flowthings.models import Drop, Flow
from flowthings.services import typed as typed_module
from flowthings.services.typed import TypedReadService

from ..models.test_wire import same
from .conftest import BASE, envelope

DROPS = [
    {
        "id": f"d{i}",
        "flowId": "f1",
        "creationDate": 1433800947425 + i,
        "elems": {
            "temp": {"type": "float", "value": 21.5 + i},
            "room": "kitchen",
            "tags": {"type": "sortedSet", "value": [{"type": "string", "value": "a"}, 3]},
            "odd": {"type": "integer", "value": "not an int"},
        },
        "extraMember": [i],
    }
    for i in range(3)
]
REFS = {"f1": {"id": "f1", "path": "/acc/x"}}


def reply(body: Any, status: int = 200, references: Any = None) -> httpx.Response:
    errors = ["nope"] if status >= 400 else None
    return httpx.Response(status, json=envelope(body, status, references, errors))


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def usual_parses(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Records every body that went the usual way (``TypedReadService.parse``)."""
    calls: list[Any] = []
    original = TypedReadService.parse

    def parse(self: Any, body: Any, *, partial: bool = False) -> Any:
        calls.append(body)
        return original(self, body, partial=partial)

    monkeypatch.setattr(TypedReadService, "parse", parse)
    return calls


def usual(body: Any) -> Any:
    if isinstance(body, list):
        return [Drop.model_validate(d) for d in body]
    return Drop.model_validate(body)


def test_find_lists_come_from_the_fast_path(
    router: respx.MockRouter, api: API, usual_parses: list[Any]
) -> None:
    route = router.get("/drop/f1").mock(return_value=reply(DROPS))
    drops = api.drop("f1").typed
    same(drops.find(limit=3), usual(DROPS))
    same(drops.find(mem.elems.temp > 1), usual(DROPS))
    same(drops.find_many(limit=3), usual(DROPS))
    assert usual_parses == []
    assert route.call_count == 3
    assert route.calls.last.request.url.params["limit"] == "3"


def test_reads_by_id_come_from_the_fast_path(
    router: respx.MockRouter, api: API, usual_parses: list[Any]
) -> None:
    router.get("/drop/f1/d0").mock(return_value=reply(DROPS[0]))
    router.get("/drop/f1/gone").mock(return_value=reply(None, 404))
    drops = api.drop("f1").typed
    same(drops.read("d0"), usual(DROPS[0]))
    same(drops.find("d0"), usual(DROPS[0]))
    same(drops.read_or_else("d0"), usual(DROPS[0]))
    assert drops.read_or_else("gone", "default") == "default"
    with pytest.raises(FlowThingsNotFound):
        drops.read("gone")
    assert usual_parses == []


def test_find_by_flow_path_comes_from_the_fast_path(
    router: respx.MockRouter, api: API, monkeypatch: pytest.MonkeyPatch
) -> None:
    route = router.get("/drop").mock(return_value=reply(DROPS))
    usual_calls: list[Any] = []
    original = typed_module.parse_model

    def parse_model(*args: Any, **kwargs: Any) -> Any:
        usual_calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(typed_module, "parse_model", parse_model)
    same(api.drop.typed.find(path="/acc/x", limit=3), usual(DROPS))
    assert usual_calls == []
    assert route.calls.last.request.url.params["path"] == "/acc/x"
    route.mock(return_value=reply([{"id": "d1"}]))
    assert [d.id for d in api.drop.typed.find(path="/acc/x", only=["id"])] == ["d1"]
    assert len(usual_calls) == 1


def test_refs_come_back_with_the_models(router: respx.MockRouter, api: API) -> None:
    router.get("/drop/f1").mock(return_value=reply(DROPS, references=REFS))
    drops, refs = api.drop("f1").typed.find(limit=3, refs=True)
    same(drops, usual(DROPS))
    assert refs == REFS
    router.get("/drop/f1/d0").mock(return_value=reply(DROPS[0], references=REFS))
    drop, refs = api.drop("f1").typed.read("d0", refs=True)
    same(drop, usual(DROPS[0]))
    assert refs == REFS


def test_a_projection_falls_back_to_partial_models(
    router: respx.MockRouter, api: API, usual_parses: list[Any]
) -> None:
    router.get("/drop/f1").mock(return_value=reply([{"id": "d1"}, {"id": "d2"}]))
    drops = api.drop("f1").typed.find(only=["id"])
    assert [d.id for d in drops] == ["d1", "d2"]
    assert all(type(d) is Drop for d in drops)
    assert len(usual_parses) == 2  # the fast validator refused (no elems): the usual path ran


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([{"id": "d1"}], id="missing-required-member"),
        pytest.param({"not": "a list"}, id="not-a-list"),
        pytest.param([{"elems": {}, "creationDate": "soon"}], id="bad-member"),
    ],
)
def test_answers_the_fast_path_refuses_fail_as_before(
    router: respx.MockRouter, api: API, body: Any
) -> None:
    router.get("/drop/f1").mock(return_value=reply(body))
    with pytest.raises(ValidationError) as fast:
        api.drop("f1").typed.find(limit=1)
    with pytest.raises(ValidationError) as usual_error:
        [Drop.model_validate(d) for d in body]
    assert fast.value.errors() == usual_error.value.errors()


def test_not_an_envelope_and_bytes_it_cannot_read(router: respx.MockRouter, api: API) -> None:
    route = router.get("/drop/f1")
    route.mock(return_value=httpx.Response(200, content=b"<html>oops</html>"))
    with pytest.raises(FlowThingsServerError, match="not a flowthings envelope"):
        api.drop("f1").typed.find(limit=1)
    route.mock(return_value=httpx.Response(200, json={"head": "x", "body": DROPS}))
    with pytest.raises(FlowThingsServerError, match="not a flowthings envelope"):
        api.drop("f1").typed.find(limit=1)
    lone = b'{"head": {}, "body": [{"elems": {"a": "\\ud800"}}]}'  # json.loads only
    route.mock(return_value=httpx.Response(200, content=lone))
    assert api.drop("f1").typed.find(limit=1)[0].elems["a"] == "\ud800"


def test_other_models_and_plain_services_are_untouched(router: respx.MockRouter, api: API) -> None:
    flow = {"id": "f1", "path": "/acc/x"}
    router.get("/flow/f1").mock(return_value=reply(flow))
    router.get("/drop/f1").mock(return_value=reply(DROPS))
    assert type(api.flow.typed.read("f1")) is Flow
    assert api.drop("f1").find(limit=3) == DROPS  # dicts, as documented
    assert typed_module._decoder(Flow, True) is None


def test_the_decoder_travels_with_the_call_not_a_copied_service(
    router: respx.MockRouter, api: API
) -> None:
    route = router.get("/drop/f1").mock(return_value=reply(DROPS))
    api.creds = Token("acc", "other-token")
    service = api.drop("f1")
    context, transport = service._context, service._context.transport
    drops = service.typed.find(limit=3)
    assert all(type(d) is Drop for d in drops)
    assert route.calls.last.request.headers["X-Auth-Token"] == "other-token"
    # one request path: the view added a decoder to the spec; nothing was copied or wrapped
    assert service._context is context
    assert context.transport is transport
    spec = service.spec("GET", params={"limit": 3})
    decoder = typed_module._decoder(Drop, True)
    assert spec.decoded_by(decoder).decode is decoder
    assert spec.decoded_by(None) is spec
    assert spec.decode is None


def test_transport_decode_hook(api: API) -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        status = 404 if request.url.path.endswith("missing") else 200
        return reply({"id": "f1"}, status)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    transport = API(Token("acc", "tok"), http_client=client, max_retries=0)._context.transport
    creds = Token("acc", "tok")

    def decode(content: bytes) -> Any:
        seen.append(content)
        return ("decoded", {"r": 1}) if len(seen) == 1 else None

    url = BASE + "/flow/f1"
    assert transport.request("GET", url, creds=creds, log_path="/flow/f1", decode=decode) == (
        "decoded", {"r": 1},
    )  # fmt: skip
    # None: the answer is parsed as usual
    assert transport.request("GET", url, creds=creds, log_path="/flow/f1", decode=decode) == (
        {"id": "f1"}, {},
    )  # fmt: skip
    assert json.loads(seen[0])["body"] == {"id": "f1"}
    # never offered an error answer
    with pytest.raises(FlowThingsNotFound):
        transport.request("GET", BASE + "/flow/missing", creds=creds, log_path="/x", decode=decode)
    assert len(seen) == 2
    client.close()
