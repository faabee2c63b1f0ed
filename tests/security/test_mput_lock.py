"""Red-team F10: an MPUT must not hold the store lock while it does the costly work.

``MPUT /flow`` compiles every flow's filter and ``MPUT /drop/{flow}`` gates
every drop against the flow's filter. Both ran inside one transaction, i.e.
under the store lock every request of every tenant needs, so other tenants
waited for the whole batch even though the MPUT itself ran off the event loop.
The costly part now runs first; only the short write section holds the lock.
The batch stays atomic: any failing item changes nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from flowthings.local.core import platform as core_platform
from flowthings.local.core.drops import DropOperations

from .conftest import World


def _slow(real: Callable[..., Any], delay: float) -> Callable[..., Any]:
    """Make each validation step cost ``delay`` s, like a costly filter would."""

    def slow(*args: Any, **kw: Any) -> Any:
        time.sleep(delay)
        return real(*args, **kw)

    return slow


def _others_served_while(w: World, heavy: Callable[[], None]) -> None:
    done: list[float] = []

    def run() -> None:
        heavy()
        done.append(time.monotonic())

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.3)  # the MPUT is being prepared
    answered = []
    for _ in range(3):
        assert w.carol.call("GET", "/flow").status == 200
        answered.append(time.monotonic())
    t.join(60)
    assert done, "the MPUT did not finish"
    # carol was served while the batch was prepared, not after it
    assert answered[-1] < done[0]


def test_mput_of_flows_lets_others_in(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    flows = [w.alice.ok("POST", "/flow", {"path": w.path(f"m{i}")}) for i in range(20)]
    monkeypatch.setattr(core_platform, "validate", _slow(core_platform.validate, 0.1))
    body = {f["id"]: {"filter": f"elems.v{i} > 1", "description": "x"} for i, f in enumerate(flows)}

    def heavy() -> None:
        out = w.alice.ok("MPUT", "/flow", body)
        assert {o["id"]: o["filter"] for o in out.values()} == {
            k: v["filter"] for k, v in body.items()
        }

    _others_served_while(w, heavy)


def test_mput_of_drops_lets_others_in(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fid = w.flows["private"]["id"]
    drops = [w.alice.ok("POST", f"/drop/{fid}", {"elems": {"n": i}}) for i in range(20)]
    monkeypatch.setattr(DropOperations, "gate", _slow(DropOperations.gate, 0.1))
    body = {d["id"]: {"elems": {"n": 100}} for d in drops}

    def heavy() -> None:
        out = w.alice.ok("MPUT", f"/drop/{fid}", body)
        assert sorted(out) == sorted(body)

    _others_served_while(w, heavy)


def test_mput_stays_all_or_nothing(w: World) -> None:
    a, b = (w.alice.ok("POST", "/flow", {"path": w.path(n)}) for n in ("aa", "bb"))
    r = w.alice.call("MPUT", "/flow", {a["id"]: {"description": "new"}, b["id"]: {"filter": "((("}})
    assert r.status == 400
    assert w.alice.ok("GET", f"/flow/{a['id']}").get("description") != "new"
    # a path clash found in the write section also rolls everything back
    r = w.alice.call(
        "MPUT", "/flow", {a["id"]: {"description": "new"}, b["id"]: {"path": w.path("shared")}}
    )
    assert r.status == 400
    assert w.alice.ok("GET", f"/flow/{a['id']}").get("description") != "new"
    fid = w.flows["private"]["id"]
    d = w.alice.ok("POST", f"/drop/{fid}", {"elems": {"n": 1}})
    w.alice.ok("PUT", f"/flow/{fid}", {"filter": "elems.n < 5"})
    body = {d["id"]: {"elems": {"n": 2}}, "nope": {"elems": {"n": 3}}}
    assert w.alice.call("MPUT", f"/drop/{fid}", body).status == 404
    body = {d["id"]: {"elems": {"n": 9}}}
    assert w.alice.call("MPUT", f"/drop/{fid}", body).status == 400
    assert w.alice.ok("GET", f"/drop/{fid}/{d['id']}")["elems"]["n"]["value"] == 1


@pytest.fixture
def w(world: World) -> World:
    return world
