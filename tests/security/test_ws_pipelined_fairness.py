"""A connection with many frames already queued does not keep the event loop to itself.

Drop creates that cannot block are answered right on the loop, and frames
already received come back from ``receive()`` without a pause: a tenant that
pipelines thousands of small creates would otherwise hold every other
connection and request up for its whole backlog. The connection lets the
loop go every ``INLINE_TURN`` frames; a task that wants the loop must get it
long before the backlog is done.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any

from flowthings.local.core.platform import Platform
from flowthings.local.realtime.ws import (
    INLINE_TURN,
    WebSocketSettings,
    _Connection,
    _Creds,
    hub_for,
)

TOKEN = "T" * 32
FRAMES = 400


class _QueuedSocket:
    """A WebSocket whose client sent ``frames`` at once (all already received)."""

    def __init__(self, frames: list[str]) -> None:
        self.frames = deque(frames)
        self.scope: dict[str, Any] = {"extensions": {}}
        self.sent: list[str] = []
        self._forever = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        if self.frames:
            return {"type": "websocket.receive", "text": self.frames.popleft()}
        await self._forever.wait()  # the client sends nothing more
        raise AssertionError("unreachable")

    async def send_text(self, text: str) -> None:
        self.sent.append(text)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        return None


def test_a_pipelined_backlog_lets_other_tasks_run_in_between() -> None:
    with Platform() as platform:
        platform.create_account("alice", TOKEN)
        principal = platform.authenticate(TOKEN, "alice")
        flow = platform.create(principal, "alice", "flow", {"path": "/alice/f"})
        frames = [
            json.dumps({"msgId": str(i), "type": "create", "object": "drop",
                        "flowId": flow["id"], "value": {"elems": {"i": i}}})
            for i in range(FRAMES)
        ]  # fmt: skip
        ws = _QueuedSocket(frames)

        async def run() -> list[int]:
            seen: list[int] = []  # frames still queued each time the other task ran
            conn = _Connection(ws, platform, hub_for(platform), _Creds("alice", TOKEN),  # type: ignore[arg-type]
                               WebSocketSettings())  # fmt: skip
            serving = asyncio.ensure_future(conn.serve())
            while ws.frames or len(ws.sent) < FRAMES:
                seen.append(len(ws.frames))
                await asyncio.sleep(0)
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            return seen

        seen = asyncio.run(run())
    replies = [json.loads(t) for t in ws.sent]
    assert [r["head"]["msgId"] for r in replies] == [str(i) for i in range(FRAMES)]
    assert all(r["head"]["status"] == 201 for r in replies)
    # the other task ran while the backlog was being answered, about every INLINE_TURN
    # frames (a few ms of work on this machine; never the whole backlog's time)
    assert INLINE_TURN <= 16
    between = [n for n in seen if 0 < n < FRAMES]
    assert len(between) >= FRAMES // INLINE_TURN // 2, seen[:20]
