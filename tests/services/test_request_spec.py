"""One request path (issue 15): a call is a `RequestSpec`; building it and reading
its answer are pure, so a second executor (here a minimal ``httpx.AsyncClient``
one, the seam of the asyncio client) sends the same spec to the same effect."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from flowthings import API, FlowThingsNotFound, Token, mem
from flowthings.http._spec import HttpRequest, RequestSpec, build_request, interpret, signed_headers

BASE = "http://localhost:8080/v0.1/acc"


def _platform(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/missing"):
        body = {"head": {"status": 404, "errors": ["no such flow"]}, "body": None}
        return httpx.Response(404, json=body)
    answer = {"method": request.method, "query": str(request.url.query, "ascii")}
    return httpx.Response(200, json={"head": {"status": 200}, "body": answer})


async def _run_async(request: HttpRequest) -> tuple[Any, dict[str, Any]]:
    """An asyncio executor: only I/O between the two pure steps."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(_platform)) as client:
        response = await client.request(
            request.method, request.url, content=request.content,
            params=request.query, headers=request.headers,
        )  # fmt: skip
        return interpret(request, response.status_code, response.content)


@pytest.fixture
def api() -> API:
    client = httpx.Client(transport=httpx.MockTransport(_platform))
    return API(Token("acc", "tok"), host="localhost:8080", secure=False, http_client=client)


def test_a_spec_describes_the_call_without_sending_it(api: API) -> None:
    spec = api.flow.spec("GET", params={"limit": 2, "filter": mem.path == "/a"})
    assert spec == RequestSpec("GET", BASE + "/flow", "/flow", {"limit": 2, "filter": mem.path == "/a"})
    wire = build_request(spec, {"limit": 2, "only": ["id", "path"]}, api.creds, signed_headers(api.creds))
    assert wire.query == [("limit", "2"), ("only", "id"), ("only", "path")]
    assert wire.headers["X-Auth-Token"] == "tok"
    assert wire.content is None
    post = build_request(api.flow.spec("POST", data={"path": "/a"}), {}, api.creds, wire.headers)
    assert post.content == json.dumps({"path": "/a"}).encode()
    assert post.query is None


def test_the_sync_and_an_async_executor_agree(api: API) -> None:
    spec = api.flow.spec("GET", "/f1", params={"only": ["id"]})
    sync = api.flow.execute(spec)
    request = build_request(spec, {"only": ["id"]}, api.creds, signed_headers(api.creds))
    body, references = asyncio.run(_run_async(request))
    assert body == sync == {"method": "GET", "query": "only=id"}
    assert references == {}
    missing = build_request(api.flow.spec("GET", "/missing"), {}, api.creds, request.headers)
    with pytest.raises(FlowThingsNotFound, match="no such flow"):
        asyncio.run(_run_async(missing))


def test_a_decoder_reads_success_only() -> None:
    seen: list[bytes] = []

    def decode(content: bytes) -> tuple[Any, dict[str, Any]] | None:
        seen.append(content)
        return ("decoded", {})

    creds = Token("acc", "tok")
    spec = RequestSpec("GET", BASE + "/flow/f1", "/flow/f1").decoded_by(decode)
    request = build_request(spec, {}, creds, signed_headers(creds))
    ok = json.dumps({"head": {"status": 200}, "body": {"id": "f1"}}).encode()
    assert interpret(request, 200, ok) == ("decoded", {})
    error = json.dumps({"head": {"status": 404, "errors": ["gone"]}, "body": None}).encode()
    with pytest.raises(FlowThingsNotFound):
        interpret(request, 404, error)
    assert seen == [ok]
