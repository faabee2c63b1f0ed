"""Encoding answers (REST and WebSocket envelopes) with a bound on their size.

An answer is built from stored documents (each at most 1 MiB), so a find of
1000 big drops, or an ``MGET`` of many flows, could be a gigabyte of JSON. The
body is encoded piece by piece (the items of a list, the members of a map,
two levels deep) against a budget of :data:`MAX_RESPONSE` characters: past it,
encoding stops and the request is a 400 naming ``limit`` and ``only``,
before the whole text is ever built. The text is exactly that of
``json.dumps`` of the whole envelope (compact for REST; ``json.dumps``'
defaults for WebSocket frames, as before).

The transports encode large answers (:func:`is_large`) in a worker thread, so
one tenant's big read does not stall the others.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from typing import Any, Final

from flowthings.local.base.envelope import bad_request, envelope

__all__ = ["MAX_RESPONSE", "OFF_LOOP_ITEMS", "encode_answer", "encode_envelope", "is_large"]

MAX_RESPONSE: Final = 16 * 1024 * 1024
"""Longest answer body (characters of JSON, about 16 MiB)."""

OFF_LOOP_ITEMS: Final = 16
"""Answers whose body holds more items than this are encoded off the event loop."""

TOO_LARGE: Final = (
    f"The answer exceeds {MAX_RESPONSE} bytes: ask for fewer results ('limit')"
    " or fewer members ('only')."
)


class _Encoder:
    def __init__(self, compact: bool) -> None:
        self.left = MAX_RESPONSE
        self.item, self.key = (",", ":") if compact else (", ", ": ")
        self.compact = compact

    def dumps(self, value: Any) -> str:
        if self.compact:
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return json.dumps(value)

    def encode(self, value: Any, depth: int) -> str:
        if depth > 0 and isinstance(value, list):
            return "[" + self.item.join([self.encode(v, depth - 1) for v in value]) + "]"
        if depth > 0 and isinstance(value, dict):
            members = [self.dumps(k) + self.key + self.encode(v, depth - 1) for k, v in value.items()]
            return "{" + self.item.join(members) + "}"
        text = self.dumps(value)
        self.left -= len(text) + 1
        if self.left < 0:
            raise bad_request(TOO_LARGE)
        return text


def is_large(body: Any) -> bool:
    """Whether ``body`` has enough items to be encoded off the event loop."""
    if not isinstance(body, (list, dict)):
        return False
    if len(body) > OFF_LOOP_ITEMS:
        return True
    for v in body.values() if isinstance(body, dict) else body:
        if isinstance(v, (list, dict)) and len(v) > OFF_LOOP_ITEMS:
            return True
    return False


def encode_answer(
    answer: dict[str, Any], *, compact: bool = True, large: bool | None = None
) -> str:
    """The JSON text of the envelope ``answer`` (its ``body`` bounded).

    ``large``: what :func:`is_large` said of the body, when the caller just
    asked (to decide where to encode); asked here otherwise.

    Raises:
        PlatformError: 400 when the body exceeds :data:`MAX_RESPONSE`.
    """
    enc = _Encoder(compact)
    body = answer.get("body")
    if not isinstance(body, (list, dict)) or not body:
        return enc.dumps(answer)
    if not (is_large(body) if large is None else large):
        # Few items (one drop, a page of 16): one dumps of the whole envelope.
        # The piecewise budget counts at most one character per character of
        # the text plus one per piece, so a text up to half the budget could
        # never have exceeded it: the answer is the same, only faster.
        text = enc.dumps(answer)
        if 2 * len(text) <= MAX_RESPONSE:
            return text
    text = enc.encode(body, 2)
    marker = secrets.token_hex(16)  # stands for the body in the envelope's text
    head = enc.dumps({**answer, "body": marker})
    at = head.find(f'"{marker}"')
    return head[:at] + text + head[at + len(marker) + 2 :]


def encode_envelope(
    status: int,
    body: Any = None,
    references: dict[str, Any] | None = None,
    *,
    errors: Iterable[str] = (),
    large: bool | None = None,
) -> bytes:
    """The compact UTF-8 JSON of ``envelope(status, body, errors=..., references=...)``
    (``large`` as for :func:`encode_answer`).

    Raises:
        PlatformError: 400 when the body exceeds :data:`MAX_RESPONSE`.
    """
    answer = envelope(status, body, errors=errors, references=references)
    return encode_answer(answer, large=large).encode()
