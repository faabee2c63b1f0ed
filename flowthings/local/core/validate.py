"""The one validation of JSON documents entering the local platform.

Every way in — a REST body (``http.app``), a WebSocket frame (``realtime.ws``), the body
of any :class:`~flowthings.local.core.calls.Call` (so MPUT and WebSocket ``create``/``update``
values too), and a drop a track produced (``DropOperations.write_drop``) —
goes through :func:`validate_document` (text through :func:`parse_document`
first). A document that passes can be stored, read back, rendered, filtered
and encoded into any answer; one that does not is a 400, never a 500.

Rules (all a 400 with a message saying which):

* only JSON values: objects with string keys, arrays, strings, finite
  numbers, booleans and ``null`` (no ``NaN``/``Infinity``, no number out of
  the float range such as ``1e400``, no integer of more than
  :data:`MAX_INT_DIGITS` digits);
* strings (and keys) hold no lone UTF-16 surrogate (``"\\ud800"``): no
  answer nor SQLite row could carry them;
* nesting at most :data:`~flowthings.local.base.envelope.MAX_DEPTH` (128) levels of
  objects/arrays: documents are walked recursively when rendered, filtered
  and aggregated;
* the compact UTF-8 encoding is at most :data:`MAX_DOCUMENT` bytes (1 MiB,
  the REST body limit).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from flowthings.local.base.envelope import MAX_DEPTH, bad_request

__all__ = [
    "MAX_DOCUMENT",
    "MAX_INT_DIGITS",
    "OFF_LOOP_DOCUMENT",
    "parse_document",
    "validate_document",
]

MAX_DOCUMENT: Final = 1024 * 1024
"""Largest document (compact UTF-8 JSON, bytes), equal to the REST body limit."""

MAX_INT_DIGITS: Final = 4300
"""Longest integer (decimal digits): Python's int/str conversion limit, so
every stored integer can be encoded again."""

OFF_LOOP_DOCUMENT: Final = 64 * 1024
"""JSON text longer than this (bytes or chars) is parsed and validated in a
worker thread by the transports (REST bodies, WebSocket frames): a 1 MiB
document of tiny items costs about a second of CPU, which on the event loop
would stall every tenant (and, for REST, before authentication)."""

# ints below this many bits are surely short enough (a cheap pre-check)
_SAFE_INT_BITS: Final = int(MAX_INT_DIGITS * math.log2(10))
_INT_LIMIT: Final = 10**MAX_INT_DIGITS


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses to inf, which no answer could carry
        raise ValueError(f"number {text} is out of range")
    return value


def parse_document(text: str | bytes, what: str = "The request body") -> Any:
    """Decode JSON ``text`` (UTF-8 when bytes) and validate it.

    Args:
        text: The JSON text.
        what: How to name the document in error messages.

    Returns:
        The decoded value.

    Raises:
        PlatformError: 400 when the text is not UTF-8 or not JSON, or the
            value breaks a rule of :func:`validate_document`.
    """
    if len(text) > MAX_DOCUMENT:  # chars <= bytes: cheap early refusal of huge input
        raise bad_request(f"{what} exceeds {MAX_DOCUMENT} bytes.")
    try:
        raw = text.decode("utf-8") if isinstance(text, bytes) else text
        value = json.loads(raw, parse_constant=_no_constants, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        raise bad_request(f"{what} is not valid JSON: {_safe(exc)}") from None
    if not _surely_valid(raw, from_bytes=isinstance(text, bytes)):
        validate_document(value, what)
    return value


# a \uD800-\uDFFF escape (maybe half of a pair, maybe lone: the walk decides)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONG_DIGITS = re.compile(rf"[0-9]{{{MAX_INT_DIGITS + 1}}}")
_SHORT_TEXT = MAX_DOCUMENT // 8


def _surely_valid(raw: str, *, from_bytes: bool) -> bool:
    """Whether the JSON text ``raw`` (just decoded without error) surely yields a
    document :func:`validate_document` accepts, judged from the text alone.

    The walk costs ~10 % of a small write's CPU; these C-speed scans rule out
    each thing it looks for. ``json.loads`` already refused ``NaN``/
    ``Infinity`` and out-of-range floats and gives only string keys; what is
    left: a lone surrogate (text decoded from UTF-8 holds none, so only a
    ``\\uD8..`` escape or a ``str`` input can), an integer over
    :data:`MAX_INT_DIGITS` digits, nesting deeper than ``MAX_DEPTH`` (no deeper
    than the number of ``[`` and ``{`` in the text), and the encoded size
    (re-encoding a number at most quadruples it, so a text of an eighth of
    :data:`MAX_DOCUMENT` stays under it). Any doubt: ``False``, and the walk
    decides.
    """
    if len(raw) > _SHORT_TEXT:
        return False
    if not from_bytes and not raw.isascii():
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return (
        raw.count("[") + raw.count("{") <= MAX_DEPTH
        and _SURROGATE_ESCAPE.search(raw) is None
        and _LONG_DIGITS.search(raw) is None
    )


def _safe(exc: BaseException) -> str:
    # the message may quote the input: keep it encodable (no lone surrogate)
    return str(exc).encode("utf-8", "backslashreplace").decode("utf-8")


def _walk(value: Any, what: str) -> int:
    """Check types, numbers, strings and depth without recursion.

    Returns:
        An upper bound of the compact UTF-8 JSON size in bytes.
    """
    bound = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_str(item, what)
            bound += 6 * len(item) + 3  # worst case: every char a \u00XX escape; quotes, comma
        elif isinstance(item, bool) or item is None:
            bound += 6
            continue
        elif isinstance(item, int):
            bound += item.bit_length() // 3 + 3
            if item.bit_length() >= _SAFE_INT_BITS and abs(item) >= _INT_LIMIT:
                raise bad_request(f"{what} holds an integer of more than {MAX_INT_DIGITS} digits.")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise bad_request(f"{what} holds NaN or an infinite number, which JSON cannot.")
            bound += 26
        elif isinstance(item, (dict, list)):
            bound += 3
            if depth >= MAX_DEPTH:
                raise bad_request(f"{what} nests deeper than {MAX_DEPTH} levels.")
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        raise bad_request(f"{what} has an object key that is not a string.")
                    _check_str(key, what)
                    bound += 6 * len(key) + 3
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
        else:
            raise bad_request(f"{what} holds a value that is not JSON ({type(item).__name__}).")
    return bound


def _check_str(s: str, what: str) -> None:
    if s.isascii():
        return
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request(f"{what} contains a lone UTF-16 surrogate.") from None


def validate_document(obj: Any, what: str = "The document") -> None:
    """Raise the platform's 400 unless ``obj`` is a storable JSON document.

    The one check for every way in (REST, WebSocket frames, MPUT, track
    output); the rules are in the module docstring.

    Args:
        obj: The decoded document.
        what: How to name it in error messages (e.g. ``"The track's result"``).

    Raises:
        PlatformError: status 400, one message naming the broken rule.
    """
    if _walk(obj, what) <= MAX_DOCUMENT:
        return
    # the cheap bound is not enough: measure what would be stored (and answered)
    try:
        size = len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    except (ValueError, TypeError, RecursionError) as exc:  # pragma: no cover - _walk refuses
        raise bad_request(f"{what} is not a JSON document: {_safe(exc)}") from None
    if size > MAX_DOCUMENT:
        raise bad_request(f"{what} exceeds {MAX_DOCUMENT} bytes.")

