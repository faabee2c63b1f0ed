"""Killing the local platform mid-write loses no acknowledged write (issue 10).

``python -m flowthings.local serve --db <file>`` runs as a subprocess. Several
threads write through the SDK (4 create drops over REST, 1 creates flows, 1 updates one
flow over and over, 1 creates drops over a WebSocket), each one request at a
time and without retries. Once
enough writes are acknowledged, while all threads still have requests in
flight, the process gets ``SIGKILL``; it is then restarted on the same file
and the test checks:

* every acknowledged write (the client got the created/updated object back)
  is there with exactly the content it was acknowledged with;
* an unacknowledged write (the one request per thread the kill interrupted)
  may or may not be there, nothing else unacknowledged is, and nothing is
  duplicated;
* the database opens cleanly (the server restarts on it, ``PRAGMA
  integrity_check`` is ``ok``) and takes new writes.

Several rounds run on the same file, so a restarted server is killed too.

Durability: the store commits every write (``COMMIT`` of its transaction)
before the handler returns, so before the HTTP response is sent. In WAL mode
a commit is a ``write()`` of the WAL frames into the OS page cache, which a
process kill cannot undo; ``synchronous=NORMAL`` skips the ``fsync`` per
commit, so a *power loss* (or kernel crash) may lose the last commits (never
corrupting the file); ``synchronous=FULL`` would be needed for that.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from flowthings import API, FlowThingsConnectionError, Token, mem

from ._drops import all_drops, plain
from ._platform_process import ServeProcess

ACCOUNT = "alice"
TOKEN = "K" * 32
DROP_WRITERS = 4  # over REST, plus one over the WebSocket (writer WS_WRITER)
WS_WRITER = 99
ROUNDS = 3
KILL_AFTER = 300  # acknowledged writes (all threads) before the kill, per round
WAIT = 60.0


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "flowthings.db"


@pytest.fixture
def serve(tmp_path: Path, db: Path) -> Iterator[Callable[[], ServeProcess]]:
    """Start ``serve`` on the test's database; every process started is killed at the end."""
    started: list[ServeProcess] = []

    def start() -> ServeProcess:
        proc = ServeProcess(db, ACCOUNT, TOKEN, tmp_path / "serve.log")
        started.append(proc)
        return proc.start()

    try:
        yield start
    finally:
        for proc in started:
            proc.kill()


def _api(proc: ServeProcess) -> API:
    return API(
        Token(ACCOUNT, TOKEN),
        host=proc.host,
        ws_host=proc.host,
        secure=False,
        max_retries=0,
        timeout=30,
    )


@dataclass
class Writer:
    """One thread's writes: acknowledged results in order, and the one interrupted."""

    name: str
    acked: list[dict[str, Any]] = field(default_factory=list)
    in_flight: Any = None  # what the request the kill interrupted would have written
    error: BaseException | None = None


