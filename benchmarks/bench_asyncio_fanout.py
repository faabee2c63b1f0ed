"""Concurrent finds: asyncio ``gather`` against the eventlet and gevent views (issue 18).

    python -m benchmarks --only asyncio [--quick]

N finds (``api.drop(fid).find(limit=10)`` over 10 flows; N = 1000 in a full
run) against a loopback server that answers every request after 20 ms
(`tests/green/latency_server.py`, a thread per connection, in a process of
its own: in the asyncio client's process its threads would fight the event
loop for the GIL, and all three clients must meet the same server). Each
client runs in its own subprocess, because eventlet and gevent must
monkey-patch before flowthings (and httpx) is imported, and asyncio must not
be patched:

- asyncio: ``await asyncio.gather(*(api.drop(f).find(limit=10) ...))`` on one
  ``flowthings.asyncio.API`` (its pooled ``httpx.AsyncClient``: 100
  connections, 100 requests handed to httpx at a time); the floor is the
  same gather of GETs on a bare ``httpx.AsyncClient`` with the same limits,
  100 at a time (an ``asyncio.Semaphore``);
- eventlet, gevent: ``async_api.drop(f).find(limit=10)`` N times, then
  ``results()`` (a pool of 100 green threads over the pooled ``httpx.Client``);
- sequential, in each process: the same finds one after another (above
  ``--max-sequential`` calls, extrapolated from that many).

Every answer is checked (the right flow, the right limit, in order) before a
figure is reported. Parallel timings are the best of ``--repeat`` runs.
Rows: each client's speed-up over its own sequential calls (sequential /
concurrent, higher is better), and asyncio against each green view and
against the bare ``httpx.AsyncClient`` (ratio of times, lower is better for
asyncio).
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import CheckFailed, Row, Settings, check

HERE = os.path.dirname(os.path.abspath(__file__))
HELPERS = os.path.join(os.path.dirname(HERE), "tests", "green")
GROUP = "asyncio fan-out"
FLOWS = 10
CLIENTS = ("asyncio", "eventlet", "gevent")


def _flow(i: int) -> str:
    return f"f{i % FLOWS}"


def _expected(i: int) -> list[dict[str, Any]]:
    # What the latency server answers to GET /drop/<flow>?limit=10.
    return [{"id": "d1", "flowId": _flow(i), "limit": "10"}]


def _check_answers(client: str, answers: list[Any], n: int) -> None:
    check(len(answers) == n, f"{client}: {len(answers)} answers for {n} finds")
    wrong = [i for i, answer in enumerate(answers) if answer != _expected(i)]
    check(not wrong, f"{client}: {len(wrong)} wrong answers, the first for find {wrong[:1]}")


def _asyncio_child(host: str, n: int, max_sequential: int, repeat: int) -> dict[str, Any]:
    import asyncio

    import httpx

    import flowthings.asyncio
    from flowthings import Token

    url = f"http://{host}/v0.1/bench/drop/"

    async def run() -> dict[str, Any]:
        async with flowthings.asyncio.API(
            Token("bench", "t"), secure=False, host=host
        ) as api:
            await api.drop("warm").find(limit=10)
            count = min(n, max_sequential)
            started = time.perf_counter()
            answers = [await api.drop(_flow(i)).find(limit=10) for i in range(count)]
            sequential = (time.perf_counter() - started) * n / count
            _check_answers("asyncio sequential", answers, count)
            best = floor = float("inf")
            limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
            # The SDK's limits and its default timeout (30 s; httpx's own is 5 s,
            # which N requests queued for 100 connections can outlast on a busy box).
            async with httpx.AsyncClient(limits=limits, timeout=30.0) as raw:
                # 100 at a time, as the SDK hands them to httpx: N requests queued
                # in httpx's own pool make it scan the queue at every hand-over.
                slots = asyncio.Semaphore(100)

                async def raw_get(i: int) -> httpx.Response:
                    async with slots:
                        return await raw.get(url + _flow(i), params={"limit": 10})

                for _ in range(repeat):
                    started = time.perf_counter()
                    answers = await asyncio.gather(
                        *(api.drop(_flow(i)).find(limit=10) for i in range(n))
                    )
                    best = min(best, time.perf_counter() - started)
                    _check_answers("asyncio gather", answers, n)

                    started = time.perf_counter()
                    responses = await asyncio.gather(*(raw_get(i) for i in range(n)))
                    floor = min(floor, time.perf_counter() - started)
                    bodies = [json.loads(r.content)["body"] for r in responses]
                    _check_answers("raw httpx.AsyncClient gather", bodies, n)
        return {"sequential": sequential, "concurrent": best, "raw": floor}

    return asyncio.run(run())


def _green_child(lib: str, host: str, n: int, max_sequential: int, repeat: int) -> dict[str, Any]:
    import importlib

    from flowthings import API, Token

    module = importlib.import_module(lib)
    with API(Token("bench", "t"), async_lib=module, secure=False, host=host) as api:
        api.drop("warm").find(limit=10)
        count = min(n, max_sequential)
        started = time.perf_counter()
        answers = [api.drop(_flow(i)).find(limit=10) for i in range(count)]
        sequential = (time.perf_counter() - started) * n / count
        _check_answers(f"{lib} sequential", answers, count)
        best = float("inf")
        for _ in range(repeat):
            async_api = api.async_()
            started = time.perf_counter()
            for i in range(n):
                async_api.drop(_flow(i)).find(limit=10)
            answers = async_api.results()
            best = min(best, time.perf_counter() - started)
            _check_answers(f"{lib} api.async_()", answers, n)
    return {"sequential": sequential, "concurrent": best}


def child(client: str, host: str, n: int, max_sequential: int, repeat: int) -> dict[str, Any]:
    """Runs in the subprocess: patch (green clients only), then measure."""
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    if client != "asyncio":
        # httpcore imports trio when installed, and trio needs select.epoll,
        # which the patched select lacks: import it before patching.
        with contextlib.suppress(ImportError):
            import trio  # noqa: F401
    if client == "eventlet":
        import eventlet

        eventlet.monkey_patch()
    elif client == "gevent":
        from gevent import monkey

        monkey.patch_all()

    if client == "asyncio":
        result = _asyncio_child(host, n, max_sequential, repeat)
    else:
        result = _green_child(client, host, n, max_sequential, repeat)
    return {"client": client, "n": n, "extrapolated": min(n, max_sequential) < n, **result}


def serve(latency: float) -> None:
    """Runs in the server subprocess: prints ``host:port``, then serves until killed."""
    sys.path.insert(0, HELPERS)
    from latency_server import start_server

    server = start_server(latency)
    print(server.base_url, flush=True)
    while True:
        time.sleep(3600)


@contextlib.contextmanager
def _server(latency: float) -> Iterator[str]:
    command = [sys.executable, os.path.abspath(__file__), "--serve", "--latency", str(latency)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        host = process.stdout.readline().strip()
        check(bool(host), "bench_asyncio_fanout: the latency server did not start")
        yield host
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _run_child(client: str, host: str, settings: Settings) -> dict[str, Any]:
    n = settings.green_sizes[1]
    command = [sys.executable, os.path.abspath(__file__), "--child", client,
               "--host", host, "--n", str(n),
               "--max-sequential", str(settings.green_max_sequential),
               "--repeat", str(2 if settings.quick else 3)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        # the child's own check (or crash) failed: its figures would mean nothing
        raise CheckFailed(f"bench_asyncio_fanout child {client} failed:\n{done.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def rows(settings: Settings) -> list[Row]:
    """Speed-up rows per client and asyncio-against-the-others rows."""
    with _server(settings.green_latency) as host:
        reports = {client: _run_child(client, host, settings) for client in CLIENTS}
    latency = f"{settings.green_latency * 1000:.0f} ms latency"
    out = []
    labels = {
        "asyncio": "asyncio gather",
        "eventlet": "eventlet api.async_()",
        "gevent": "gevent api.async_()",
    }
    for client in CLIENTS:
        report = reports[client]
        note = (
            f"sequential extrapolated from {settings.green_max_sequential} calls"
            if report["extrapolated"]
            else ""
        )
        out.append(
            Row(GROUP, f"{labels[client]} of concurrent finds, speed-up, {latency}", report["n"],
                report["concurrent"], report["sequential"], "s",
                "the same finds one after another, same client",
                ratio=report["sequential"] / report["concurrent"], note=note)
        )  # fmt: skip
    mine = reports["asyncio"]
    for client in ("eventlet", "gevent"):
        out.append(
            Row(GROUP, f"asyncio gather vs {labels[client]}, concurrent finds, {latency}",
                mine["n"], mine["concurrent"], reports[client]["concurrent"], "s",
                f"the same finds on the {client} view (pool of 100)")
        )  # fmt: skip
    out.append(
        Row(GROUP, f"asyncio gather vs raw httpx.AsyncClient gather, concurrent finds, {latency}",
            mine["n"], mine["concurrent"], mine["raw"], "s",
            "bare `httpx.AsyncClient` GETs (same limits), gathered 100 at a time")
    )  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.02, help="server latency, seconds")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--max-sequential", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="best of")
    parser.add_argument("--host", help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.latency)
    if not args.child:
        parser.error("run the benchmark as: python -m benchmarks --only asyncio [--quick]")
    print(json.dumps(child(args.child, args.host, args.n, args.max_sequential, args.repeat)))


if __name__ == "__main__":
    main()
