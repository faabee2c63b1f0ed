"""Parallel speed-up of `api.async_()` under eventlet and gevent.

    python benchmarks/bench_green.py [--latency 0.02] [--sizes 100 1000]

Each library runs in its own subprocess, because monkey-patching must happen
before flowthings (and httpx) is imported. In it, a loopback server
(`tests/green/latency_server.py`) answers every request after `--latency`
seconds; the script measures, for each size N:

- sequential: N plain `api.flow.read()` calls, one after another (the
  baseline; above `--max-sequential` calls it is extrapolated from that many);
- async: N `async_api.flow.read()` calls then `results()` (default pool, 100);
- raw httpx: the same N GETs with a bare `httpx.Client` (same limits) in a
  pool of the same size, the floor the SDK's own overhead is measured against.

Parallel timings are the best of `--repeat` runs for N <= 200 (one run above).

It reports speed-up = sequential / async, and async / raw httpx.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
import warnings
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
HELPERS = os.path.join(os.path.dirname(HERE), "tests", "green")


def child(
    lib: str, latency: float, sizes: list[int], max_sequential: int, repeat: int
) -> dict[str, Any]:
    """Runs in the subprocess: patch, then measure."""
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    # httpcore imports trio when installed; trio needs select.epoll, which the
    # patched select lacks, so import it first.
    with contextlib.suppress(ImportError):
        import trio  # noqa: F401
    if lib == "eventlet":
        import eventlet

        eventlet.monkey_patch()
        module: Any = eventlet
        pool_of = eventlet.GreenPool
    else:
        from gevent import monkey

        monkey.patch_all()
        import gevent
        import gevent.pool

        module = gevent
        pool_of = gevent.pool.Pool

    import httpx

    sys.path.insert(0, HELPERS)
    from latency_server import start_server

    from flowthings import API, Token

    server = start_server(latency)
    api = API(Token("bench", "t"), async_lib=module, secure=False, host=server.base_url)
    api.flow.read("warm")
    raw = httpx.Client(limits=httpx.Limits(max_connections=100, max_keepalive_connections=20))
    url = f"http://{server.base_url}/v0.1/bench/flow/"

    rows = []
    for n in sizes:
        count = min(n, max_sequential)
        started = time.perf_counter()
        for i in range(count):
            api.flow.read(f"s{i}")
        sequential = (time.perf_counter() - started) * n / count

        parallel = floor = float("inf")
        for _ in range(repeat if n <= 200 else 1):  # best of `repeat`: the box may be busy
            async_api = api.async_()
            started = time.perf_counter()
            for i in range(n):
                async_api.flow.read(f"a{i}")
            results = async_api.results()
            parallel = min(parallel, time.perf_counter() - started)
            assert len(results) == n

            pool = pool_of(100)
            started = time.perf_counter()
            threads = [pool.spawn(raw.get, f"{url}r{i}") for i in range(n)]
            for thread in threads:
                (thread.wait() if lib == "eventlet" else thread.get()).raise_for_status()
            floor = min(floor, time.perf_counter() - started)

        rows.append(
            {
                "n": n,
                "sequential": sequential,
                "extrapolated": count < n,
                "async": parallel,
                "raw": floor,
            }
        )
    api.close()
    raw.close()
    return {"lib": lib, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.02, help="server latency, seconds")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--max-sequential", type=int, default=200)
    parser.add_argument("--libs", nargs="+", default=["eventlet", "gevent"])
    parser.add_argument("--repeat", type=int, default=5, help="best of, for N <= 200")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        report = child(args.child, args.latency, args.sizes, args.max_sequential, args.repeat)
        print(json.dumps(report))
        return

    print(f"server latency {args.latency * 1000:.0f} ms, default pool (100 green threads)")
    print(
        f"{'lib':<9} {'N':>5} {'sequential s':>13} {'async s':>9} {'speed-up':>9} "
        f"{'raw httpx s':>12} {'async/raw':>10}"
    )
    for lib in args.libs:
        command = [sys.executable, __file__, "--child", lib, "--latency", str(args.latency)]
        command += ["--max-sequential", str(args.max_sequential), "--repeat", str(args.repeat)]
        command += ["--sizes"]
        command += [str(n) for n in args.sizes]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            print(f"{lib}: failed\n{done.stderr[-2000:]}")
            continue
        report = json.loads(done.stdout.strip().splitlines()[-1])
        for row in report["rows"]:
            mark = "*" if row["extrapolated"] else " "
            print(
                f"{lib:<9} {row['n']:>5} {row['sequential']:>12.2f}{mark} {row['async']:>9.3f} "
                f"{row['sequential'] / row['async']:>8.1f}x {row['raw']:>12.3f} "
                f"{row['async'] / row['raw']:>9.2f}x"
            )
    print(f"* extrapolated from {args.max_sequential} sequential calls")


if __name__ == "__main__":
    main()
