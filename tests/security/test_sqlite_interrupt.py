"""Red-team F4: SQLite's own work counts against the request deadline, and a
request whose client disconnected stops.

The filter deadline was checked only between Python evaluations: a filter
whose SQL pre-filter rejects every row of a big flow ran entirely inside
SQLite (holding the store lock) and never looked at the clock. The store's
connection now has a progress handler: past the deadline, or once the HTTP
client has gone away, the read is aborted and answered with the deadline
error (nobody reads the answer of a client that left).
"""

from __future__ import annotations

import secrets
import socket
import threading
from typing import Any

import pytest

from flowthings.local.base.envelope import Result
from flowthings.local.query import regex
from flowthings.local.query.params import parse_query
from flowthings.local.query.regex import ClientGone

from .conftest import World

N = 3000


@pytest.fixture
def big_flow(world: World) -> str:
    a = world.alice.account
    fid: str = world.flows["private"]["id"]
    tag = secrets.token_hex(9)
    drops = [
        {
            "id": f"d{tag}{i:06d}",
            "elems": {"v": {"n": i}},
            "creationDate": i + 1,
            "path": f"/{a}/private",
        }
        for i in range(N)
    ]
    world.lp.platform.store.insert_drops(a, fid, drops)
    return fid


# SQLite's pre-filter rejects every row (scanning their JSON: a nested member
# is not in the drop_elems index): Python never evaluates a single drop
NOTHING = "elems.v.n > 100000000"


def test_a_find_that_only_sqlite_works_on_stops_at_the_deadline(
    world: World, big_flow: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world.alice.ok("GET", f"/drop/{big_flow}", params={"filter": NOTHING}) == []
    monkeypatch.setattr(regex, "REQUEST_FILTER_SECONDS", 0.0)
    for params in ({"filter": NOTHING}, {"filter": NOTHING, "sort": "elems.v.n"}):
        r = world.alice.call("GET", f"/drop/{big_flow}", params=params)
        assert r.status == 400, (params, r)
        assert "took more than 0 s" in r.errors[0]
    r = world.alice.call("MGET", "/drop", [{"flowId": big_flow, "params": {"filter": NOTHING}}])
    assert r.status == 400
    r = world.alice.call("POST", f"/drop/{big_flow}/aggregate", {"output": ["$count"]})
    assert r.status == 400
    assert "took more than 0 s" in r.errors[0]


def test_writes_are_never_interrupted(
    world: World, big_flow: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(regex, "REQUEST_FILTER_SECONDS", 0.0)
    # deleting every drop of a big flow is many SQLite steps, past the deadline
    world.alice.ok("DELETE", f"/drop/{big_flow}")
    assert world.lp.platform.store.count_drops(big_flow) == 0
    assert world.alice.ok("POST", f"/drop/{big_flow}", {"elems": {"v": 1}})


def test_a_disconnected_clients_find_is_cancelled(
    world: World, big_flow: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = world.lp.platform
    seen: dict[str, Any] = {}
    entered = threading.Event()
    done = threading.Event()

    def slow(platform_: Any, p: Any, call: Any) -> Result:
        # a request handler (off the loop) that waits for its client to go away,
        # then runs a find over the big flow: it must stop inside SQLite
        entered.set()
        seen["cancelled"] = call.cancel is not None and call.cancel.wait(10)
        flow = platform_.flow(p, call.account, big_flow)
        try:
            platform_.find_drops(p, call.account, flow, parse_query({"filter": NOTHING}))
        except ClientGone as exc:
            seen["error"] = exc
        finally:
            done.set()
        return Result(200, [])

    monkeypatch.setitem(platform.extensions, "track/simulate", slow)
    host, port = world.lp.host.split(":")
    body = b"{}"
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            f"POST /v0.1/{world.alice.account}/track/simulate HTTP/1.1\r\nHost: x\r\n"
            f"X-Auth-Token: {world.alice.token}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        assert entered.wait(10)
    assert done.wait(10)
    assert seen["cancelled"] is True
    assert isinstance(seen.get("error"), ClientGone)


def test_a_connected_client_is_not_cancelled(world: World, big_flow: str) -> None:
    got = world.alice.ok("GET", f"/drop/{big_flow}", params={"filter": "elems.v.n < 5"})
    assert len(got) == 5


def test_a_closed_websockets_find_is_cancelled(
    world: World, big_flow: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = world.lp.platform
    real = type(platform).find_drops
    seen: dict[str, Any] = {}
    entered = threading.Event()
    done = threading.Event()

    def find_drops(p: Any, account: str, flow: Any, q: Any) -> Any:
        # wait (in the worker thread) until the socket is gone, then run the find
        entered.set()
        cancel = regex._CANCEL.get()
        seen["cancelled"] = cancel is not None and cancel.wait(10)
        try:
            return real(platform, p, account, flow, q)
        except ClientGone as exc:
            seen["error"] = exc
            raise
        finally:
            done.set()

    monkeypatch.setattr(platform, "find_drops", find_drops)
    ws = world.alice.socket()
    ws.send(
        {
            "msgId": "f",
            "type": "findmany",
            "object": "drop",
            "flowId": big_flow,
            "options": {"filter": NOTHING},
        }
    )
    assert entered.wait(10)
    ws.close()
    assert done.wait(10)
    assert seen["cancelled"] is True
    assert isinstance(seen.get("error"), ClientGone)
