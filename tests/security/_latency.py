"""Latency checks shared by the fairness tests: "other tenants are not stalled".

The bystander's requests are sent from another process, as another tenant's
machine would send them: the question is whether the *server* answers them
promptly. A bystander client inside the test process would share its GIL with
the attacker's client threads (and with an in-process server's threads), and
measure its own waits for the GIL along with the server's.
"""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

# warm up one connection, then time ``n`` GETs; print the sorted latencies as JSON
_BYSTANDER = """
import json, sys, time
import httpx
job = json.load(sys.stdin)
with httpx.Client(headers=job["headers"], timeout=60) as http:
    assert http.get(job["url"]).status_code == 200
    out = []
    for _ in range(job["n"]):
        start = time.monotonic()
        status = http.get(job["url"]).status_code
        out.append(time.monotonic() - start)
        assert status == 200, status
        time.sleep(0.02)
print(json.dumps(sorted(out)))
"""


def latencies(http: httpx.Client, n: int = 15, path: str = "/flow") -> list[float]:
    """Latencies of ``n`` GETs of ``path`` (sorted), sent as ``http`` would send them
    (its base URL and ``X-`` headers) by a client in another process."""
    url = str(http.build_request("GET", path).url)
    headers = {k: v for k, v in http.headers.items() if k.lower().startswith("x-")}
    job = json.dumps({"url": url, "headers": headers, "n": n})
    done = subprocess.run(
        [sys.executable, "-c", _BYSTANDER],
        input=job,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    measured: list[float] = json.loads(done.stdout)
    return measured


def assert_not_stalled(measured: list[float], baseline: list[float] | None = None) -> None:
    """The median says "not stalled" robustly on a loaded machine.

    A stalled event loop (or a serialised sandbox) makes nearly every request
    wait for the work in front of it (seconds); a busy CI machine only adds
    the odd slow request, which the generous bound on the worst one allows.
    With ``baseline`` (the same requests measured without the attack), the
    bound on the median grows with how slow the machine is anyway: eight
    times the baseline's median, never below 0.25 s.
    """
    slow = 8 * baseline[len(baseline) // 2] if baseline else 0.0
    assert measured[len(measured) // 2] < max(0.25, slow), (measured, baseline)
    assert measured[-1] < max(2.0, 4 * slow), (measured, baseline)
