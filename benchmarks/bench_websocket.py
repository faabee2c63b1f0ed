"""WebSocket push throughput and latency on the local platform.

One flow, two subscribers connected at once to the same local platform and
reading the same pushes: the SDK's ``WebSocketClient`` (``on_message``
callback) and the baseline, a raw ``websocket-client`` connection whose
reader thread does the least a client can do (``recv`` + ``json.loads``).

* **throughput, REST writers** — 8 threads post N drops as fast as the
  platform takes them; each side's rate is N over the time from the first
  write to its last push received;
* **throughput, WebSocket writer** — drops created through one WebSocket
  (``type: create`` frames, up to 32 unanswered at a time), so HTTP is not in
  the way: this measures the push path itself. The raw subscriber's rate is
  also compared with the writer's acknowledged-create rate (1.0 = pushes keep
  up with writes);
* **latency at a sustained rate** — drops created through the WebSocket at a
  fixed pace (1,000/s; 200/s in a quick run), each carrying its send time;
  p50 and p99 of write-to-receipt for each side;
* **latency, one write at a time** — median time from the start of a REST
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
WRITERS = 8
WS_WINDOW = 32
"""Most creates a WebSocket writer leaves unanswered (the outgoing queue holds 1000)."""
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


class _WsWriter:
    """Creates drops through a raw WebSocket; a reader thread counts the replies."""

    def __init__(self, url: str, flow_id: str) -> None:
        self.ws = websocket.create_connection(url, timeout=30)
        self.flow_id = flow_id
        self.acked = 0
        self.cond = threading.Condition()
        self.last_ack = 0.0
        self.failed: list[Any] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while True:
                msg = json.loads(self.ws.recv())
                with self.cond:
                    if not msg.get("head", {}).get("ok", False):
                        self.failed.append(msg)
                    self.acked += 1
                    self.last_ack = time.perf_counter()
                    self.cond.notify_all()
        except (websocket.WebSocketException, OSError, ValueError):
            return

    def create(self, k: int, elems: dict[str, Any]) -> None:
        """Send one create (waits while ``WS_WINDOW`` creates are unanswered)."""
        with self.cond:
            self.cond.wait_for(lambda: k - self.acked < WS_WINDOW, timeout=PUSH_WAIT)
        self.ws.send(json.dumps({"msgId": str(k), "object": "drop", "type": "create",
                                 "flowId": self.flow_id, "value": {"elems": elems}}))  # fmt: skip

    def wait_acked(self, total: int) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.acked >= total, timeout=PUSH_WAIT)

    def close(self) -> None:
        self.ws.close()
        self.thread.join(5)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Counter:
    """Counts pushes; records when each push (by its element ``i``) arrived."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.arrived: dict[int, float] = {}
        self.delays: list[float] = []
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
            sent = elems.get("sent")
            if isinstance(sent, dict):
                sent = sent.get("value")
            if isinstance(sent, float):
                self.delays.append(now - sent)
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
        total = warm + n

        # the push path itself: the same number of drops created through a WebSocket
        writer = _WsWriter(raw_session(), flow_id)
        try:
            for c in (sdk_count, raw_count):
                c.done.clear()
                c.expect(total + n)
            start = time.perf_counter()
            for k in range(n):
                writer.create(k, {"i": n + k})
            check(writer.wait_acked(n), f"WebSocket writer got {writer.acked} of {n} replies")
            check(not writer.failed, f"WebSocket creates failed: {writer.failed[:1]}")
            ack_rate = n / (writer.last_ack - start)
            for side, c in (("SDK", sdk_count), ("raw", raw_count)):
                check(
                    c.done.wait(PUSH_WAIT),
                    f"{side} subscriber received {c.count - total} of {n} WebSocket-created "
                    f"pushes within {PUSH_WAIT} s",
                )
            ws_sdk_rate = n / (max(sdk_count.arrived[n + k] for k in range(n)) - start)
            ws_raw_rate = n / (max(raw_count.arrived[n + k] for k in range(n)) - start)
            total += n

            # latency at a sustained rate: paced creates, each carrying its send time
            paced, rate = n, (200.0 if settings.quick else 1000.0)
            for c in (sdk_count, raw_count):
                c.done.clear()
                c.expect(total + paced)
            begin = time.perf_counter()
            for k in range(paced):
                pause = begin + k / rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                writer.create(n + k, {"sent": time.perf_counter()})
            check(writer.wait_acked(n + paced), "WebSocket writer missed paced replies")
            achieved = paced / (time.perf_counter() - begin)
            for side, c in (("SDK", sdk_count), ("raw", raw_count)):
                check(c.done.wait(PUSH_WAIT), f"{side} subscriber missed paced pushes")
            total += paced
        finally:
            writer.close()

        latencies: dict[str, list[float]] = {"sdk": [], "raw": []}
        samples = settings.ws_latency_samples
        for k in range(samples):
            i = 2 * n + k
            for c in (sdk_count, raw_count):
                c.done.clear()
                c.expect(total + k + 1)
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
    paced_name = "at a sustained rate (WebSocket writer)"
    paced_base = f"raw `websocket-client`, same pushes (paced at {achieved:,.0f} drops/s)"
    p = {side: (_percentile(c.delays, 0.5), _percentile(c.delays, 0.99))
         for side, c in (("sdk", sdk_count), ("raw", raw_count))}  # fmt: skip
    return [
        Row(GROUP, f"push throughput, {WRITERS} REST writers: SDK WebSocketClient", n, sdk_rate,
            raw_rate, "pushes/s", baseline),
        Row(GROUP, "push throughput, drops created over a WebSocket: SDK WebSocketClient", n,
            ws_sdk_rate, ws_raw_rate, "pushes/s", baseline),
        Row(GROUP, "push throughput, drops created over a WebSocket: raw subscriber", n,
            ws_raw_rate, ack_rate, "pushes/s", "creates acknowledged per second (same run)"),
        Row(GROUP, f"push latency p50 {paced_name}: SDK WebSocketClient", paced,
            p["sdk"][0] * 1e3, p["raw"][0] * 1e3, "ms", paced_base),
        Row(GROUP, f"push latency p99 {paced_name}: SDK WebSocketClient", paced,
            p["sdk"][1] * 1e3, p["raw"][1] * 1e3, "ms", paced_base),
        Row(GROUP, "push latency (POST start to push), one write at a time: SDK WebSocketClient",
            samples, lat_sdk * 1e3, lat_raw * 1e3, "ms", baseline),
    ]  # fmt: skip
