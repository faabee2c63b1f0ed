"""Issue 14 item 7: the low-severity limits.

Paging parameters beyond SQLite's integer range, derived members written
through PUT/MPUT, connections that never finish a request, and the filter
nesting limit.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from flowthings.local.core.platform import Platform
from flowthings.local.http.server import ServerThread
from flowthings.local.query.params import MAX_OFFSET

from .conftest import World


@pytest.mark.parametrize("name", ["start", "skip", "limit"])
@pytest.mark.parametrize("value", [str(2**63), str(2**64 + 5), "9" * 40, str(MAX_OFFSET + 1)])
def test_paging_beyond_range_is_a_400(w: World, name: str, value: str) -> None:
    fid = w.flows["shared"]["id"]
    w.alice.ok("POST", f"/drop/{fid}", {"elems": {"x": 1}})
    for path in (f"/drop/{fid}", "/flow", "/track"):
        r = w.alice.call("GET", path, params={name: value})
        assert r.status == 400, (path, r.status, r.errors)
    r = w.alice.call("MGET", "/drop", [{"flowId": fid, "params": {name: int(value)}}])
    assert r.status == 400
    ws = w.alice.socket()
    try:
        reply = ws.request(
            {"type": "findmany", "object": "drop", "flowId": fid, "options": {name: int(value)}}
        )
        assert reply["head"]["status"] == 400
    finally:
        ws.close()


def test_paging_at_the_bound_is_fine(w: World) -> None:
    fid = w.flows["shared"]["id"]
    w.alice.ok("POST", f"/drop/{fid}", {"elems": {"x": 1}})
    assert w.alice.ok("GET", f"/drop/{fid}", params={"start": str(MAX_OFFSET)}) == []
    assert w.alice.ok("GET", f"/drop/{fid}", params={"skip": str(MAX_OFFSET)}) == []
    assert len(w.alice.ok("GET", f"/drop/{fid}", params={"limit": str(MAX_OFFSET)})) == 1


DERIVED = {
    "path": "/{other}/stolen",
    "flowId": "f000000000000000000000000",
    "id": "d000000000000000000000000",
    "creationDate": 1,
    "creatorId": "i000000000000000000000000",
    "version": 99,
}


@pytest.mark.parametrize("member", sorted(DERIVED))
def test_derived_drop_members_are_not_writable(w: World, member: str) -> None:
    fid = w.flows["shared"]["id"]
    drop = w.alice.ok("POST", f"/drop/{fid}", {"elems": {"x": 1}})
    value = DERIVED[member]
    if isinstance(value, str):
        value = value.format(other=w.carol.account)
    put = w.alice.ok("PUT", f"/drop/{fid}/{drop['id']}", {member: value, "elems": {"x": 2}})
    mput = w.alice.ok("MPUT", f"/drop/{fid}", {drop["id"]: {member: value}})[drop["id"]]
    stored = w.alice.ok("GET", f"/drop/{fid}/{drop['id']}")
    for seen in (put, mput, stored):
        assert seen.get(member) == drop.get(member), (member, seen.get(member))
    assert stored["path"] == w.path("shared")
    assert stored["flowId"] == fid
    # nothing of it lands in the other account
    assert w.lp.platform.store.get(w.carol.account, "drop", drop["id"]) is None


def test_drop_path_cannot_be_moved_by_its_writer(w: World) -> None:
    # a share recipient with dropWrite cannot relocate a drop either
    fid = w.flows["shared"]["id"]
    drop = w.alice.ok("POST", f"/drop/{fid}", {"elems": {"x": 1}})
    r = w.bob.call(
        "PUT",
        f"/drop/{fid}/{drop['id']}",
        {"path": w.path("private"), "flowId": w.flows["private"]["id"]},
        account=w.alice.account,
    )
    assert r.status == 200
    assert r.body["path"] == w.path("shared")
    assert w.alice.ok("GET", f"/drop/{w.flows['private']['id']}") == []


@pytest.mark.parametrize("n", [101, 150, 1000])
def test_filter_nesting_beyond_100_is_a_400(w: World, n: int) -> None:
    fid = w.flows["shared"]["id"]
    text = "(" * n + "x == 1" + ")" * n
    r = w.alice.call("GET", f"/drop/{fid}", params={"filter": text})
    assert r.status == 400
    assert "nested too deeply" in r.errors[0]
    ok = "(" * 100 + "x == 1" + ")" * 100
    assert w.alice.call("GET", f"/drop/{fid}", params={"filter": ok}).status == 200


@pytest.fixture
def quick_server() -> Iterator[ServerThread]:
    platform = Platform()
    server = ServerThread(platform, request_timeout=0.5)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        platform.close()


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if sock.recv(4096) == b"":
                return True
    except (TimeoutError, ConnectionResetError):
        return False
    return False


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(b"", id="nothing"),
        pytest.param(b"GET /v0.1/demo/flow HTTP/1.1\r\n", id="request-line-only"),
        pytest.param(b"GET /v0.1/demo/flow HTTP/1.1\r\nHost: x\r\n", id="headers-unfinished"),
        pytest.param(
            b"POST /v0.1/demo/flow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
            id="body-unfinished",
        ),
    ],
)
def test_unfinished_requests_are_cut_off(quick_server: ServerThread, sent: bytes) -> None:
    with socket.create_connection((quick_server.host, quick_server.port)) as sock:
        sock.sendall(sent)
        assert _closed_within(sock, 5.0)


def test_slowloris_dribbling_headers_is_cut_off(quick_server: ServerThread) -> None:
    with socket.create_connection((quick_server.host, quick_server.port)) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /v0.1/demo/flow HTTP/1.1\r\n")
        try:
            for _ in range(40):  # one header byte every 0.1 s: 4 s if never cut
                sock.sendall(b"X")
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert _closed_within(sock, 5.0)
        assert time.monotonic() - started < 3.5


def test_a_prompt_client_keeps_working(quick_server: ServerThread) -> None:
    import httpx

    base = f"http://{quick_server.host}:{quick_server.port}"
    with httpx.Client(base_url=base) as http:
        for _ in range(3):
            r = http.get("/v0.1/nobody/flow", headers={"X-Auth-Token": "nope"})
            assert r.status_code == 403
            time.sleep(0.6)  # longer than the request deadline, shorter than keep-alive


@pytest.fixture
def w(world: World) -> World:
    return world
