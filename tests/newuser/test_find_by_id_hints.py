"""``find`` with a str reads by id (1.0.5): a filter or a path given there is refused
before any request, with the call that does what was meant."""

from __future__ import annotations

import httpx
import pytest

from flowthings import API, Token


def _api(requests: list[httpx.Request]) -> API:
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"head": {"ok": True, "status": 200}, "body": {}})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return API(Token("alice", "t" * 32), host="localhost:1", secure=False, http_client=client)


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ('path == "/alice/x"', "find(filter='path == \"/alice/x\"')"),
        ("elems.temp > 20", "find(filter='elems.temp > 20')"),
        ("/alice/x", "find(mem.path == '/alice/x')"),
    ],
)
def test_a_filter_or_path_given_as_an_id_is_refused_before_any_request(
    value: str, hint: str
) -> None:
    requests: list[httpx.Request] = []
    api = _api(requests)
    with pytest.raises(ValueError, match="reads the object with that id") as info:
        api.flow.find(value)
    assert hint in str(info.value)
    with pytest.raises(ValueError, match="reads the object with that id"):
        api.drop("f1").find(value)
    assert requests == []


def test_an_id_is_still_read_by_id() -> None:
    requests: list[httpx.Request] = []
    _api(requests).flow.find("f5a1b2c3")
    assert [(r.method, r.url.path) for r in requests] == [("GET", "/v0.1/alice/flow/f5a1b2c3")]
