"""Real green threads over real sockets, one monkey-patched subprocess per library.

`green_scenarios.py` patches first, starts `latency_server` (50 ms per answer)
in the same process, runs every scenario and prints a JSON report; each test
below checks one part of it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).with_name("green_scenarios.py")


@pytest.fixture(scope="module", params=["eventlet", "gevent"])
def report(request: pytest.FixtureRequest) -> dict[str, Any]:
    lib = request.param
    assert importlib.util.find_spec(lib), "in the dev extra: install it, not skip"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), lib],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["lib"] == lib
    return data


def test_100_parallel_calls_take_a_few_sequential_ones(report: dict[str, Any]) -> None:
    sequential_100 = 100 * report["sequential_per_call"]
    assert report["sequential_per_call"] >= 0.05
    assert report["parallel_100"] < 0.25 * sequential_100, report
    assert report["parallel_ids_ok"]


def test_parallel_calls_share_the_connection_pool(report: dict[str, Any]) -> None:
    # Requests overlapped on the server, each on a pooled connection: never
    # more connections than the httpx pool allows (100, one reused from warm-up).
    assert report["max_in_flight"] >= 10
    assert report["connections"] <= 100


def test_results_in_submission_order(report: dict[str, Any]) -> None:
    assert report["order"] is True


def test_results_with_exceptions(report: dict[str, Any]) -> None:
    assert report["with_exceptions"] == [
        [None, "ok1"],
        ["FlowThingsNotFound", None],
        [None, "ok2"],
    ]
    assert report["with_exceptions_status"] == 404
    assert report["pending_after_pairs"] == 0


def test_results_raise_first_error_and_clear(report: dict[str, Any]) -> None:
    assert report["raised"] == ["FlowThingsNotFound", "/flow/missing2"]
    assert report["pending_after_raise"] == 0
    assert report["results_after_raise"] == []


def test_every_service_shape(report: dict[str, Any]) -> None:
    expected_thread = "GreenThread" if report["lib"] == "eventlet" else "Greenlet"
    assert report["thread_type"] == expected_thread
    drops, drops_again, created, stats, requested, with_refs, spawned = report["services"]
    assert drops == drops_again == [{"id": "d1", "flowId": "f7", "limit": "2"}]
    assert created == {"path": "/alice/x", "elems": {"t": 1}, "id": "d-new"}
    assert stats == [1, 2, 3]
    assert requested == {"id": "f9", "method": "GET"}
    assert with_refs == [{"id": "f10", "method": "GET"}, {"r1": {"id": "r1"}}]
    assert spawned == {"id": "f11", "method": "GET"}


def test_lazy_parallel_and_dependent(report: dict[str, Any]) -> None:
    assert report["lazy_dependent"] == ["/path/to/flow_a", "/path/to/flow_b/2", "f1"]
    # flow_a and flow_b were on the server at the same time; the drops came
    # after flow_a (its flow id was read from flow_a's answer).
    assert report["lazy_max_in_flight"] >= 2
    assert report["lazy_missing"] == "FlowThingsNotFound"


def test_thunks_behave_like_their_results(report: dict[str, Any]) -> None:
    assert report["thunk"] == {
        "mapping": True,
        "dict_get": "f3",
        "dict_in": True,
        "dict_eq": True,
        "dict_keys": ["id", "method"],
        "list_len": 2,
        "list_index": "f2",
        "list_iter": ["f1", "f2"],
        "list_in": True,
        "list_eq": True,
        "list_slice": True,
        "unwrap_type": "list",
        "str": "{'id': 'f3', 'method': 'GET'}",
        "refs": ["f4", ["r1"]],
        "tuple_len": 2,
        "lazy_request": "f5",
        "lazy_stats": [1, 2, 3],
    }


# --- the documented workflows against the local platform ----------------------


@pytest.mark.parametrize("lib", ["eventlet", "gevent"])
def test_documented_workflows_on_the_local_platform(lib: str, flowthings_platform: Any) -> None:
    assert importlib.util.find_spec(lib), "in the dev extra: install it, not skip"
    creds = flowthings_platform.new_account()
    script = Path(__file__).with_name("green_local.py")
    result = subprocess.run(
        [sys.executable, str(script), lib, flowthings_platform.host, *creds],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stderr == ""  # failed requests were not printed (silenced as documented)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    paths = [f"/{creds.account}/green-{lib}/{name}" for name in "abc"]
    assert report["created_paths"] == paths
    assert report["drops_created"] == 16
    assert report["found"] == paths
    assert report["drop_counts"] == [6, 5, 5, None]
    assert report["errors"] == [None, None, None, "FlowThingsNotFound"]
    assert report["lazy"] == {
        "flow_a": paths[0],
        "flow_b": paths[1],
        "drops": 6,
        "values": [0, 1, 2, 3, 4, 99],
        "refs_len": 2,
    }
    assert report["lazy_missing"] == 404
