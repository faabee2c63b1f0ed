"""Odd inputs always get an envelope (never a 500); writes stay consistent under concurrency."""

from __future__ import annotations

import importlib.util
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from flowthings.local.analytics.aggregate import aggregate
from flowthings.local.base.envelope import MAX_DEPTH, PlatformError, has_lone_surrogate, too_deep
from flowthings.local.core.platform import Platform

from .conftest import Client

FLOW = "{flow}"  # replaced by the id of a fresh flow
DROP = "{drop}"  # replaced by the id of a drop in it


def _envelope(r: httpx.Response, status: int) -> dict[str, Any]:
    env: dict[str, Any] = r.json()
    assert (r.status_code, env["head"]["status"]) == (status, status), r.text
    assert env["head"]["ok"] is (status < 400)
    return env


@pytest.mark.parametrize(
    ("method", "path", "raw", "params", "status"),
    [
        pytest.param("POST", f"/drop/{FLOW}", b'{"elems": {"x": 1e400}}', {}, 400,
                     id="float-out-of-range"),
        pytest.param("POST", f"/drop/{FLOW}", b'{"elems": {"x": -1e999}}', {}, 400,
                     id="negative-float-out-of-range"),
        pytest.param("POST", f"/drop/{FLOW}", b'{"elems": {"x": "\\ud800"}}', {}, 400,
                     id="lone-surrogate"),
        pytest.param("POST", "/flow", b'{"path": "/acc/\\udfff"}', {}, 400,
                     id="lone-low-surrogate"),
        pytest.param("POST", f"/drop/{FLOW}", b'{"elems": {"x": "\\ud83d\\ude00"}}', {}, 201,
                     id="surrogate-pair-is-fine"),
        pytest.param("POST", f"/drop/{FLOW}", b'{"elems": {"x": "\\\\ud800"}}', {}, 201,
                     id="escaped-backslash-is-fine"),
        pytest.param("POST", f"/drop/{FLOW}", b'{"elems": {"x": 1e300}}', {}, 201,
                     id="big-finite-float"),
        pytest.param("POST", f"/drop/{FLOW}", b'{"elems": {"x": 1' + b"0" * 40 + b"}}", {}, 201,
                     id="huge-int"),
        pytest.param("POST", "/drop", b"[1]", {}, 400, id="drop-by-path-non-object"),
        pytest.param("POST", "/drop", b'"x"', {}, 400, id="drop-by-path-string"),
        pytest.param("GET", f"/statistics/flowDropAdded/{FLOW}/\u00b2", None, {}, 400,
                     id="statistics-superscript-digit"),
        pytest.param("GET", f"/statistics/flowDropAdded/{FLOW}/\u0661\u0669\u0667\u0660", None,
                     {}, 400, id="statistics-non-ascii-digits"),
        pytest.param("GET", f"/statistics/flowDropAdded/{FLOW}/" + "1" * 5000, None, {}, 400,
                     id="statistics-huge-year"),
        pytest.param("GET", f"/statistics/flowDropAdded/{FLOW}/0", None, {}, 400,
                     id="statistics-year-0"),
        pytest.param("GET", f"/statistics/flowDropAdded/{FLOW}/02015", None, {}, 200,
                     id="statistics-leading-zero"),
        pytest.param("GET", "/flow", None, {"limit": "\uff11\uff12"}, 400, id="fullwidth-limit"),
        pytest.param("GET", "/flow", None, {"limit": "1" * 5000}, 400, id="huge-limit"),
        pytest.param("GET", "/flow", None, {"limit": "-1"}, 400, id="negative-limit"),
        pytest.param("GET", f"/drop/{FLOW}", None, {"sort": "elems.a.b"}, 200, id="nested-sort"),
        pytest.param("GET", f"/drop/{FLOW}", None, {"only": "elems.a,,id.x"}, 200, id="odd-only"),
        pytest.param("GET", "/flow/%ED%A0%80", None, {}, 404, id="surrogate-in-url"),
        pytest.param("MGET", "/flow", b'{"a": 1}', {}, 400, id="mget-object"),
        pytest.param("MGET", "/flow", b"[[1]]", {}, 400, id="mget-nested-list"),
        pytest.param("MGET", "/drop", b'[{"flowId": "f", "params": {"only": [["x"]]}}]', {}, 400,
                     id="multi-find-nested-only"),
        pytest.param("MPUT", "/flow", b"[1]", {}, 400, id="mput-list"),
        pytest.param("PUT", f"/drop/{FLOW}/{DROP}", b'{"elems": "x"}', {}, 400,
                     id="drop-elems-not-object"),
    ],
)  # fmt: skip
def test_odd_inputs_get_envelopes(
    client: Client, method: str, path: str, raw: bytes | None, params: dict[str, str], status: int
) -> None:
    flow = client.body("POST", "/flow", {"path": f"/{client.account}/odd"})
    drop = client.body("POST", f"/drop/{flow['id']}", {"elems": {"a": 1}})
    path = path.replace(FLOW, flow["id"]).replace(DROP, drop["id"])
    if raw is not None:
        raw = raw.replace(b"/acc/", f"/{client.account}/".encode())
    _envelope(client(method, path, raw, params=params), status)


