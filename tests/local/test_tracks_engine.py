"""Track engine: routing, filter gate, JS sandbox, loop cutting, simulate."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from flowthings.local.tracks import js as _track_js
from flowthings.local.tracks.engine import (
    MAX_HOPS,
    JsSandbox,
    JsUnavailableError,
    TrackError,
    apply_track,
    route,
    simulate,
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[JsSandbox]:
    # generous limit: tests must not flake on a loaded machine
    with JsSandbox(timeout_ms=5000) as box:
        yield box


@pytest.fixture(scope="module")
def quick() -> Iterator[JsSandbox]:
    with JsSandbox(timeout_ms=200, memory_limit_bytes=16 * 1024 * 1024) as box:
        yield box


class World:
    """Tracks and flows as the core would expose them to route()."""

    def __init__(self, tracks: list[dict[str, Any]], flows: set[str] | None = None) -> None:
        self.tracks = tracks
        self.flows = flows
        self.events: list[tuple[str, str]] = []
        self.accepted: list[tuple[str, dict[str, Any]]] = []

    def tracks_for_source(self, path: str) -> Sequence[Mapping[str, Any]]:
        return [t for t in self.tracks if t.get("source") == path]

    def accept(self, path: str, drop: dict[str, Any]) -> bool:
        self.accepted.append((path, drop))
        return self.flows is None or path in self.flows

    def on_event(self, series: str, track_id: str) -> None:
        self.events.append((series, track_id))

    def route(self, source: str, drop: Mapping[str, Any], sandbox: JsSandbox, **kw: Any) -> Any:
        return route(
            source,
            drop,
            self.tracks_for_source,
            self.accept,
            sandbox=sandbox,
            on_event=self.on_event,
            **kw,
        )


DROP = {
    "id": "d1",
    "flowId": "f1",
    "path": "/a/src",
    "creationDate": 1000,
    "elems": {"temp": 25, "name": {"type": "string", "value": "x"}},
}


def test_plain_forwarding_strips_server_members(sandbox: JsSandbox) -> None:
    world = World([{"id": "t1", "source": "/a/src", "destination": "/a/dst"}])
    out = world.route("/a/src", DROP, sandbox)
    assert out == [("/a/dst", {"elems": DROP["elems"]}, "t1")]
    assert world.events == [("trackHit", "t1"), ("trackPass", "t1")]


def test_destination_list_disabled_and_other_source(sandbox: JsSandbox) -> None:
    world = World(
        [
            {"id": "t1", "source": "/a/src", "destination": ["/a/x", "/a/y"]},
            {"id": "t2", "source": "/a/src", "destination": "/a/z", "disabled": True},
            {"id": "t3", "source": "/a/other", "destination": "/a/z"},
            {"id": "t4", "source": "/a/src"},  # no destination: passes, writes nothing
        ]
    )
    world.tracks_for_source = lambda path: world.tracks  # type: ignore[method-assign]
    out = world.route("/a/src", DROP, sandbox)
    assert [(p, t) for p, _, t in out] == [("/a/x", "t1"), ("/a/y", "t1")]
    assert world.events == [
        ("trackHit", "t1"),
        ("trackPass", "t1"),
        ("trackHit", "t4"),
        ("trackPass", "t4"),
    ]


def test_filter_gate(sandbox: JsSandbox) -> None:
    tracks = [
        {"id": "hot", "source": "/a/src", "destination": "/a/hot", "filter": "temp > 20"},
        {"id": "cold", "source": "/a/src", "destination": "/a/cold", "filter": "temp <= 20"},
        {"id": "typed", "source": "/a/src", "destination": "/a/x", "filter": "name == 'x'"},
        {"id": "bad", "source": "/a/src", "destination": "/a/bad", "filter": "temp >"},
    ]
    world = World(tracks)
    out = world.route("/a/src", DROP, sandbox)
    assert [(p, t) for p, _, t in out] == [("/a/hot", "hot"), ("/a/x", "typed")]
    assert ("trackPass", "cold") not in world.events
    assert ("trackHit", "cold") in world.events
    assert ("trackHit", "bad") in world.events
    assert ("trackPass", "bad") not in world.events


def test_js_transform_sees_typed_input(sandbox: JsSandbox) -> None:
    js = """function (input) {
        input.elems.f = input.elems.temp.value * 9 / 5 + 32;
        input.elems.seen = input.elems.name.value + ':' + input.elems.name.type;
        input.id = 'ignored';
        return input;
    }"""
    world = World([{"id": "t1", "source": "/a/src", "destination": "/a/f", "js": js}])
    [(path, body, tid)] = world.route("/a/src", DROP, sandbox)
    assert (path, tid) == ("/a/f", "t1")
    assert "id" not in body
    assert "path" not in body
    assert body["elems"]["f"] == 77
    assert body["elems"]["seen"] == "x:string"
    assert body["elems"]["temp"] == {"type": "integer", "value": 25}


def test_js_map_array_and_null_returns(sandbox: JsSandbox) -> None:
    tracks = [
        {
            "id": "map",
            "source": "/a/src",
            "destination": "/a/ignored",
            "js": "function (d) { return {'/a/m1': [{elems: {k: 1}}, {elems: {k: 2}}],"
            " '/a/m2': {elems: {k: 3}}}; }",
        },
        {
            "id": "arr",
            "source": "/a/src",
            "destination": "/a/arr",
            "js": "(d) => [{elems: {k: 4}}, {elems: {k: 5}}]",
        },
        {
            "id": "null",
            "source": "/a/src",
            "destination": "/a/n",
            "js": "function (d) { return null; }",
        },
        {"id": "undef", "source": "/a/src", "destination": "/a/n", "js": "function (d) { }"},
    ]
    world = World(tracks)
    out = world.route("/a/src", DROP, sandbox)
    assert [(p, b["elems"]["k"], t) for p, b, t in out] == [
        ("/a/m1", 1, "map"),
        ("/a/m1", 2, "map"),
        ("/a/m2", 3, "map"),
        ("/a/arr", 4, "arr"),
        ("/a/arr", 5, "arr"),
    ]
    assert ("trackPass", "null") in world.events
    assert ("trackPass", "undef") in world.events


@pytest.mark.parametrize(
    "js",
    [
        pytest.param("function (d) { while (true) {} }", id="timeout"),
        pytest.param("function (d) { return d.elems.nope.value; }", id="type-error"),
        pytest.param("function (d) { return 5; }", id="bad-return"),
        pytest.param("function (d) { return {elems: 3}; }", id="bad-elems"),
        pytest.param("function (d) {", id="syntax"),
        pytest.param("function (d) { return eval('d'); }", id="eval"),
        pytest.param("function (d) { undeclared = 1; return d; }", id="strict"),
    ],
)
def test_failing_js_forwards_nothing(quick: JsSandbox, js: str) -> None:
    tracks = [
        {"id": "bad", "source": "/a/src", "destination": "/a/x", "js": js},
        {"id": "good", "source": "/a/src", "destination": "/a/y"},
    ]
    world = World(tracks)
    out = world.route("/a/src", DROP, quick)
    assert [(p, t) for p, _, t in out] == [("/a/y", "good")]
    assert world.events == [("trackHit", "bad"), ("trackHit", "good"), ("trackPass", "good")]


def test_chains_follow_accepted_destinations_breadth_first(sandbox: JsSandbox) -> None:
    tracks: list[dict[str, Any]] = [
        {"id": "t1", "source": "/a/src", "destination": ["/a/b", "/a/missing"]},
        {"id": "t2", "source": "/a/src", "destination": "/a/c"},
        {
            "id": "t3",
            "source": "/a/b",
            "destination": "/a/d",
            "js": "function (d) {"
            " d.elems.hops = (d.elems.hops ? d.elems.hops.value : 0) + 1; return d; }",
        },
        {"id": "t4", "source": "/a/missing", "destination": "/a/e"},
    ]
    world = World(tracks, flows={"/a/b", "/a/c", "/a/d"})
    out = world.route("/a/src", DROP, sandbox)
    assert [(p, t) for p, _, t in out] == [("/a/b", "t1"), ("/a/c", "t2"), ("/a/d", "t3")]
    assert out[-1][1]["elems"]["hops"] == 1
    assert ("/a/missing", {"elems": DROP["elems"]}) in world.accepted
    assert ("trackHit", "t4") not in world.events


def test_downstream_tracks_see_path_and_creation_date(sandbox: JsSandbox) -> None:
    tracks = [
        {"id": "t1", "source": "/a/src", "destination": "/a/mid"},
        {
            "id": "t2",
            "source": "/a/mid",
            "destination": "/a/end",
            "filter": "AGE < 1000",
            "js": "function (d) { d.elems.from = d.path; d.elems.at = d.creationDate; return d; }",
        },
    ]
    out = World(tracks).route("/a/src", DROP, sandbox, now_ms=50_000)
    assert out[1][0] == "/a/end"
    assert out[1][1]["elems"]["from"] == "/a/mid"
    assert out[1][1]["elems"]["at"] == 50_000
    assert "path" not in out[1][1]
    assert "creationDate" not in out[1][1]


def test_loop_is_cut(sandbox: JsSandbox) -> None:
    tracks = [
        {"id": "ab", "source": "/a/a", "destination": "/a/b"},
        {"id": "ba", "source": "/a/b", "destination": "/a/a"},
        {"id": "self", "source": "/a/b", "destination": "/a/b"},
    ]
    world = World(tracks)
    out = world.route("/a/a", {"elems": {"v": 1}}, sandbox)
    chains = [(p, t) for p, _, t in out]
    # a->b (ab); b->a (ba); b->b (self); then a->b again would repeat ab: cut;
    # from b (via self): b->a (ba) is new on that chain, and so on, finitely
    assert chains[:3] == [("/a/b", "ab"), ("/a/a", "ba"), ("/a/b", "self")]
    assert len(out) < 10
    for series, track_id in world.events:
        assert track_id in {"ab", "ba", "self"}
        assert series in {"trackHit", "trackPass"}


def test_max_hops(sandbox: JsSandbox) -> None:
    tracks = [{"id": f"t{i}", "source": f"/a/{i}", "destination": f"/a/{i + 1}"} for i in range(30)]
    world = World(tracks)
    out = world.route("/a/0", {"elems": {}}, sandbox, max_hops=5)
    assert [p for p, _, _ in out] == ["/a/1", "/a/2", "/a/3", "/a/4", "/a/5"]
    assert len(World(tracks).route("/a/0", {"elems": {}}, sandbox)) == MAX_HOPS == 8


def test_apply_track_filter_reject_returns_none(sandbox: JsSandbox) -> None:
    track = {"id": "t", "source": "/a", "destination": "/b", "filter": "temp > 100"}
    assert apply_track(track, DROP, sandbox=sandbox) is None
    with pytest.raises(TrackError):
        apply_track({**track, "filter": "(("}, DROP, sandbox=sandbox)


def test_sandbox_limits_and_errors(sandbox: JsSandbox, quick: JsSandbox) -> None:
    with pytest.raises(TrackError, match="timed out after 200 ms"):
        quick.run("function (d) { for (;;) {} }", {"elems": {}})
    small = JsSandbox(timeout_ms=20_000, memory_limit_bytes=16 * 1024 * 1024)
    try:
        with pytest.raises(TrackError, match="memory"):
            small.run(
                "function (d) { var a = []; for (;;) a.push(new Array(1e6).fill(1)); }",
                {"elems": {}},
            )
    finally:
        small.close()
    with pytest.raises(TrackError, match="EvalError") as info:
        sandbox.run("function (d) {\n  return new Function('return 1')();\n}", {"elems": {}})
    assert info.value.line_no == 2
    with pytest.raises(TrackError, match="not available"):
        sandbox.run("function (d) { return Flow.Drop.find('/a/b'); }", {"elems": {}})
    with pytest.raises(TrackError, match=r"Flow\.Error: nope"):
        sandbox.run("function (d) { throw new Flow.Error('nope', []); }", {"elems": {}})
    # the isolate is fresh for every call: no state leaks
    sandbox.run("function (d) { globalThis.leak = 1; Array.prototype.x = 1; }", {"elems": {}})
    result = sandbox.run(
        "function (d) { return [typeof leak, [].x === undefined]; }", {"elems": {}}
    )
    assert result.value == ["undefined", True]


def test_sandbox_works_inside_a_running_event_loop(sandbox: JsSandbox) -> None:
    async def main() -> Any:
        return sandbox.run(
            "function (d) { return d.elems.a.value + 1; }", {"elems": {"a": 1}}
        ).value

    assert asyncio.run(main()) == 2


def test_simulate_docs_example(sandbox: JsSandbox) -> None:
    js = (
        "function (input_drop) {\n"
        "  var a = input_drop.elems.a.value;\n"
        "  console.log('a is', a, {x: [1]});\n"
        "  input_drop.elems.b = a * 3;\n"
        "  return input_drop;\n"
        "}"
    )
    result = simulate({"elems": {"a": 1}}, js, sandbox=sandbox)
    assert result == {
        "drops": [{"elems": {"a": 1, "b": 3}}],
        "log": [{"line_no": 3, "level": "log", "message": 'a is 1 {"x":[1]}'}],
    }


def test_simulate_map_null_and_error(sandbox: JsSandbox) -> None:
    js_map = "function (d) { return {'/a/x': [d], '/a/y': d}; }"
    result = simulate({"elems": {"a": {"type": "integer", "value": 1}}}, js_map, sandbox=sandbox)
    assert result["drops"] == [
        {"elems": {"a": 1}, "path": "/a/x"},
        {"elems": {"a": 1}, "path": "/a/y"},
    ]
    assert simulate({"elems": {}}, "function (d) { return null; }") == {"drops": [], "log": []}
    failed = simulate(
        {"elems": {}}, "function (d) {\n  console.warn('w');\n  null.x;\n}", sandbox=sandbox
    )
    assert failed["drops"] == []
    assert failed["log"][0] == {"line_no": 2, "level": "warn", "message": "w"}
    assert failed["log"][1]["level"] == "error"
    assert failed["log"][1]["line_no"] == 3
    assert "TypeError" in failed["log"][1]["message"]


@pytest.mark.parametrize(
    ("drop", "js"),
    [
        pytest.param({"elems": 1}, "function (d) { return d; }", id="elems-not-object"),
        pytest.param([], "function (d) { return d; }", id="drop-not-object"),
        pytest.param({"elems": {}}, "", id="empty-js"),
        pytest.param({"elems": {}}, 3, id="js-not-string"),
    ],
)
def test_simulate_bad_input(drop: Any, js: Any) -> None:
    with pytest.raises(TrackError):
        simulate(drop, js)


def test_without_mini_racer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_track_js, "_load_engine", lambda: None)
    with JsSandbox() as box:
        assert not box.available
        with pytest.raises(JsUnavailableError):
            simulate({"elems": {}}, "function (d) { return d; }", sandbox=box)
        with pytest.raises(JsUnavailableError):
            box.run("function (d) { return d; }", {"elems": {}})
        tracks = [
            {
                "id": "js",
                "source": "/a/src",
                "destination": "/a/x",
                "js": "function (d) { return d; }",
            },
            {"id": "plain", "source": "/a/src", "destination": "/a/y"},
        ]
        out = World(tracks).route("/a/src", DROP, box)
        assert [(p, t) for p, _, t in out] == [("/a/y", "plain")]


def test_closed_sandbox_refuses() -> None:
    box = JsSandbox()
    box.run("function (d) { return 1; }", {"elems": {}})
    box.close()
    box.close()
    assert not box.available
    with pytest.raises(JsUnavailableError):
        box.run("function (d) { return 1; }", {"elems": {}})
