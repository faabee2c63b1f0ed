"""Raw HTTP tests of the local platform: envelope, routing, bad input, auth."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from flowthings.local.testing import LocalPlatform

OK = "Your request has been processed successfully."
CREATED = "Your request has been processed successfully. A new resource has been created."


class Raw:
    """An httpx client bound to one fresh account of the session platform."""

    def __init__(self, lp: LocalPlatform) -> None:
        creds = lp.new_account()
        self.account, self.token = creds.account, creds.token
        self.lp = lp
        self.client = httpx.Client(
            base_url=lp.url(account=self.account),
            headers={"X-Auth-Token": self.token, "X-Auth-Account": self.account},
        )

    def __call__(self, method: str, path: str = "", body: Any = None, **kw: Any) -> httpx.Response:
        if body is not None:
            kw["content"] = json.dumps(body)
        return self.client.request(method, path, **kw)

    def ok(self, method: str, path: str = "", body: Any = None, **kw: Any) -> Any:
        r = self(method, path, body, **kw)
        assert r.status_code in (200, 201), r.text
        return r.json()["body"]

    def flow(self, name: str = "f", **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = self.ok(
            "POST", "/flow", {"path": f"/{self.account}/{name}", **extra}
        )
        return body


@pytest.fixture
def raw(flowthings_platform: LocalPlatform) -> Iterator[Raw]:
    r = Raw(flowthings_platform)
    yield r
    r.client.close()


def assert_error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    env: dict[str, Any] = r.json()
    assert env["head"]["ok"] is False
    assert env["head"]["status"] == status
    assert env["head"]["errors"]
    assert all(isinstance(e, str) for e in env["head"]["errors"])
    assert env["body"] == {}
    return env


def test_envelope_on_create_and_read(raw: Raw) -> None:
    r = raw("POST", "/flow", {"path": f"/{raw.account}/a"})
    assert r.status_code == 201
    head = r.json()["head"]
    assert head == {
        "ok": True,
        "status": 201,
        "errors": [],
        "messages": [CREATED],
        "references": {},
    }
    r = raw("GET", "/flow/" + r.json()["body"]["id"])
    assert r.status_code == 200
    assert r.json()["head"]["messages"] == [OK]
    assert r.headers["content-type"] == "application/json"


def test_both_versions_and_trailing_slash(raw: Raw) -> None:
    fid = raw.flow()["id"]
    for version in ("0.1", "4.0"):
        url = raw.lp.url(f"/flow/{fid}/", version=version, account=raw.account)
        assert raw.client.get(url).json()["body"]["id"] == fid
    assert_error(raw.client.get(raw.lp.url("/flow", version="9.9", account=raw.account)), 404)


def test_mget_and_mput_pass_through_h11(raw: Raw) -> None:
    a, b = raw.flow("a"), raw.flow("b")
    got = raw.ok("MGET", "/flow", [a["id"], b["id"], "f" + "0" * 24])
    assert set(got) == {a["id"], b["id"]}
    upd = raw.ok("MPUT", "/flow", {a["id"]: {"description": "x"}, b["id"]: {"capacity": 5}})
    assert upd[a["id"]]["description"] == "x"
    assert upd[a["id"]]["path"] == a["path"]
    assert upd[b["id"]]["capacity"] == 5


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/nothing", id="unknown-resource"),
        pytest.param("GET", "/flow/f0123456789abcdef01234567", id="missing-flow"),
        pytest.param("GET", "/drop/f0123456789abcdef01234567", id="drops-of-missing-flow"),
        pytest.param("GET", "/flow/a/b/c", id="too-deep"),
        pytest.param("GET", "/statistics/flowDropAdded", id="statistics-without-id"),
    ],
)
def test_unknown_routes_are_404_envelopes(raw: Raw, method: str, path: str) -> None:
    assert_error(raw(method, path), 404)


def test_outside_the_api_is_404(raw: Raw) -> None:
    assert_error(raw.client.get(raw.lp.base_url + "/"), 404)
    assert_error(raw.client.get(raw.lp.base_url + "/favicon.ico"), 404)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("PATCH", "/flow", None, id="patch"),
        pytest.param("PUT", "/flow", {}, id="put-collection"),
        pytest.param("POST", "/flow/f0123456789abcdef01234567", {}, id="post-item"),
        pytest.param("PUT", "/token/k0123456789abcdef01234567", {}, id="put-token"),
        pytest.param("MPUT", "/share", {}, id="mput-share"),
    ],
)
def test_unsupported_methods_are_405_envelopes(raw: Raw, method: str, path: str, body: Any) -> None:
    assert_error(raw(method, path, body), 405)


def test_token_and_share_are_immutable(raw: Raw) -> None:
    tok = raw.ok("POST", "/token", {"paths": {f"/{raw.account}/x": {"dropRead": True}}})
    assert_error(raw("PUT", f"/token/{tok['id']}", {"description": "nope"}), 405)
    assert raw.ok("GET", f"/token/{tok['id']}").get("description") is None


BAD_FLOW_BODIES = [
    pytest.param(None, "[1, 2]", id="array-body"),
    pytest.param(None, "{bad json", id="malformed-json"),
    pytest.param(None, '{"path": NaN}', id="nan"),
    pytest.param(None, '"just a string"', id="string-body"),
    pytest.param(None, "", id="empty-body"),
    pytest.param({"path": 5}, None, id="path-not-string"),
    pytest.param({"capacity": 10}, None, id="path-missing"),
    pytest.param({"path": "/{a}/" + "x" * 200}, None, id="path-too-long"),
    pytest.param({"path": "/other/x"}, None, id="path-other-account"),
    pytest.param({"path": "/{a}"}, None, id="path-no-segment"),
    pytest.param({"path": "/{a}//x"}, None, id="path-empty-segment"),
    pytest.param({"path": "/{a}/x", "capacity": "10"}, None, id="capacity-string"),
    pytest.param({"path": "/{a}/x", "capacity": True}, None, id="capacity-bool"),
    pytest.param({"path": "/{a}/x", "capacity": -1}, None, id="capacity-negative"),
    pytest.param({"path": "/{a}/x", "capacity": 100001}, None, id="capacity-too-big"),
    pytest.param({"path": "/{a}/x", "filter": "a ==="}, None, id="bad-filter"),
    pytest.param({"path": "/{a}/x", "filter": 3}, None, id="filter-not-string"),
    pytest.param({"path": "/{a}/x", "description": []}, None, id="description-list"),
]


@pytest.mark.parametrize(("body", "text"), BAD_FLOW_BODIES)
def test_bad_flow_bodies_are_400(raw: Raw, body: Any, text: str | None) -> None:
    if body is not None:
        text = json.dumps(body).replace("{a}", raw.account)
    assert_error(raw.client.post("/flow", content=text), 400)
    assert raw.ok("GET", "/flow") == []


def test_duplicate_flow_path_is_400(raw: Raw) -> None:
    raw.flow("dup")
    env = assert_error(raw("POST", "/flow", {"path": f"/{raw.account}/dup"}), 400)
    assert "already exists" in env["head"]["errors"][0]
    other = raw.flow("other")
    assert_error(raw("PUT", f"/flow/{other['id']}", {"path": f"/{raw.account}/dup"}), 400)


def test_oversize_body_is_400(raw: Raw) -> None:
    big = json.dumps({"path": f"/{raw.account}/big", "description": "x" * (1024 * 1024)})
    env = assert_error(raw.client.post("/flow", content=big), 400)
    assert "exceeds" in env["head"]["errors"][0]

    def chunks() -> Iterator[bytes]:  # no Content-Length: streamed and cut off
        yield b'{"path": "/a/b", "description": "'
        for _ in range(40):
            yield b"y" * 32768
        yield b'"}'

    assert_error(raw.client.post("/flow", content=chunks()), 400)


def test_gzip_body_is_accepted(raw: Raw) -> None:
    body = gzip.compress(json.dumps({"path": f"/{raw.account}/gz"}).encode())
    r = raw.client.post("/flow", content=body, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 201
    assert_error(
        raw.client.post("/flow", content=b"nope", headers={"Content-Encoding": "gzip"}), 400
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"filter": "elems.x >"}, "Invalid filter", id="bad-filter"),
        pytest.param({"filter": "(a == 1"}, "Invalid filter", id="unbalanced"),
        pytest.param({"limit": "abc"}, "limit", id="limit-abc"),
        pytest.param({"limit": "-1"}, "limit", id="limit-negative"),
        pytest.param({"start": "x"}, "start", id="start-x"),
        pytest.param({"order": "up"}, "order", id="order-up"),
        pytest.param({"refs": "maybe"}, "refs", id="refs-maybe"),
    ],
)
def test_bad_query_params_are_400(raw: Raw, params: dict[str, str], message: str) -> None:
    fid = raw.flow()["id"]
    for path in ("/flow", f"/drop/{fid}"):
        env = assert_error(raw("GET", path, params=params), 400)
        assert message in env["head"]["errors"][0]


def test_unknown_params_are_ignored(raw: Raw) -> None:
    raw.flow()
    assert len(raw.ok("GET", "/flow", params={"invalid": "param", "cache": "1"})) == 1


@pytest.mark.parametrize(
    ("segment", "body"),
    [
        pytest.param("drop/{fid}", {"elems": 3}, id="drop-elems-not-object"),
        pytest.param("drop/{fid}", {"location": {"lat": "x"}, "elems": {}}, id="drop-location"),
        pytest.param("drop/{fid}", {}, id="drop-without-elems"),
        pytest.param("drop", {"elems": {}}, id="drop-without-path"),
        pytest.param("track", {"destination": "/{a}/x"}, id="track-without-source"),
        pytest.param("track", {"source": "/{a}/x", "filter": "=="}, id="track-bad-filter"),
        pytest.param("group", {"displayName": "g"}, id="group-without-members"),
        pytest.param("group", {"memberIds": "i1"}, id="group-members-not-list"),
        pytest.param("device", {"displayName": "d"}, id="device-without-path"),
        pytest.param("api-task", {"destination": "/{a}/x"}, id="api-task-without-js"),
        pytest.param(
            "api-task",
            {"destination": "/{a}/x", "js": "f", "periodicity": 59999},
            id="api-task-periodicity",
        ),
        pytest.param("mqtt", {"uri": "tcp://h", "topic": "t"}, id="mqtt-no-direction"),
        pytest.param(
            "mqtt",
            {"uri": "tcp://h", "topic": "t", "source": "/{a}/x", "destination": "/{a}/y"},
            id="mqtt-both-directions",
        ),
        pytest.param(
            "mqtt", {"uri": "tcp://h", "topic": "t", "source": "/{a}/x", "qos": 3}, id="mqtt-qos"
        ),
        pytest.param("rss", {"url": "http://x"}, id="rss-without-destination"),
        pytest.param("token", {"description": "t"}, id="token-without-paths"),
        pytest.param("token", {"paths": {"/{a}/x": {"dropRead": "yes"}}}, id="token-flag-type"),
        pytest.param("token", {"paths": {"/{a}/x": {"write": True}}}, id="token-unknown-flag"),
        pytest.param("token", {"paths": {}, "duration": -5}, id="token-duration"),
        pytest.param("share", {"paths": {"/{a}/x": {"read": True}}}, id="share-no-issued-to"),
        pytest.param("identity", {"name": "x"}, id="identity-create"),
    ],
)
def test_bad_resource_bodies(raw: Raw, segment: str, body: dict[str, Any]) -> None:
    fid = raw.flow("target")["id"]
    text = json.dumps(body).replace("{a}", raw.account)
    r = raw.client.post("/" + segment.replace("{fid}", fid), content=text)
    assert_error(r, 403 if segment == "identity" else 400)


def test_bad_mget_and_mput_bodies(raw: Raw) -> None:
    fid = raw.flow()["id"]
    assert_error(raw("MGET", "/flow", {"not": "a list"}), 400)
    assert_error(raw("MGET", "/flow", [1, 2]), 400)
    assert_error(raw("MPUT", "/flow", [fid]), 400)
    assert_error(raw("MPUT", "/flow", {fid: "not an object"}), 400)
    assert_error(raw("MGET", "/drop", [{"params": {}}]), 400)
    assert_error(raw("MGET", "/drop", [{"flowId": fid, "params": {"limit": "x"}}]), 400)
    assert_error(raw("MGET", "/drop", [{"flowId": "f" + "0" * 24}]), 404)


def test_failing_mput_changes_nothing(raw: Raw) -> None:
    a, b = raw.flow("a"), raw.flow("b")
    bad = {a["id"]: {"description": "new"}, b["id"]: {"capacity": -3}}
    assert_error(raw("MPUT", "/flow", bad), 400)
    missing = {a["id"]: {"description": "new"}, "f" + "0" * 24: {"description": "x"}}
    assert_error(raw("MPUT", "/flow", missing), 404)
    assert "description" not in raw.ok("GET", f"/flow/{a['id']}")
    assert raw.ok("GET", f"/flow/{b['id']}")["capacity"] == 1000


def test_typed_rendering_by_version_and_hints(raw: Raw) -> None:
    fid = raw.flow()["id"]
    elems = {
        "s": "x",
        "b": True,
        "i": 3,
        "big": 2**40,
        "f": 1.5,
        "m": {"k": 1},
        "l": [1],
        "t": {"type": "date", "value": 1302547651168},
        "n": None,
    }
    raw.ok("POST", f"/drop/{fid}", {"elems": elems})
    typed = raw.ok("GET", f"/drop/{fid}")[0]["elems"]
    assert typed == {
        "s": {"type": "string", "value": "x"},
        "b": {"type": "boolean", "value": True},
        "i": {"type": "integer", "value": 3},
        "big": {"type": "long", "value": 2**40},
        "f": {"type": "float", "value": 1.5},
        "m": {"type": "map", "value": {"k": 1}},
        "l": {"type": "list", "value": [1]},
        "t": {"type": "date", "value": 1302547651168},
        "n": None,
    }
    unwrapped = {**elems, "t": 1302547651168}
    for params in ({"hints": "0"}, {"hints": "false"}):
        assert raw.ok("GET", f"/drop/{fid}", params=params)[0]["elems"] == unwrapped
    v4 = raw.client.get(raw.lp.url(f"/drop/{fid}", version="4.0", account=raw.account))
    assert v4.json()["body"][0]["elems"] == unwrapped


# ---------------------------------------------------------------- auth ---


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing-token"),
        pytest.param({"X-Auth-Token": "wrong"}, id="wrong-token"),
        pytest.param({"X-Auth-Token": ""}, id="empty-token"),
    ],
)
def test_bad_credentials_are_403(raw: Raw, headers: dict[str, str]) -> None:
    raw.flow()
    with httpx.Client(base_url=raw.lp.url(account=raw.account), headers=headers) as c:
        for method, path in (
            ("GET", "/flow"),
            ("POST", "/flow"),
            ("MGET", "/flow"),
            ("GET", "/nothing"),
        ):
            assert_error(c.request(method, path, content=b"[]"), 403)


def test_auth_account_header_must_match(raw: Raw) -> None:
    r = raw.client.get("/flow", headers={"X-Auth-Account": "someone-else"})
    assert_error(r, 403)
    r = raw.client.get("/flow", headers={"X-Auth-Account": ""})
    assert r.status_code == 200  # accepted but not required


def test_accounts_are_isolated(flowthings_platform: LocalPlatform) -> None:
    a, b = Raw(flowthings_platform), Raw(flowthings_platform)
    try:
        fa = a.flow("secret")
        da = a.ok("POST", f"/drop/{fa['id']}", {"elems": {"pin": 1234}})
        # B's token on A's URL: forbidden, whatever the route.
        b_on_a = httpx.Client(base_url=a.client.base_url, headers={"X-Auth-Token": b.token})
        with b_on_a:
            for method, path, body in (
                ("GET", "/flow", None),
                ("GET", f"/flow/{fa['id']}", None),
                ("GET", f"/drop/{fa['id']}", None),
                ("DELETE", f"/flow/{fa['id']}", None),
                ("PUT", f"/flow/{fa['id']}", {"description": "x"}),
                ("POST", f"/drop/{fa['id']}", {"elems": {}}),
                ("MGET", "/flow", [fa["id"]]),
                ("MPUT", "/flow", {fa["id"]: {}}),
            ):
                content = None if body is None else json.dumps(body)
                assert_error(b_on_a.request(method, path, content=content), 403)
        # A's ids through B's own namespace: not found, never data.
        assert_error(b("GET", f"/flow/{fa['id']}"), 404)
        assert_error(b("GET", f"/drop/{fa['id']}/{da['id']}"), 404)
        assert_error(b("PUT", f"/flow/{fa['id']}", {"description": "x"}), 404)
        assert_error(b("DELETE", f"/flow/{fa['id']}"), 404)
        assert_error(b("POST", f"/drop/{fa['id']}", {"elems": {}}), 404)
        assert_error(b("MPUT", "/flow", {fa["id"]: {"description": "x"}}), 404)
        assert b.ok("MGET", "/flow", [fa["id"]]) == {}
        assert b.ok("GET", "/flow") == []
        assert_error(b("POST", "/drop", {"path": fa["path"], "elems": {}}), 404)
        assert_error(b("GET", "/drop", params={"path": fa["path"]}), 404)
        # A's data is untouched.
        assert a.ok("GET", f"/flow/{fa['id']}") == fa
        assert [d["id"] for d in a.ok("GET", f"/drop/{fa['id']}")] == [da["id"]]
    finally:
        a.client.close()
        b.client.close()


# ----------------------------------------------------------- no 500s ---


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        pytest.param("GET", "/flow?filter=%ff%fe", None, id="non-utf8-filter"),
        pytest.param("POST", "/flow", b"\xff\xfe\x00", id="non-utf8-body"),
        pytest.param("POST", "/flow", b"[" * 100000, id="deep-json"),
        pytest.param("GET", "/flow?sort=elems.x.y&order=asc", None, id="deep-sort"),
        pytest.param("GET", "/flow?only=,,,", None, id="empty-only"),
        pytest.param("PUT", "/flow/%00", b"{}", id="nul-id"),
        pytest.param("MGET", "/drop", b"{}", id="mget-drop-object"),
        pytest.param("POST", "/drop", b"[]", id="post-drop-array"),
        pytest.param("PUT", "/identity/x/firstName", b"3", id="member-put-missing"),
        pytest.param("GET", "/drop?path=", None, id="empty-path"),
        pytest.param("DELETE", "/drop", None, id="delete-drop-root"),
        pytest.param("GET", "/flow?limit=99999999999999999999999", None, id="huge-limit"),
        pytest.param(
            "GET", "/flow?filter=" + "(" * 5000 + "a==1" + ")" * 5000, None, id="deep-filter"
        ),
    ],
)
def test_odd_input_never_500(raw: Raw, method: str, path: str, content: bytes | None) -> None:
    raw.flow()
    r = raw.client.request(method, path, content=content)
    assert r.status_code < 500, r.text
    assert set(r.json()) == {"head", "body"}


def test_member_update_and_head(raw: Raw) -> None:
    flow = raw.flow()
    got = raw.ok("PUT", f"/flow/{flow['id']}/description", "via member")
    assert got["description"] == "via member"
    assert got["path"] == flow["path"]
    assert_error(raw("PUT", f"/flow/{flow['id']}/capacity", "lots"), 400)
    r = raw.client.head(f"/flow/{flow['id']}")
    assert r.status_code == 200
    assert r.content == b""


def test_true_bugs_are_logged_500_envelopes(raw: Raw, caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("a bug")

    extensions = raw.lp.platform.extensions
    extensions["broken"] = broken
    try:
        r = raw("GET", "/broken")
    finally:
        del extensions["broken"]
    env = assert_error(r, 500)
    assert "Traceback" not in r.text
    assert "a bug" not in env["head"]["errors"][0]
    assert any("internal error" in rec.getMessage() for rec in caplog.records)


def test_concurrent_writers(raw: Raw) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fid = raw.flow("busy", capacity=150)["id"]

    def write(worker: int) -> list[str]:
        with httpx.Client(headers={"X-Auth-Token": raw.token}) as c:
            url = raw.lp.url(f"/drop/{fid}", account=raw.account)
            return [
                c.post(url, json={"elems": {"w": worker, "i": i}}).json()["body"]["id"]
                for i in range(25)
            ]

    with ThreadPoolExecutor(8) as pool:
        ids = [i for batch in pool.map(write, range(8)) for i in batch]
    assert len(set(ids)) == 200
    kept = raw.ok("GET", f"/drop/{fid}", params={"limit": "1000", "order": "asc"})
    assert len(kept) == 150
    assert [d["id"] for d in kept] == sorted(d["id"] for d in kept)


@pytest.mark.parametrize("method", ["POST", "MGET", "GET"])
def test_answers_do_not_name_the_server_software(raw: Raw, method: str) -> None:
    # POST takes the lean HTTP path, MGET the h11 one, GET of a missing id a 404
    path, body = {"POST": ("/flow", {"path": f"/{raw.account}/s"}), "MGET": ("/flow", []),
                  "GET": ("/flow/missing", None)}[method]  # fmt: skip
    r = raw(method, path, body)
    assert r.status_code in (200, 201, 404), r.text
    assert "server" not in r.headers
    assert "date" in r.headers