class Round:
    """Runs the writer threads of one round against a server until it is killed."""

    def __init__(self, proc: ServeProcess, rnd: int, flow_id: str, target_id: str) -> None:
        self.proc, self.rnd, self.flow_id, self.target_id = proc, rnd, flow_id, target_id
        self.writers: list[Writer] = []
        self.threads: list[threading.Thread] = []
        self._acks = 0
        self._cond = threading.Condition()

    def _ack(self, writer: Writer, obj: dict[str, Any]) -> None:
        writer.acked.append(obj)
        with self._cond:
            self._acks += 1
            self._cond.notify_all()

    def _run(
        self,
        writer: Writer,
        write: Callable[[API, int], tuple[Any, Callable[[], Any]]],
        api: API | None = None,
    ) -> None:
        with contextlib.nullcontext(api) if api else _api(self.proc) as api:
            n = 0
            while True:
                key, call = write(api, n)
                writer.in_flight = key
                try:
                    obj = call()
                except BaseException as exc:  # the kill: the thread's last request
                    writer.error = exc
                    with self._cond:
                        self._cond.notify_all()
                    return
                writer.in_flight = None
                self._ack(writer, obj)
                n += 1

    def _run_ws(self, writer: Writer) -> None:
        """Drops created over the WebSocket: acknowledged by the request's reply."""
        with _api(self.proc) as api:
            try:
                ws = api.websocket.connect(reconnect=False)
            except BaseException as exc:  # reported by kill_after()
                writer.error = exc
                return
            ws.run_in_thread(wait_open=WAIT)

            def write(_: API, n: int) -> tuple[Any, Callable[[], Any]]:
                elems = {"round": self.rnd, "writer": WS_WRITER, "seq": n, "pad": "x" * 200}
                return (self.rnd, WS_WRITER, n), lambda: ws.create_drop(
                    self.flow_id, {"elems": elems}
                ).result(WAIT)

            try:
                self._run(writer, write, api)
            finally:
                ws.close()

    def _spawn(self, name: str, write: Callable[[API, int], tuple[Any, Callable[[], Any]]] | None) -> None:
        writer = Writer(name)
        self.writers.append(writer)
        if write is None:
            t = threading.Thread(target=self._run_ws, args=(writer,), name=name)
        else:
            t = threading.Thread(target=self._run, args=(writer, write), name=name)
        self.threads.append(t)
        t.start()

    def start(self) -> None:
        r = self.rnd
        for w in range(DROP_WRITERS):

            def drop(api: API, n: int, w: int = w) -> tuple[Any, Callable[[], Any]]:
                elems = {"round": r, "writer": w, "seq": n, "pad": "x" * 200}
                return (r, w, n), lambda: api.drop(self.flow_id).create({"elems": elems})

            self._spawn(f"drops-{w}", drop)

        def flow(api: API, n: int) -> tuple[Any, Callable[[], Any]]:
            path = f"/{ACCOUNT}/r{r}/f{n}"
            return path, lambda: api.flow.create({"path": path, "description": f"round {r}"})

        def update(api: API, n: int) -> tuple[Any, Callable[[], Any]]:
            desc = f"r{r}-v{n}"
            return desc, lambda: api.flow.update({"id": self.target_id, "description": desc})

        self._spawn("flows", flow)
        self._spawn("updates", update)
        self._spawn("drops-ws", None)

    def kill_after(self, acks: int, stop: Callable[[], object] | None = None) -> None:
        """Stop the server once ``acks`` writes are acknowledged (all threads still writing).

        ``stop`` stops it (default: SIGKILL); then every thread's next request fails.
        """
        with self._cond:
            # every writer must have had a write acknowledged too: the WebSocket
            # one starts late (session, handshake) and would otherwise race the kill
            ok = self._cond.wait_for(
                lambda: (self._acks >= acks and all(w.acked for w in self.writers))
                or any(w.error for w in self.writers),
                WAIT,
            )
            errors = [w.error for w in self.writers if w.error is not None]
        assert ok, "too few writes were acknowledged"
        assert not errors, f"writes failed before the kill: {errors!r}"
        (stop or self.proc.kill)()
        for t in self.threads:
            t.join(WAIT)
        assert not any(t.is_alive() for t in self.threads)


def _key(drop: dict[str, Any]) -> tuple[Any, ...]:
    """Which write made the drop: ``(round, writer, seq)``."""
    elems = plain(drop["elems"])
    return (elems["round"], elems["writer"], elems["seq"])


