"""Per-call overhead of the SDK, and the cost of typed parsing.

On one local platform (uvicorn on loopback, in-memory SQLite):

* **per-call overhead** — ``api.flow.read(id)`` and
  ``api.drop(fid).find(limit=100)`` against the same GET made with a bare
  ``httpx.Client`` (same four headers, keep-alive, ``json.loads`` of the
  answer: both sides end with the same body in hand); target <= 1.10 (the
  median of the per-round ratios). And against a new TCP connection per call
  (keep-alive off), which is what 1.0.5 did with ``requests.get``. The
  "client side only" rows time the same two calls over an
  ``httpx.MockTransport`` answering the same body: the SDK's own cost, with
  the server's noise out of the picture (the asyncio client's rows are in
  :mod:`benchmarks.bench_asyncio`).
* **typed parsing** — ``api.drop(fid).typed.find(limit=1000)`` turning the
  server's answer (its exact bytes, fetched once) into ``Drop`` models,
  against ``json.loads`` of the same bytes; target <= 2. "Model building" is
  what the typed view does with the bytes (the fast validator of
  ``flowthings.models._wire``, with its fallback); the "mock transport" row is
  the whole typed call over an ``httpx.MockTransport`` answering those bytes
  (request building, envelope, models; no network); the "usual path" row is
  the parse the typed view falls back to (and did before the fast validator):
  ``json.loads``, then ``Drop.model_validate`` per drop. Measured for ``/v0.1``
  answers (typed elements, the default) and ``/v4.0`` answers (plain
  elements); plus the end-to-end typed find against the plain find on the
  live server. The "floor" row parses the same bytes into bare pydantic
  models (one per drop, one per typed element, no checks): what building
  that many pydantic objects costs at the least. On ``/v0.1`` answers it is
  already above 2x ``json.loads``, so the target can only be met there by a
  typed view that is not made of pydantic models.

    python -m benchmarks --only overhead [--quick]
"""

from __future__ import annotations

import json
import random
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from benchmarks._harness import (
    Row,
    Settings,
    check,
    interleaved,
    interleaved_samples,
    paired_ratio,
)
from flowthings import API

if TYPE_CHECKING:
    from flowthings.local.testing import LocalPlatform

GROUP_OVERHEAD = "per-call overhead"
GROUP_TYPED = "typed parsing"


def fill_flow(lp: LocalPlatform, path: str, count: int, seed: int = 7) -> str:
    """Create a flow at ``path`` holding ``count`` drops; return its id."""
    rng = random.Random(seed)
    flow = lp.api.flow.create({"path": f"/{lp.account}{path}", "capacity": 100_000})
    drops = lp.api.drop(flow["id"])
    for i in range(count):
        drops.create(
            {
                "elems": {
                    "temp": round(rng.uniform(-10, 40), 2),
                    "city": f"c{i % 50}",
                    "ok": i % 3 == 0,
                    "n": i,
                }
            }
        )
    return str(flow["id"])


def _headers(lp: LocalPlatform) -> dict[str, str]:
    # The four headers the SDK (and 1.0.5) sends: both sides put the same request on the wire.
    return {
        "Accept": "*/*",
        "Content-Type": 'application/json; charset="UTF-8"',
        "X-Auth-Token": lp.token,
        "X-Auth-Account": lp.account,
    }


