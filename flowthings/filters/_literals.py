"""Lexical rules of the Flow Filter Language, as the SDK writes them.

Pure validation and escaping helpers shared by the filter nodes
(`flowthings.filters._nodes`) and the builders (`flowthings.filters`).
These rules are shared with the local platform's parser; changing one of them
changes the wire format.

* String literals are single-quoted.  ``\\`` and ``'`` are backslash-escaped,
  newline / CR / tab become ``\\n`` ``\\r`` ``\\t``, and every other character
  below U+0020, U+007F, U+2028 and U+2029 becomes ``\\uXXXX``.  A string without
  those characters renders exactly as flowthings 1.0.5 rendered it.
* Regex literals are ``/body/flags``.  In the body an escape pair ``\\x`` is
  kept as written, a bare ``/`` becomes ``\\/``, a raw newline / CR / tab
  becomes ``\\n`` / ``\\r`` / ``\\t``; any other control character is rejected.
* Member names are dot-separated segments matching
  ``[A-Za-z_$][A-Za-z0-9_$-]*``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Final

__all__ = [
    "KEYWORDS",
    "LITERAL_WORDS",
    "REGEX_FLAGS",
    "check_finite",
    "check_flags",
    "check_name",
    "check_regex",
    "datetime_to_ms",
    "parse_path",
    "quote_string",
    "regex_body",
]

_SEGMENT: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")

KEYWORDS: Final = frozenset({"NOT", "EXISTS", "HAS", "MATCHES", "AGE"})
"""Words the platform reads as keywords where a member path may start.

