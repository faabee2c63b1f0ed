"""Static checks of the asyncio client's types (issue 18): what each awaited call
returns, precisely (run by tests/typing/test_checkers.py under both checkers).

Never imported by the test run; the checkers read it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine
from typing import Any

import httpx
from typing_extensions import assert_type

import flowthings.asyncio
from flowthings import M, Token, mem
from flowthings.asyncio import AsyncDropIterator, AsyncMessageIterator, WebSocketClient
from flowthings.asyncio._services import (
    AsyncDropService,
    AsyncFlowService,
    AsyncTypedDropService,
    AsyncTypedService,
)
from flowthings.models import AggregateRow, Drop, Flow, StatisticsSeries
from flowthings.services import BulkResult, JSONObject, References


async def check(creds: Token, client: httpx.AsyncClient) -> None:
    async with flowthings.asyncio.API(creds, host="localhost:8080", http_client=client) as api:
        assert_type(api, flowthings.asyncio.API)
        assert_type(api.flow, AsyncFlowService)
        assert_type(api.drop("f1"), AsyncDropService)
        assert_type(api.flow.typed, AsyncTypedService[Flow])
        assert_type(api.drop("f1").typed, AsyncTypedDropService)
        assert_type(api.http_client, httpx.AsyncClient)

        pending: Coroutine[Any, Any, JSONObject] = api.flow.read("f1")  # a coroutine to await
        pending.close()
        assert_type(await api.flow.read("f1"), JSONObject)
        assert_type(await api.flow.read("f1", refs=True), tuple[JSONObject, References])
        assert_type(await api.flow.read_or_else("f1"), JSONObject | None)
        assert_type(await api.flow.read_or_else("f1", 0), JSONObject | int)
        assert_type(await api.flow.find("f1"), JSONObject)
        assert_type(await api.flow.find(["f1", "f2"]), dict[str, JSONObject])
        assert_type(await api.flow.find(mem.path == "/a/b", limit=2), list[JSONObject])
        assert_type(await api.flow.find_many(refs=True), tuple[list[JSONObject], References])
        assert_type(await api.flow.create({"path": "/a/b"}), JSONObject)
        assert_type(await api.flow.update(M({"id": "f1"}, path="/a/c")), JSONObject)
        assert_type(await api.flow.update_many([{"id": "f1"}]), dict[str, JSONObject])
        assert_type(await api.flow.save({"path": "/a/b"}), JSONObject)
        assert_type(await api.flow.delete("f1"), Any)
        assert_type(await api.drop("f1").aggregate(["$count"]), list[JSONObject])
        assert_type(await api.drop.find_in_flows({"f1": {"limit": 1}}), dict[str, list[JSONObject]])
        assert_type(await api.drop.find(path="/a/b"), list[JSONObject])
        assert_type(await api.statistics.track_hit("t1"), list[int])
        assert_type(await api.request("GET", "/flow"), Any)
        assert_type(
            await api.drop("f1").create_many([{"elems": {}}]), BulkResult[JSONObject]
        )
        assert_type(api.flow.find_iter(limit=3), AsyncIterator[JSONObject])
        async for flow in api.flow.find_iter():
            assert_type(flow, JSONObject)

        assert_type(await api.flow.typed.read("f1"), Flow)
        assert_type(await api.flow.typed.read("f1", refs=True), tuple[Flow, References])
        assert_type(await api.flow.typed.read_or_else("f1"), Flow | None)
        assert_type(await api.flow.typed.find(mem.path == "/a/b"), list[Flow])
        assert_type(await api.drop("f1").typed.find(limit=2), list[Drop])
        assert_type(await api.drop("f1").typed.create(Drop(elems={})), Drop)
        assert_type(await api.drop("f1").typed.aggregate(["$count"]), list[AggregateRow])
        assert_type(await api.drop("f1").typed.create_many([Drop(elems={})]), BulkResult[Drop])
        assert_type(await api.drop.typed("f1").read("d1"), Drop)
        assert_type(await api.statistics.typed.track_hit("t1"), StatisticsSeries)
        async for drop in api.drop("f1").typed.find_iter(order="asc"):
            assert_type(drop, Drop)


async def check_websocket(api: flowthings.asyncio.API) -> None:
    """The asyncio WebSocket client: options, callbacks, awaited replies, typed pushes."""
    ws = api.websocket.connect(
        on_error=lambda ws, exc: print(ws.connected, exc),  # parameters inferred
        on_reconnect=lambda ws, attempt: print(attempt + 1),
        heartbeat_interval=None,
        request_timeout=2.5,
        max_retries=3,
        header={"X-Trace": "1"},
    )
    assert_type(ws, WebSocketClient)
    assert_type(await api.websocket.session_url(), str)
    async with ws as opened:
        assert_type(opened, WebSocketClient)
        assert_type(await ws.subscribe("f1"), Any)
        assert_type(ws.subscriptions, list[str])
        assert_type(await ws.create_drop("f1", Drop(elems={"t": 1})), JSONObject)
        assert_type(await ws.find_drop("f1", "d1"), JSONObject)
        assert_type(await ws.find_drops("f1", filter=mem.elems.t > 0, limit=5), list[JSONObject])
        assert_type(await ws.update_drop("f1", "d1", {"elems": {"t": 2}}), JSONObject)
        assert_type(await ws.delete_drop("f1", "d1"), Any)
        assert_type(await ws.send({"type": "findmany", "object": "flow"}, timeout=1.0), Any)
        stream = ws.drops("f1", timeout=5.0, raise_on_gap=True)
        assert_type(stream, AsyncDropIterator)
        async for drop in stream:
            assert_type(drop, Drop)
        assert_type(stream.gaps, int)
        assert_type(ws.messages("f1"), AsyncMessageIterator)
        async for data in ws.messages(timeout=1.0):
            assert_type(data, dict[str, Any])
    await ws.aclose()
