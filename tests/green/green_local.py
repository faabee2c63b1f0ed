"""The 1.0.5 documentation's green workflows against the local platform.

    python tests/green/green_local.py eventlet|gevent HOST ACCOUNT TOKEN

The platform runs in the (unpatched) pytest process; this script patches
first, then drives it with `async_()` and `lazy()` and prints a JSON report.
"""

from __future__ import annotations

import contextlib
import sys
import warnings

LIB, HOST, ACCOUNT, TOKEN = sys.argv[1:5]
warnings.simplefilter("error")
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
with contextlib.suppress(ImportError):
    import trio  # noqa: F401  # before patching: see the README's note

if LIB == "eventlet":
    import eventlet
    import eventlet.debug

    eventlet.monkey_patch()
    eventlet.debug.hub_exceptions(False)  # the 404s below are expected
    green_lib = eventlet
else:
    from gevent import monkey

    monkey.patch_all()
    import gevent

    from flowthings import FlowThingsException

    gevent.get_hub().NOT_ERROR += (FlowThingsException,)  # the 404s below are expected
    green_lib = gevent  # type: ignore[assignment]

import json  # noqa: E402
from typing import Any  # noqa: E402

import flowthings  # noqa: E402
from flowthings import API, FlowThingsNotFound, Token, mem  # noqa: E402

flowthings.defaults.async_lib = green_lib
report: dict[str, Any] = {"lib": LIB}

with API(Token(ACCOUNT, TOKEN), secure=False, host=HOST) as api:
    base = f"/{ACCOUNT}/green-{LIB}"
    paths = [f"{base}/a", f"{base}/b", f"{base}/c"]

    # async: create flows in parallel, then fill them with drops in parallel.
    async_api = getattr(api, "async")()
    for path in paths:
        async_api.flow.create({"path": path})
    flows = async_api.results()
    report["created_paths"] = [flow["path"] for flow in flows]
    for flow in flows:
        for i in range(5):
            async_api.drop(flow["id"]).create({"elems": {"i": i}})
    async_api.drop.create({"path": paths[0], "elems": {"i": 99}})
    report["drops_created"] = len(async_api.results())

    # The documented batch: find flows by path; then drops with errors.
    for path in paths:
        async_api.flow.find(mem.path == path)
    report["found"] = [found[0]["path"] for found in async_api.results()]
    for flow in flows:
        async_api.drop(flow["id"]).find(limit=10)
    async_api.flow.read("f000000000000000000000000")
    pairs = async_api.results(with_exceptions=True)
    report["drop_counts"] = [len(drops) if drops is not None else None for _, drops in pairs]
    report["errors"] = [type(e).__name__ if e else None for e, _ in pairs]

    # lazy: two flows in parallel, then the drops of the first (dependent).
    lazy_api = api.lazy()
    flow_a = lazy_api.flow.find(mem.path == paths[0])
    flow_b = lazy_api.flow.find(mem.path == paths[1])
    drops = lazy_api.drop(flow_a[0]["id"]).find(limit=10)
    report["lazy"] = {
        "flow_a": flow_a[0]["path"],
        "flow_b": flow_b[0]["path"],
        "drops": len(drops),
        "values": sorted(d["elems"]["i"]["value"] for d in drops),
        "refs_len": len(lazy_api.flow.read(flows[2]["id"], refs=True)),
    }
    missing = lazy_api.flow.read("f000000000000000000000000")
    try:
        missing.unwrap()
    except FlowThingsNotFound as exc:
        report["lazy_missing"] = exc.status

print(json.dumps(report))
