"""`Retry-After`: honoured (seconds or an HTTP date), capped by `max_retry_wait`.

Gaps are measured by the server: the arrival times of consecutive attempts.
"""

from __future__ import annotations

import email.utils
import itertools
import time
from collections.abc import Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flowthings
from flowthings import FlowThingsRateLimited, FlowThingsServerError
from flowthings.http._transport import RetryPolicy

from . import _fault_server as fs
from .conftest import FaultApi, assert_recovers


def gaps(server: fs.FaultServer) -> list[float]:
    times = [r.at for r in server.requests]
    return [b - a for a, b in itertools.pairwise(times)]


def test_429_retry_after_seconds_is_honoured(fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi]) -> None:
    fa = fault_api()
    fault_server.script(fs.rate_limited("1"))
    assert fa.api.flow.read("f1") == {"id": "f1"}
    (gap,) = gaps(fault_server)
    assert 1.0 <= gap < 3.0
    assert_recovers(fa, fault_server)


def test_503_retry_after_http_date_is_honoured(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi]
) -> None:
    fa = fault_api()
    # An HTTP date has whole seconds: the wait is between 1.5 and 2.5 s.
    fault_server.script(fs.html_page(503, retry_after=email.utils.formatdate(time.time() + 2.5, usegmt=True)))
    assert fa.api.flow.update({"id": "f1", "displayName": "x"}) == {"id": "f1"}
    (gap,) = gaps(fault_server)
    assert 1.0 <= gap < 4.0


def test_retry_after_is_capped_by_max_retry_wait(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flowthings.defaults, "max_retry_wait", 0.3)
    fa = fault_api()
    fault_server.script(fs.rate_limited("3600"))
    assert fa.api.flow.delete("f1") == {"id": "f1"}
    (gap,) = gaps(fault_server)
    assert 0.3 <= gap < 3.0


def test_default_cap_is_max_retry_wait_default(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the shipped defaults a `Retry-After: 3600` waits `max_retry_wait` (30 s), no more."""
    assert flowthings.defaults.max_retry_wait == flowthings.Defaults().max_retry_wait == 30.0
    waits: list[float] = []
    monkeypatch.setattr("flowthings.http._transport._sleep", waits.append)
    fa = fault_api()
    fault_server.script(*(fs.rate_limited("3600") for _ in range(3)))
    with pytest.raises(FlowThingsRateLimited) as info:
        fa.api.flow.read("f1")
    assert info.value.status == 429
    assert waits == [30.0, 30.0]
    assert len(fault_server.requests) == 3


def test_exhausted_retries_each_wait_retry_after(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi]
) -> None:
    fa = fault_api()
    fault_server.script(*(fs.rate_limited("0.2") for _ in range(3)))
    with pytest.raises(FlowThingsRateLimited):
        fa.api.flow.read("f1")
    assert len(fault_server.requests) == 3
    assert all(gap >= 0.2 for gap in gaps(fault_server))
    assert_recovers(fa, fault_server)


@pytest.mark.parametrize("retry_post", [False, True])
def test_post_429(
    fault_server: fs.FaultServer,
    fault_api: Callable[..., FaultApi],
    monkeypatch: pytest.MonkeyPatch,
    retry_post: bool,
) -> None:
    waits: list[float] = []
    monkeypatch.setattr("flowthings.http._transport._sleep", waits.append)
    fa = fault_api(retry_post=retry_post)
    fault_server.script(*(fs.rate_limited("7") for _ in range(3 if retry_post else 1)))
    with pytest.raises(FlowThingsRateLimited):
        fa.api.flow.create({"path": "/acct/x"})
    assert waits == ([7.0, 7.0] if retry_post else [])
    assert len(fault_server.requests) == (3 if retry_post else 1)
    assert_recovers(fa, fault_server)


@pytest.mark.parametrize("value", ["soon", "-5", "", "Wed, 99 Foo 2015 07:28:00 GMT"])
def test_unusable_retry_after_falls_back_to_backoff(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi], value: str
) -> None:
    fa = fault_api()
    fault_server.script(fs.html_page(502, retry_after=value))
    assert fa.api.flow.read("f1") == {"id": "f1"}
    (gap,) = gaps(fault_server)
    assert gap < 1.0


def test_html_503_exhausted_keeps_status(fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi]) -> None:
    fa = fault_api(max_retries=1)
    fault_server.script(fs.html_page(503, retry_after="0"), fs.html_page(503, retry_after="0"))
    with pytest.raises(FlowThingsServerError) as info:
        fa.api.flow.read("f1")
    assert info.value.status == 503
    assert len(fault_server.requests) == 2
    assert_recovers(fa, fault_server)


@settings(max_examples=300, deadline=None)
@given(value=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_any_retry_after_gives_a_bounded_wait(value: str) -> None:
    policy = RetryPolicy(max_retries=2, backoff=0.5, max_wait=5.0, retry_post=False)
    response = httpx.Response(429, headers={"Retry-After": value})
    wait = policy.wait(1, response)
    assert 0.0 <= wait <= 5.0


@settings(max_examples=200, deadline=None)
@given(when=st.datetimes(timezones=st.timezones()))
def test_any_retry_after_date_gives_a_bounded_wait(when: object) -> None:
    import datetime as dt

    assert isinstance(when, dt.datetime)
    value = email.utils.format_datetime(when)
    policy = RetryPolicy(max_retries=2, backoff=0.5, max_wait=5.0, retry_post=False)
    wait = policy.wait(1, httpx.Response(429, headers={"Retry-After": value}))
    assert 0.0 <= wait <= 5.0
