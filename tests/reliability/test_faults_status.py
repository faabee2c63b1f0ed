"""Answers that are errors or not envelopes: 429, HTML 5xx pages, broken JSON.

Retryable statuses (429/502/503/504) are retried for idempotent methods
only; anything that is not a valid envelope is a typed `FlowThingsException`
with the status and a short snippet, never a `json.JSONDecodeError`,
`RecursionError` or httpx exception.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from flowthings import (
    API,
    FlowThingsBadRequest,
    FlowThingsConnectionError,
    FlowThingsException,
    FlowThingsNotFound,
    FlowThingsRateLimited,
    FlowThingsServerError,
    Token,
)

from . import _fault_server as fs
from .conftest import (
    CALLS,
    CASES,
    TIMEOUT,
    FaultApi,
    assert_recovers,
    hang_bound,
    log_failure,
    returns_within,
    script_every_attempt,
)

RETRYABLE = [
    pytest.param(lambda: fs.rate_limited(None), 429, FlowThingsRateLimited, id="429"),
    pytest.param(lambda: fs.html_page(502), 502, FlowThingsServerError, id="502-html"),
    pytest.param(lambda: fs.html_page(503), 503, FlowThingsServerError, id="503-html"),
    pytest.param(lambda: fs.html_page(504), 504, FlowThingsServerError, id="504-html"),
]


@pytest.mark.parametrize(("fault", "status", "error"), RETRYABLE)
@pytest.mark.parametrize(("method", "retry_post"), CASES)
def test_retryable_status(
    fault_server: fs.FaultServer,
    fault_api: Callable[..., FaultApi],
    fault: Callable[[], fs.Behaviour],
    status: int,
    error: type[FlowThingsException],
    method: str,
    retry_post: bool,
) -> None:
    fa = fault_api(retry_post=retry_post)
    attempts = script_every_attempt(fault_server, fault, method, retry_post)

    with returns_within(hang_bound(TIMEOUT, attempts)), pytest.raises(error) as info:
        CALLS[method](fa.api)

    exc = info.value
    assert type(exc) is error
    assert (exc.status, exc.method) == (status, method)
    log_failure(fa, info.value)
    if status == 429:
        assert exc.errors == ["Too many requests"]
    else:
        (message,) = exc.errors
        assert message.startswith(f"HTTP {status}: not a flowthings envelope: {_page_start(status)}")
        assert len(message) < 300
    assert [r.method for r in fault_server.requests] == [method] * attempts
    # an error answer with a Content-Length leaves the connection reusable
    assert len({r.conn for r in fault_server.requests}) == 1
    assert_recovers(fa, fault_server)


def _page_start(status: int) -> str:
    import http.client

    title = f"{status} {http.client.responses[status]}"
    return f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center>"


@pytest.mark.parametrize(("fault", "status"), [(lambda: fs.html_page(502), 502), (lambda: fs.rate_limited(None), 429)])
def test_one_bad_answer_is_retried_transparently(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi], fault: Callable[[], fs.Behaviour], status: int
) -> None:
    fa = fault_api()
    fault_server.script(fault())
    assert fa.api.flow.delete("f1") == {"id": "f1"}
    assert [r.method for r in fault_server.requests] == ["DELETE", "DELETE"]


NOT_ENVELOPES = [
    pytest.param(lambda: fs.html_page(500), 500, FlowThingsServerError, "<html>", id="500-html"),
    pytest.param(lambda: fs.truncated_json(200), 200, FlowThingsServerError, '{"head": {"ok": true', id="200-truncated-json"),
    pytest.param(lambda: fs.truncated_json(400), 400, FlowThingsBadRequest, '{"head": {"ok": false', id="400-truncated-json"),
    pytest.param(lambda: fs.truncated_json(404), 404, FlowThingsNotFound, '{"head"', id="404-truncated-json"),
    pytest.param(lambda: fs.reply(200, b""), 200, FlowThingsServerError, "<empty body>", id="200-empty"),
    pytest.param(lambda: fs.reply(200, b"[1, 2]"), 200, FlowThingsServerError, "[1, 2]", id="200-json-not-envelope"),
    pytest.param(lambda: fs.html_page(200), 200, FlowThingsServerError, "<html>", id="200-html"),
    pytest.param(lambda: fs.reply(200, b"\xff\xfe\x00garbage"), 200, FlowThingsServerError, "garbage", id="200-not-utf8"),
    pytest.param(lambda: fs.reply(200, b'{"head": {}, "body": ' + b"1" * 5000 + b"}"), 200, FlowThingsServerError, '{"head"', id="200-int-too-long"),
    pytest.param(fs.deep_json, 200, FlowThingsServerError, "[[[[", id="200-nested-100k-deep"),
]


@pytest.mark.parametrize(("fault", "status", "error", "snippet"), NOT_ENVELOPES)
@pytest.mark.parametrize(("method", "retry_post"), [("GET", False), ("POST", True)])
def test_not_an_envelope_is_typed_and_not_retried(
    fault_server: fs.FaultServer,
    fault_api: Callable[..., FaultApi],
    fault: Callable[[], fs.Behaviour],
    status: int,
    error: type[FlowThingsException],
    snippet: str,
    method: str,
    retry_post: bool,
) -> None:
    fa = fault_api(retry_post=retry_post)
    fault_server.script(fault())

    with returns_within(hang_bound(TIMEOUT, 1)), pytest.raises(FlowThingsException) as info:
        CALLS[method](fa.api)

    exc = info.value
    assert type(exc) is error
    assert exc.status == status
    log_failure(fa, info.value)
    (message,) = exc.errors
    assert message.startswith(f"HTTP {status}: not a flowthings envelope: ")
    assert snippet in message
    assert len(message) < 300
    assert len(fault_server.requests) == 1  # the server answered: nothing to retry
    assert_recovers(fa, fault_server)


def test_bad_content_encoding_is_typed(fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi]) -> None:
    fa = fault_api()
    fault_server.script(fs.gzip_reply())
    assert fa.api.flow.read("f1") == {"id": "f1"}  # gzip itself is fine

    fault_server.script(fs.bad_gzip())
    with pytest.raises(FlowThingsServerError) as info:
        fa.api.flow.read("f1")
    assert "DecodingError" in str(info.value)
    assert len(fault_server.requests) == 2
    assert_recovers(fa, fault_server)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(fs.truncated_json, id="truncated-json"),
        pytest.param(fs.deep_json, id="nested-100k-deep"),
        pytest.param(fs.bad_gzip, id="bad-gzip"),
        pytest.param(lambda: fs.html_page(200), id="200-html"),
    ],
)
def test_typed_views_get_the_same_typed_errors(
    fault_server: fs.FaultServer, fault_api: Callable[..., FaultApi], fault: Callable[[], fs.Behaviour]
) -> None:
    """The typed views decode answers through their own hook first; faults stay typed."""
    fa = fault_api()
    fault_server.script(fs.reply(200, fs.envelope({"id": "f1", "path": "/acct/x"})))
    assert fa.api.flow.typed.read("f1").path == "/acct/x"
    fault_server.script(fault())
    with pytest.raises(FlowThingsServerError) as info:
        fa.api.flow.typed.read("f1")
    log_failure(fa, info.value)
    assert len(fault_server.requests) == 2
    assert_recovers(fa, fault_server)


def test_a_redirect_loop_in_a_callers_client_is_a_typed_error() -> None:
    """httpx errors outside the transport family (here TooManyRedirects, only
    possible with a caller's client that follows redirects) never escape raw."""

    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": str(request.url)})

    client = httpx.Client(transport=httpx.MockTransport(loop), follow_redirects=True)
    api = API(Token("alice", "secret-token"), http_client=client, max_retries=0)
    with client, api, pytest.raises(FlowThingsConnectionError) as info:
        api.flow.read("f1")
    assert "TooManyRedirects" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.TooManyRedirects)
