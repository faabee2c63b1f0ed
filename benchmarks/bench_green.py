"""Parallel speed-up of `api.async_()` under eventlet and gevent.

    python -m benchmarks --only green [--quick]

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
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import CheckFailed, Row, Settings, check

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
            check(len(results) == n, f"{lib} async_() gave {len(results)} of {n} results")

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


GROUP = "green fan-out"


def rows(settings: Settings) -> list[Row]:
    """Speed-up rows for eventlet and gevent, one subprocess per library."""
    out = []
    small, large = settings.green_sizes
    latency_ms = settings.green_latency * 1000
    for lib in ("eventlet", "gevent"):
        command = [sys.executable, os.path.abspath(__file__), "--child", lib,
                   "--latency", str(settings.green_latency),
                   "--max-sequential", str(settings.green_max_sequential),
                   "--repeat", str(2 if settings.quick else 5),
                   "--sizes", str(small), str(large)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            # the child's own check (or crash) failed: its figures would mean nothing
            raise CheckFailed(f"bench_green child {lib} failed:\n{done.stderr[-2000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        for row in report["rows"]:
            n = row["n"]
            size = "small" if n == small else "large"
            extrapolated = (
                f"sequential extrapolated from {settings.green_max_sequential} calls"
                if row["extrapolated"]
                else ""
            )
            out.append(
                Row(GROUP, f"{lib} api.async_() speed-up, {size} batch, {latency_ms:.0f} ms latency",
                    n, row["async"], row["sequential"], "s", "the same calls made sequentially",
                    ratio=row["sequential"] / row["async"], note=extrapolated)
            )  # fmt: skip
            out.append(
                Row(GROUP, f"{lib} api.async_() vs raw httpx in a green pool, {size} batch",
                    n, row["async"], row["raw"], "s",
                    "bare `httpx.Client` GETs in a green pool of 100")
            )  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.02, help="server latency, seconds")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--max-sequential", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5, help="best of, for N <= 200")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if not args.child:
        # This file is the child process of `rows`; the command is the runner
        # (which imports this module: the runner sits above the sections).
        parser.error("run the benchmark as: python -m benchmarks --only green [--quick]")
    report = child(args.child, args.latency, args.sizes, args.max_sequential, args.repeat)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
