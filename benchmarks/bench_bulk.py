"""Bulk writes: `api.drop(fid).create_many(concurrency=8)` against sequential `create`.

On the local platform (uvicorn on loopback, in-memory SQLite, served from a
thread of the benchmark's own process), N drops are written twice per round,
in interleaved rounds (median of rounds):

* sequential: ``for body in bodies: drops.create(body)`` (the baseline);
* bulk: ``drops.create_many(bodies, concurrency=8)``.

Two settings:

1. loopback, no added latency: client and server share one process (one
   GIL) and a shared 2-core machine, so there is little to overlap; this row
   shows what bulk costs or gains when the platform is next door;
2. the same platform behind an ASGI wrapper that waits before each request
   (``Settings.green_latency``, 20 ms as in the green fan-out benchmark: a
   round trip to a remote platform, which is what ``concurrency`` hides);
   the target (>= 4x with 8 in flight) applies here.

Correctness is checked in every round: the bulk result is complete, in input
order, without failures, and the flow holds every drop written.

    python -m benchmarks --only bulk [--quick]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import CheckFailed, Row, Settings, interleaved
from flowthings import API
from flowthings.local.http.server import ServerThread

if TYPE_CHECKING:
    from flowthings.local.testing import LocalPlatform

GROUP = "bulk writes"
CONCURRENCY = 8


def _delayed(app: Any, latency: float) -> Any:
    """``app``, answering every HTTP request ``latency`` seconds late."""

    async def delayed(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(latency)
        await app(scope, receive, send)

    return delayed


def _measure(api: API, settings: Settings, label: str) -> tuple[float, float]:
    """(sequential, bulk) seconds per round of ``settings.bulk_drops`` drops."""
    n = settings.bulk_drops
    flow = api.flow.create({"path": f"/{api.creds.account}/bench/bulk-{label}", "capacity": 100_000})
    drops = api.drop(flow["id"])
    bodies = [{"elems": {"i": i, "temp": 20 + i % 7}} for i in range(n)]
    written = 0

    def sequential() -> None:
        nonlocal written
        for body in bodies:
            drops.create(body)
        written += n

    def bulk() -> None:
        nonlocal written
        result = drops.create_many(bodies, concurrency=CONCURRENCY, hints=0)
        written += n
        if not result.ok or [d["elems"]["i"] for d in result.succeeded] != list(range(n)):
            raise CheckFailed(f"create_many lost or reordered drops: {result!r}")

    rounds = max(3, settings.rounds // 2)
    t_seq, t_bulk = interleaved([sequential, bulk], rounds, 1, warmup=1)
    stored = sum(1 for _ in drops.find_iter(page_size=1000, only=["id"]))
    if stored != written:
        raise CheckFailed(f"the flow holds {stored} drops, {written} were written")
    return t_seq, t_bulk


def rows(settings: Settings, lp: LocalPlatform) -> list[Row]:
    """The bulk-write speed-up rows: loopback, and behind simulated latency."""
    n = settings.bulk_drops
    t_seq, t_bulk = _measure(lp.api, settings, "loopback")
    server = ServerThread(lp.platform)
    server.server.config.app = _delayed(server.server.config.app, settings.green_latency)
    server.start()
    try:
        with API(lp.creds, secure=False, host=f"{server.host}:{server.port}") as far:
            t_seq_far, t_bulk_far = _measure(far, settings, "latency")
    finally:
        server.stop()
    ms = settings.green_latency * 1000
    return [
        Row(GROUP, f"create_many(concurrency={CONCURRENCY}) speed-up, loopback (same process)",
            n, t_bulk, t_seq, "s", "the same drops created one by one",
            ratio=t_seq / t_bulk),
        Row(GROUP, f"create_many(concurrency={CONCURRENCY}) speed-up, {ms:.0f} ms simulated latency",
            n, t_bulk_far, t_seq_far, "s", "the same drops created one by one",
            target=">= 4", ratio=t_seq_far / t_bulk_far),
    ]  # fmt: skip
