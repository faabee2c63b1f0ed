"""Sensor writer: create a flow for a sensor, write a batch of readings, read them back.

Shows typed models (`Flow`, `Drop`) for writes and reads, drop locations, and
`Drop.plain_elems()` for the typed elements the v0.1 API returns.

Run it (from the repository root or from examples/):

    python examples/sensor_writer.py

With FLOWTHINGS_HOST (and FLOWTHINGS_ACCOUNT, FLOWTHINGS_TOKEN) set it talks
to that platform; otherwise it starts an embedded local platform.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from contextlib import contextmanager

from flowthings import API, Token, mem
from flowthings.local.testing import local_platform
from flowthings.models import Drop, Flow
from flowthings.models.elements import ElemValue, Location

READINGS = [  # (minute, temperature in C, relative humidity in %)
    (0, 21.4, 40), (1, 21.6, 41), (2, 22.1, 43), (3, 22.9, 45), (4, 23.3, 44),
]  # fmt: skip


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
        path = f"/{api.creds.account}/greenhouse/sensor-1"
        delete_leftovers(api, path)
        flow = api.flow.typed.create(Flow(path=path, description="greenhouse sensor 1"))
        assert flow.id is not None  # set by the platform
        print(f"created flow {flow.path} ({flow.id})")

        drops = api.drop(flow.id).typed
        here = Location(lat=40.6782, lon=-73.9442)
        for minute, temp, humidity in READINGS:
            elems: dict[str, ElemValue] = {"minute": minute, "temp": temp, "humidity": humidity}
            drop = drops.create(Drop(elems=elems, location=here))
            print(f"wrote drop {drop.id}: temp={temp} humidity={humidity}")

        stored = drops.find(limit=100, sort="elems.minute", order="asc")
        print(f"{len(stored)} drops stored in {path}:")
        for drop in stored:
            plain = drop.plain_elems()  # v0.1 returns typed elements: {"type": ..., "value": ...}
            print(f"  minute {plain['minute']}: {plain['temp']} C, {plain['humidity']} %")


if __name__ == "__main__":
    main()
