"""Token (credentials), defaults and the public namespace."""

from __future__ import annotations

import json
import pickle

import pytest

import flowthings
from flowthings import FlowThingsError, Token


def test_token_is_an_immutable_pair_with_a_secret_repr() -> None:
    creds = Token("alice", "s3cret")
    account, token = creds
    assert (account, token) == ("alice", "s3cret")
    assert creds == ("alice", "s3cret")
    assert "s3cret" not in repr(creds)
    assert "s3cret" not in str(creds)
    assert "alice" in repr(creds)
    with pytest.raises(AttributeError):
        creds.token = "x"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(creds)) == creds


def test_from_bluemix_reads_vcap_services(monkeypatch: pytest.MonkeyPatch) -> None:
    vcap = {"flowthings": [{"credentials": {"account": "test", "token": "token"}}]}
    monkeypatch.setenv("VCAP_SERVICES", json.dumps(vcap))
    assert Token.from_bluemix() == Token("test", "token")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="missing"),
        pytest.param("not json", id="not-json"),
        pytest.param(json.dumps({"other": []}), id="no-flowthings"),
        pytest.param(json.dumps({"flowthings": []}), id="empty-list"),
        pytest.param(json.dumps({"flowthings": [{"credentials": {"account": 1, "token": "t"}}]}), id="bad-types"),
    ],
)
def test_from_bluemix_default_or_error(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("FT_TEST_VCAP", raising=False)
    else:
        monkeypatch.setenv("FT_TEST_VCAP", value)
    fallback = Token("foo", "bar")
    assert Token.from_bluemix(fallback, env_var="FT_TEST_VCAP") is fallback
    with pytest.raises(FlowThingsError, match="Bluemix"):
        Token.from_bluemix(env_var="FT_TEST_VCAP")


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWTHINGS_ACCOUNT", "alice")
    monkeypatch.setenv("FLOWTHINGS_TOKEN", "tok")
    assert Token.from_env() == Token("alice", "tok")
    monkeypatch.delenv("FLOWTHINGS_TOKEN")
    with pytest.raises(FlowThingsError, match="FLOWTHINGS_TOKEN"):
        Token.from_env()


def test_documented_defaults() -> None:
    defaults = flowthings.Defaults()
    assert defaults.async_lib is None
    assert defaults.secure is True
    assert defaults.params == {}
    assert defaults.host == "api.flowthings.io"
    assert defaults.ws_host == "ws.flowthings.io"
    assert defaults.version == "0.1"
    assert defaults.timeout > 0
    assert defaults.max_retries >= 0


def test_api_rejects_bad_creds_and_options() -> None:
    with pytest.raises(TypeError, match="Token"):
        flowthings.API("alice")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_retries"):
        flowthings.API(Token("a", "b"), max_retries=-1)


def test_exceptions_pickle_and_keep_fields() -> None:
    exc = flowthings.FlowThingsNotFound(["gone"], Token("a", "b"), "GET", "/flow/x", 404)
    copy = pickle.loads(pickle.dumps(exc))
    assert (copy.errors, copy.method, copy.path, copy.status) == (["gone"], "GET", "/flow/x", 404)
    assert repr(copy) == "<FlowThingsNotFound a GET /flow/x ['gone']>"
    assert issubclass(flowthings.FlowThingsTimeout, flowthings.FlowThingsException)