def overhead_rows(settings: Settings, lp: LocalPlatform, drops_flow: str) -> list[Row]:
    api = lp.api
    flow_id = drops_flow
    headers = _headers(lp)
    bare = httpx.Client(headers=headers)
    fresh = httpx.Client(headers=headers, limits=httpx.Limits(max_keepalive_connections=0))
    rows = []
    cases: list[tuple[str, str, dict[str, Any], Any]] = [
        ("api.flow.read(id)", f"/flow/{flow_id}", {}, lambda: api.flow.read(flow_id)),
        (
            "api.drop(fid).find(limit=100)",
            f"/drop/{flow_id}",
            {"limit": 100},
            lambda: api.drop(flow_id).find(limit=100),
        ),
    ]
    total = settings.calls * settings.rounds
    try:
        for name, path, params, sdk in cases:
            url = lp.url(path)

            def raw(url: str = url, params: dict[str, Any] = params) -> Any:
                return json.loads(bare.get(url, params=params).content)["body"]

            def new_conn(url: str = url, params: dict[str, Any] = params) -> Any:
                return json.loads(fresh.get(url, params=params).content)["body"]

            check(sdk() == raw() == new_conn(), f"{name}: the SDK and raw httpx answers differ")
            s_sdk, s_raw, s_new = interleaved_samples(
                [sdk, raw, new_conn], settings.rounds, settings.calls
            )
            t_sdk, t_raw, t_new = (statistics.median(s) for s in (s_sdk, s_raw, s_new))
            rows.append(
                Row(GROUP_OVERHEAD, name, total, t_sdk * 1e6, t_raw * 1e6, "us",
                    "bare `httpx.Client`, same server", "<= 1.10",
                    ratio=paired_ratio(s_sdk, s_raw))
            )  # fmt: skip
            rows.append(
                Row(GROUP_OVERHEAD, f"{name}, vs 1.0.5-style", total, t_sdk * 1e6, t_new * 1e6,
                    "us", "new TCP connection per call (1.0.5)", ratio=paired_ratio(s_sdk, s_new))
            )  # fmt: skip
            rows.append(_client_side_row(settings, lp, name, url, params, raw()))
    finally:
        bare.close()
        fresh.close()
    return rows


def _client_side_row(
    settings: Settings, lp: LocalPlatform, name: str, url: str, params: dict[str, Any], body: Any
) -> Row:
    """The SDK's own cost: the same call and the same bare-client request over an
    ``httpx.MockTransport`` answering what the server answered (no network, no server)."""
    content = json.dumps({"head": {"ok": True, "status": 200, "errors": [], "messages": [],
                                   "references": {}}, "body": body}).encode()  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers={"content-type": "application/json"})

    client = httpx.Client(transport=httpx.MockTransport(handler), headers=_headers(lp))
    api = API(lp.creds, http_client=client, host=lp.host, secure=False)
    flow_id = url.rsplit("/", 1)[1]
    sdk = (lambda: api.flow.read(flow_id)) if "/flow/" in url else (
        lambda: api.drop(flow_id).find(limit=100)
    )

    def raw() -> Any:
        return json.loads(client.get(url, params=params).content)["body"]

    check(sdk() == raw(), f"{name}, client side: the SDK and raw httpx answers differ")
    s_sdk, s_raw = interleaved_samples([sdk, raw], settings.rounds, settings.calls)
    api.close()
    client.close()
    return Row(GROUP_OVERHEAD, f"{name}, client side only", settings.calls * settings.rounds,
               statistics.median(s_sdk) * 1e6, statistics.median(s_raw) * 1e6, "us",
               "bare `httpx.Client`, both over the same `httpx.MockTransport`",
               ratio=paired_ratio(s_sdk, s_raw), note="no network, no server")  # fmt: skip


