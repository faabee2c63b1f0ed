"""Live subscription: subscribe to a flow over WebSocket and receive drops as they are written.

The `on_drop` callback gets every pushed drop as a typed `Drop` model; the
main thread writes drops over REST, waits (bounded) for their pushes, then
closes the connection.

Run it (from the repository root or from examples/):

    python examples/live_subscription.py

With FLOWTHINGS_HOST (and FLOWTHINGS_ACCOUNT, FLOWTHINGS_TOKEN) set it talks
to that platform; otherwise it starts an embedded local platform.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Generator
from contextlib import contextmanager

from flowthings import API, Token, WebSocketClient, mem
from flowthings.local.testing import local_platform
from flowthings.models import Drop

DOORS = ["front", "garage", "back"]
WAIT = 10.0  # seconds to wait for the connection and for each push


@contextmanager
def connect() -> Generator[API, None, None]:
    """The platform at FLOWTHINGS_HOST, or an embedded local platform."""
    host = os.environ.get("FLOWTHINGS_HOST")
    if host:
        with API(Token.from_env(), secure=False, host=host, ws_host=host) as api:
            yield api
    else:
        print("FLOWTHINGS_HOST is not set: starting an embedded local platform")
        with local_platform() as platform:
            yield platform.api


def delete_leftovers(api: API, *paths: str) -> None:
    """Delete the flows an earlier run left at ``paths`` (with their drops).

    A path names one flow per account, so without this a second run against
    the same platform would fail with "A flow with path ... already exists".
    """
    for path in paths:
        for old in api.flow.find(mem.path == path):
            api.flow.delete(old["id"])


def main() -> None:
    with connect() as api:
        path = f"/{api.creds.account}/home/doors"
        delete_leftovers(api, path)
        flow = api.flow.create({"path": path})
        pushed: queue.Queue[Drop] = queue.Queue()

        def on_drop(ws: WebSocketClient, flow_id: str, drop: Drop) -> None:
            pushed.put(drop)  # runs in the client's reader thread: hand over, don't block

        ws = api.websocket.connect(on_drop=on_drop, reconnect=False)
        ws.subscribe(flow["path"])  # sent when the connection opens
        with ws:  # runs the client in a background thread; close() on exit
            if not ws.wait_open(WAIT):
                raise SystemExit(f"error: no WebSocket connection after {WAIT} s")
            print(f"subscribed to {flow['path']}: {ws.subscriptions}")

            for door in DOORS:
                api.drop(flow["id"]).create({"elems": {"door": door, "open": True}})
            for _ in DOORS:
                try:
                    drop = pushed.get(timeout=WAIT)
                except queue.Empty:
                    raise SystemExit(f"error: no drop pushed within {WAIT} s") from None
                print(f"pushed: drop {drop.id} of {drop.flowId}: {drop.plain_elems()}")
        print(f"connection closed (connected={ws.connected})")


if __name__ == "__main__":
    main()
