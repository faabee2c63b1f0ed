"""The green door of ``find_iter`` against the local platform; prints a JSON report.

    python tests/green/green_find_iter.py eventlet|gevent HOST ACCOUNT TOKEN STATIC_FLOW BUSY_FLOW

The platform runs in the (unpatched) pytest process, whose writer threads keep
adding drops to BUSY_FLOW while this script reads it; STATIC_FLOW holds 95
drops with ``elems.i`` = 0..94 and nobody writes to it. The script patches
first, then records what `test_green_find_iter.py` checks. Every request goes
through `Recorder`, a transport that logs when each request starts and ends
(after a simulated 10 ms of latency), so the test can see prefetching overlap
the caller's work from the order of events, not from wall-clock times.
"""

from __future__ import annotations

import contextlib
import sys
import warnings

LIB, HOST, ACCOUNT, TOKEN, STATIC, BUSY = sys.argv[1:7]
warnings.simplefilter("error")
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
with contextlib.suppress(ImportError):
    import trio  # noqa: F401  # before patching: see the README's note

if LIB == "eventlet":
    import eventlet

    eventlet.monkey_patch()
    green_lib = eventlet
else:
    from gevent import monkey

    monkey.patch_all()
    import gevent

    green_lib = gevent  # type: ignore[assignment]

import json  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

from flowthings import API, FlowThingsBadRequest, GreenPageIterator, Token  # noqa: E402
from flowthings.models import Drop, Flow  # noqa: E402

LATENCY = 0.01
creds = Token(ACCOUNT, TOKEN)