def _mock_api(lp: LocalPlatform, content: bytes, version: str) -> API:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers={"content-type": "application/json"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return API(lp.creds, http_client=client, host=lp.host, secure=False, version=version)


def _model_building(content: bytes) -> Any:
    """What the typed view does with the bytes of a drops answer: the fast
    validator when it takes them, else ``json.loads`` and the models."""
    from flowthings.models import Drop
    from flowthings.services.typed import _decoder

    decode = _decoder(Drop, True)

    def build() -> object:
        decoded = decode(content) if decode is not None else None
        if decoded is not None:
            return decoded[0].value
        return [Drop.model_validate(d) for d in json.loads(content)["body"]]

    return build


def _pydantic_floor() -> Callable[[bytes], object]:
    """The cheapest pydantic parse of a drops answer: the same bytes into one
    bare model per drop and one per typed element (no field checks, no
    unions to try), i.e. the floor of any typed view made of pydantic models."""
    from pydantic import BaseModel, ConfigDict, JsonValue, TypeAdapter

    class FloorElement(BaseModel):
        model_config = ConfigDict(extra="allow")
        type: str
        value: JsonValue

    class FloorDrop(BaseModel):
        model_config = ConfigDict(extra="allow")
        elems: dict[str, FloorElement | JsonValue] = {}

    class FloorEnvelope(BaseModel):
        body: list[FloorDrop]

    adapter = TypeAdapter(FloorEnvelope)
    return adapter.validate_json


def typed_rows(settings: Settings, lp: LocalPlatform, flow_id: str) -> list[Row]:
    from flowthings.models import Drop

    n = settings.parse_drops
    rows = []
    floor_parse = _pydantic_floor()
    bare = httpx.Client(headers=_headers(lp))
    repeat = settings.rounds * (3 if settings.quick else 2)
    baseline = "`json.loads` of the same bytes"
    try:
        for version, what in (("0.1", "typed elements"), ("4.0", "plain elements")):
            url = lp.url(f"/drop/{flow_id}", version=version)
            content = bare.get(url, params={"limit": n}).content
            api = _mock_api(lp, content, version)
            typed = api.drop(flow_id).typed
            build = _model_building(content)
            expected = typed.find(limit=n)
            check(build() == expected, f"/v{version}: model building != typed.find()")
            check(len(expected) == n, f"/v{version}: typed.find() gave {len(expected)} of {n}")

            def sdk(typed: Any = typed) -> object:
                return typed.find(limit=n)

            def loads(content: bytes = content) -> object:
                return json.loads(content)

            def fallback(content: bytes = content) -> object:
                return [Drop.model_validate(d) for d in json.loads(content)["body"]]

            def floor(content: bytes = content) -> object:
                return floor_parse(content)

            t_build, t_sdk, t_loads, t_fallback, t_floor = interleaved(
                [build, sdk, loads, fallback, floor], repeat, 1, warmup=2
            )
            api.close()
            rows.append(
                Row(GROUP_TYPED, f"model building: answer bytes to list[Drop], /v{version}", n,
                    t_build * 1e3, t_loads * 1e3, "ms", baseline, "<= 2", note=what)
            )  # fmt: skip
            rows.append(
                Row(GROUP_TYPED, f"floor: bare pydantic models (1 per drop + 1 per typed element), /v{version}",
                    n, t_floor * 1e3, t_loads * 1e3, "ms", baseline, note="the least pydantic can do")
            )  # fmt: skip
            rows.append(
                Row(GROUP_TYPED, f"usual path (fallback): json.loads + Drop.model_validate, /v{version}",
                    n, t_fallback * 1e3, t_loads * 1e3, "ms", baseline, note="before the fix")
            )  # fmt: skip
            rows.append(
                Row(GROUP_TYPED, f"api.drop(fid).typed.find(limit={n}), /v{version}, mock transport",
                    n, t_sdk * 1e3, t_loads * 1e3, "ms", baseline, note="request + models")
            )  # fmt: skip
    finally:
        bare.close()
    drops = lp.api.drop(flow_id)
    t_typed, t_plain = interleaved(
        [lambda: drops.typed.find(limit=n), lambda: drops.find(limit=n)], repeat, 1, warmup=2
    )
    rows.append(
        Row(GROUP_TYPED, f"typed.find(limit={n}) end-to-end", n, t_typed * 1e3, t_plain * 1e3,
            "ms", "plain `find(limit=...)` (dicts), same server")
    )  # fmt: skip
    return rows


def rows(settings: Settings, lp: LocalPlatform) -> list[Row]:
    """The per-call overhead and typed parsing rows."""
    flow_id = fill_flow(lp, "/bench/overhead", max(100, settings.parse_drops))
    return overhead_rows(settings, lp, flow_id) + typed_rows(settings, lp, flow_id)
