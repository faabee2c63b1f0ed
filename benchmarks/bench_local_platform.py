"""Benchmark of the local flowthings platform.

Run: ``python benchmarks/bench_local_platform.py [--drops N] [--big N] [--rounds N]``

What is measured (one process, loopback HTTP, in-memory SQLite; the client
and the server share the machine, so absolute numbers move with the host —
compare the ratios, which use baselines measured in the same run):

1. Drop writes per second, in interleaved rounds (median of rounds):

   * ``SDK``: ``api.drop(fid).create(body)``;
   * ``raw``: ``httpx.Client.post`` of the same bodies to the same server;
   * ``floor``: the same ``httpx`` posts to a bare ASGI app served by the
     same uvicorn configuration (h11), answering a fixed 201 envelope: the
     cost of HTTP itself on this machine.

   ``SDK / raw`` is the SDK's overhead; ``raw / floor`` is how close the
   platform's write path comes to bare HTTP (1.0 = the platform adds nothing).
2. Query latency over a flow holding ``--big`` drops (inserted directly
   through the store), median and best of 7, and as a multiple of
   ``json.loads`` over the same stored documents (the decode every full scan
   pays): a selective filter that scans the whole flow, a filter that matches
   early, no filter, and a sort by an element.

Numbers are informative, not assertions.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn

from flowthings import mem
from flowthings.local import _ids
from flowthings.local._server import bind
from flowthings.local.testing import local_platform

_FLOOR_BODY = (
    b'{"head":{"status":201,"ok":true,"messages":[],"errors":[],"references":{}},"body":{}}'
)


async def _floor_app(scope: Any, receive: Any, send: Any) -> None:
    """A bare ASGI app: read the body, answer a fixed envelope."""
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": _FLOOR_BODY})


class _FloorServer:
    """``_floor_app`` on the same uvicorn configuration as the platform (h11)."""

    def __init__(self) -> None:
        self.sock = bind()
        config = uvicorn.Config(_floor_app, http="h11", lifespan="off", log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/drop"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def _rate(indexes: range, fn: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in indexes:
        fn(i)
    return len(indexes) / (time.perf_counter() - start)


def _latency_ms(fn: Callable[[], object], repeat: int = 7) -> tuple[float, float]:
    fn()  # warm up (filter compile cache, connection)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--drops", type=int, default=2000, help="drops written per client")
    ap.add_argument("--big", type=int, default=100_000, help="drops in the query benchmark")
    ap.add_argument("--rounds", type=int, default=8, help="interleaved write rounds")
    args = ap.parse_args()
    rng = random.Random(42)
    bodies = [
        {"elems": {"temp": round(rng.uniform(-10, 40), 2), "city": f"c{i % 50}", "ok": i % 3 == 0}}
        for i in range(args.drops)
    ]

    with local_platform() as lp, _FloorServer() as floor_url:
        api = lp.api
        a = lp.account
        sdk_flow = api.flow.create({"path": f"/{a}/bench/sdk", "capacity": 100000})
        raw_flow = api.flow.create({"path": f"/{a}/bench/raw", "capacity": 100000})
        drops = api.drop(sdk_flow["id"])
        headers = {
            "X-Auth-Token": lp.token,
            "X-Auth-Account": a,
            "Content-Type": "application/json",
        }
        url = lp.url(f"/drop/{raw_flow['id']}")
        encoded = [json.dumps(b).encode() for b in bodies]
        with httpx.Client(headers=headers) as client:
            for i in range(50):  # warm up connections and code paths
                client.post(floor_url, content=encoded[i])
            # interleave short rounds so all three see the same conditions
            rates: dict[str, list[float]] = {"sdk": [], "raw": [], "floor": []}
            step = max(1, args.drops // args.rounds)
            for lo in range(0, args.drops, step):
                chunk = range(lo, min(lo + step, args.drops))
                rates["sdk"].append(_rate(chunk, lambda i: drops.create(bodies[i])))
                rates["raw"].append(
                    _rate(chunk, lambda i: client.post(url, content=encoded[i]).raise_for_status())
                )
                rates["floor"].append(
                    _rate(
                        chunk,
                        lambda i: client.post(floor_url, content=encoded[i]).raise_for_status(),
                    )
                )
        sdk, raw, floor = (statistics.median(rates[k]) for k in ("sdk", "raw", "floor"))
        print(f"drop writes ({args.drops} per client, loopback, in-memory SQLite)")
        print(f"  SDK   api.drop(fid).create      : {sdk:8.0f} drops/s")
        print(f"  raw   httpx.post                : {raw:8.0f} drops/s")
        print(f"  floor httpx.post, bare ASGI app : {floor:8.0f} req/s")
        print(f"  ratio SDK / raw                 : {sdk / raw:8.2f}")
        print(f"  ratio raw / floor               : {raw / floor:8.2f}")

        big = api.flow.create({"path": f"/{a}/bench/big", "capacity": 100000})
        now = _ids.now_ms() - args.big
        start = time.perf_counter()
        lp.platform.store.insert_drops(
            a,
            big["id"],
            (
                {
                    "id": _ids.new_id("drop"),
                    "flowId": big["id"],
                    "path": big["path"],
                    "creationDate": now + i,
                    "lastEditDate": now + i,
                    "elems": {"temp": round(rng.uniform(-10, 40), 2), "city": f"c{i % 50}", "n": i},
                }
                for i in range(args.big)
            ),
        )
        docs = [
            r[0]
            for r in lp.platform.store._conn.execute(
                "SELECT data FROM objects WHERE flow_id = ?", (big["id"],)
            )
        ]
        decode_ms, _ = _latency_ms(lambda: deque(map(json.loads, docs), maxlen=0), repeat=3)
        print(
            f"\nquery latency over {args.big} drops (inserted via the store in "
            f"{time.perf_counter() - start:.1f}s); median / best of 7 / median as a multiple"
            f" of json.loads of the {len(docs)} documents ({decode_ms:.0f} ms)"
        )
        bd = api.drop(big["id"])
        cases = {
            "selective filter (temp > 39.99)": lambda: bd.find(mem.elems.temp > 39.99, limit=20),
            "common filter (temp > 0), limit 20": lambda: bd.find(mem.elems.temp > 0, limit=20),
            "no filter, limit 20": lambda: bd.find(limit=20),
            "no filter, limit 1000": lambda: bd.find(limit=1000),
            "no filter, start 50000, limit 20": lambda: bd.find(start=50_000, limit=20),
            "sort by elems.n asc, limit 20": lambda: bd.find(sort="elems.n", order="asc"),
        }
        for name, fn in cases.items():
            med, best = _latency_ms(fn)
            print(f"  {name:38s}: {med:8.1f} ms / {best:8.1f} ms / {med / decode_ms:6.2f} x")


if __name__ == "__main__":
    main()
