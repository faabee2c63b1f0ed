"""The local platform under load (issue 10): 8 concurrent writers x 1,000 drops.

One platform of its own (the session fixture is not disturbed), one flow big
enough to keep everything (``capacity`` 10,000 > 8,000: a full flow evicts its
oldest drops), one SDK WebSocket subscriber subscribed *before* the first
write, then 8 writer threads each creating 1,000 drops one ``POST`` at a time.
Writers 0-3 have an ``API`` (pooled HTTP client) each; writers 4-7 share one,
so the shared pooled client is exercised from 4 threads at once.

Checked afterwards: every create was acknowledged, exactly 8,000 drops are
stored (paged ``find`` and ``$count`` per writer), each ``(writer, seq)`` once
with the acknowledged id and content, and the subscriber got exactly 8,000
pushes, each drop once, with the stored content and in per-writer order.

"Every push has arrived" is known without timing: after the writers finish,
a marker drop is written to a second subscribed flow. The platform queues
pushes per connection in write order (``realtime.pubsub``), so when the marker's push
arrives every earlier push (and any duplicate of one) has arrived too.

Also here: concurrent writers into a full flow (capacity eviction), through a
JS track (writes run in the threadpool), and a subscriber that cannot keep up
(closed with 1013; the SDK client must report the loss, not hide it).
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flowthings import API
from flowthings.local.testing import LocalPlatform, local_platform
from flowthings.websocket._client import FlowThingsConnectionLost, WebSocketClient

from ._drops import all_drops, plain

WRITERS = 8
PER_WRITER = 1000
TOTAL = WRITERS * PER_WRITER
OWN_API_WRITERS = 4  # writers 0-3: an API each; 4-7 share one
WAIT = 60.0


@pytest.fixture(scope="module")
def lp() -> Iterator[LocalPlatform]:
    with local_platform() as platform:
        yield platform


class Subscriber:
    """Collects the pushes of one SDK WebSocket client (``on_message``)."""

    def __init__(self, api: API) -> None:
        self.pushes: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[BaseException] = []
        self.marker = threading.Event()
        self.marker_flow: str | None = None
        self.ws: WebSocketClient = api.websocket.connect(
            on_message=self._on_message, on_error=self._on_error, reconnect=False
        )

    def start(self, marker_flow: str, *flows: str) -> None:
        """Connects and subscribes to ``flows`` and to the marker flow."""
        self.marker_flow = marker_flow
        self.ws.run_in_thread()
        assert self.ws.wait_open(WAIT)
        for flow in (*flows, marker_flow):
            self.ws.subscribe(flow).result(WAIT)

    def drain(self, api: API) -> None:
        """Waits until every push made so far has arrived: pushes come in write
        order, so once the marker written now arrives, every earlier one has."""
        assert self.marker_flow is not None
        api.drop(self.marker_flow).create({"elems": {"done": True}})
        assert self.marker.wait(WAIT), "the marker push never arrived"
        assert self.errors == []

    def _on_message(self, ws: WebSocketClient, resource: str, data: Any) -> None:
        if resource == self.marker_flow:
            self.marker.set()
            return
        self.pushes.append((resource, data))

    def _on_error(self, ws: WebSocketClient, exc: BaseException) -> None:
        self.errors.append(exc)
        self.marker.set()  # a lost connection never delivers the marker: stop waiting


def _run_writers(write: Callable[[int], None]) -> None:
    """Runs ``write(w)`` for every writer at once, one thread each; none may fail."""
    failures: list[BaseException] = []

    def guarded(w: int) -> None:
        try:
            write(w)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


@pytest.mark.timeout(360)  # ~15 s idle; a loaded 2-core machine can take several times that
def test_eight_concurrent_writers_store_and_push_every_drop_exactly_once(
    lp: LocalPlatform,
) -> None:
    creds = lp.new_account()
    with lp.api_for(creds) as api, lp.api_for(creds) as shared:
        root = f"/{creds.account}"
        flow = api.flow.create({"path": f"{root}/load", "capacity": 10_000})
        marker_flow = api.flow.create({"path": f"{root}/marker"})
        sub = Subscriber(api)
        try:
            sub.start(marker_flow["id"], flow["id"])
            acked: list[list[dict[str, Any]]] = [[] for _ in range(WRITERS)]
            start = threading.Barrier(WRITERS)

            def write(w: int) -> None:
                own = lp.api_for(creds) if w < OWN_API_WRITERS else None
                try:
                    drops = (own or shared).drop(flow["id"])
                    start.wait(WAIT)
                    for seq in range(PER_WRITER):
                        elems = {"writer": w, "seq": seq, "tag": f"w{w}-s{seq}"}
                        acked[w].append(drops.create({"elems": elems}))
                except BaseException:
                    start.abort()  # the others must not wait for this one
                    raise
                finally:
                    if own is not None:
                        own.close()

            _run_writers(write)
            sub.drain(api)
        finally:
            sub.ws.close()

        # every create was acknowledged with a drop carrying an id and the content sent
        by_id: dict[str, dict[str, Any]] = {}
        for w, drops in enumerate(acked):
            assert len(drops) == PER_WRITER
            for seq, d in enumerate(drops):
                assert plain(d["elems"]) == {"writer": w, "seq": seq, "tag": f"w{w}-s{seq}"}
                assert d["flowId"] == flow["id"]
                by_id[d["id"]] = d
        assert len(by_id) == TOTAL  # ids are unique

        # stored: exactly 8,000, each (writer, seq) once, as acknowledged
        stored = all_drops(api, flow["id"])
        assert len(stored) == TOTAL
        keys = Counter((d["elems"]["writer"]["value"], d["elems"]["seq"]["value"]) for d in stored)
        assert set(keys) == {(w, s) for w in range(WRITERS) for s in range(PER_WRITER)}
        assert max(keys.values()) == 1
        assert {d["id"]: d for d in stored} == by_id
        counts = api.drop(flow["id"]).aggregate(["$count"], group_by=["writer"])
        assert sorted((c["writer"], c["$count"]) for c in counts) == [
            (w, PER_WRITER) for w in range(WRITERS)
        ]

        # pushed: exactly 8,000, each drop once, with its stored content
        assert len(sub.pushes) == TOTAL
        assert {resource for resource, _ in sub.pushes} == {flow["id"]}
        pushed_ids = Counter(value["id"] for _, value in sub.pushes)
        assert max(pushed_ids.values()) == 1
        assert {value["id"]: value for _, value in sub.pushes} == by_id
        # each writer's drops were pushed in the order it wrote them
        elems = [plain(v["elems"]) for _, v in sub.pushes]
        for w in range(WRITERS):
            seqs = [e["seq"] for e in elems if e["writer"] == w]
            assert seqs == list(range(PER_WRITER))


def test_concurrent_writers_to_a_full_flow_keep_exactly_capacity_newest_drops(
    lp: LocalPlatform,
) -> None:
    """8 writers x 100 drops into ``capacity: 500``: the oldest are evicted, exactly
    500 stay, and for each writer they are its newest (a suffix of what it wrote)."""
    creds = lp.new_account()
    with lp.api_for(creds) as api:
        flow = api.flow.create({"path": f"/{creds.account}/full", "capacity": 500})

        def write(w: int) -> None:
            drops = api.drop(flow["id"])
            for seq in range(100):
                drops.create({"elems": {"writer": w, "seq": seq}})

        _run_writers(write)

        stored = [plain(d["elems"]) for d in all_drops(api, flow["id"])]
        assert len(stored) == 500
        [count] = api.drop(flow["id"]).aggregate(["$count"], group_by=[])
        assert count["$count"] == 500
        for w in range(WRITERS):
            seqs = sorted(e["seq"] for e in stored if e["writer"] == w)
            assert seqs == list(range(100 - len(seqs), 100))
        # stored oldest first: each writer's drops in the order it wrote them
        for w in range(WRITERS):
            in_order = [e["seq"] for e in stored if e["writer"] == w]
            assert in_order == sorted(in_order)


def test_concurrent_writers_through_a_js_track_route_and_push_each_drop_once(
    lp: LocalPlatform,
) -> None:
    """With a track the writes run in the threadpool (track JS): 8 writers x 40 drops
    reach the destination exactly once each, and both flows push every drop once."""
    per_writer = 40
    creds = lp.new_account()
    with lp.api_for(creds) as api:
        root = f"/{creds.account}"
        src = api.flow.create({"path": f"{root}/src"})
        dst = api.flow.create({"path": f"{root}/dst"})
        marker_flow = api.flow.create({"path": f"{root}/marker"})
        js = "function (d) { return {elems: {w: d.elems.w.value, s: d.elems.s.value * 10}}; }"
        api.track.create({"source": src["path"], "destination": dst["path"], "js": js})
        sub = Subscriber(api)
        try:
            sub.start(marker_flow["id"], src["id"], dst["id"])

            def write(w: int) -> None:
                for seq in range(per_writer):
                    api.drop(src["id"]).create({"elems": {"w": w, "s": seq}})

            _run_writers(write)
            sub.drain(api)
        finally:
            sub.ws.close()

        expected = {(w, s) for w in range(WRITERS) for s in range(per_writer)}
        routed = [plain(d["elems"]) for d in all_drops(api, dst["id"])]
        assert len(routed) == len(expected)
        assert {(e["w"], e["s"] // 10) for e in routed} == expected
        assert all(e["s"] % 10 == 0 for e in routed)
        for flow in (src, dst):
            pushed = [v for r, v in sub.pushes if r == flow["id"]]
            assert len(pushed) == len(expected)
            assert len({v["id"] for v in pushed}) == len(expected)
            assert all(v["flowId"] == flow["id"] for v in pushed)


# A subscriber that cannot keep up ------------------------------------------------

SLOW_PER_WRITER = 150
SLOW_QUEUE = 100  # the server's per-connection push queue, small to overflow surely
PAD = "x" * 16_000  # 8 x 150 x 16 kB = 19 MB: well over the socket buffers (4 MB max)


@pytest.fixture
def small_queue_platform() -> Iterator[LocalPlatform]:
    """A platform whose WebSocket push queue holds ``SLOW_QUEUE`` frames."""
    from flowthings.local.core.platform import Platform
    from flowthings.local.http.server import ServerThread
    from flowthings.local.realtime.ws import WebSocketSettings, websocket_routes

    platform = Platform()
    try:
        creds = platform.create_account("slow")
        settings = WebSocketSettings(max_queue=SLOW_QUEUE)
        server = ServerThread(platform, routes=websocket_routes(platform, settings))
        server.start()
    except BaseException:
        platform.close()
        raise
    lp = LocalPlatform(platform, server, creds)
    try:
        yield lp
    finally:
        lp.close()


def test_a_subscriber_that_falls_behind_is_told_and_never_gets_wrong_pushes(
    small_queue_platform: LocalPlatform,
) -> None:
    """The reader is stalled during 8 concurrent writers: the server closes it with
    1013 (writers never wait), the client reports the loss to ``on_error``,
    reconnects and re-subscribes; what it did get is each drop at most once."""
    lp = small_queue_platform
    gate = threading.Event()
    pushes: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    reconnected = threading.Event()
    marker = threading.Event()

    def on_message(ws: WebSocketClient, resource: str, data: Any) -> None:
        gate.wait(WAIT)  # a subscriber busy elsewhere: frames pile up on the server
        if data["elems"].get("marker"):
            marker.set()
        else:
            pushes.append(data)

    with lp.api_for(lp.creds) as api:
        flow = api.flow.create({"path": f"/{lp.account}/slow", "capacity": 10_000})
        ws = api.websocket.connect(
            on_message=on_message,
            on_error=lambda ws, exc: errors.append(exc),
            on_reconnect=lambda ws, attempt: reconnected.set(),
            backoff_base=0.05,
            sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)],
        )
        ws.run_in_thread()
        try:
            assert ws.wait_open(WAIT)
            ws.subscribe(flow["id"]).result(WAIT)
            acked: list[dict[str, Any]] = []

            def write(w: int) -> None:
                for seq in range(SLOW_PER_WRITER):
                    elems = {"writer": w, "seq": seq, "pad": PAD}
                    acked.append(api.drop(flow["id"]).create({"elems": elems}))

            _run_writers(write)  # none failed: writers never wait for the stalled reader
            assert len(acked) == WRITERS * SLOW_PER_WRITER

            gate.set()
            assert reconnected.wait(WAIT), errors
            api.drop(flow["id"]).create({"elems": {"marker": True}})
            assert marker.wait(WAIT), "no push after the reconnection"
        finally:
            gate.set()
            ws.close()

    # the loss was reported, with the reason, and is the only loss
    assert len(errors) == 1
    assert isinstance(errors[0], FlowThingsConnectionLost)
    assert "1013" in str(errors[0])
    assert "overflow" in str(errors[0])
    assert len(pushes) < len(acked)
    # every push is an acknowledged drop, exactly as stored, at most once
    by_id = {d["id"]: d for d in acked}
    assert Counter(d["id"] for d in pushes).most_common(1)[0][1] == 1
    assert all(by_id[d["id"]] == d for d in pushes)
