"""Processes for the benchmarks: the platform alone in a process, writers in others.

A writer (or subscriber) sharing the server's process shares its GIL, which
hides the server's real rate (issue 20): the write and push rows therefore
run the local platform as ``python -m flowthings.local serve`` in a child
process (:class:`ServerProcess`) or keep it alone in the benchmark process,
and the writers in child processes (:func:`run_writers`), started with
``spawn`` so they import nothing they do not need and share no lock.

Writers report how many drops they stored; a run fails (``check``) when any
write failed, so a rate is never computed over missing writes.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from benchmarks._harness import check

__all__ = [
    "FloorProcess",
    "ServerProcess",
    "WriterPlan",
    "WriterRun",
    "process_cpu",
    "run_writers",
]

_ROOT = Path(__file__).resolve().parent.parent


class ServerProcess:
    """``python -m flowthings.local serve`` on a free port, in a child process.

    Args:
        account: The account to create.
        token: Its master token.
    """

    command: ClassVar[list[str]] = ["-m", "flowthings.local", "serve"]

    def __init__(self, account: str = "bench", token: str = "b" * 32) -> None:
        self.account, self.token = account, token
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self._drain: threading.Thread | None = None

    def __enter__(self) -> ServerProcess:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_ROOT), *sys.path])}
        self.proc = subprocess.Popen(
            [sys.executable, *self.command, "--port", "0",
             "--account", self.account, "--token", self.token, "--log-level", "warning"],
            stdout=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            found = re.search(r"on (http://[^ ]+) ", line)
            if found:
                self.base_url = found.group(1)
            if line.startswith("Press Ctrl-C") or not line:
                break
        if not self.base_url:
            self.__exit__()
            check(False, "the platform server process did not start")
        # keep draining its output so it never blocks on a full pipe
        self._drain = threading.Thread(target=self.proc.stdout.read, daemon=True)
        self._drain.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            if self._drain is not None:
                self._drain.join(5)  # the pipe ends with the process
            if self.proc.stdout is not None:
                self.proc.stdout.close()

    @property
    def headers(self) -> dict[str, str]:
        """The credential headers of the account."""
        return {"X-Auth-Account": self.account, "X-Auth-Token": self.token}

    def url(self, path: str) -> str:
        """The REST URL of ``path`` in the account (``/v0.1/{account}{path}``)."""
        return f"{self.base_url}/v0.1/{self.account}{path}"


class FloorProcess(ServerProcess):
    """The floor: a no-op ASGI app (``benchmarks._floor``) on the platform's HTTP
    server, alone in a child process like :class:`ServerProcess`'s platform."""

    command: ClassVar[list[str]] = ["-m", "benchmarks._floor"]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` used so far (``nan`` without ``/proc``)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class WriterPlan:
    """What every writer process does.

    Attributes:
        base_url: The server (``http://host:port``).
        account: Account name.
        token: Its token.
        flow_id: The flow written to.
        per_thread: Drops each writer thread writes.
        threads: Writer threads per process.
        mode: ``"sdk"`` (``api.drop(fid).create``), ``"raw"`` (``httpx`` POST
            of the same body to ``url``), ``"ws"`` (``create`` frames over
            one raw WebSocket per thread, at most ``window`` unanswered) or
            ``"sdk-ws"`` (the SDK's ``WebSocketClient.create_drop``, one
            client per thread, at most ``window`` unanswered).
        url: For ``raw``: the URL posted to (a floor server, say).
        rate: For ``ws``: drops per second per thread (0 = as fast as acked).
        window: For ``ws``: most unanswered creates.
        stamp: Put the send time (``time.time()``) in element ``sent``.
        first: Element ``i`` of the first drop; every drop of the run gets
            its own ``i`` (``first`` + its rank), so readers can tell them apart.
    """

    base_url: str
    account: str
    token: str
    flow_id: str
    per_thread: int
    threads: int
    mode: str = "sdk"
    url: str = ""
    rate: float = 0.0
    window: int = 32
    stamp: bool = False
    first: int = 0


def _elems(plan: WriterPlan, worker: int, k: int) -> dict[str, Any]:
    i = plan.first + worker * plan.per_thread + k
    elems: dict[str, Any] = {"i": i, "temp": round(20 + (i % 100) / 10, 1)}
    if plan.stamp:
        elems["sent"] = time.time()
    return elems


Writer = Callable[[], int]
"""A prepared writer thread: writes its drops, returns how many were stored."""


def _prepare_sdk(plan: WriterPlan, worker: int) -> Writer:
    from flowthings import API, Token

    api = API(Token(plan.account, plan.token), host=plan.base_url.split("//", 1)[1], secure=False)
    api.flow.read(plan.flow_id)  # imports done, connection open: not timed
    drops = api.drop(plan.flow_id)

    def run() -> int:
        for i in range(plan.per_thread):
            drops.create({"elems": _elems(plan, worker, i)})
        return plan.per_thread

    return run


def _prepare_raw(plan: WriterPlan, worker: int) -> Writer:
    import httpx

    headers = {"X-Auth-Account": plan.account, "X-Auth-Token": plan.token}
    http = httpx.Client(headers=headers)
    http.get(plan.url, params={"limit": 1}).raise_for_status()  # connection open, nothing written

    def run() -> int:
        try:
            for i in range(plan.per_thread):
                http.post(plan.url, json={"elems": _elems(plan, worker, i)}).raise_for_status()
        finally:
            http.close()
        return plan.per_thread

    return run


def _prepare_ws(plan: WriterPlan, worker: int) -> Writer:
    import httpx
    import websocket

    headers = {"X-Auth-Account": plan.account, "X-Auth-Token": plan.token}
    sid = httpx.post(f"{plan.base_url}/session", headers=headers).json()["body"]["id"]
    ws = websocket.create_connection(
        plan.base_url.replace("http", "ws", 1) + f"/session/{sid}/ws",
        timeout=60,
        skip_utf8_validation=True,  # its pure-Python check: ~100 us of writer CPU per ack
    )
    cond = threading.Condition()
    state = {"acked": 0, "ok": 0}

    def read() -> None:
        while state["acked"] < plan.per_thread:
            reply = json.loads(ws.recv())
            with cond:
                state["acked"] += 1
                state["ok"] += bool(reply.get("head", {}).get("ok"))
                cond.notify_all()

    def run() -> int:
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        begin = time.perf_counter()
        for i in range(plan.per_thread):
            if plan.rate:
                pause = begin + i / plan.rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            with cond:
                cond.wait_for(lambda i=i: i - state["acked"] < plan.window, timeout=60)
            frame = {"msgId": str(i), "object": "drop", "type": "create",
                     "flowId": plan.flow_id, "value": {"elems": _elems(plan, worker, i)}}  # fmt: skip
            ws.send(json.dumps(frame))
        reader.join(60)
        ws.close()
        return state["ok"]

    return run


def _prepare_sdk_ws(plan: WriterPlan, worker: int) -> Writer:
    from flowthings import API, Token

    host = plan.base_url.split("//", 1)[1]
    api = API(Token(plan.account, plan.token), host=host, ws_host=host, secure=False)
    ws = api.websocket.connect()
    ws.run_in_thread(wait_open=30)
    ws.find_drops(plan.flow_id).result(30)  # open and answering: not timed

    def run() -> int:
        window = threading.BoundedSemaphore(plan.window)  # at most `window` unanswered
        futures = []

        def answered(_future: Any) -> None:
            window.release()

        try:
            for i in range(plan.per_thread):
                window.acquire()
                future = ws.create_drop(plan.flow_id, {"elems": _elems(plan, worker, i)})
                future.add_done_callback(answered)
                futures.append(future)
            return sum(1 for f in futures if f.exception(60) is None)
        finally:
            ws.close()
            api.close()

    return run


_MODES: dict[str, Callable[[WriterPlan, int], Writer]] = {
    "sdk": _prepare_sdk, "raw": _prepare_raw, "ws": _prepare_ws, "sdk-ws": _prepare_sdk_ws,
}  # fmt: skip


def _process(plan: WriterPlan, index: int, ready: Any, go: Any, results: Any) -> None:
    done: list[int] = []
    cpu: list[float] = []
    lock = threading.Lock()
    writers = [_MODES[plan.mode](plan, index * plan.threads + t) for t in range(plan.threads)]

    def run(writer: Writer) -> None:
        go.wait()
        try:
            n = writer()
        except Exception as exc:  # reported: the parent's check fails
            print(f"writer failed: {exc!r}", file=sys.stderr)
            n = 0
        with lock:
            done.append(n)

    threads = [threading.Thread(target=run, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    ready.put(index)
    go.wait()
    cpu.append(time.process_time())
    for t in threads:
        t.join()
    results.put((sum(done), time.process_time() - cpu[0]))


class WriterRun(NamedTuple):
    """What :func:`run_writers` measured."""

    stored: int
    """Writes acknowledged as successful."""
    start: float
    """``perf_counter`` when the writers were let go."""
    took: float
    """Seconds from then to the last writer's end (measured here)."""
    cpu: float
    """CPU seconds the writer processes used from then on (start-up excluded)."""


def run_writers(plan: WriterPlan, processes: int) -> WriterRun:
    """Run ``processes`` writer processes of ``plan.threads`` threads each."""
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=_process, args=(plan, i, ready, go, results), daemon=True)
        for i in range(processes)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=120)
    time.sleep(0.2)  # every thread is waiting on `go`
    start = time.perf_counter()
    go.set()
    reports = [results.get(timeout=600) for _ in procs]
    took = time.perf_counter() - start
    stored = sum(n for n, _ in reports)
    for p in procs:
        p.join(10)
    expected = plan.per_thread * plan.threads * processes
    check(stored == expected, f"writers stored {stored} of {expected} drops")
    return WriterRun(stored, start, took, sum(c for _, c in reports))
