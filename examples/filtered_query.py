"""Filtered queries: the filter DSL (`mem`, AND/OR, EXISTS, AGE, regex) and typed `Drop.q`.

Every filter is built in Python, printed as the platform filter string it
compiles to, and evaluated by the platform.

Run it (from the repository root or from examples/):

    python examples/filtered_query.py

With FLOWTHINGS_HOST (and FLOWTHINGS_ACCOUNT, FLOWTHINGS_TOKEN) set it talks
to that platform; otherwise it starts an embedded local platform.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from contextlib import contextmanager

from flowthings import AGE, API, EXISTS, Filter, Token, mem
from flowthings.local.testing import local_platform
from flowthings.models import Drop

ROOMS = [  # (room, temperature in C, alarm or None)
    ("kitchen", 24.5, None), ("kitchen", 19.0, None), ("bedroom", 18.5, None),
    ("bathroom", 26.0, "steam"), ("Basement", 12.0, "flood"), ("bed-nook", 21.0, None),
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


def count_drops(n: int) -> str:
    """``"1 drop"``, ``"2 drops"``."""
    return f"{n} drop" if n == 1 else f"{n} drops"


def main() -> None:
    with connect() as api:
        path = f"/{api.creds.account}/home/climate"
        delete_leftovers(api, path)
        flow = api.flow.create({"path": path})
        drops = api.drop(flow["id"])
        for room, temp, alarm in ROOMS:
            elems: dict[str, object] = {"room": room, "temp": temp}
            if alarm:
                elems["alarm"] = alarm
            drops.create({"elems": elems})

        queries: dict[str, Filter] = {
            "warm kitchen": (mem.elems.temp > 20) & (mem.elems.room == "kitchen"),
            "too hot or too cold": (mem.elems.temp >= 25) | (mem.elems.temp < 15),
            "has an alarm": EXISTS(mem.elems.alarm),
            "room starts with 'b' (any case)": mem.elems.room.re("^b", "i"),
            "written in the last minute, no alarm": (AGE < 60_000) & ~EXISTS(mem.elems.alarm),
        }
        for title, query in queries.items():
            found = drops.find(query, limit=100, hints=0)  # hints=0: plain element values
            rooms = sorted(f"{d['elems']['room']}:{d['elems']['temp']}" for d in found)
            print(f"{title}\n  filter: {query}\n  {count_drops(len(found))}: {rooms}")

        # The typed form: Drop.q members, results as Drop models.
        typed_query = (Drop.q.elems["temp"] > 20) & Drop.q.elems["room"].re("^bed")
        typed = drops.typed.find(typed_query, limit=100)
        print(f"typed Drop.q\n  filter: {typed_query}")
        print(f"  {count_drops(len(typed))}: {[d.plain_elems()['room'] for d in typed]}")


if __name__ == "__main__":
    main()