def _check(api: API, flow_id: str, target_id: str, rounds: list[Round]) -> None:
    """Everything acknowledged is there as acknowledged; nothing else but in-flight writes."""
    stored = all_drops(api, flow_id)
    by_id = {d["id"]: d for d in stored}
    keys = Counter(_key(d) for d in stored)
    assert max(keys.values(), default=1) == 1, "a drop is stored twice"
    acked_keys: set[Any] = set()
    in_flight: set[Any] = set()
    flows_acked: list[dict[str, Any]] = []
    flows_in_flight: set[str] = set()
    descriptions: set[Any] = {"v-"}
    for rnd in rounds:
        for w in rnd.writers:
            if w.name.startswith("drops-"):
                for d in w.acked:
                    assert by_id.get(d["id"]) == d, f"acknowledged drop lost or changed: {d}"
                    acked_keys.add(_key(d))
                in_flight.add(w.in_flight)
            elif w.name == "flows":
                flows_acked += w.acked
                flows_in_flight.add(w.in_flight)
            else:  # the last acknowledged update, or one interrupted after it
                if w.acked:
                    descriptions = {w.acked[-1]["description"]}
                descriptions.add(w.in_flight)
    assert set(keys) - acked_keys <= in_flight, "an unacknowledged drop appeared"
    assert len(stored) == len(acked_keys) + len(set(keys) & in_flight)
    [count] = api.drop(flow_id).aggregate(["$count"], group_by=[])
    assert count["$count"] == len(stored)

    round_flows = mem.path.re(f"^/{ACCOUNT}/r[0-9]+/")
    flows = {f["path"]: f for f in api.flow.find(round_flows, limit=1000)}
    for f in flows_acked:
        assert flows.get(f["path"]) == f, f"acknowledged flow lost or changed: {f}"
    extra = set(flows) - {f["path"] for f in flows_acked}
    assert extra <= flows_in_flight, f"unacknowledged flows appeared: {extra}"
    target = api.flow.find(target_id)
    assert target["description"] in descriptions


def _integrity(db: Path) -> list[Any]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


def test_sigkill_mid_write_keeps_every_acknowledged_write(
    serve: Callable[[], ServeProcess], db: Path
) -> None:
    proc = serve()
    with _api(proc) as api:
        flow = api.flow.create({"path": f"/{ACCOUNT}/load", "capacity": 100_000})
        target = api.flow.create({"path": f"/{ACCOUNT}/target", "description": "v-"})
    rounds: list[Round] = []
    for rnd in range(ROUNDS):
        current = Round(proc, rnd, flow["id"], target["id"])
        rounds.append(current)
        current.start()
        current.kill_after(KILL_AFTER)
        # the kill interrupted every thread mid-request: each one's last call failed
        for w in current.writers:
            assert isinstance(w.error, FlowThingsConnectionError), (w.name, w.error)
            assert w.in_flight is not None
        assert sum(len(w.acked) for w in current.writers) >= KILL_AFTER
        assert all(w.acked for w in current.writers)  # every kind of write was under way

        proc = serve()  # the same database file
        with _api(proc) as api:
            _check(api, flow["id"], target["id"], rounds)

    # the restarted server takes new writes, then shuts down cleanly
    with _api(proc) as api:
        d = api.drop(flow["id"]).create({"elems": {"after": True}})
        assert api.drop(flow["id"]).find(d["id"]) == d
    assert proc.stop() == 0
    assert _integrity(db) == [("ok",)]


def test_sigterm_mid_write_answers_in_flight_writes_and_closes_the_database(
    serve: Callable[[], ServeProcess], db: Path
) -> None:
    """``SIGTERM`` (``kill``, ``docker stop``) is a graceful stop, like Ctrl-C: requests
    in progress are answered, the store is closed (WAL checkpointed and removed),
    ``stopped.`` is printed and the exit code is 0. Before, uvicorn re-raised
    SIGTERM after its shutdown and the process died of it (exit -15) with the
    database left open."""
    proc = serve()
    with _api(proc) as api:
        flow = api.flow.create({"path": f"/{ACCOUNT}/load", "capacity": 100_000})
        target = api.flow.create({"path": f"/{ACCOUNT}/target", "description": "v-"})
    rnd = Round(proc, 0, flow["id"], target["id"])
    rnd.start()
    codes: list[int | None] = []
    rnd.kill_after(KILL_AFTER, lambda: codes.append(proc.stop(signal.SIGTERM)))
    assert codes == [0], proc.output
    assert "stopped." in proc.output
    assert not db.with_name(db.name + "-wal").exists()
    assert _integrity(db) == [("ok",)]
    for w in rnd.writers:
        assert isinstance(w.error, FlowThingsConnectionError), (w.name, w.error)

    proc = serve()
    with _api(proc) as api:
        _check(api, flow["id"], target["id"], [rnd])
