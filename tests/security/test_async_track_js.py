"""Red-team F9: an ``async`` track function (or one returning a Promise) is a clear
error, not a silent "no drops" (the Promise would settle after the call)."""

from __future__ import annotations

import pytest

from .conftest import World

pytest.importorskip("py_mini_racer")

ASYNC = [
    "async function (d) { return d; }",
    "async (d) => d",
    "function (d) { return Promise.resolve(d); }",
    "function (d) { return new Promise(function (ok) { ok(d); }); }",
]


@pytest.mark.parametrize("js", ASYNC)
def test_simulate_reports_async_js(world: World, js: str) -> None:
    out = world.alice.ok("POST", "/track/simulate", {"drop": {"elems": {"x": 1}}, "js": js})
    assert out["drops"] == []
    text = " ".join(str(e.get("message")) for e in out["log"])
    assert "async" in text or "Promise" in text, out


def test_a_plain_function_still_works(world: World) -> None:
    out = world.alice.ok(
        "POST", "/track/simulate", {"drop": {"elems": {"x": 1}}, "js": "function (d) { return d; }"}
    )
    assert len(out["drops"]) == 1
