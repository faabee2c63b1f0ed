"""A track-JS worker process: runs one call at a time in a fresh V8 isolate.

Started by :mod:`flowthings.local.tracks.js_pool` as ``python js_worker.py`` (by
file path, so it imports nothing of flowthings: only the standard library and
``py_mini_racer``).  Protocol: ``{"ready": true}`` once V8 is initialised,
then one JSON request per line on stdin, one JSON reply per line on stdout;
EOF on stdin ends the process. A call's ``timeout_ms`` counts from its
isolate being ready (the user's code), not the worker's start.

Request: ``{"prelude", "js", "payload", "timeout_ms", "memory", "max_output"}``.
Reply: ``{"kind": "ok", "raw": <JSON text __ftRun returned>}``, or ``kind``
``"timeout"``, ``"oom"``, ``"too_large"`` or ``"error"`` (with ``message``);
``"retire": true`` asks the pool to replace this worker.

Memory: besides V8's heap limit (``set_hard_memory_limit``), each call runs
under ``RLIMIT_DATA`` = the process's data size before the call + ``memory`` +
a small slack.  That bounds everything the call can commit, including
ArrayBuffer backing stores, which V8's heap limit does not count: a too large
``new Uint8Array(n)`` throws ``RangeError: Array buffer allocation failed``.
If V8 dies instead, the process exits and the pool reports the limit.  The
data limit needs Linux (``/proc/self/status`` and ``RLIMIT_DATA`` counting
mappings); elsewhere only V8's heap limit applies.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

try:
    import resource
except ImportError:  # pragma: no cover - Windows: no OS data limit, only V8's heap limit
    resource = None  # type: ignore[assignment]

SLACK = 32 * 1024 * 1024
"""Data allowance per call beyond the heap limit: the isolate itself, buffers."""

RETIRE_GROWTH = 256 * 1024 * 1024
"""Replace the worker once its data size grew this much over its start."""


def _data_size() -> int:
    """The process's data size (Linux ``VmData``), 0 when unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return 0


def _run(m: Any, req: dict[str, Any]) -> dict[str, Any]:
    deadline = 0.0  # set once the isolate is ready: the budget is the user's code

    def remaining() -> float:
        return max(0.001, deadline - time.monotonic())

    base = _data_size()
    limited = resource is not None and base > 0
    if limited:
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        limit = base + req["memory"] + SLACK
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
    racer = None
    try:
        if limited:
            resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
        racer = m.MiniRacer()
        racer.set_hard_memory_limit(req["memory"])
        racer.eval(req["prelude"])
        deadline = time.monotonic() + float(req["timeout_ms"]) / 1000
        # On the user's line 1 so V8 line numbers are the lines of `js`.
        racer.eval(
            f"'use strict'; globalThis.__ftUser = ({req['js']}\n);\n//# sourceURL=track.js",
            timeout_sec=remaining(),
        )
        raw = racer.eval(f"__ftRun({req['payload']})", timeout_sec=remaining())
    except m.JSTimeoutException:
        return {"kind": "timeout"}
    except (m.JSOOMException, MemoryError):
        return {"kind": "oom"}
    except m.JSEvalException as exc:
        return {"kind": "error", "message": str(exc)}
    finally:
        if racer is not None:
            racer.close()
        if limited:
            resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
    if not isinstance(raw, str):
        return {"kind": "error", "message": "track JS returned no result"}
    if len(raw) > req["max_output"]:
        return {"kind": "too_large"}
    return {"kind": "ok", "raw": raw}


def main() -> None:
    """Serve requests from stdin until EOF."""
    import py_mini_racer as m

    warm = m.MiniRacer()  # initialise V8 once, before the first call's limits
    warm.eval("0")
    warm.close()
    start = _data_size()
    out = sys.stdout
    out.write('{"ready": true}\n')  # calls' deadlines start after this
    out.flush()
    for line in sys.stdin.buffer:
        try:
            reply = _run(m, json.loads(line))
        except Exception as exc:  # the worker must answer every request
            reply = {"kind": "error", "message": f"{type(exc).__name__}: {exc}"}
        if _data_size() - start > RETIRE_GROWTH:
            reply["retire"] = True
        out.write(json.dumps(reply) + "\n")
        out.flush()
        if reply.get("retire"):
            return


if __name__ == "__main__":
    main()