class Recorder(httpx.BaseTransport):
    """Logs ``("start", n)`` / ``("end", n)`` per request into a shared event list."""

    def __init__(self, events: list[tuple[str, Any]], fail_at: int | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.events = events
        self.fail_at = fail_at
        self.count = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        n = self.count
        self.events.append(("start", n))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(LATENCY)  # patched: a green sleep
            if n == self.fail_at:
                body = {"head": {"status": 400, "ok": False, "errors": ["injected"]}, "body": None}
                return httpx.Response(400, json=body, request=request)
            response = self.inner.handle_request(request)
            response.read()
            return response
        finally:
            self.in_flight -= 1
            self.events.append(("end", n))

    def close(self) -> None:
        self.inner.close()


@contextlib.contextmanager
def recorded_api(fail_at: int | None = None) -> Iterator[tuple[API, Recorder]]:
    events: list[tuple[str, Any]] = []
    recorder = Recorder(events, fail_at)
    # The caller's own client: the API does not close it, so this does.
    with (
        httpx.Client(transport=recorder) as client,
        API(creds, secure=False, host=HOST, http_client=client, async_lib=green_lib) as api,
    ):
        yield api, recorder


def ids(items: Any) -> list[str]:
    return [d["id"] for d in items]


def overlapped(events: list[tuple[str, Any]]) -> list[bool]:
    """Per request after the first: did the caller take an item while it was in flight?

    An item taken between ``start n`` and ``end n`` cannot come from page n (not
    arrived yet): it is the caller consuming an earlier page meanwhile.
    """
    requests = max(n for kind, n in events if kind == "start")
    out = []
    for n in range(2, requests + 1):
        begin, end = events.index(("start", n)), events.index(("end", n))
        out.append(any(kind == "item" for kind, _ in events[begin:end]))
    return out


def consume(iterator: Any, events: list[tuple[str, Any]]) -> list[str]:
    got = []
    for drop in iterator:
        events.append(("item", drop["id"]))
        got.append(drop["id"])
        time.sleep(0.002)  # the caller's work on the item (a green sleep)
    return got


report: dict[str, Any] = {"lib": LIB}

# 1. The same items in the same order as the sync door, in every door.
with API(creds, secure=False, host=HOST, async_lib=green_lib) as api:
    async_api, lazy_api = api.async_(), api.lazy()
    same = {}
    for order in ("asc", "desc"):
        for sort in ("creationDate", "elems.i"):
            sync = ids(api.drop(STATIC).find_iter(order=order, sort=sort, page_size=7))
            green = async_api.drop(STATIC).find_iter(order=order, sort=sort, page_size=7)
            lazy = lazy_api.drop(STATIC).find_iter(order=order, sort=sort, page_size=7)
            same[f"{order}-{sort}"] = [len(sync), ids(green) == sync, ids(lazy) == sync]
    report["same_as_sync"] = same
    typed = list(async_api.drop(STATIC).typed.find_iter(sort="elems.i", order="asc", page_size=9))
    report["typed"] = [
        all(isinstance(d, Drop) for d in typed),
        [d.id for d in typed] == ids(api.drop(STATIC).find_iter(sort="elems.i", order="asc")),
    ]
    flows = list(lazy_api.flow.typed.find_iter(sort="path", order="asc", page_size=1))
    report["typed_flows"] = [type(f).__name__ for f in flows if isinstance(f, Flow)]
    report["iterator_type"] = type(async_api.drop(STATIC).find_iter()).__name__
    report["nothing_queued"] = async_api.pending
    limited = async_api.drop(STATIC).find_iter(limit=12, page_size=5, only=["elems.i"])
    report["limit_only"] = [len(list(limited)), isinstance(limited, GreenPageIterator)]

    # 2. Consistency while the parent's threads keep writing to BUSY.
    report["busy"] = {
        order: ids(async_api.drop(BUSY).find_iter(order=order, page_size=17))
        for order in ("asc", "desc")
    }

# 3. Prefetching overlaps the caller's work; the sync door does not. (Sorted by
# id, which is unique and always present: one request per page of 10, no tie
# or missing-member pages.)
with recorded_api() as (api, recorder):
    green = consume(api.async_().drop(STATIC).find_iter(sort="id", page_size=10), recorder.events)
    report["prefetch"] = {
        "items": len(green),
        "requests": recorder.count,
        "overlapped": overlapped(recorder.events),
        "max_in_flight": recorder.max_in_flight,  # one page ahead, never more
    }
    recorder.events.clear()
    recorder.count = 0
    sync = consume(api.drop(STATIC).find_iter(sort="id", page_size=10), recorder.events)
    report["sync"] = {
        "same": sync == green,
        "requests": recorder.count,
        "overlapped": overlapped(recorder.events),
    }

# 4. A failed page request raises at the iteration point, after the pages before it.
with recorded_api(fail_at=3) as (api, recorder):
    failing = api.async_().drop(STATIC).find_iter(sort="id", page_size=10)
    taken: list[str] = []
    try:
        for drop in failing:
            taken.append(drop["id"])
    except FlowThingsBadRequest as exc:
        report["error"] = [len(taken), type(exc).__name__, exc.status]
    report["after_error"] = [list(failing), recorder.count]

# 5. Breaking out starts no further request; close() stops the one in flight.
with recorded_api() as (api, recorder):
    for _ in api.async_().drop(STATIC).find_iter(sort="elems.i", page_size=10):
        break
    time.sleep(0.2)
    report["after_break"] = recorder.count  # page 1 and the prefetched page 2
    recorder.count = 0
    iterator = api.async_().drop(STATIC).find_iter(sort="elems.i", order="asc", page_size=10)
    first = next(iterator)["elems"]["i"]["value"]  # /v0.1: typed elements
    time.sleep(LATENCY / 2)  # page 2's request is now waiting for its answer
    in_flight = recorder.in_flight
    iterator.close()
    closed_in_flight = recorder.in_flight
    time.sleep(0.2)
    report["close"] = {
        "first": first,
        "in_flight_before": in_flight,
        "in_flight_after": closed_in_flight,
        "requests": recorder.count,
        "prefetching": iterator.prefetching,
        "rest": list(iterator),
    }
    # The killed request left the connection pool healthy.
    report["after_close_read"] = len(api.drop(STATIC).find(limit=3))
    with api.async_().drop(STATIC).find_iter(page_size=4) as managed:
        next(managed)
    report["with_block"] = managed.prefetching

print(json.dumps(report))
