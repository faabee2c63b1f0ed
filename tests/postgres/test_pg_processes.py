"""Two ``serve`` processes on one PostgreSQL database (issue 21).

Each process is ``python -m flowthings.local serve --db postgresql://...`` in
a subprocess. Subscribers on both processes must get every drop written
through either, exactly once; killing one process with ``SIGKILL`` in the
middle of writes must lose no acknowledged write, and the other keeps
serving and pushing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import websocket

from flowthings import API, Token
from flowthings.local.storage.postgres import PgStore
from tests.conftest import PostgresServer
from tests.reliability._platform_process import ServeProcess

ACCOUNT = "alice"
TOKEN = "P" * 32
WAIT = 10.0


@pytest.fixture
def serve(pg_url: str, tmp_path: Path) -> Iterator[Callable[[], ServeProcess]]:
    """Start ``serve`` processes on the test's database; all are killed at the end."""
    started: list[ServeProcess] = []

    def start() -> ServeProcess:
        proc = ServeProcess(pg_url, ACCOUNT, TOKEN, tmp_path / f"serve{len(started)}.log")
        started.append(proc)
        return proc.start()

    try:
        yield start
    finally:
        for proc in started:
            proc.kill()


def _api(proc: ServeProcess) -> API:
    return API(Token(ACCOUNT, TOKEN), host=proc.host, secure=False, max_retries=0, timeout=30)


def _subscribe(proc: ServeProcess, flow_id: str) -> websocket.WebSocket:
    headers = {"X-Auth-Token": TOKEN, "X-Auth-Account": ACCOUNT}
    r = httpx.post(f"{proc.base_url}/session", headers=headers)
    assert r.status_code == 201, r.text
    sock = websocket.create_connection(
        f"ws://{proc.host}/session/{r.json()['body']['id']}/ws", timeout=WAIT
    )
    sock.send(json.dumps({"msgId": 1, "type": "subscribe", "flowId": flow_id}))
    assert json.loads(sock.recv())["head"]["status"] == 200
    return sock


def _pushed_ids(sock: websocket.WebSocket, expected: int, settle: float = 1.0) -> list[str]:
    """Drop ids pushed to ``sock``: until ``expected`` arrived, then ``settle`` s more for extras.

    The extra wait is what catches a duplicated push.
    """
    ids: list[str] = []
    deadline = time.monotonic() + WAIT
    extra_until: float | None = None
    while True:
        now = time.monotonic()
        if extra_until is None and len(ids) >= expected:
            extra_until = now + settle
        end = extra_until if extra_until is not None else deadline
        if now >= end:
            return ids
        sock.settimeout(end - now)
        try:
            frame = json.loads(sock.recv())
        except websocket.WebSocketTimeoutException:
            return ids
        if frame.get("type") == "message":
            ids.append(frame["value"]["id"])


def test_writes_through_either_process_reach_subscribers_of_both_exactly_once(
    serve: Callable[[], ServeProcess],
) -> None:
    a, b = serve(), serve()
    with _api(a) as api_a, _api(b) as api_b:
        flow = api_a.flow.create({"path": f"/{ACCOUNT}/shared"})
        assert api_b.flow.read(flow["id"])["path"] == flow["path"]  # one database
        subs = [_subscribe(a, flow["id"]), _subscribe(b, flow["id"])]
        try:
            written = []
            for i in range(20):
                api = api_a if i % 2 else api_b
                written.append(api.drop(flow["id"]).create({"elems": {"i": i}})["id"])
            for sock in subs:
                got = _pushed_ids(sock, len(written))
                assert sorted(got) == sorted(written)  # every write, none twice
                # pushes of one process's writes keep their write order
                for api_ids in (written[0::2], written[1::2]):
                    assert [i for i in got if i in api_ids] == api_ids
        finally:
            for sock in subs:
                sock.close()


