"""Servers that stop talking: no answer at all, or headers then a stalled body.

Each is a `FlowThingsTimeout` after the configured timeout (per attempt),
retried like any connection error, and the call never hangs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from flowthings import FlowThingsTimeout

from . import _fault_server as fs
from .conftest import (
    CALLS,
    CASES,
    FaultApi,
    assert_recovers,
    hang_bound,
    log_failure,
    returns_within,
    script_every_attempt,
)

STALL_TIMEOUT = 0.25

STALLS = [
    pytest.param(fs.stall_before_headers, id="no-answer"),
    pytest.param(fs.stall_mid_body, id="stalled-body"),
]


@pytest.mark.parametrize("fault", STALLS)
@pytest.mark.parametrize(("method", "retry_post"), CASES)
def test_stall_times_out(
    fault_server: fs.FaultServer,
    fault_api: Callable[..., FaultApi],
    fault: Callable[[], fs.Behaviour],
    method: str,
    retry_post: bool,
) -> None:
    fa = fault_api(timeout=STALL_TIMEOUT, retry_post=retry_post)
    attempts = script_every_attempt(fault_server, fault, method, retry_post)

    started = time.monotonic()
    with returns_within(hang_bound(STALL_TIMEOUT, attempts)), pytest.raises(FlowThingsTimeout) as info:
        CALLS[method](fa.api)
    elapsed = time.monotonic() - started
    log_failure(fa, info.value)

    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert info.value.method == method
    assert info.value.status is None
    assert "ReadTimeout" in str(info.value)
    # It was the timeout that ended each attempt (not an early give-up).
    assert elapsed >= 0.9 * STALL_TIMEOUT * attempts
    assert [r.method for r in fault_server.requests] == [method] * attempts
    assert len(fa.attempts) == attempts
    assert_recovers(fa, fault_server)


def test_stall_then_answer_is_retried_transparently(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi]
) -> None:
    fa = fault_api(timeout=STALL_TIMEOUT)
    fault_server.script(fs.stall_mid_body())
    assert fa.api.flow.read("f1") == {"id": "f1"}
    assert len(fault_server.requests) == 2


def test_default_timeout_applies(
    fault_server: fs.FaultServer,
    fault_api: Callable[..., FaultApi],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`API(timeout=DEFAULT)` follows `defaults.timeout` at call time."""
    from flowthings import DEFAULT, defaults

    fa = fault_api(timeout=DEFAULT, max_retries=0)
    monkeypatch.setattr(defaults, "timeout", STALL_TIMEOUT)
    fault_server.script(fs.stall_before_headers())
    with returns_within(hang_bound(STALL_TIMEOUT, 1)), pytest.raises(FlowThingsTimeout):
        fa.api.flow.read("f1")
    assert_recovers(fa, fault_server)


def test_own_client_without_timeout_still_times_out(
    fault_server: fs.FaultServer,
    fault_api: Callable[..., FaultApi],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A caller's `httpx.Client(timeout=None)` never makes the SDK wait forever."""
    from flowthings import DEFAULT, defaults

    monkeypatch.setattr(defaults, "timeout", STALL_TIMEOUT)
    with httpx.Client(timeout=None) as client:
        fa = fault_api(timeout=DEFAULT, max_retries=0, http_client=client)
        fault_server.script(fs.stall_mid_body())
        with returns_within(hang_bound(STALL_TIMEOUT, 1)), pytest.raises(FlowThingsTimeout):
            fa.api.flow.read("f1")
        assert_recovers(fa, fault_server)
