"""Errors, retries, timeouts, logs and configuration of the transport."""

from __future__ import annotations

import logging
import types
from collections.abc import Iterator

import httpx
import pytest

import flowthings
from flowthings import (
    API,
    FlowThingsBadRequest,
    FlowThingsConflict,
    FlowThingsConnectionError,
    FlowThingsException,
    FlowThingsForbidden,
    FlowThingsMethodNotAllowed,
    FlowThingsNotFound,
    FlowThingsRateLimited,
    FlowThingsServerError,
    FlowThingsTimeout,
    Token,
)

from .conftest import BASE, CREDS, Wire, envelope


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records retry waits instead of sleeping."""
    waits: list[float] = []
    monkeypatch.setattr("flowthings.http._transport._sleep", waits.append)
    return waits


@pytest.fixture
def restore_defaults() -> Iterator[None]:
    saved = flowthings.Defaults(**vars(flowthings.defaults))
    yield
    for name, value in vars(saved).items():
        setattr(flowthings.defaults, name, value)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        pytest.param(400, FlowThingsBadRequest, id="400"),
        pytest.param(401, FlowThingsForbidden, id="401"),
        pytest.param(403, FlowThingsForbidden, id="403"),
        pytest.param(404, FlowThingsNotFound, id="404"),
        pytest.param(405, FlowThingsMethodNotAllowed, id="405"),
        pytest.param(409, FlowThingsConflict, id="409"),
        pytest.param(429, FlowThingsRateLimited, id="429"),
        pytest.param(418, FlowThingsException, id="418-generic"),
        pytest.param(500, FlowThingsServerError, id="500"),
        pytest.param(503, FlowThingsServerError, id="503"),
    ],
)
def test_error_mapping(wire: Wire, api: API, status: int, error: type[FlowThingsException]) -> None:
    wire.reply(status, {}, errors=["it went wrong"])
    with pytest.raises(error) as info:
        api.flow.read("f1")
    exc = info.value
    assert type(exc) is error
    assert exc.errors == ["it went wrong"]
    assert exc.status == status
    assert exc.method == "GET"
    assert exc.path == "/flow/f1"
    assert exc.creds == CREDS
    assert "it went wrong" in str(exc)
    assert "sekrit" not in repr(exc) + str(exc) + repr(exc.creds)


def test_status_comes_from_head_when_present(wire: Wire, api: API) -> None:
    wire.route.mock(return_value=httpx.Response(400, json=envelope({}, 404, errors=["gone"])))
    with pytest.raises(FlowThingsNotFound):
        api.flow.read("f1")


@pytest.mark.parametrize(
    ("status", "content", "error"),
    [
        pytest.param(502, b"<html><body>Bad Gateway</body></html>", FlowThingsServerError, id="html-502"),
        pytest.param(404, b"Not Found", FlowThingsNotFound, id="text-404"),
        pytest.param(403, b"", FlowThingsForbidden, id="empty-403"),
        pytest.param(200, b'{"head": {"ok": tr', FlowThingsServerError, id="truncated-200"),
        pytest.param(200, b"[1, 2]", FlowThingsServerError, id="not-an-envelope"),
    ],
)
def test_non_json_bodies_become_typed_errors(
    wire: Wire, api: API, status: int, content: bytes, error: type[FlowThingsException]
) -> None:
    wire.route.mock(return_value=httpx.Response(status, content=content))
    with pytest.raises(error) as info:
        api.flow.read("f1")
    assert info.value.status == status
    assert f"HTTP {status}" in info.value.errors[0]
    if content:
        assert content[:10].decode() in info.value.errors[0]


def test_read_or_else_only_swallows_404(wire: Wire, api: API) -> None:
    wire.reply(404, {}, errors=["missing"])
    assert api.flow.read_or_else("f1", "fallback") == "fallback"
    wire.reply(403, {}, errors=["no"])
    with pytest.raises(FlowThingsForbidden):
        api.flow.read_or_else("f1", "fallback")


def test_idempotent_requests_retry_on_503_then_succeed(wire: Wire, api: API, no_sleep: list[float]) -> None:
    wire.route.side_effect = [
        httpx.Response(503, json=envelope({}, 503)),
        httpx.Response(502, content=b"bad gateway"),
        httpx.Response(200, json=envelope({"id": "f1"})),
    ]
    with API(CREDS, max_retries=2) as client:
        assert client.flow.read("f1") == {"id": "f1"}
    assert wire.route.call_count == 3
    assert len(no_sleep) == 2


def test_retries_are_bounded(wire: Wire, no_sleep: list[float]) -> None:
    wire.route.mock(return_value=httpx.Response(503, json=envelope({}, 503, errors=["busy"])))
    with API(CREDS, max_retries=3) as client, pytest.raises(FlowThingsServerError):
        client.flow.find()
    assert wire.route.call_count == 4
    assert len(no_sleep) == 3


def test_retry_after_is_honoured(wire: Wire, no_sleep: list[float]) -> None:
    wire.route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "2"}, json=envelope({}, 429)),
        httpx.Response(200, json=envelope([])),
    ]
    with API(CREDS, max_retries=1) as client:
        assert client.flow.find() == []
    assert no_sleep == [2.0]


def test_backoff_grows_with_jitter(wire: Wire, no_sleep: list[float], restore_defaults: None) -> None:
    flowthings.defaults.retry_backoff = 1.0
    wire.route.mock(return_value=httpx.Response(504, json=envelope({}, 504)))
    with API(CREDS, max_retries=4) as client, pytest.raises(FlowThingsServerError):
        client.flow.find()
    assert len(no_sleep) == 4
    for attempt, wait in enumerate(no_sleep, start=1):
        assert 0 <= wait <= 2 ** (attempt - 1)


@pytest.mark.parametrize("method", ["POST"])
def test_post_is_never_retried_by_default(wire: Wire, no_sleep: list[float], method: str) -> None:
    wire.route.mock(return_value=httpx.Response(503, json=envelope({}, 503)))
    with API(CREDS, max_retries=3) as client, pytest.raises(FlowThingsServerError):
        client.flow.create({"path": "/acc/x"})
    assert wire.route.call_count == 1
    assert no_sleep == []


def test_post_retries_when_opted_in(wire: Wire, no_sleep: list[float]) -> None:
    wire.route.side_effect = [httpx.Response(503, json=envelope({}, 503)), httpx.Response(201, json=envelope({"id": "f"}, 201))]
    with API(CREDS, max_retries=1, retry_post=True) as client:
        assert client.flow.create({"path": "/acc/x"}) == {"id": "f"}


def test_max_retries_zero_disables(wire: Wire, no_sleep: list[float]) -> None:
    wire.route.mock(return_value=httpx.Response(503, json=envelope({}, 503)))
    with API(CREDS, max_retries=0) as client, pytest.raises(FlowThingsServerError):
        client.flow.find()
    assert wire.route.call_count == 1


def test_connection_errors_retry_then_raise_typed(wire: Wire, no_sleep: list[float]) -> None:
    wire.route.side_effect = httpx.ConnectError("connection refused")
    with API(CREDS, max_retries=2) as client, pytest.raises(FlowThingsConnectionError) as info:
        client.flow.read("f1")
    assert wire.route.call_count == 3
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert info.value.path == "/flow/f1"


def test_timeouts_become_flowthings_timeout(wire: Wire, no_sleep: list[float]) -> None:
    wire.route.side_effect = httpx.ReadTimeout("slow")
    with API(CREDS, max_retries=0) as client, pytest.raises(FlowThingsTimeout) as info:
        client.flow.read("f1")
    assert isinstance(info.value, FlowThingsConnectionError)
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


def test_timeout_is_always_sent(wire: Wire, restore_defaults: None) -> None:
    with API(CREDS, timeout=1.5) as client:
        client.flow.find()
    assert wire.request.extensions["timeout"] == {"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5}
    flowthings.defaults.timeout = 4.0
    with API(CREDS) as client:
        client.flow.find()
    assert wire.request.extensions["timeout"]["read"] == 4.0
    with httpx.Client(timeout=None) as raw, API(CREDS, http_client=raw) as client:
        client.flow.find()
    assert wire.request.extensions["timeout"]["read"] == 4.0


def test_defaults_are_read_at_call_time(wire: Wire, restore_defaults: None) -> None:
    client = API(CREDS)
    flowthings.defaults.secure = False
    flowthings.defaults.host = "localhost:8080"
    flowthings.defaults.version = "4.0"
    flowthings.defaults.params = {"hints": 0}
    client.flow.find()
    assert str(wire.request.url) == "http://localhost:8080/v4.0/acc/flow?hints=0"
    client.close()


def test_explicit_options_win_over_defaults(wire: Wire, restore_defaults: None) -> None:
    flowthings.defaults.host = "ignored"
    with API(CREDS, secure=False, host="127.0.0.1:9", version="4.0", ws_host="127.0.0.1:10") as client:
        client.flow.find()
        assert str(wire.request.url) == "http://127.0.0.1:9/v4.0/acc/flow"
        client.websocket.request("POST")
        assert str(wire.request.url) == "http://127.0.0.1:10/session"


def test_creds_setter_resigns_all_services(wire: Wire, api: API) -> None:
    api.creds = Token("other", "secret2")
    api.drop("f1").find()
    assert wire.request.headers["x-auth-token"] == "secret2"
    assert str(wire.request.url) == "https://api.flowthings.io/v0.1/other/drop/f1"
    assert api.creds == Token("other", "secret2")
    with pytest.raises(TypeError):
        api.creds = ("a", 1)  # type: ignore[assignment]


def test_creds_swapped_between_requests_resign_the_next_one(wire: Wire, api: API) -> None:
    # The signed headers and the URL prefix are built once per credentials;
    # a swap after earlier requests must still take effect on the next one.
    api.flow.find()
    assert wire.request.headers["x-auth-token"] == "sekrit"
    api.creds = Token("other", "secret2")
    api.flow.find()
    assert wire.request.headers["x-auth-token"] == "secret2"
    assert wire.request.headers["x-auth-account"] == "other"
    assert str(wire.request.url) == "https://api.flowthings.io/v0.1/other/flow"
    api.creds = CREDS
    api.flow.find()
    assert wire.request.headers["x-auth-token"] == "sekrit"
    assert str(wire.request.url) == f"{BASE}/flow"


def test_retry_defaults_changed_after_requests_apply_at_once(
    wire: Wire, no_sleep: list[float], restore_defaults: None
) -> None:
    wire.route.mock(return_value=httpx.Response(503, json=envelope({}, 503)))
    with API(CREDS) as client:
        flowthings.defaults.max_retries = 1
        with pytest.raises(FlowThingsServerError):
            client.flow.find()
        assert wire.route.call_count == 2
        flowthings.defaults.max_retries = 3
        flowthings.defaults.max_retry_wait = 0.25
        with pytest.raises(FlowThingsServerError):
            client.flow.find()
        assert wire.route.call_count == 2 + 4
    assert all(wait <= 0.25 for wait in no_sleep[1:])


def test_one_pooled_client_is_reused(api: API) -> None:
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(id(request))
        return httpx.Response(200, json=envelope({}))

    with httpx.Client(transport=httpx.MockTransport(handler)) as raw:
        client = API(CREDS, http_client=raw)
        assert client.http_client is raw
        client.flow.find()
        client.track.find()
        client.close()
        assert not raw.is_closed  # the caller keeps ownership
    assert len(seen) == 2
    with API(CREDS) as owned:
        pool = owned.http_client
    assert pool.is_closed


def test_debug_logs_never_show_the_token(wire: Wire, api: API, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="flowthings"):
        api.flow.create({"path": "/acc/secret-body"})
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "flowthings")
    assert "POST /flow -> 200" in text
    assert "retries=0" in text
    assert "sekrit" not in text
    assert "secret-body" not in text


def test_no_logs_at_info(wire: Wire, api: API, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="flowthings"):
        api.flow.find()
    assert [r for r in caplog.records if r.name == "flowthings"] == []


def test_models_are_sent_by_alias_without_unset_fields(wire: Wire, api: API) -> None:
    from pydantic import BaseModel, ConfigDict, Field

    class Thing(BaseModel):
        model_config = ConfigDict(populate_by_name=True)
        display_name: str = Field(alias="displayName")
        capacity: int | None = None

    api.flow.create(Thing(display_name="x"))
    assert wire.json == {"displayName": "x"}



def test_json_body_dumps_models_and_mappings_at_any_depth(wire: Wire, api: API) -> None:
    from flowthings.models import Flow

    api.root.request(
        "POST",
        "/x",
        data={
            "flow": Flow(path="/acc/f"),
            "proxy": types.MappingProxyType({"a": (1, 2), "inner": Flow(path="/acc/g")}),
            "list": [Flow(path="/acc/h"), {"b": None}],
        },
    )
    assert wire.request.content == (
        b'{"flow": {"path": "/acc/f"}, "proxy": {"a": [1, 2], "inner": {"path": "/acc/g"}},'
        b' "list": [{"path": "/acc/h"}, {"b": null}]}'
    )


def test_unserialisable_body_fails_before_io(wire: Wire, api: API) -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        api.flow.create({"path": "/acc/f", "tags": {"a"}})
    assert not wire.route.called