def test_a_token_revoked_through_one_process_ends_pushes_on_the_other(
    serve: Callable[[], ServeProcess],
) -> None:
    a, b = serve(), serve()
    with _api(a) as api_a:
        flow = api_a.flow.create({"path": f"/{ACCOUNT}/guarded"})
        token = api_a.token.create({"paths": {flow["path"]: {"dropRead": True}}})
        r = httpx.post(
            f"{b.base_url}/session",
            headers={"X-Auth-Token": token["tokenString"], "X-Auth-Account": ACCOUNT},
        )
        assert r.status_code == 201, r.text
        sock = websocket.create_connection(
            f"ws://{b.host}/session/{r.json()['body']['id']}/ws", timeout=WAIT
        )
        try:
            sock.send(json.dumps({"msgId": 1, "type": "subscribe", "flowId": flow["id"]}))
            assert json.loads(sock.recv())["head"]["status"] == 200
            first = api_a.drop(flow["id"]).create({"elems": {"n": 1}})
            assert _pushed_ids(sock, 1, settle=0) == [first["id"]]
            api_a.token.delete(token["id"])
            end = json.loads(sock.recv())  # the relayed delete re-checks: 403 end frame
            assert end["type"] == "unsubscribed"
            assert end["head"]["status"] == 403
            api_a.drop(flow["id"]).create({"elems": {"n": 2}})
            assert _pushed_ids(sock, 0, settle=1.0) == []
        finally:
            sock.close()


def test_kill_9_of_one_process_loses_no_acknowledged_write(
    serve: Callable[[], ServeProcess], pg_url: str
) -> None:
    a, b = serve(), serve()
    with _api(b) as api_b:
        flow = api_b.flow.create({"path": f"/{ACCOUNT}/durable", "capacity": 100_000})
    acked: dict[str, list[str]] = {}
    errors: list[BaseException] = []
    stop = threading.Event()
    enough = threading.Semaphore(0)

    def write(proc: ServeProcess, name: str) -> None:
        acked[name] = []
        with _api(proc) as api:
            n = 0
            while not stop.is_set():
                try:
                    drop = api.drop(flow["id"]).create({"elems": {"w": name, "n": n}})
                except Exception as exc:  # the kill interrupted this one
                    if proc is b:
                        errors.append(exc)
                    return
                acked[name].append(drop["id"])
                enough.release()
                n += 1

    threads = [
        threading.Thread(target=write, args=(proc, f"{tag}{i}"))
        for tag, proc in (("a", a), ("b", b))
        for i in range(2)
    ]
    for t in threads:
        t.start()
    for _ in range(150):
        assert enough.acquire(timeout=WAIT)
    a.kill()
    for _ in range(50):  # the survivor goes on
        assert enough.acquire(timeout=WAIT)
    stop.set()
    for t in threads:
        t.join(WAIT)
    assert not errors
    assert all(acked[f"a{i}"] for i in range(2))
    with PgStore(pg_url) as store:
        stored = {d["id"] for d in store.scan(ACCOUNT, "drop", flow_id=flow["id"])}
    for name, ids in acked.items():
        assert set(ids) <= stored, name
    # and the survivor still pushes its writes
    sock = _subscribe(b, flow["id"])
    try:
        with _api(b) as api_b:
            drop = api_b.drop(flow["id"]).create({"elems": {"after": True}})
        assert _pushed_ids(sock, 1, settle=0) == [drop["id"]]
    finally:
        sock.close()


def test_serve_names_an_unreachable_database_without_its_password(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.database_url("nosuchdb").replace("postgres:@", "postgres:hunter2@")
    done = subprocess.run(
        [sys.executable, "-m", "flowthings.local", "serve", "--port", "0", "--db", url],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "cannot open database" in done.stderr
    assert 'database "nosuchdb" does not exist' in done.stderr
    assert "hunter2" not in done.stderr
    assert "Traceback" not in done.stderr
