"""Client-side overhead of one SDK call, as a ratio against a raw httpx call.

Both sides talk to the same in-process `httpx.MockTransport`, which answers a
canned flowthings envelope, so the network is out of the picture and the
ratio is the SDK's own cost (URL and params building, JSON, envelope parsing,
error mapping) on top of httpx.

    python benchmarks/bench_request_overhead.py [--calls 5000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import httpx

from flowthings import API, Token, mem

BODY = json.dumps(
    {
        "head": {"ok": True, "status": 200, "messages": [], "errors": [], "references": {}},
        "body": [{"id": f"d{i:024x}", "elems": {"temp": i}} for i in range(10)],
    }
).encode()


def _handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})


def _time_pair(
    a: Callable[[], object], b: Callable[[], object], calls: int, rounds: int = 7
) -> tuple[float, float]:
    """Best-of-rounds seconds per call of `a` and `b`, rounds interleaved so
    that machine noise hits both sides alike."""
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for index, fn in enumerate((a, b)):
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            best[index] = min(best[index], (time.perf_counter() - start) / calls)
    return best[0], best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()

    client = httpx.Client(transport=httpx.MockTransport(_handler))
    api = API(Token("acc", "secret"), http_client=client, max_retries=0)
    flow_filter = mem.elems.temp > 3
    url = "https://api.flowthings.io/v0.1/acc/drop/f1"
    # The same four headers the SDK (and 1.0.5) sends, so both sides put the
    # same request on the wire.
    headers = {
        "Accept": "*/*",
        "Content-Type": 'application/json; charset="UTF-8"',
        "X-Auth-Token": "secret",
        "X-Auth-Account": "acc",
    }

    def raw() -> object:
        response = client.get(url, params={"filter": "elems.temp > 3", "limit": 10}, headers=headers)
        return json.loads(response.content)["body"]

    def sdk() -> object:
        return api.drop("f1").find(flow_filter, limit=10)

    assert raw() == sdk()
    raw_s, sdk_s = _time_pair(raw, sdk, args.calls)
    print(f"raw httpx : {raw_s * 1e6:8.1f} us/call")
    print(f"flowthings: {sdk_s * 1e6:8.1f} us/call")
    print(f"ratio     : {sdk_s / raw_s:8.2f}x  (SDK / raw httpx, same transport)")
    api.close()
    client.close()


if __name__ == "__main__":
    main()
