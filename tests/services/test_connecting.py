"""Connecting: host given as a URL, the WebSocket host following the REST host,
and connection failures that name the URL tried and the likely cause."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import flowthings
from flowthings import API, FlowThingsConnectionError, Token
from flowthings.local.testing import LocalPlatform

from .conftest import CREDS, Wire


@pytest.fixture
def restore_defaults() -> Iterator[None]:
    saved = (flowthings.defaults.host, flowthings.defaults.ws_host, flowthings.defaults.secure)
    yield
    flowthings.defaults.host, flowthings.defaults.ws_host, flowthings.defaults.secure = saved


def _urls(wire: Wire, **options: Any) -> tuple[str, str, str]:
    """(REST URL, session URL, WebSocket URL) an API built with ``options`` uses."""
    with API(CREDS, max_retries=0, **options) as api:
        api.flow.find()
        rest = str(wire.request.url)
        api.websocket.request("POST")
        session = str(wire.request.url)
        ws = api._context.ws_url("/session/s1/ws", websocket=True)
    return rest, session, ws


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param(
            {"host": "http://127.0.0.1:8080"},
            ("http://127.0.0.1:8080/v0.1/acc/flow", "http://127.0.0.1:8080/session",
             "ws://127.0.0.1:8080/session/s1/ws"),
            id="http-url-sets-secure-false-and-ws-follows",
        ),
        pytest.param(
            {"host": "https://example.test/"},
            ("https://example.test/v0.1/acc/flow", "https://example.test/session",
             "wss://example.test/session/s1/ws"),
            id="https-url-trailing-slash",
        ),
        pytest.param(
            {"host": "127.0.0.1:8080", "secure": False},
            ("http://127.0.0.1:8080/v0.1/acc/flow", "http://127.0.0.1:8080/session",
             "ws://127.0.0.1:8080/session/s1/ws"),
            id="host-only-ws-follows",
        ),
        pytest.param(
            {"host": "127.0.0.1:8080", "ws_host": "127.0.0.1:9090", "secure": False},
            ("http://127.0.0.1:8080/v0.1/acc/flow", "http://127.0.0.1:9090/session",
             "ws://127.0.0.1:9090/session/s1/ws"),
            id="explicit-ws-host-wins",
        ),
        pytest.param(
            {"host": "http://127.0.0.1:8080", "ws_host": "ws://127.0.0.1:9090"},
            ("http://127.0.0.1:8080/v0.1/acc/flow", "http://127.0.0.1:9090/session",
             "ws://127.0.0.1:9090/session/s1/ws"),
            id="both-urls",
        ),
        pytest.param(
            {"host": "http://127.0.0.1:8080", "secure": False},
            ("http://127.0.0.1:8080/v0.1/acc/flow", "http://127.0.0.1:8080/session",
             "ws://127.0.0.1:8080/session/s1/ws"),
            id="url-agrees-with-secure",
        ),
        pytest.param(
            {},
            ("https://api.flowthings.io/v0.1/acc/flow", "https://ws.flowthings.io/session",
             "wss://ws.flowthings.io/session/s1/ws"),
            id="defaults-unchanged",
        ),
        pytest.param(
            {"ws_host": "127.0.0.1:9090"},
            ("https://api.flowthings.io/v0.1/acc/flow", "https://127.0.0.1:9090/session",
             "wss://127.0.0.1:9090/session/s1/ws"),
            id="ws-host-only",
        ),
    ],
)  # fmt: skip
def test_hosts_and_schemes(wire: Wire, options: dict[str, Any], expected: tuple[str, ...]) -> None:
    assert _urls(wire, **options) == expected


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        pytest.param({"host": "http://h:1", "secure": True}, ValueError,
                     r"host says secure=False, secure says secure=True", id="url-vs-secure"),
        pytest.param({"host": "https://a", "ws_host": "ws://b"}, ValueError,
                     r"host says secure=True, ws_host says secure=False", id="url-vs-url"),
        pytest.param({"host": "ftp://h"}, ValueError, r"http://, https://, ws:// or wss://",
                     id="scheme"),
        pytest.param({"host": "http://h:1/v0.1/alice"}, ValueError,
                     r"the SDK adds /v\{version\}/\{account\}", id="url-with-path"),
        pytest.param({"host": "h:1/v0.1"}, ValueError, r"give host\[:port\]", id="host-with-path"),
        pytest.param({"host": "http://"}, ValueError, r"with a host", id="no-host"),
        pytest.param({"ws_host": ""}, ValueError, r"ws_host='': give host\[:port\]", id="empty"),
        pytest.param({"host": 8080}, TypeError, r"host must be a str", id="not-a-str"),
    ],
)  # fmt: skip
def test_bad_hosts_are_refused_at_construction(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        API(CREDS, **options)


def test_ws_host_follows_a_changed_default_host(wire: Wire, restore_defaults: None) -> None:
    flowthings.defaults.host = "127.0.0.1:8080"
    flowthings.defaults.secure = False
    assert _urls(wire)[1] == "http://127.0.0.1:8080/session"
    flowthings.defaults.ws_host = "127.0.0.1:9090"  # set explicitly: it wins
    assert _urls(wire)[1] == "http://127.0.0.1:9090/session"


def test_default_host_refuses_a_url(restore_defaults: None) -> None:
    with pytest.raises(ValueError, match=r"defaults.host takes host\[:port\], not a URL"):
        flowthings.defaults.host = "http://127.0.0.1:8080"
    assert flowthings.defaults.host == "api.flowthings.io"


def test_url_host_talks_to_a_real_platform(flowthings_platform: LocalPlatform) -> None:
    creds = flowthings_platform.new_account()
    with API(creds, host=flowthings_platform.base_url) as api:
        flow = api.flow.create({"path": f"/{creds.account}/url-host"})
        assert api.flow.read(flow["id"])["path"] == f"/{creds.account}/url-host"
        session = api.websocket.request("POST")  # the WebSocket host followed host
        assert session["id"]


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A port bound but not listening: connecting is refused, and no other test takes it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_connection_refused_names_the_url_and_the_likely_cause(refused_port: int) -> None:
    with API(Token("alice", "x"), secure=False, host=f"127.0.0.1:{refused_port}",
             max_retries=0) as api, pytest.raises(FlowThingsConnectionError) as info:  # fmt: skip
        api.flow.find()
    message = str(info.value)
    assert f"requesting http://127.0.0.1:{refused_port}/v0.1/alice/flow" in message
    assert f"nothing is listening on 127.0.0.1:{refused_port}" in message
    assert f"python -m flowthings.local serve --port {refused_port}" in message
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_tls_to_a_plain_http_server_hints_at_secure_false(
    flowthings_platform: LocalPlatform,
) -> None:
    with API(flowthings_platform.creds, host=flowthings_platform.host,
             max_retries=0) as api, pytest.raises(FlowThingsConnectionError) as info:  # fmt: skip
        api.flow.find()
    message = str(info.value)
    assert f"requesting https://{flowthings_platform.host}/v0.1/" in message
    assert "pass secure=False" in message


def test_unresolvable_host_hint() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    with API(CREDS, host="no-such-host.test", max_retries=0, http_client=client) as api, \
            pytest.raises(FlowThingsConnectionError) as info:  # fmt: skip
        api.flow.find()
    assert "requesting https://no-such-host.test/v0.1/acc/flow" in str(info.value)
    assert "the host name 'no-such-host.test' does not resolve: check host=" in str(info.value)
    client.close()


def test_other_connection_errors_keep_their_message_and_url() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    with API(CREDS, max_retries=0, http_client=client) as api, \
            pytest.raises(FlowThingsConnectionError) as info:  # fmt: skip
        api.flow.find()
    assert info.value.errors == [
        "ReadError: connection reset, requesting https://api.flowthings.io/v0.1/acc/flow"
    ]
    client.close()
