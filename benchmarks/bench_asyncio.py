"""Per-call overhead of the asyncio client (issue 18) against a bare ``httpx.AsyncClient``.

    python -m benchmarks --only asyncio [--quick]

On the local platform of the run (uvicorn on loopback, in-memory SQLite; its
server thread shares the process), ``await api.flow.read(id)`` and
``await api.drop(fid).find(limit=100)`` of ``flowthings.asyncio.API`` against
the same GET made with a bare ``httpx.AsyncClient`` (the same four headers,
keep-alive, ``json.loads`` of the answer: both sides end with the same body in
hand); target <= 1.10, the median of the per-round ratios. Each timed round is
``calls`` awaits in a row inside one ``run_until_complete`` on one event loop,
so the loop's start-up cost is not counted per call on either side.

The "client side only" rows time the same two calls over an
``httpx.MockTransport`` answering the same body: the client's own cost, with
the server's noise out of the picture (each call driven by its own
``run_until_complete`` on both sides).

The fan-out rows (1000 concurrent finds, asyncio against the green views)
are in :mod:`benchmarks.bench_asyncio_fanout`.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

import flowthings.asyncio
from benchmarks._harness import Row, Settings, check, interleaved_samples, paired_ratio
from benchmarks.bench_request_overhead import GROUP_OVERHEAD, fill_flow

if TYPE_CHECKING:
    from flowthings.local.testing import LocalPlatform

__all__ = ["rows"]

_ENVELOPE_HEAD = {"ok": True, "status": 200, "errors": [], "messages": [], "references": {}}


def _headers(lp: LocalPlatform) -> dict[str, str]:
    # The four headers the SDK sends: both sides put the same request on the wire.
    return {
        "Accept": "*/*",
        "Content-Type": 'application/json; charset="UTF-8"',
        "X-Auth-Token": lp.token,
        "X-Auth-Account": lp.account,
    }


def _cases(flow_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("api.flow.read(id)", f"/flow/{flow_id}", {}),
        ("api.drop(fid).find(limit=100)", f"/drop/{flow_id}", {"limit": 100}),
    ]


def _sdk_call(api: flowthings.asyncio.API, path: str) -> Callable[[], Awaitable[Any]]:
    flow_id = path.rsplit("/", 1)[1]
    if path.startswith("/flow/"):
        return lambda: api.flow.read(flow_id)
    return lambda: api.drop(flow_id).find(limit=100)


def server_rows(settings: Settings, lp: LocalPlatform, flow_id: str) -> list[Row]:
    """asyncio SDK against a bare ``httpx.AsyncClient``, same server, same loop."""
    loop = asyncio.new_event_loop()
    bare = httpx.AsyncClient(headers=_headers(lp))
    api = flowthings.asyncio.API(lp.creds, host=lp.host, secure=False)
    calls = settings.calls
    out = []
    try:
        for name, path, params in _cases(flow_id):
            url = lp.url(path)
            sdk_call = _sdk_call(api, path)

            async def raw_call(url: str = url, params: dict[str, Any] = params) -> Any:
                return json.loads((await bare.get(url, params=params)).content)["body"]

            async def batch(call: Callable[[], Awaitable[Any]]) -> None:
                for _ in range(calls):
                    await call()

            sdk_answer = loop.run_until_complete(sdk_call())
            raw_answer = loop.run_until_complete(raw_call())
            check(sdk_answer == raw_answer, f"asyncio {name}: the SDK and raw httpx answers differ")
            expected = 100 if "find" in name else 1
            got = len(sdk_answer) if isinstance(sdk_answer, list) else 1
            check(got == expected, f"asyncio {name}: {got} items, expected {expected}")

            def sdk(sdk_call: Callable[[], Awaitable[Any]] = sdk_call) -> None:
                loop.run_until_complete(batch(sdk_call))

            def raw(raw_call: Callable[[], Awaitable[Any]] = raw_call) -> None:
                loop.run_until_complete(batch(raw_call))

            # One "call" of the harness is a batch of `calls` awaits: per call = / calls.
            s_sdk, s_raw = interleaved_samples([sdk, raw], settings.rounds, 1, warmup=1)
            out.append(
                Row(GROUP_OVERHEAD, f"asyncio {name}", calls * settings.rounds,
                    statistics.median(s_sdk) / calls * 1e6, statistics.median(s_raw) / calls * 1e6,
                    "us", "bare `httpx.AsyncClient`, same server", "<= 1.10",
                    ratio=paired_ratio(s_sdk, s_raw))
            )  # fmt: skip
    finally:
        loop.run_until_complete(api.aclose())
        loop.run_until_complete(bare.aclose())
        loop.close()
    return out


def client_side_row(
    settings: Settings, lp: LocalPlatform, name: str, path: str, params: dict[str, Any], body: Any
) -> Row:
    """The asyncio client's own cost: ``await`` of the same call against the same
    GET made with a bare ``httpx.AsyncClient``, both over one ``httpx.MockTransport``
    and one event loop (each call driven by ``run_until_complete`` on both sides)."""
    content = json.dumps({"head": _ENVELOPE_HEAD, "body": body}).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers={"content-type": "application/json"})

    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), headers=_headers(lp))
    api = flowthings.asyncio.API(lp.creds, http_client=client, host=lp.host, secure=False)
    sdk_call = _sdk_call(api, path)
    url = lp.url(path)

    async def raw_call() -> Any:
        return json.loads((await client.get(url, params=params)).content)["body"]

    def sdk() -> Any:
        return loop.run_until_complete(sdk_call())

    def raw() -> Any:
        return loop.run_until_complete(raw_call())

    try:
        check(sdk() == raw() == body, f"{name}, asyncio client side: the answers differ")
        s_sdk, s_raw = interleaved_samples([sdk, raw], settings.rounds, settings.calls)
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
    return Row(GROUP_OVERHEAD, f"asyncio {name}, client side only", settings.calls * settings.rounds,
               statistics.median(s_sdk) * 1e6, statistics.median(s_raw) * 1e6, "us",
               "bare `httpx.AsyncClient`, both over the same `httpx.MockTransport`",
               ratio=paired_ratio(s_sdk, s_raw), note="no network, no server")  # fmt: skip


def rows(settings: Settings, lp: LocalPlatform) -> list[Row]:
    """The asyncio per-call overhead rows: against the server, then client side only."""
    flow_id = fill_flow(lp, "/bench/asyncio", 100)
    out = server_rows(settings, lp, flow_id)
    for name, path, params in _cases(flow_id):
        body = lp.api.request("GET", path, params=params)
        out.append(client_side_row(settings, lp, name, path, params, body))
    return out
