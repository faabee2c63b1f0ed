"""Runs the green scenarios in a fresh, monkey-patched process; prints a JSON report.

    python tests/green/green_scenarios.py eventlet|gevent

Monkey-patching must come before flowthings (and httpx) is imported, which is
why this is a script run by `test_green_subprocess.py` and not a test module.
Every check records a value in the report; the test asserts on them.
"""

from __future__ import annotations

import contextlib
import sys
import warnings

LIB = sys.argv[1]
warnings.simplefilter("error")
# eventlet announces its own deprecation when imported; nothing else may warn.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

# httpcore (under httpx) imports trio when it is installed, and trio's import
# needs select.epoll, which both eventlet's and gevent's patched select lack:
# import trio before patching (see the README's note on monkey-patching).
with contextlib.suppress(ImportError):
    import trio  # noqa: F401

if LIB == "eventlet":
    import eventlet

    eventlet.monkey_patch()
    green_lib = eventlet
else:
    from gevent import monkey

    monkey.patch_all()
    import gevent

    green_lib = gevent  # type: ignore[assignment]

# Patched first; only now the SDK, httpx and the server.
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from collections.abc import MutableMapping  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from latency_server import start_server  # noqa: E402

import flowthings  # noqa: E402
from flowthings import API, FlowThingsNotFound, Token, mem  # noqa: E402

DELAY = 0.05
report: dict[str, Any] = {"lib": LIB}

server = start_server(DELAY)
api = API(Token("alice", "secret"), async_lib=green_lib, secure=False, host=server.base_url)

# Warm up one connection (and the server) so timings measure requests only.
api.flow.read("warm")

# --- timing: 100 parallel calls vs sequential ones ---------------------------
started = time.perf_counter()
for i in range(5):
    api.flow.read(f"s{i}")
report["sequential_per_call"] = (time.perf_counter() - started) / 5

server.reset_counters()
async_api = api.async_()
started = time.perf_counter()
for i in range(100):
    async_api.flow.read(f"p{i}")
results = async_api.results()
report["parallel_100"] = time.perf_counter() - started
report["parallel_ids_ok"] = [r["id"] for r in results] == [f"p{i}" for i in range(100)]
report["max_in_flight"] = server.max_in_flight
report["connections"] = server.connections

# --- results() order: later calls finish first ------------------------------
async_api = api.async_()
ids = [f"o{i}" for i in range(20)]
for i, fid in enumerate(ids):
    async_api.flow.read(fid, delay=0.002 * (20 - i))
report["order"] = [r["id"] for r in async_api.results()] == ids

# --- with_exceptions ---------------------------------------------------------
async_api = getattr(api, "async")()  # the 1.0.5 spelling
async_api.flow.read("ok1")
async_api.flow.read("missing1")
async_api.flow.read("ok2")
pairs = async_api.results(with_exceptions=True)
report["with_exceptions"] = [
    [type(e).__name__ if e else None, r["id"] if r else None] for e, r in pairs
]
report["with_exceptions_status"] = pairs[1][0].status if pairs[1][0] else None
report["pending_after_pairs"] = async_api.pending

async_api.flow.read("ok3")
async_api.flow.read("missing2")
async_api.flow.read("ok4")
try:
    async_api.results()
except FlowThingsNotFound as exc:
    report["raised"] = [type(exc).__name__, exc.path]
report["pending_after_raise"] = async_api.pending
report["results_after_raise"] = async_api.results()

# --- every service shape: factory, drop.create, statistics, request ---------
async_api = api.async_(10)
threads = [
    async_api.drop("f7").find(limit=2),
    async_api.drop.create({"path": "/alice/x", "elems": {"t": 1}}),
    async_api.statistics.track_hit("t1", 2026),
    async_api.request("GET", "/flow/f9"),
    async_api.flow.call(type(api.flow).read, "f10", refs=True),
    async_api.spawn(api.flow.read, "f11"),
]
wait = "wait" if LIB == "eventlet" else "get"
report["thread_type"] = type(threads[0]).__name__
first = getattr(threads[0], wait)()  # a real green thread: the library's own wait
report["services"] = [first, *async_api.results()]

# --- lazy: parallel, dependent, and the thunk's behaviour --------------------
lazy = api.lazy()
server.reset_counters()
started = time.perf_counter()
flow_a = lazy.flow.find(mem.path == "/path/to/flow_a")
flow_b = lazy.flow.find(mem.path == "/path/to/flow_b")
drops = lazy.drop(flow_a[0]["id"]).find(limit=10)  # waits for flow_a only
report["lazy_dependent"] = [flow_a[0]["path"], flow_b[1]["path"], drops[0]["flowId"]]
report["lazy_elapsed_delays"] = (time.perf_counter() - started) / DELAY
report["lazy_max_in_flight"] = server.max_in_flight

one = lazy.flow.read("f3")
listed = lazy.flow.find(mem.path == "/p")
body_refs = lazy.flow.read("f4", refs=True)
body, refs = body_refs
missing = lazy.flow.read("missing3")
try:
    missing["id"]
except FlowThingsNotFound:
    report["lazy_missing"] = "FlowThingsNotFound"
report["thunk"] = {
    "mapping": isinstance(one, MutableMapping),
    "dict_get": one["id"],
    "dict_in": "id" in one,
    "dict_eq": one == {"id": "f3", "method": "GET"},
    "dict_keys": sorted(one.keys()),
    "list_len": len(listed),
    "list_index": listed[1]["id"],
    "list_iter": [f["id"] for f in listed],
    "list_in": {"id": "f1", "path": "/p"} in listed,
    "list_eq": listed == [{"id": "f1", "path": "/p"}, {"id": "f2", "path": "/p/2"}],
    "list_slice": listed[:1] == [{"id": "f1", "path": "/p"}],
    "unwrap_type": type(listed.unwrap()).__name__,
    "str": str(one),
    "refs": [body["id"], sorted(refs)],
    "tuple_len": len(body_refs),
    "lazy_request": lazy.request("GET", "/flow/f5")["id"],
    "lazy_stats": lazy.statistics.flow_drop_added("f1").unwrap(),
}

report["version"] = flowthings.__version__
api.close()
server.shutdown()
server.server_close()
warnings.simplefilter("ignore", ResourceWarning)  # keep-alive server sockets at exit
print(json.dumps(report))
