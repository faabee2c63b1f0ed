"""WebSocket push throughput and latency on the local platform.

One flow, two subscribers connected at once to the same local platform and
reading the same pushes: the SDK's ``WebSocketClient`` (``on_message``
callback) and the baseline, a raw ``websocket-client`` connection whose
reader thread does the least a client can do (``recv`` + ``json.loads``).

* **throughput** — a REST writer posts N drops as fast as the platform takes
  them; each side's rate is N over the time from the first write to its last
  push received (a client that cannot keep up shows as a lower rate; on a
  2-core machine one writer already saturates the platform);
* **latency** — one write at a time; the median time from the start of the
  POST to the push reaching each side.

    python -m benchmarks --only websocket [--quick]
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import websocket

from benchmarks._harness import Row, Settings, check

if TYPE_CHECKING:
    from flowthings.local.testing import LocalPlatform

GROUP = "WebSocket push"
WRITERS = 1
PUSH_WAIT = 60.0
"""Seconds to wait for every push of the throughput run (a test shortens it)."""
SAMPLE_WAIT = 10.0
"""Seconds to wait for each push of the latency run."""


def _write(url: str, headers: dict[str, str], indexes: range, writers: int) -> None:
    """POST one drop per index (element ``i``) from ``writers`` threads."""

    def run(part: range) -> None:
        with httpx.Client(headers=headers) as http:
            for i in part:
                http.post(url, json={"elems": {"i": i}}).raise_for_status()

    threads = [
        threading.Thread(target=run, args=(indexes[w::writers],)) for w in range(writers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


class _Counter:
    """Counts pushes; records when each push (by its element ``i``) arrived."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.arrived: dict[int, float] = {}
        self.target = -1
        self.done = threading.Event()

    def push(self, drop: Any) -> None:
        now = time.perf_counter()
        with self.lock:
            self.count += 1
            elems = drop.get("elems", {}) if isinstance(drop, dict) else {}
            i = elems.get("i")
            if isinstance(i, dict):  # /v0.1 pushes carry typed elements
                i = i.get("value")
            if isinstance(i, int):
                self.arrived[i] = now
            if self.count == self.target:
                self.done.set()

    def expect(self, total: int) -> None:
        with self.lock:
            self.target = total
            if self.count >= total:
                self.done.set()


class _RawSubscriber:
    """The baseline: websocket-client, one reader thread, ``json.loads`` per frame."""

    def __init__(self, url: str, flow_id: str, counter: _Counter) -> None:
        self.ws = websocket.create_connection(url, timeout=30)
        self.ws.send(json.dumps({"type": "subscribe", "object": "drop", "flowId": flow_id,
                                 "msgId": "sub"}))  # fmt: skip
        reply = json.loads(self.ws.recv())
        check(reply["head"]["ok"], f"raw WebSocket subscription refused: {reply}")
        self.counter = counter
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while True:
                msg = json.loads(self.ws.recv())
                if msg.get("type") == "message":
                    self.counter.push(msg.get("value"))
        except (websocket.WebSocketException, OSError, ValueError):
            return

    def close(self) -> None:
        self.ws.close()
        self.thread.join(5)


def rows(settings: Settings, lp: LocalPlatform) -> list[Row]:
    """The push throughput and latency rows."""
    api = lp.api
    flow = api.flow.create({"path": f"/{lp.account}/bench/ws", "capacity": 100_000})
    flow_id = flow["id"]
    headers = {"X-Auth-Account": lp.account, "X-Auth-Token": lp.token}
    http = httpx.Client(headers=headers)
    url = lp.url(f"/drop/{flow_id}")

    def raw_session() -> str:
        sid = http.post(f"{lp.base_url}/session").json()["body"]["id"]
        return f"ws://{lp.ws_host}/session/{sid}/ws"

    sdk_count, raw_count = _Counter(), _Counter()
    sdk = api.websocket.connect(on_message=lambda ws, resource, drop: sdk_count.push(drop))
    sdk.run_in_thread(wait_open=10)
    sdk.subscribe(flow_id).result(10)
    raw = _RawSubscriber(raw_session(), flow_id, raw_count)
    try:
        # warm-up: a few pushes both sides must see
        warm = 20
        for i in range(warm):
            http.post(url, json={"elems": {"w": i}}).raise_for_status()
        n = settings.ws_drops
        sdk_count.expect(warm)
        raw_count.expect(warm)
        for side, c in (("SDK", sdk_count), ("raw", raw_count)):
            check(c.done.wait(30), f"{side} subscriber got {c.count} of {warm} warm-up pushes")
        for c in (sdk_count, raw_count):
            c.done.clear()
            c.expect(warm + n)

        start = time.perf_counter()
        _write(url, headers, range(n), WRITERS)
        for side, c in (("SDK", sdk_count), ("raw", raw_count)):
            # a missing push is a bug, not a slow rate: never report it as a figure
            check(
                c.done.wait(PUSH_WAIT),
                f"{side} subscriber received {c.count - warm} of {n} pushes within {PUSH_WAIT} s",
            )
        sdk_rate = n / (max(sdk_count.arrived.values()) - start)
        raw_rate = n / (max(raw_count.arrived.values()) - start)

        latencies: dict[str, list[float]] = {"sdk": [], "raw": []}
        base = warm + n
        samples = settings.ws_latency_samples
        for k in range(samples):
            i = n + k
            for c in (sdk_count, raw_count):
                c.done.clear()
                c.expect(base + k + 1)
            t0 = time.perf_counter()
            http.post(url, json={"elems": {"i": i}}).raise_for_status()
            for side, c in (("SDK", sdk_count), ("raw", raw_count)):
                check(
                    c.done.wait(SAMPLE_WAIT) and i in c.arrived,
                    f"{side} subscriber missed latency push {k + 1} of {samples}",
                )
            latencies["sdk"].append(sdk_count.arrived[i] - t0)
            latencies["raw"].append(raw_count.arrived[i] - t0)
    finally:
        sdk.close()
        raw.close()
        http.close()
    lat_sdk = statistics.median(latencies["sdk"])
    lat_raw = statistics.median(latencies["raw"])
    baseline = "raw `websocket-client` reading the same pushes"
    return [
        Row(GROUP, "push throughput: SDK WebSocketClient", n, sdk_rate, raw_rate, "pushes/s",
            baseline),
        Row(GROUP, "push latency (POST start to push): SDK WebSocketClient", samples,
            lat_sdk * 1e3, lat_raw * 1e3, "ms", baseline),
    ]  # fmt: skip
