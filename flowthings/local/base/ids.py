"""Identifiers, secrets and clocks of the local platform.

Ids follow the platform's documented shape: one lowercase type-prefix letter
followed by 24 hex digits. The hex part is built like a MongoDB ObjectId
(4-byte big-endian seconds timestamp, 5 random bytes chosen once per process,
3-byte counter), so ids created by one process sort by creation time, as the
platform's did (``rest-api.md`` §1, settled from *inferred*).
"""

from __future__ import annotations

import itertools
import os
import secrets
import string
import time

__all__ = [
    "MASTER_TOKEN_LENGTH",
    "PREFIXES",
    "TOKEN_STRING_LENGTH",
    "new_id",
    "new_master_token",
    "new_token_string",
    "now_ms",
]

#: Type-prefix letter of each object kind (``rest-api.md`` §1).
PREFIXES: dict[str, str] = {
    "flow": "f",
    "drop": "d",
    "track": "t",
    "identity": "i",
    "group": "g",
    "token": "k",
    "share": "s",
    "device": "v",
    "api-task": "q",
    "mqtt": "m",
    "rss": "r",
}

MASTER_TOKEN_LENGTH = 32
TOKEN_STRING_LENGTH = 28

_ALPHABET = string.ascii_letters + string.digits
_PROCESS = os.urandom(5).hex()
_COUNTER = itertools.count(int.from_bytes(os.urandom(3), "big"))


def now_ms() -> int:
    """Return the current time in milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


def new_id(kind: str) -> str:
    """Return a fresh id for an object of ``kind`` (e.g. ``"flow"`` → ``f...``)."""
    count = next(_COUNTER) & 0xFFFFFF
    return f"{PREFIXES[kind]}{int(time.time()) & 0xFFFFFFFF:08x}{_PROCESS}{count:06x}"


def _random_string(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_master_token() -> str:
    """Return a random 32-character ``[A-Za-z0-9]`` master token."""
    return _random_string(MASTER_TOKEN_LENGTH)


def new_token_string() -> str:
    """Return a random 28-character ``[A-Za-z0-9]`` Token ``tokenString``."""
    return _random_string(TOKEN_STRING_LENGTH)
