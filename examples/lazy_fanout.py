"""Lazy fan-out: read several flows in parallel on gevent green threads.

`api.lazy()` starts every request at once and returns thunks that wait when
first read; `api.async_()` queues green threads and `results()` collects them
in submission order. Monkey-patching comes first, before flowthings or httpx
is imported (`pip install ".[gevent]"`).

Run it (from the repository root or from examples/):

    python examples/lazy_fanout.py

With FLOWTHINGS_HOST (and FLOWTHINGS_ACCOUNT, FLOWTHINGS_TOKEN) set it talks
to that platform; otherwise it starts a local platform in a child process
(the embedded one cannot run inside a monkey-patched process).
"""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from collections.abc import Generator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import gevent  # noqa: E402

from flowthings import API, Token, mem  # noqa: E402

ROOMS = ["kitchen", "hall", "attic", "cellar"]


@contextmanager
def connect() -> Generator[API, None, None]:
    """The platform at FLOWTHINGS_HOST, or a local platform in a child process."""
    host = os.environ.get("FLOWTHINGS_HOST")
    if host:
        with API(Token.from_env(), secure=False, host=host, async_lib=gevent) as api:
            yield api
        return
    print("FLOWTHINGS_HOST is not set: starting a local platform in a child process")
    creds = Token("demo", secrets.token_hex(16))
    command = [sys.executable, "-m", "flowthings.local", "serve", "--port", "0"]
    command += ["--account", creds.account, "--token", creds.token, "--log-level", "warning"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            first_line = server.stdout.readline()  # "flowthings local platform on http://HOST:PORT"
            found = re.search(r"http://(\S+)", first_line)
            if found is None:
                raise SystemExit(f"error: the local platform did not start: {first_line!r}")
            with API(creds, secure=False, host=found.group(1), async_lib=gevent) as api:
                yield api
        finally:
            server.terminate()
            server.communicate(timeout=10)  # read what it prints on exit, wait for it


def delete_leftovers(api: API, *paths: str) -> None:
    """Delete the flows an earlier run left at ``paths`` (with their drops).

    A path names one flow per account, so without this a second run against
    the same platform would fail with "A flow with path ... already exists".
    """
    for path in paths:
        for old in api.flow.find(mem.path == path):
            api.flow.delete(old["id"])


def count_drops(n: int) -> str:
    """``"1 drop"``, ``"2 drops"``."""
    return f"{n} drop" if n == 1 else f"{n} drops"


def main() -> None:
    with connect() as api:
        root = f"/{api.creds.account}/house"
        delete_leftovers(api, *(f"{root}/{room}" for room in ROOMS))
        for i, room in enumerate(ROOMS):  # set-up, one request at a time
            flow = api.flow.create({"path": f"{root}/{room}"})
            for temp in range(18, 18 + i + 1):
                api.drop(flow["id"]).create({"elems": {"temp": temp}})

        # lazy: every find starts now; reading a thunk waits for that request only.
        lazy_api = api.lazy()
        flows = [lazy_api.flow.find(mem.path == f"{root}/{room}") for room in ROOMS]
        drops = [lazy_api.drop(found[0]["id"]).find(limit=100, hints=0) for found in flows]
        for room, found in zip(ROOMS, drops, strict=True):
            temps = [d["elems"]["temp"] for d in found]
            print(f"lazy  {room:<8} {count_drops(len(found))}, temps {temps}")

        # async_: queue the calls on a pool of green threads, then collect the results.
        async_api = api.async_(10)
        for found in flows:
            async_api.drop(found[0]["id"]).aggregate(["$count", "$max:temp"], group_by=[])
        for room, [summary] in zip(ROOMS, async_api.results(), strict=True):
            print(f"async {room:<8} count={summary['$count']} max={summary['$max:temp']}")


if __name__ == "__main__":
    main()
