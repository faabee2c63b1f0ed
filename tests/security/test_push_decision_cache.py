"""Issue 20: a push reuses the subscriber's last access decision, never past its end.

A token or share subscriber's access is re-checked before every push; the
decision is now kept per subscription while the flow's path and the account's
access objects are unchanged (``Store.access_stamp``) and until the earliest
expiry of the token or shares it rests on (``auth.stable_until``). So pushes
stop authenticating the subscriber again, yet an expiring token still ends the
subscription at the first push after its expiry, with no write in between.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .conftest import World
from .test_live_pushes import _ended, _frames, _got_end, _markers, _subscribe, _write


@contextmanager
def _counting_auth(w: World, token: str) -> Iterator[list[str]]:
    """Record the authentications of ``token`` while the block runs."""
    platform = w.lp.platform
    seen: list[str] = []
    real = platform.authenticate

    def authenticate(tok: str | None, account: str | None = None) -> Any:
        if tok == token:
            seen.append(tok)
        return real(tok, account)

    platform.authenticate = authenticate  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        del platform.authenticate


def test_pushes_reuse_the_decision(world: World) -> None:
    w = world
    fid = w.flows["shared"]["id"]
    ws = _subscribe(w.narrow, w, fid)
    try:
        with _counting_auth(w, w.narrow.token) as seen:
            for i in range(6):
                _write(w, fid, f"m{i}")
            frames = _frames(ws, lambda fs: len(_markers(fs)) == 6)
        assert _markers(frames) == [f"m{i}" for i in range(6)]
        assert len(seen) <= 1, len(seen)  # before: one authentication per push
    finally:
        ws.close()


def test_an_expiring_token_ends_the_subscription_at_the_next_push(world: World) -> None:
    w = world
    fid = w.flows["shared"]["id"]
    life_ms = 1500
    token = w.alice.ok(
        "POST", "/token", {"paths": {w.path("shared"): {"dropRead": True}}, "duration": life_ms}
    )
    short = w.actor(token["tokenString"])
    ws = _subscribe(short, w, fid)
    try:
        _write(w, fid, "before")
        assert _markers(_frames(ws, lambda fs: len(_markers(fs)) == 1)) == ["before"]
        # no write of any access object in between: only the clock ends it
        time.sleep(max(0.0, (token["creationDate"] + life_ms) / 1000 - time.time()) + 0.2)
        _write(w, fid, "after")
        frames = _frames(ws, _got_end(fid))
        assert _markers(frames) == []
        assert _ended(frames, fid, 403)
    finally:
        ws.close()


def test_a_revoked_token_still_ends_the_subscription(world: World) -> None:
    w = world
    fid = w.flows["shared"]["id"]
    ws = _subscribe(w.narrow, w, fid)
    try:
        _write(w, fid, "m0")
        assert _markers(_frames(ws, lambda fs: len(_markers(fs)) == 1)) == ["m0"]
        w.alice.ok("DELETE", f"/token/{w.token['id']}")
        _write(w, fid, "m1")
        frames = _frames(ws, _got_end(fid))
        assert _markers(frames) == []
        assert _ended(frames, fid, 403)
    finally:
        ws.close()
