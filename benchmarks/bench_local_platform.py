"""Benchmark of the local flowthings platform.

Run: ``python benchmarks/bench_local_platform.py [--drops N] [--big N]``

Reports, against one in-process server (loopback HTTP, in-memory SQLite):

1. drops written per second through the SDK (``api.drop(fid).create``) and
   through raw ``httpx`` posting the same bodies to the same server in the
   same run, and their ratio (SDK overhead);
2. the latency of filtered queries over a flow holding 100,000 drops
   (inserted directly through the store for speed): a selective filter that
   scans the whole flow, a filter that matches early, and no filter.

Numbers are informative, not assertions.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable

import httpx

from flowthings import mem
from flowthings.local import _ids
from flowthings.local.testing import local_platform


def _rate(n: int, fn: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


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
    args = ap.parse_args()
    rng = random.Random(42)
    bodies = [
        {"elems": {"temp": round(rng.uniform(-10, 40), 2), "city": f"c{i % 50}", "ok": i % 3 == 0}}
        for i in range(args.drops)
    ]

    with local_platform() as lp:
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
            # interleave short rounds so both see the same conditions
            sdk_rates, raw_rates = [], []
            step = max(1, args.drops // 4)
            for lo in range(0, args.drops, step):
                chunk = range(lo, min(lo + step, args.drops))
                sdk_rates.append(_rate(len(chunk), lambda i, c=chunk: drops.create(bodies[c[i]])))
                raw_rates.append(
                    _rate(
                        len(chunk),
                        lambda i, c=chunk: client.post(
                            url, content=encoded[c[i]]
                        ).raise_for_status(),
                    )
                )
        sdk, raw = statistics.median(sdk_rates), statistics.median(raw_rates)
        print(f"drop writes ({args.drops} per client, loopback, in-memory SQLite)")
        print(f"  SDK  api.drop(fid).create : {sdk:8.0f} drops/s")
        print(f"  raw  httpx.post           : {raw:8.0f} drops/s")
        print(f"  ratio SDK / raw           : {sdk / raw:8.2f}")

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
        print(
            f"\nquery latency over {args.big} drops (inserted via the store in "
            f"{time.perf_counter() - start:.1f}s); median / best of 7"
        )
        bd = api.drop(big["id"])
        cases = {
            "selective filter (temp > 39.99)": lambda: bd.find(mem.elems.temp > 39.99, limit=20),
            "common filter (temp > 0), limit 20": lambda: bd.find(mem.elems.temp > 0, limit=20),
            "no filter, limit 20": lambda: bd.find(limit=20),
            "no filter, limit 1000": lambda: bd.find(limit=1000),
            "sort by elems.n asc, limit 20": lambda: bd.find(sort="elems.n", order="asc"),
        }
        for name, fn in cases.items():
            med, best = _latency_ms(fn)
            print(f"  {name:38s}: {med:8.1f} ms / {best:8.1f} ms")


if __name__ == "__main__":
    main()
