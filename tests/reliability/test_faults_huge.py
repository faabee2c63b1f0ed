"""Huge bodies.

Decision: the SDK has no response-size limit. A platform answer can
legitimately be large (a `find` with a big `limit`, drops with large
elements), httpx has none either, and a size limit would turn a slow but
valid answer into an error the caller cannot work around. What the SDK must
do is stay linear: a large valid envelope parses without runaway copies, and
a huge error page (a proxy's) becomes a short typed message.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import pytest

from flowthings import FlowThingsServerError

from . import _fault_server as fs
from .conftest import (
    CALLS,
    MAX_RETRIES,
    TIMEOUT,
    FaultApi,
    assert_recovers,
    hang_bound,
    returns_within,
)

MB = 1 << 20
BODY = 48 * MB


def test_large_valid_body_parses_with_bounded_memory(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi]
) -> None:
    fa = fault_api()
    fault_server.script(fs.huge_json(BODY))
    tracemalloc.start()
    try:
        with returns_within(hang_bound(TIMEOUT, 1) + 10):
            flow = fa.api.flow.read("f1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert flow["id"] == "f1"
    assert len(flow["blob"]) == BODY
    assert flow["blob"][:3] == "aaa"
    del flow
    # body bytes + the joined copy + the decoded str, with slack: well under 300 MB
    assert peak < 4 * BODY, f"peak {peak / MB:.0f} MB for a {BODY / MB:.0f} MB body"
    assert_recovers(fa, fault_server)
    # a complete large answer leaves its connection in the pool
    assert len({r.conn for r in fault_server.requests}) == 1


@pytest.mark.parametrize(("method", "retry_post", "attempts"), [("GET", False, 1 + MAX_RETRIES), ("POST", False, 1)])
def test_huge_error_page_is_a_short_typed_error(
    fault_server: fs.FaultServer,
    fault_api: Callable[..., FaultApi],
    method: str,
    retry_post: bool,
    attempts: int,
) -> None:
    fa = fault_api(retry_post=retry_post)
    fault_server.script(*(fs.huge_html(502, 16 * MB) for _ in range(attempts)))
    with returns_within(hang_bound(TIMEOUT, attempts) + 10), pytest.raises(FlowThingsServerError) as info:
        CALLS[method](fa.api)
    (message,) = info.value.errors
    assert info.value.status == 502
    assert message.startswith("HTTP 502: not a flowthings envelope: <html><body><h1>Bad Gateway</h1>")
    assert len(message) < 300
    assert len(str(info.value)) < 400
    assert len(fault_server.requests) == attempts
    assert_recovers(fa, fault_server)
