"""Fixtures of the asyncio tests: the WebSocket tests' restartable local platform.

One definition (tests/websocket/conftest.py) serves the thread client's tests
and the asyncio client's: re-exported here so pytest offers them in this folder.
"""

from __future__ import annotations

from ..websocket.conftest import make_server as make_server
from ..websocket.conftest import server as server

__all__ = ["make_server", "server"]
