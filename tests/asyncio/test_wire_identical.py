"""The asyncio client sends, call for call, exactly what the sync client sends (issue 18).

Every documented call (the 1.0.5 list of ``tests/services/test_documented_calls.py``)
plus the typed views, ``find_iter``, ``create_many``, ``refs`` and the 404
default go through both clients against one recording transport each;
method, path, query, body and the signing headers are compared one by one.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

import flowthings.asyncio
from flowthings import API, M, Token, mem
from flowthings.models import Drop

from ..services.test_documented_calls import DOCUMENTED

CREDS = Token("acc", "sekrit")
Sent = tuple[str, str, list[tuple[str, str]], Any, dict[str, str]]
SIGNING = ("x-auth-token", "x-auth-account", "content-type", "accept")
DROP = {"id": "d1", "creationDate": 1, "elems": {"n": 1}, "path": "/acc/a"}


class Recorder:
    """A platform that answers every call and records what was sent."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        content = json.loads(request.content) if request.content else None
        headers = {name: request.headers[name] for name in SIGNING}
        query = list(request.url.params.multi_items())
        self.sent.append((request.method, request.url.path, query, content, headers))
        if request.url.path.endswith("/missing"):
            return httpx.Response(404, json={"head": {"status": 404, "errors": ["no"]}, "body": None})
        body: Any = {"id": "f1", "path": "/acc/a"}
        if request.method == "GET" and "/drop/" in request.url.path and "/drop/f/" not in request.url.path:
            # a page of drops (short: find_iter stops after one request)
            body = [DROP]
        return httpx.Response(200, json={"head": {"status": 200, "references": {"r": 1}}, "body": body})


Call = Callable[[Any], Any]

EXTRA: list[Any] = [
    pytest.param(lambda a: a.flow.read("f1", refs=True), id="refs-tuple"),
    pytest.param(lambda a: a.flow.read_or_else("missing", "dflt"), id="read_or_else-404"),
    pytest.param(lambda a: a.flow.typed.read("f1"), id="typed-read"),
    pytest.param(lambda a: a.flow.typed.find(mem.path == "/acc/a", limit=3), id="typed-find"),
    pytest.param(lambda a: a.flow.typed.read_or_else("missing"), id="typed-read_or_else"),
    pytest.param(lambda a: a.flow.typed.update(M({"id": "f1", "x": 1}, x=2)), id="typed-update-M"),
    pytest.param(lambda a: a.drop("f").typed.find(limit=2, refs=True), id="typed-drop-refs"),
    pytest.param(lambda a: a.drop("f").typed.create(Drop(elems={"n": 1})), id="typed-drop-create"),
    pytest.param(lambda a: a.drop.typed.find(path="/acc/a"), id="typed-factory-find"),
    pytest.param(lambda a: a.drop("f").find_iter(limit=5, page_size=10), id="find_iter"),
    pytest.param(lambda a: a.drop("f").typed.find_iter(order="asc"), id="typed-find_iter"),
    pytest.param(lambda a: a.drop("f").create_many([{"elems": {"n": i}} for i in range(3)]), id="create_many"),
    pytest.param(lambda a: a.statistics.typed.track_hit("t1", 2015), id="typed-stats"),
    pytest.param(lambda a: a.request("GET", "/flow", params={"limit": 1}), id="api-request"),
]


def _sync_run(call: Call, recorder: Recorder) -> Any:
    with API(CREDS, max_retries=0, http_client=httpx.Client(transport=httpx.MockTransport(recorder))) as api:
        result = call(api)
        return list(result) if isinstance(result, Iterator) else result


async def _async_run(call: Call, recorder: Recorder) -> Any:
    client = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    async with client, flowthings.asyncio.API(CREDS, max_retries=0, http_client=client) as api:
        result = call(api)
        if isinstance(result, AsyncIterator):
            return [item async for item in result]
        assert inspect.isawaitable(result), "every I/O call of the asyncio API is awaited"
        return await result


def _compare(call: Call) -> None:
    sync, asynchronous = Recorder(), Recorder()
    sync_error = async_error = None
    try:
        sync_result = _sync_run(call, sync)
    except Exception as exc:  # the same failure both ways (bad input)
        sync_error, sync_result = type(exc), None
    try:
        async_result = asyncio.run(_async_run(call, asynchronous))
    except Exception as exc:
        async_error, async_result = type(exc), None
    assert sync.sent, "the call sent nothing"
    assert len(asynchronous.sent) == len(sync.sent)
    for mine, theirs in zip(sorted(asynchronous.sent, key=repr), sorted(sync.sent, key=repr), strict=True):
        assert mine[0] == theirs[0], "method"
        assert mine[1] == theirs[1], "path"
        assert mine[2] == theirs[2], "query"
        assert mine[3] == theirs[3], "body"
        assert mine[4] == theirs[4], "signing headers"
    assert async_error == sync_error
    assert repr(async_result) == repr(sync_result)


@pytest.mark.parametrize(("call", "method", "path", "query", "body"), DOCUMENTED)
def test_documented_calls_are_wire_identical(call: Call, method: str, path: str, query: Any, body: Any) -> None:
    _compare(call)


@pytest.mark.parametrize("call", EXTRA)
def test_typed_paged_and_bulk_calls_are_wire_identical(call: Call) -> None:
    _compare(call)
