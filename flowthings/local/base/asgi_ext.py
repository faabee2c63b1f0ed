"""ASGI extensions the platform's own server (``http.server``) offers its app.

Both sides live in different layers (``http`` serves, ``realtime`` sends), so
the names they agree on live here.
"""

from __future__ import annotations

from typing import Final

__all__ = ["SEND_MANY"]

SEND_MANY: Final = "flowthings.websocket.send_many"
"""A ``websocket.send`` message may carry more text frames, in order after its
``text``, under this key; the server writes them to the socket together (a
batch of pushes is then one system call, not one each). Apps use it only when
the scope's ``extensions`` list it."""