A path whose *first* segment is one of these (upper-case, as the platform
writes its keywords) would be read as the keyword (``AGE > 3`` is the AGE
filter), so such paths are refused; ``mem.age`` and nested segments
(``elems.AGE``) are fine, as in 1.0.5.
"""

LITERAL_WORDS: Final = frozenset({"true", "false", "null"})
"""Literal words, read in any case: a path may not start with one of them."""

REGEX_FLAGS: Final = frozenset("imsxgu")
"""Regex flags the platform understands."""

_PY_FLAGS: Final = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}

_SIMPLE_ESCAPES: Final = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_REGEX_CONTROL_ESCAPES: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Lone surrogates are escaped too: they cannot be encoded into a URL as they are.
_NEEDS_ESCAPE: Final = re.compile("[\\\\'\x00-\x1f\x7f\u2028\u2029\ud800-\udfff]")
_EPOCH: Final = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group()
    return _SIMPLE_ESCAPES.get(ch) or f"\\u{ord(ch):04x}"


def quote_string(value: str) -> str:
    """Render ``value`` as a single-quoted platform string literal.

    Args:
        value: Any Python string.

    Returns:
        The quoted literal; the platform decodes it back to exactly ``value``.
    """
    return "'" + _NEEDS_ESCAPE.sub(_escape_char, value) + "'"


def _is_forbidden_control(ch: str) -> bool:
    return ch < " " or ch in "\x7f\u2028\u2029"


def regex_body(pattern: str, flags: str = "") -> str:
    """Escape ``pattern`` for use between the slashes of a regex literal.

    Args:
        pattern: The regular expression as the caller wrote it.
        flags: The literal's flags (only ``x`` matters here).

    Returns:
        The literal's body: escape pairs kept, bare ``/`` escaped, raw newline,
        CR and tab written as ``\\n``, ``\\r``, ``\\t``.

    Raises:
        ValueError: On a trailing lone backslash or another control character
            (the literal would not survive the trip to the platform intact),
            and on a raw newline, CR or tab with the ``x`` flag, where the
            escape would not mean the same (raw whitespace is ignored there
            and a raw newline ends a ``#`` comment).
    """
    verbose = "x" in flags
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise ValueError(f"regex pattern {pattern!r} ends with a lone backslash")
            nxt = pattern[i + 1]
            if nxt in _REGEX_CONTROL_ESCAPES:
                # `\<LF>` matches a LF, exactly like `\n` does.
                out.append(_REGEX_CONTROL_ESCAPES[nxt])
            elif _is_forbidden_control(nxt):
                raise ValueError(
                    f"regex pattern {pattern!r} contains control character U+{ord(nxt):04X}"
                )
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if ch == "/":
            out.append("\\/")
        elif ch in _REGEX_CONTROL_ESCAPES:
            if verbose:
                raise ValueError(
                    f"regex pattern {pattern!r} has a raw newline, CR or tab, which the "
                    "x flag treats as layout; write the pattern on one line"
                )
            out.append(_REGEX_CONTROL_ESCAPES[ch])
        elif _is_forbidden_control(ch):
            raise ValueError(
                f"regex pattern {pattern!r} contains control character U+{ord(ch):04X}; "
                "write it as an escape such as \\x1b"
            )
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def check_flags(flags: str) -> str:
    """Validate regex flags.

    Args:
        flags: Flag letters, e.g. ``"i"``.

    Returns:
        ``flags`` unchanged.

    Raises:
        TypeError: If ``flags`` is not a string.
        ValueError: If a letter is not one of ``imsxgu``.
    """
    if not isinstance(flags, str):
        raise TypeError(f"regex flags must be a str, not {type(flags).__name__}")
    bad = sorted(set(flags) - REGEX_FLAGS)
    if bad:
        raise ValueError(f"unsupported regex flag(s) {''.join(bad)!r}: use a subset of 'imsxgu'")
    return flags


def check_regex(pattern: str, flags: str) -> None:
    """Validate a regex pattern and its flags.

    The pattern must compile with Python's `re` (the platform uses Java
    regexes; the common syntax is the same, and checking here turns a typo into
    an immediate error instead of a server-side 400).

    Raises:
        TypeError: If ``pattern`` is not a string.
        ValueError: If the flags are unknown, the pattern does not compile, or
            it cannot be written as a regex literal (see `regex_body`).
    """
    if not isinstance(pattern, str):
        raise TypeError(f"regex pattern must be a str, not {type(pattern).__name__}")
    check_flags(flags)
    py_flags = 0
    for letter in flags:
        py_flags |= _PY_FLAGS.get(letter, 0)
    try:
        re.compile(pattern, py_flags)
    except re.error as exc:
        raise ValueError(f"invalid regex pattern {pattern!r}: {exc}") from None
    regex_body(pattern, flags)


def check_name(name: str, what: str = "member name segment") -> str:
    """Validate one segment of a member name (or a HAS type name).

    Raises:
        TypeError: If ``name`` is not a string.
        ValueError: If it does not match ``[A-Za-z_$][A-Za-z0-9_$-]*``.
    """
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a str, not {type(name).__name__}")
    if not _SEGMENT.fullmatch(name):
        raise ValueError(f"invalid {what} {name!r}: each part must match [A-Za-z_$][A-Za-z0-9_$-]*")
    return name


def parse_path(name: str) -> tuple[str, ...]:
    """Split a dotted member name into validated segments.

    Args:
        name: A member name such as ``"elems.foo"``.

    Returns:
        The segments, e.g. ``("elems", "foo")``.

    Raises:
        TypeError: If ``name`` is not a string.
        ValueError: If a segment is empty or invalid.
    """
    if not isinstance(name, str):
        raise TypeError(f"member name must be a str, not {type(name).__name__}")
    return tuple(check_name(part) for part in name.split("."))


def check_finite(value: float, what: str) -> None:
    """Reject NaN and infinities, which have no platform spelling.

    Raises:
        ValueError: If ``value`` is NaN or infinite.
    """
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")


def datetime_to_ms(value: _dt.datetime) -> int:
    """Milliseconds since the Unix epoch, as the platform's ``Date(ms)``.

    A naive datetime is taken to be UTC (the platform stores UTC epoch
    milliseconds; assuming local time would make a filter depend on the
    machine that built it).  Sub-millisecond precision is truncated toward
    negative infinity.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return (value - _EPOCH) // _dt.timedelta(milliseconds=1)
