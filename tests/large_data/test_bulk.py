"""`create_many`: bounded concurrency, input order, per-item errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from flowthings import API, FlowThingsBadRequest
from flowthings.models import Drop
from flowthings.services import BulkItem, BulkResult
from flowthings.services._bulk import run_bulk


@pytest.fixture
def flow_id(flowthings_api: API) -> str:
    fid: str = flowthings_api.flow.create({"path": f"/{flowthings_api.creds.account}/bulk"})["id"]
    return fid


def test_results_come_back_in_input_order(flowthings_api: API, flow_id: str) -> None:
    result = flowthings_api.drop(flow_id).create_many(
        [{"elems": {"i": i}} for i in range(40)], concurrency=8, hints=0
    )
    assert result.ok
    assert [d["elems"]["i"] for d in result.succeeded] == list(range(40))
    assert [item.index for item in result] == list(range(40))
    stored = flowthings_api.drop(flow_id).find(limit=100)
    assert sorted(d["id"] for d in stored) == sorted(d["id"] for d in result.succeeded)


def test_a_failure_is_kept_on_its_item_and_the_successes_are_not_lost(
    flowthings_api: API, flow_id: str
) -> None:
    inputs: list[Any] = [{"elems": {"i": i}} for i in range(10)]
    inputs[3] = {"elems": "not a map"}
    inputs[7] = {"elems": 7}
    result = flowthings_api.drop(flow_id).create_many(inputs, concurrency=4)
    assert not result.ok
    assert [item.index for item in result.failed] == [3, 7]
    assert all(isinstance(item.error, FlowThingsBadRequest) for item in result.failed)
    assert len(result.succeeded) == 8
    assert len(flowthings_api.drop(flow_id).find(limit=100)) == 8
    with pytest.raises(FlowThingsBadRequest):
        result.raise_for_errors()


def test_typed_create_many_answers_models(flowthings_api: API, flow_id: str) -> None:
    result = flowthings_api.drop(flow_id).typed.create_many(
        (Drop(elems={"i": i}) for i in range(5)), concurrency=2
    )
    assert all(isinstance(d, Drop) for d in result.succeeded)
    assert len(result.succeeded) == 5


def test_concurrency_is_bounded_and_used() -> None:
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def call(x: int) -> int:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.01)
        with lock:
            in_flight -= 1
        return x * 2

    result = run_bulk(call, range(40), concurrency=5)
    assert peak == 5
    assert result.succeeded == [x * 2 for x in range(40)]


def test_inputs_are_read_lazily() -> None:
    seen: list[int] = []
    started = threading.Event()

    def source() -> Iterator[int]:
        for i in range(1000):
            seen.append(i)
            yield i

    def call(x: int) -> int:
        started.wait()
        return x

    threading.Timer(0.05, started.set).start()
    probe = run_bulk(lambda x: (len(seen), call(x))[0], source(), concurrency=2)
    # while the first two calls waited, at most a few more inputs had been read
    assert probe.succeeded[0] <= 3


def test_result_type() -> None:
    boom = ValueError("boom")
    result: BulkResult[int] = BulkResult((BulkItem(0, value=1), BulkItem(1, error=boom)))
    assert result.succeeded == [1]
    assert result.failed == [BulkItem(1, error=boom)]
    assert len(result) == 2
    assert repr(result) == "<BulkResult 1 ok, 1 failed>"
    with pytest.raises(ValueError, match="boom"):
        result.raise_for_errors()


@pytest.mark.parametrize("concurrency", [0, 65, True, 2.5])
def test_concurrency_is_checked_before_any_request(flowthings_api: API, concurrency: Any) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        flowthings_api.drop("f" + "0" * 24).create_many([{}], concurrency=concurrency)