@pytest.mark.parametrize(
    ("track", "status"),
    [
        pytest.param({"source": ["/{a}/s"], "destination": "/{a}/d"}, 400, id="source-list"),
        pytest.param({"source": "/{a}/s", "destination": [1, None]}, 400, id="dest-non-strings"),
        pytest.param({"source": "/{a}/s", "destination": [["/{a}/d"]]}, 400, id="dest-nested"),
        pytest.param({"source": "/{a}/s", "destination": []}, 201, id="dest-empty-list"),
        pytest.param({"source": "/{a}/s", "destination": ["/{a}/d", "/{a}/e"]}, 201,
                     id="dest-list"),
    ],
)  # fmt: skip
def test_track_paths(client: Client, track: dict[str, Any], status: int) -> None:
    body = json.dumps(track).replace("{a}", client.account).encode()
    env = _envelope(client("POST", "/track", body), status)
    if status == 400:
        assert any(m in env["head"]["errors"][0] for m in ("'source'", "'destination'"))


def test_task_destination_must_not_be_empty(client: Client) -> None:
    body = {"destination": [], "js": "f", "url": "http://x"}
    _envelope(client("POST", "/rss", json.dumps(body).encode()), 400)


def test_mput_with_one_bad_entry_changes_nothing(client: Client) -> None:
    flow = client.body("POST", "/flow", {"path": f"/{client.account}/mput"})
    fid = flow["id"]
    d1 = client.body("POST", f"/drop/{fid}", {"elems": {"a": 1}})
    d2 = client.body("POST", f"/drop/{fid}", {"elems": {"a": 2}})
    for bad in ("not an object", {"elems": []}, [1]):
        changes = {d1["id"]: {"elems": {"a": 10}}, d2["id"]: bad}
        _envelope(client("MPUT", f"/drop/{fid}", json.dumps(changes).encode()), 400)
    assert client.body("GET", f"/drop/{fid}/{d1['id']}")["elems"]["a"]["value"] == 1
    other = client.body("POST", "/flow", {"path": f"/{client.account}/mput2"})
    upd = {fid: {"description": "new"}, other["id"]: 5}
    _envelope(client("MPUT", "/flow", json.dumps(upd).encode()), 400)
    assert "description" not in client.body("GET", f"/flow/{fid}")


def test_put_cannot_change_ids(client: Client) -> None:
    flow = client.body("POST", "/flow", {"path": f"/{client.account}/ids"})
    fid = flow["id"]
    drop = client.body("POST", f"/drop/{fid}", {"elems": {"a": 1}})
    other = "f" + "0" * 24
    assert client.body("PUT", f"/flow/{fid}", {"id": other})["id"] == fid
    moved = client.body("PUT", f"/drop/{fid}/{drop['id']}", {"id": "d" + "0" * 24, "flowId": other})
    assert (moved["id"], moved["flowId"]) == (drop["id"], fid)


# ------------------------------------------------------------- concurrency ---


