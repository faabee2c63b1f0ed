"""The green door of ``find_iter`` (issue 19): prefetching, consistent, stoppable.

Each library runs `green_find_iter.py` in its own monkey-patched subprocess
against the local platform of this (unpatched) process, while writer threads
here keep adding drops to the flow it reads.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from flowthings import API
from flowthings.local.testing import LocalPlatform

from ..large_data.conftest import bulk_fill

SCRIPT = Path(__file__).with_name("green_find_iter.py")


@pytest.fixture(scope="module", params=["eventlet", "gevent"])
def run(request: pytest.FixtureRequest, flowthings_platform: LocalPlatform) -> dict[str, Any]:
    lib = request.param
    assert importlib.util.find_spec(lib), "in the dev extra: install it, not skip"
    creds = flowthings_platform.new_account()
    with flowthings_platform.api_for(creds) as api:
        static = _flow(api, "static")
        busy = _flow(api, "busy")
        bulk_fill(flowthings_platform, api, static, ({"i": i} for i in range(95)), same_ms=3)
        before = bulk_fill(
            flowthings_platform, api, busy, ({"i": i} for i in range(400)), same_ms=3
        )
    stop = threading.Event()
    written: list[str] = []

    def writer() -> None:
        # Bounded: an ascending iteration may follow the writers to the end.
        with flowthings_platform.api_for(creds) as api:
            for _ in range(150):
                if stop.is_set():
                    return
                written.append(api.drop(busy).create({"elems": {"new": True}})["id"])

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        result = subprocess.run(
            [sys.executable, str(SCRIPT), lib, flowthings_platform.host, *creds, static, busy],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stderr == ""  # the failed page request printed no traceback
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["lib"] == lib
    return {"report": report, "before": set(before), "written": written}


def _flow(api: API, name: str) -> str:
    flow = api.flow.create({"path": f"/{api.creds.account}/{name}"})
    fid: str = flow["id"]
    return fid


def test_every_door_yields_what_the_sync_find_iter_yields(run: dict[str, Any]) -> None:
    report = run["report"]
    assert report["iterator_type"] == "GreenPageIterator"
    assert report["same_as_sync"] == {
        key: [95, True, True]
        for key in ("asc-creationDate", "asc-elems.i", "desc-creationDate", "desc-elems.i")
    }
    assert report["typed"] == [True, True]
    assert report["typed_flows"] == ["Flow", "Flow"]
    assert report["nothing_queued"] == 0  # an iterator is not a queued async_() call
    assert report["limit_only"] == [12, True]


def test_no_duplicate_and_no_miss_while_writers_add(run: dict[str, Any]) -> None:
    assert run["written"], "the writers never ran"
    for order, got in run["report"]["busy"].items():
        assert len(got) == len(set(got)), f"{order}: a drop was yielded twice"
        assert run["before"] <= set(got), f"{order}: a drop that existed throughout was missed"


def test_the_next_page_is_fetched_while_the_caller_consumes_this_one(
    run: dict[str, Any],
) -> None:
    prefetch, sync = run["report"]["prefetch"], run["report"]["sync"]
    # 95 drops by id, pages of 10: 10 requests. Every request after the first
    # ran while the caller was taking items of the page before; the sync door
    # never overlaps (the same check fails on it).
    assert prefetch["items"] == 95
    assert prefetch["requests"] == sync["requests"] == 10
    assert prefetch["overlapped"] == [True] * 9
    assert sync["overlapped"] == [False] * 9
    assert sync["same"]
    assert prefetch["max_in_flight"] == 1  # one page ahead: two pages in memory at most


def test_a_failed_page_raises_at_the_iteration_point(run: dict[str, Any]) -> None:
    report = run["report"]
    # The third request failed: the 20 items of the first two came first.
    assert report["error"] == [20, "FlowThingsBadRequest", 400]
    assert report["after_error"] == [[], 3]  # finished: no retry, no further request


def test_breaking_out_or_closing_stops_prefetching(run: dict[str, Any]) -> None:
    report = run["report"]
    assert report["after_break"] == 2
    assert report["close"] == {
        "first": 0,
        "in_flight_before": 1,
        "in_flight_after": 0,
        "requests": 2,
        "prefetching": False,
        "rest": [],
    }
    assert report["after_close_read"] == 3
    assert report["with_block"] is False
