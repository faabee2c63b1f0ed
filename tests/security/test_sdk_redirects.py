"""Issue 14 item 8: the SDK's credentials never leave the configured origin.

Whatever ``httpx.Client`` is injected (here with ``follow_redirects=True``),
``X-Auth-Token``/``X-Auth-Account`` go only to the configured host: a
redirect to another origin is refused (nothing is sent there), one within the
origin is followed.
"""

from __future__ import annotations

import httpx
import pytest

from flowthings import API, FlowThingsConnectionError, FlowThingsServerError, Token

HOST = "api.example.test"
SECRET = "s3cret-master-token"


def _envelope(body: object, status: int = 200) -> dict[str, object]:
    return {
        "head": {"ok": True, "status": status, "errors": [], "messages": [], "references": {}},
        "body": body,
    }


class Recorder:
    """A MockTransport handler: the API host redirects as told; every request is kept."""

    def __init__(self, location: str, status: int = 302) -> None:
        self.location = location
        self.status = status
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.host == HOST and request.url.path.endswith("/flow/f1"):
            return httpx.Response(self.status, headers={"Location": self.location})
        return httpx.Response(200, json=_envelope({"id": "f1", "path": "/alice/x"}))

    def leaked(self) -> list[httpx.Request]:
        return [
            r
            for r in self.seen
            if r.url.host != HOST or r.url.scheme != "https" or r.url.port not in (None, 443)
        ]


def _api(rec: Recorder, **client_kw: object) -> tuple[API, httpx.Client]:
    client = httpx.Client(transport=httpx.MockTransport(rec), **client_kw)  # type: ignore[arg-type]
    return API(Token("alice", SECRET), host=HOST, http_client=client), client


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("https://evil.example.test/steal", id="other-host"),
        pytest.param(f"https://{HOST}:8443/v0.1/alice/flow/f2", id="other-port"),
        pytest.param(f"http://{HOST}/v0.1/alice/flow/f2", id="downgrade-to-http"),
        pytest.param("//evil.example.test/steal", id="scheme-relative"),
        pytest.param(f"https://{HOST.upper()}.evil.test/x", id="lookalike"),
    ],
)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_cross_origin_redirects_are_refused(location: str, status: int) -> None:
    rec = Recorder(location, status)
    api, client = _api(rec, follow_redirects=True)
    with client, pytest.raises(FlowThingsConnectionError) as info:
        api.flow.read("f1")
    assert "redirect" in str(info.value)
    assert rec.leaked() == []
    assert all(r.headers.get("x-auth-token") in (SECRET, None) for r in rec.seen)
    assert len(rec.seen) == 1


def test_same_origin_redirects_are_followed_with_credentials() -> None:
    rec = Recorder("/v0.1/alice/flow/f2", 307)
    api, client = _api(rec, follow_redirects=True)
    with client:
        assert api.flow.read("f1")["id"] == "f1"
    assert [r.url.path for r in rec.seen] == ["/v0.1/alice/flow/f1", "/v0.1/alice/flow/f2"]
    assert all(r.headers["x-auth-token"] == SECRET for r in rec.seen)
    assert rec.leaked() == []


def test_a_client_that_does_not_follow_keeps_not_following() -> None:
    rec = Recorder("/v0.1/alice/flow/f2", 302)
    api, client = _api(rec)  # httpx's default: follow_redirects=False
    with client, pytest.raises(FlowThingsServerError):
        api.flow.read("f1")
    assert len(rec.seen) == 1


def test_redirect_loops_within_the_origin_end() -> None:
    rec = Recorder(f"https://{HOST}/v0.1/alice/flow/f1", 302)
    api, client = _api(rec, follow_redirects=True, max_redirects=3)
    with client, pytest.raises(FlowThingsConnectionError):
        api.flow.read("f1")
    assert len(rec.seen) == 4
    assert rec.leaked() == []
