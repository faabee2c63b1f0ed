"""The benchmarks' floor server: a no-op ASGI app on the platform's HTTP server.

``python -m benchmarks._floor --port 0`` serves :func:`floor_app` (read the
body, answer a fixed 201 envelope) with the same uvicorn protocol as
``python -m flowthings.local serve`` (its fast path, h11 behind), and prints
its URL the way ``serve`` does, so :class:`benchmarks._procs.FloorProcess`
starts it like the platform. What a write costs on top of this is the
platform's own work.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

from flowthings.local.http.server import bind, http_protocol

__all__ = ["FLOOR_BODY", "floor_app", "floor_config", "main"]

FLOOR_BODY = (
    b'{"head":{"status":201,"ok":true,"messages":[],"errors":[],"references":{}},"body":{}}'
)


async def floor_app(scope: Any, receive: Any, send: Any) -> None:
    """A bare ASGI app: read the body, answer a fixed envelope."""
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": FLOOR_BODY})


def floor_config() -> uvicorn.Config:
    """uvicorn's configuration for the floor: the platform's HTTP protocol, no extras."""
    return uvicorn.Config(
        floor_app, http=http_protocol(), lifespan="off", log_level="warning", proxy_headers=False
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    # accepted (and ignored) so it starts like `serve`
    parser.add_argument("--account")
    parser.add_argument("--token")
    parser.add_argument("--log-level")
    args = parser.parse_args()
    sock = bind(port=args.port)
    host, port = sock.getsockname()[:2]
    print(f"floor on http://{host}:{port} (no-op app)", flush=True)
    print("Press Ctrl-C to stop", flush=True)
    uvicorn.Server(floor_config()).run(sockets=[sock])


if __name__ == "__main__":
    main()
