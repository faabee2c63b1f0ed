"""The connection pool after faults: nothing leaks, nothing poisoned.

With a one-connection pool a leaked connection (a response never closed
after a fault) turns the next request into a pool timeout, so running every
fault in a row on one `API` and then asking normally proves none leaked.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from flowthings import FlowThingsException

from . import _fault_server as fs
from .conftest import FaultApi, assert_recovers

POOL_TIMEOUT = 0.25

EVERY_FAULT: list[Callable[[], fs.Behaviour]] = [
    fs.reset_before_response,
    fs.reset_mid_body,
    fs.short_body,
    fs.garbage,
    fs.stall_before_headers,
    fs.stall_mid_body,
    lambda: fs.rate_limited("0"),
    lambda: fs.html_page(502),
    lambda: fs.html_page(503),
    lambda: fs.html_page(500),
    fs.truncated_json,
    fs.deep_json,
    fs.bad_gzip,
    lambda: fs.huge_html(502, 2 << 20),
]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_one_connection_pool_survives_every_fault(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi], method: str
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    with httpx.Client(limits=limits) as client:
        fa = fault_api(timeout=POOL_TIMEOUT, max_retries=0, http_client=client)
        for fault in EVERY_FAULT:
            fault_server.script(fault())
            with pytest.raises(FlowThingsException):
                fa.api.request(method, "/flow", {"path": "/acct/x"} if method == "POST" else None)
            # the very next request, on the same one-connection pool, is served
            assert fa.api.request(method, "/flow") == {"id": "f1"}
        assert len(fault_server.requests) == 2 * len(EVERY_FAULT)
        assert_recovers(fa, fault_server)


def test_idle_connection_closed_by_server_is_not_reused_for_post(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi]
) -> None:
    """A POST (never retried) must not be sent on a connection the server closed."""
    fa = fault_api()
    fault_server.script(fs.reply_then_close())
    assert fa.api.flow.read("f1") == {"id": "f1"}
    fault_server.wait_closed(fault_server.requests[-1].conn)
    assert fa.api.flow.create({"path": "/acct/x"}) == {"id": "f1"}
    first, second = fault_server.requests
    assert second.method == "POST"
    assert second.conn != first.conn
    assert_recovers(fa, fault_server)
