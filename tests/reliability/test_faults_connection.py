"""Connections that fail: refused, reset, cut short, not HTTP.

Each is a `FlowThingsConnectionError` (never a `FlowThingsTimeout`, never an
httpx exception), retried `max_retries` times for idempotent methods, sent
once for a POST unless `retry_post=True`; then the same `API` recovers.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from flowthings import FlowThingsConnectionError, FlowThingsTimeout

from . import _fault_server as fs
from .conftest import (
    CALLS,
    CASES,
    MAX_RETRIES,
    TIMEOUT,
    FaultApi,
    assert_recovers,
    hang_bound,
    log_failure,
    returns_within,
    script_every_attempt,
)

FAULTS = [
    pytest.param(fs.reset_before_response, id="reset-before-response"),
    pytest.param(fs.reset_mid_body, id="reset-mid-body"),
    pytest.param(fs.short_body, id="content-length-larger-than-body"),
    pytest.param(fs.garbage, id="not-http"),
]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(("method", "retry_post"), CASES)
def test_broken_connection(
    fault_server: fs.FaultServer,
    fault_api: Callable[..., FaultApi],
    fault: Callable[[], fs.Behaviour],
    method: str,
    retry_post: bool,
) -> None:
    fa = fault_api(retry_post=retry_post)
    attempts = script_every_attempt(fault_server, fault, method, retry_post)

    with returns_within(hang_bound(TIMEOUT, attempts)), pytest.raises(FlowThingsConnectionError) as info:
        CALLS[method](fa.api)

    exc = info.value
    assert type(exc) is FlowThingsConnectionError
    log_failure(fa, info.value)
    assert isinstance(exc.__cause__, httpx.TransportError)
    assert (exc.method, exc.path, exc.status) == (method, "/flow/f1" if method != "POST" else "/flow", None)
    assert exc.errors
    assert exc.errors[0]
    assert [r.method for r in fault_server.requests] == [method] * attempts
    assert len(fa.attempts) == attempts
    # every attempt after a broken connection uses a new one
    assert len({r.conn for r in fault_server.requests}) == attempts
    assert_recovers(fa, fault_server)


@pytest.mark.parametrize("fault", FAULTS)
def test_one_broken_connection_is_retried_transparently(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi], fault: Callable[[], fs.Behaviour]
) -> None:
    fa = fault_api()
    fault_server.script(fault())
    assert fa.api.flow.update({"id": "f1", "displayName": "x"}) == {"id": "f1"}
    first, second = fault_server.requests
    assert (first.method, second.method) == ("PUT", "PUT")
    assert first.body == second.body == b'{"id": "f1", "displayName": "x"}'
    assert first.conn != second.conn


@pytest.mark.parametrize(("method", "retry_post"), CASES)
def test_connection_refused(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi], method: str, retry_post: bool
) -> None:
    """A refused connection sent nothing: retried for every method, POST included."""
    fa = fault_api(retry_post=retry_post)
    assert fa.api.flow.read("f1") == {"id": "f1"}  # a pooled connection exists...
    fault_server.refuse()  # ...and is closed by the server, and no one listens
    fa.attempts.clear()
    attempts = 1 + MAX_RETRIES

    with returns_within(hang_bound(TIMEOUT, attempts)), pytest.raises(FlowThingsConnectionError) as info:
        CALLS[method](fa.api)

    assert type(info.value) is FlowThingsConnectionError
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(fa.attempts) == attempts
    fault_server.resume()
    assert_recovers(fa, fault_server)


def test_refused_post_succeeds_when_the_server_comes_back(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retry of a refused POST reaches the server, exactly once."""
    fa = fault_api()
    fault_server.refuse()
    sleep = time.sleep

    def resume_then_sleep(seconds: float) -> None:  # the server is back before the retry
        fault_server.resume()
        monkeypatch.setattr("flowthings.http._transport._sleep", sleep)
        sleep(seconds)

    monkeypatch.setattr("flowthings.http._transport._sleep", resume_then_sleep)
    assert fa.api.flow.create({"path": "/acct/x"}) == {"id": "f1"}
    assert len(fa.attempts) == 2
    assert [r.method for r in fault_server.requests] == ["POST"]
    assert_recovers(fa, fault_server)


def test_pool_timeout_post_is_retried_and_never_sent(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi]
) -> None:
    """Waiting for a pool slot sent nothing either: a POST is retried, then typed."""
    with httpx.Client(limits=httpx.Limits(max_connections=1)) as client:
        fa = fault_api(timeout=0.2, http_client=client)
        held = client.send(client.build_request("GET", f"http://{fault_server.host}/held"), stream=True)
        try:
            with returns_within(hang_bound(0.2, 1 + MAX_RETRIES)), pytest.raises(FlowThingsTimeout) as info:
                fa.api.flow.create({"path": "/acct/x"})
        finally:
            held.close()
        assert isinstance(info.value.__cause__, httpx.PoolTimeout)
        assert [r.method for r in fa.attempts] == ["GET"] + ["POST"] * (1 + MAX_RETRIES)
        assert [r.method for r in fault_server.requests] == ["GET"]  # only the held one
        fault_server.clear()
        assert_recovers(fa, fault_server)


def test_connection_refused_is_not_a_timeout(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi]
) -> None:
    fa = fault_api(max_retries=0)
    fault_server.refuse()
    with pytest.raises(FlowThingsConnectionError) as info:
        fa.api.flow.read("f1")
    assert not isinstance(info.value, FlowThingsTimeout)
    assert "ConnectError" in str(info.value)
    fault_server.resume()
    assert_recovers(fa, fault_server)


@pytest.mark.parametrize("max_retries", [0, 1, 4])
def test_as_many_retries_as_configured(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi], max_retries: int
) -> None:
    fa = fault_api(max_retries=max_retries)
    fault_server.script(*(fs.reset_before_response() for _ in range(max_retries + 1)))
    with pytest.raises(FlowThingsConnectionError):
        fa.api.flow.delete("f1")
    assert len(fault_server.requests) == max_retries + 1
    assert_recovers(fa, fault_server)