def test_write_to_a_flow_deleted_meanwhile_stores_nothing() -> None:
    platform = Platform()
    try:
        creds = platform.create_account("alice")
        p = platform.authenticate(creds.token)
        flow = platform.create(p, "alice", "flow", {"path": "/alice/gone"})
        platform.delete(p, "alice", "flow", flow["id"])
        with pytest.raises(PlatformError) as err:
            platform.write_drop("alice", flow, {"elems": {"a": 1}}, p.identity_id)
        assert err.value.status == 404
        assert platform.store.count_drops(flow["id"]) == 0
    finally:
        platform.close()


def test_write_after_a_concurrent_rename_uses_the_new_path() -> None:
    platform = Platform()
    try:
        creds = platform.create_account("alice")
        p = platform.authenticate(creds.token)
        stale = platform.create(p, "alice", "flow", {"path": "/alice/old", "capacity": 5})
        platform.update(p, "alice", "flow", stale["id"], {"path": "/alice/new", "capacity": 1})
        for i in range(3):
            drop = platform.write_drop("alice", stale, {"elems": {"i": i}}, p.identity_id)
            assert drop["path"] == "/alice/new"
        assert platform.store.count_drops(stale["id"]) == 1
    finally:
        platform.close()


def test_concurrent_writers_keep_capacity_and_never_fail(client: Client) -> None:
    flow = client.body("POST", "/flow", {"path": f"/{client.account}/busy", "capacity": 50})
    fid = flow["id"]
    barrier = threading.Barrier(8)

    def writer(n: int) -> list[int]:
        barrier.wait()
        statuses = []
        for i in range(25):
            body = json.dumps({"elems": {"n": n, "i": i}}).encode()
            statuses.append(client("POST", f"/drop/{fid}", body).status_code)
            statuses.append(client("GET", f"/drop/{fid}", params={"limit": "5"}).status_code)
            change = json.dumps({"description": str(i)}).encode()
            statuses.append(client("PUT", f"/flow/{fid}", change).status_code)
        return statuses

    with ThreadPoolExecutor(8) as pool:
        results = [s for r in pool.map(writer, range(8)) for s in r]
    assert set(results) <= {200, 201}
    assert len(client.body("GET", f"/drop/{fid}", params={"limit": "1000"})) == 50


@pytest.mark.parametrize(
    ("paths", "status"),
    [
        pytest.param({"/{a}/x": {"dropRead": True}}, 201, id="ok"),
        pytest.param({"/{a}/x/": {"dropRead": True}}, 201, id="trailing-slash"),
        pytest.param({"/{a}/x": {"read": True}}, 400, id="share-flag-on-token"),
        pytest.param({"/{a}/x": {"dropRead": 1}}, 400, id="flag-not-bool"),
        pytest.param({"/{a}/\u0000": {"dropRead": True}}, 400, id="control-char"),
        pytest.param({"/{a}/a b": {"dropRead": True}}, 400, id="whitespace"),
        pytest.param({"/{a}//x": {"dropRead": True}}, 400, id="empty-segment"),
        pytest.param({"/": {"dropRead": True}}, 400, id="root"),
        pytest.param({"/{a}x": {"dropRead": True}}, 400, id="prefix-sibling"),
        pytest.param({"/{a}/x": True}, 400, id="flags-not-object"),
        pytest.param([], 400, id="not-an-object"),
        pytest.param({}, 400, id="empty"),
    ],
)
def test_token_paths(client: Client, paths: Any, status: int) -> None:
    body = json.dumps({"paths": paths}).replace("{a}", client.account).encode()
    _envelope(client("POST", "/token", body), status)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('"\\ud800"', True, id="lone-high"),
        pytest.param('["\\uDC00"]', True, id="lone-low-upper-case"),
        pytest.param('"\\ud83d\\ude00"', False, id="pair"),
        pytest.param('"\\\\ud800"', False, id="escaped-backslash"),
        pytest.param('{"\\ud800": 1}', True, id="in-a-key"),
        pytest.param("1", False, id="no-string"),
    ],
)
def test_has_lone_surrogate(text: str, expected: bool) -> None:
    assert has_lone_surrogate(text, json.loads(text)) is expected


