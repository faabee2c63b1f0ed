"""Issue 14 item 5: live pushes follow the flow's CURRENT path and end visibly.

A token or share subscriber gets no drop once the flow is moved out of its
scope (or its token/share is gone): the subscription ends with one
``unsubscribed`` frame. Deleting a flow ends every subscription to it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import websocket

from .conftest import Actor, Socket, World

QUIET = 0.3  # seconds to wait for a frame that must not come


def _subscribe(actor: Actor, w: World, flow_id: str) -> Socket:
    ws = actor.socket(w.alice.account)
    reply = ws.request({"type": "subscribe", "object": "drop", "flowId": flow_id}, "s")
    assert reply["head"]["status"] == 200, reply
    return ws


def _write(w: World, flow_id: str, marker: str) -> None:
    w.alice.ok("POST", f"/drop/{flow_id}", {"elems": {"marker": marker}})


def _frames(ws: Socket, done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """Frames received until ``done(frames)`` holds (10 s at most), then any
    that follow within ``QUIET`` seconds (frames that must not come)."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while not done(out) and time.monotonic() < deadline:
        try:
            out.append(ws.recv(max(0.01, deadline - time.monotonic())))
        except websocket.WebSocketTimeoutException:
            break
    while True:
        try:
            out.append(ws.recv(QUIET))
        except websocket.WebSocketTimeoutException:
            return out


def _got_end(flow_id: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda frames: any(
        f.get("type") == "unsubscribed" and f.get("resource") == flow_id for f in frames
    )


def _markers(frames: list[dict[str, Any]]) -> list[str]:
    return [f["value"]["elems"]["marker"]["value"] for f in frames if f.get("type") == "message"]


def _ended(frames: list[dict[str, Any]], flow_id: str, status: int) -> bool:
    ends = [f for f in frames if f.get("type") == "unsubscribed"]
    return (
        len(ends) == 1
        and ends[0]["resource"] == flow_id
        and ends[0]["head"]["status"] == status
        and ends[0]["head"]["msgId"] is None
        and bool(ends[0]["head"]["errors"])
    )


@pytest.mark.parametrize("who", ["narrow", "bob"])
def test_moving_the_flow_out_of_scope_ends_the_subscription(w: World, who: str) -> None:
    fid = w.flows["shared"]["id"]
    ws = _subscribe(getattr(w, who), w, fid)
    try:
        _write(w, fid, "before")
        w.alice.ok("PUT", f"/flow/{fid}", {"path": w.path("moved-away")})
        _write(w, fid, "after")
        frames = _frames(ws, _got_end(fid))
        assert _markers(frames) == ["before"]
        assert _ended(frames, fid, 403)
        assert "moved-away" not in json.dumps(frames)  # the new path is not leaked
        # and the id is no longer subscribed (the flow is out of reach: 403)
        gone = ws.request({"type": "unsubscribe", "object": "drop", "flowId": fid}, "u")
        assert gone["head"]["status"] in (403, 404)
    finally:
        ws.close()


def test_moving_the_flow_within_scope_keeps_pushing(w: World) -> None:
    fid = w.alice.ok("POST", "/flow", {"path": w.path("shared/a")})["id"]
    ws = _subscribe(w.narrow, w, fid)
    try:
        w.alice.ok("PUT", f"/flow/{fid}", {"path": w.path("shared/b")})
        _write(w, fid, "still")
        frames = _frames(ws, lambda fs: bool(_markers(fs)))
        assert _markers(frames) == ["still"]
        assert not [f for f in frames if f.get("type") == "unsubscribed"]
    finally:
        ws.close()


def test_moving_out_is_also_caught_at_push_time(w: World) -> None:
    # a move that bypasses the listeners (e.g. a store-level change) is still
    # caught: every push re-checks the path the drop is written at
    fid = w.flows["shared"]["id"]
    ws = _subscribe(w.narrow, w, fid)
    try:
        listeners = w.lp.platform.object_listeners
        saved = list(listeners)
        listeners.clear()
        try:
            w.alice.ok("PUT", f"/flow/{fid}", {"path": w.path("sneaky")})
        finally:
            listeners.extend(saved)
        _write(w, fid, "after")
        frames = _frames(ws, _got_end(fid))
        assert _markers(frames) == []
        assert _ended(frames, fid, 403)
    finally:
        ws.close()


@pytest.mark.parametrize("who", ["alice", "narrow", "bob"])
def test_deleting_the_flow_ends_the_subscription(w: World, who: str) -> None:
    fid = w.flows["shared"]["id"]
    ws = _subscribe(getattr(w, who), w, fid)
    try:
        w.alice.ok("DELETE", f"/flow/{fid}")
        frames = _frames(ws, _got_end(fid))
        assert _ended(frames, fid, 404)
        gone = ws.request({"type": "unsubscribe", "object": "drop", "flowId": fid}, "u")
        assert gone["head"]["status"] == 404
    finally:
        ws.close()


@pytest.mark.parametrize("what", ["token", "share"])
def test_revoking_the_grant_ends_the_subscription(w: World, what: str) -> None:
    fid = w.flows["shared"]["id"]
    ws = _subscribe(w.narrow if what == "token" else w.bob, w, fid)
    try:
        obj = w.token if what == "token" else w.share
        w.alice.ok("DELETE", f"/{what}/{obj['id']}")
        _write(w, fid, "after")
        frames = _frames(ws, _got_end(fid))
        assert _markers(frames) == []
        assert _ended(frames, fid, 403)
    finally:
        ws.close()


def test_other_subscriptions_of_the_connection_continue(w: World) -> None:
    shared = w.flows["shared"]["id"]
    inner = w.alice.ok("POST", "/flow", {"path": w.path("shared/inner")})["id"]
    ws = _subscribe(w.bob, w, shared)
    try:
        assert ws.request({"type": "subscribe", "flowId": inner}, "s2")["head"]["status"] == 200
        w.alice.ok("PUT", f"/flow/{shared}", {"path": w.path("gone")})
        _write(w, shared, "x")
        _write(w, inner, "y")
        frames = _frames(ws, lambda fs: _got_end(shared)(fs) and bool(_markers(fs)))
        assert _markers(frames) == ["y"]
        assert _ended(frames, shared, 403)
    finally:
        ws.close()


@pytest.fixture
def w(world: World) -> World:
    return world
