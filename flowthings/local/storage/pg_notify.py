"""``LISTEN``/``NOTIFY`` between the ``serve`` processes sharing one PostgreSQL database.

A notification is ``[origin, event]`` as compact JSON on :data:`CHANNEL`:
``origin`` names the store (one per process) that sent it, so a process
never relays its own writes. PostgreSQL refuses payloads of 8000 bytes and
more: :func:`payload` keeps them under :data:`MAX_PAYLOAD`, replacing an
event's last item (a drop document) by ``None`` when it would not fit (the
receiver reads the drop by id then).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Final

from flowthings.local.storage.engine import RemoteEvents

__all__ = ["CHANNEL", "MAX_PAYLOAD", "Listener", "payload"]

log = logging.getLogger("flowthings.local")

CHANNEL: Final = "flowthings_writes"
"""The ``LISTEN``/``NOTIFY`` channel of committed writes."""

MAX_PAYLOAD: Final = 7900
"""Largest ``NOTIFY`` payload sent (PostgreSQL refuses 8000 bytes and more)."""


def payload(origin: str, event: list[object]) -> str:
    """The notification text of ``event`` sent by ``origin`` (at most :data:`MAX_PAYLOAD` bytes)."""
    text = json.dumps([origin, event], separators=(",", ":"), ensure_ascii=False)
    if len(text.encode()) <= MAX_PAYLOAD:
        return text
    text = json.dumps([origin, [*event[:-1], None]], separators=(",", ":"), ensure_ascii=False)
    if len(text.encode()) > MAX_PAYLOAD:
        raise ValueError("notification too large even without its document")
    return text


class Listener(threading.Thread):
    """A daemon thread that hands other processes' notifications to ``callback``.

    It uses its own connection (not the pool's), reconnects after a lost
    connection (writes announced meanwhile are not relayed: they are stored,
    a find returns them), and ends when ``stop`` is set. A raising callback
    is logged. :meth:`start` returns once ``LISTEN`` is in place, so every
    write committed after it is relayed.
    """

    def __init__(
        self, url: str, origin: str, callback: RemoteEvents, stop: threading.Event
    ) -> None:
        super().__init__(name="flowthings-pg-listen", daemon=True)
        self.url, self.origin, self.callback, self.stop = url, origin, callback, stop
        self.ready = threading.Event()

    def start(self) -> None:
        """Start the thread and wait (at most 10 s) until it listens."""
        super().start()
        self.ready.wait(10)

    def run(self) -> None:
        import psycopg

        while not self.stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.ready.set()
                    while not self.stop.is_set():
                        for note in conn.notifies(timeout=0.2):
                            self.deliver(note.payload)
            except psycopg.Error as exc:
                if self.stop.is_set():
                    return
                log.warning("PostgreSQL listener lost its connection (%s); reconnecting", exc)
                self.stop.wait(0.5)
            finally:
                self.ready.set()

    def deliver(self, text: str) -> None:
        """Hand one notification to the callback, unless this process sent it."""
        try:
            origin, event = json.loads(text)
        except ValueError:
            log.warning("ignored a malformed notification on %s", CHANNEL)
            return
        if origin == self.origin:
            return  # our own write: already pushed locally
        try:
            self.callback([event])
        except Exception:
            log.exception("relaying a write of another process failed")