def test_simulate_result_with_lone_surrogate_is_a_failed_run(client: Client) -> None:
    assert importlib.util.find_spec("py_mini_racer"), "in the dev extra: install it, not skip"
    js = "function (d) { d.elems.s = '\\ud800'; return d; }"
    env = _envelope(
        client("POST", "/track/simulate", json.dumps({"drop": {"elems": {}}, "js": js}).encode()),
        200,
    )
    assert env["body"]["drops"] == []
    assert "surrogate" in env["body"]["log"][-1]["message"]


def _agg(values: list[Any], output: str, group_by: list[str] | None = None) -> Any:
    drops = [{"creationDate": 0, "elems": {"v": v}} for v in values]
    return aggregate(drops, {"output": [output], "groupBy": group_by or []}, now_ms=0)[0]


@pytest.mark.parametrize(
    ("values", "output", "expected"),
    [
        pytest.param([1.7e308, 1.7e308], "$sum:v", None, id="float-sum-overflow"),
        pytest.param([1.7e308, 1.7e308], "$avg:v", None, id="float-avg-overflow"),
        pytest.param([10**400, 1.5], "$sum:v", None, id="huge-int-plus-float"),
        pytest.param([10**400, 1.5], "$avg:v", None, id="huge-int-plus-float-avg"),
        pytest.param([10**400, 10**400], "$avg:v", None, id="huge-int-avg"),
        pytest.param([10**400, 1], "$sum:v", 10**400 + 1, id="int-sum-is-exact"),
        pytest.param([10**400, 1.5], "$max:v", 10**400, id="max-is-the-value"),
        pytest.param([{"type": "integer", "value": 2}, 4], "$avg:v", 3.0, id="typed-avg"),
    ],
)
def test_aggregate_never_yields_non_json_numbers(
    values: list[Any], output: str, expected: Any
) -> None:
    assert _agg(values, output)[output] == expected


@pytest.mark.parametrize("stamp", [10**400, 10**20, -(10**20), 1e300])
def test_aggregate_date_out_of_range_is_null(stamp: Any) -> None:
    assert _agg([stamp], "$count", ["$year:v"])["$year:v"] is None


def _nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(1, False, id="scalar"),
        pytest.param(_nested(MAX_DEPTH), False, id="at-the-limit"),
        pytest.param(_nested(MAX_DEPTH + 1), True, id="one-too-deep"),
        pytest.param([[]] * (MAX_DEPTH + 5), False, id="many-brackets-shallow"),
        pytest.param({"s": "[" * 500}, False, id="brackets-in-strings"),
    ],
)
def test_too_deep(value: Any, expected: bool) -> None:
    assert too_deep(json.dumps(value), value) is expected


def test_deep_bodies_are_refused_so_rendering_never_recurses_too_far(client: Client) -> None:
    flow = client.body("POST", "/flow", {"path": f"/{client.account}/deep"})
    fid = flow["id"]
    # elems and the drop add two levels
    ok = json.dumps({"elems": {"x": _nested(MAX_DEPTH - 2)}}).encode()
    _envelope(client("POST", f"/drop/{fid}", ok), 201)
    deep = json.dumps({"elems": {"x": _nested(MAX_DEPTH - 1)}}).encode()
    _envelope(client("POST", f"/drop/{fid}", deep), 400)
    for params in ({"hints": "0"}, {"sort": "x"}, {"filter": "x.a == 1"}):
        _envelope(client("GET", f"/drop/{fid}", params=params), 200)


@pytest.mark.parametrize(
    ("hints", "status"), [(0, 200), (1, 200), (True, 200), (2, 400), (1.0, 400)]
)
def test_hints_in_json_params(client: Client, hints: Any, status: int) -> None:
    flow = client.body("POST", "/flow", {"path": f"/{client.account}/h"})
    body = json.dumps([{"flowId": flow["id"], "params": {"hints": hints}}]).encode()
    _envelope(client("MGET", "/drop", body), status)
