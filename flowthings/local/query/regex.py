"""Filter regexes (``=~`` and ``MATCHES``) on a linear-time engine (RE2).

Python's :mod:`re` backtracks: ``/^(a+)+$/`` against 27 characters runs for
seconds while holding the GIL, so one filter could stall every tenant of the
local platform.  RE2 (``google-re2``) guarantees time linear in the searched
text and releases the GIL while it searches.

What a pattern may use is RE2's syntax (https://github.com/google/re2/wiki/Syntax),
which covers the common Java/Python syntax, plus these translations so that
Java/Python-style patterns keep working:

* ``\\uXXXX`` (Java) becomes ``\\x{XXXX}`` (a surrogate pair becomes one code
  point; a lone surrogate is refused);
* ``\\Z`` becomes ``\\z`` (end of text);
* flag ``x`` is applied here: unescaped whitespace and ``#`` comments outside
  character classes are removed (RE2 has no verbose mode).

Cost: one search may cost at most :data:`MAX_SEARCH_COST` (text length times
program size) and one request's searches at most :data:`REQUEST_REGEX_SECONDS`
together (:func:`regex_budget`); beyond that :class:`RegexCostError` (a 400).

Refused with :class:`RegexError` (the filter is then a 400 syntax error):
backreferences, lookahead/lookbehind, possessive quantifiers, atomic groups
and other constructs RE2 cannot run in linear time; bodies longer than
:data:`MAX_PATTERN_LENGTH` characters; patterns whose compiled program exceeds
:data:`MAX_PROGRAM_SIZE` instructions or RE2's memory budget; lone surrogates.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Final, ParamSpec, TypeVar

import re2

from flowthings.local.base.envelope import PlatformError

__all__ = [
    "MAX_PATTERN_LENGTH",
    "MAX_PROGRAM_SIZE",
    "MAX_SEARCH_COST",
    "REQUEST_FILTER_SECONDS",
    "REQUEST_REGEX_SECONDS",
    "FilterRegex",
    "RegexCostError",
    "RegexError",
    "compile_regex",
    "ClientGone",
    "cancelled_by",
    "check_filter_deadline",
    "deadline_error",
    "request_should_stop",
    "regex_budget",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")

MAX_PATTERN_LENGTH: Final = 1024
"""Longest regex body (in characters, before translation) accepted."""

MAX_PROGRAM_SIZE: Final = 2000
"""Largest compiled RE2 program (instructions) accepted.

``.{100}`` alone is ~700 instructions; larger programs mostly come from big
repetition counts, and the search cost grows with the program size (see
:data:`MAX_SEARCH_COST`).
"""

MAX_SEARCH_COST: Final = 20_000_000
"""Most ``len(text) * program size`` one search may cost.

RE2 is linear, but when its DFA gives up (patterns such as ``[ab]*a[ab]{20}``
on random text) its NFA costs up to ~12 ns per character and instruction:
this caps one search near a quarter of a second.  Ordinary data never comes
close: ``/error/`` (9 instructions) may search 2 million characters, an
e-mail pattern (~40) half a million, a 2000-instruction one 10,000.
"""

REQUEST_REGEX_SECONDS: Final = 1.0
"""Most time the filter regexes of one request may take, all searches together
(inside :func:`regex_budget`, which wraps every REST/WebSocket request)."""

_MAX_MEM: Final = 2 << 20
"""RE2 memory budget per pattern (program + DFA cache).  Ordinary patterns
(up to :data:`MAX_PROGRAM_SIZE`) keep their fast DFA with it; what a pattern
holds stays near a megabyte even after a DFA-hostile search."""

_LIVE_PATTERNS: Final = 64
"""Compiled RE2 objects kept (each may hold its DFA cache, up to ``_MAX_MEM``).

Filters are cached elsewhere by their text (hundreds); they hold the pattern
text only and look the RE2 object up here, so the memory attackers can make
the server keep through many distinct regexes stays bounded (``re2.compile``
keeps up to 128 more in its own cache)."""

FLAG_NAMES: Final = "imsxgu"

_UNSUPPORTED_HINT: Final = (
    " (filter regexes use RE2 syntax: no backreferences, lookaround,"
    " possessive quantifiers or atomic groups)"
)


class RegexError(ValueError):
    """A filter regex that is refused; the message says why."""


class RegexCostError(PlatformError):
    """A filter regex would cost too much on this data (a 400 for the request).

    Raised while filtering, so it passes through ``CompiledFilter.matches``
    (which otherwise treats odd data as "no match").
    """

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


REQUEST_FILTER_SECONDS: Final = 10.0
"""Most wall time one request may spend evaluating filters (finds, aggregation
``rules``, every flow of a multi-flow ``MGET``, drop gates): past it the next
evaluation raises :class:`RegexCostError` (a 400). Only non-regex work can get
there (regexes have their own, smaller budget); without it a big filter times a
big flow, times many rules, ran for minutes in a worker thread."""

_BUDGET: ContextVar[list[float] | None] = ContextVar("flowthings_regex_budget", default=None)
_DEADLINE: ContextVar[float | None] = ContextVar("flowthings_filter_deadline", default=None)


_CANCEL: ContextVar[threading.Event | None] = ContextVar("flowthings_cancel", default=None)


class ClientGone(PlatformError):
    """The caller went away (its connection closed): the request's work stops.

    Nobody reads the answer; the status (400) only keeps the error a 4xx.
    """

    def __init__(self) -> None:
        super().__init__(400, "the client went away; the request was cancelled")


def deadline_error() -> RegexCostError:
    """The error of a request whose filter time is spent (:data:`REQUEST_FILTER_SECONDS`)."""
    return RegexCostError(
        f"evaluating the request's filters took more than {REQUEST_FILTER_SECONDS:g} s;"
        " narrow the query (fewer drops, rules or flows, or a simpler filter)"
    )


def request_should_stop() -> Exception | None:
    """The error to stop the current request with, if it should stop now: its
    filter deadline passed, or its caller went away (:func:`cancelled_by`)."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        return deadline_error()
    cancel = _CANCEL.get()
    if cancel is not None and cancel.is_set():
        return ClientGone()
    return None


def check_filter_deadline() -> None:
    """Raise a 400 once the current request's filter time is spent (see
    :data:`REQUEST_FILTER_SECONDS`) or its caller went away; a no-op outside
    :func:`regex_budget`."""
    error = request_should_stop()
    if error is not None:
        raise error


def cancelled_by(event: threading.Event | None, func: Callable[[], _R]) -> _R:
    """Run ``func()`` as a request that stops once ``event`` is set (the
    transport sets it when the caller disconnects)."""
    token = _CANCEL.set(event)
    try:
        return func()
    finally:
        _CANCEL.reset(token)


def regex_budget(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorate a request handler: its filter regexes share one time budget,
    and all its filter evaluations one deadline (:func:`check_filter_deadline`).

    Outside such a call (library use, tests) only :data:`MAX_SEARCH_COST` applies.
    """

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        token = _BUDGET.set([REQUEST_REGEX_SECONDS])
        deadline = _DEADLINE.set(time.monotonic() + REQUEST_FILTER_SECONDS)
        try:
            return func(*args, **kwargs)
        finally:
            _DEADLINE.reset(deadline)
            _BUDGET.reset(token)

    return wrapper


class FilterRegex:
    """A compiled filter regex; :meth:`search` is the only operation filters need."""

    __slots__ = ("_size", "_translated", "pattern")

    def __init__(self, translated: str, size: int, pattern: str) -> None:
        self._translated = translated
        self._size = max(1, size)
        self.pattern = pattern

    def search(self, text: str) -> bool:
        """Return whether the regex finds a match anywhere in ``text``.

        Raises:
            RegexCostError: The search would exceed :data:`MAX_SEARCH_COST`, or
                the request's regex time budget is spent.
        """
        if len(text) * self._size > MAX_SEARCH_COST:
            raise RegexCostError(
                f"the filter regex /{self.pattern[:40]}/ ({self._size} instructions) is too"
                f" costly for a {len(text)}-character string; use a simpler pattern"
            )
        budget = _BUDGET.get()
        if budget is None:
            return self._search(text)
        if budget[0] <= 0:
            raise RegexCostError(
                f"the filter's regexes took more than {REQUEST_REGEX_SECONDS} s;"
                " narrow the query or simplify the pattern"
            )
        start = time.perf_counter()
        try:
            return self._search(text)
        finally:
            budget[0] -= time.perf_counter() - start

    def _search(self, text: str) -> bool:
        regexp = _compiled(self._translated)
        try:
            return regexp.search(text) is not None
        except UnicodeEncodeError:
            # a stored string with a lone surrogate (not valid UTF-8): RE2 reads the
            # bytes as they are and the surrogate simply matches nothing
            return regexp.search(text.encode("utf-8", "surrogatepass")) is not None

    def __repr__(self) -> str:
        return f"FilterRegex({self.pattern!r})"


def _unicode_escape(body: str, i: int) -> tuple[str, int]:
    """Translate ``\\uXXXX`` at ``body[i]`` (the backslash); return (text, next index)."""
    hex1 = body[i + 2 : i + 6]
    if len(hex1) != 4 or not all(c in "0123456789abcdefABCDEF" for c in hex1):
        raise RegexError("invalid \\u escape (needs 4 hex digits)")
    code = int(hex1, 16)
    end = i + 6
    if 0xD800 <= code <= 0xDBFF:
        low = body[end : end + 6]
        if len(low) == 6 and low[:2] == "\\u":
            try:
                low_code = int(low[2:], 16)
            except ValueError:
                low_code = -1
            if 0xDC00 <= low_code <= 0xDFFF:
                code = 0x10000 + ((code - 0xD800) << 10) + (low_code - 0xDC00)
                return f"\\x{{{code:X}}}", end + 6
        raise RegexError("a lone UTF-16 surrogate (\\u" + hex1 + ") is not a character")
    if 0xDC00 <= code <= 0xDFFF:
        raise RegexError("a lone UTF-16 surrogate (\\u" + hex1 + ") is not a character")
    return f"\\x{{{code:X}}}", end


def _translate(body: str, verbose: bool) -> str:
    """One left-to-right pass: Java escapes to RE2, and verbose mode stripped."""
    out: list[str] = []
    i, n = 0, len(body)
    in_class = False
    while i < n:
        char = body[i]
        if char == "\\" and i + 1 < n:
            nxt = body[i + 1]
            if nxt == "u":
                text, i = _unicode_escape(body, i)
                out.append(text)
                continue
            out.append("\\z" if nxt == "Z" and not in_class else body[i : i + 2])
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            out.append(char)
            i += 1
            # a `]` (or `^]`) right after the opening bracket is a literal
            if body.startswith("^", i):
                out.append("^")
                i += 1
            if body.startswith("]", i):
                out.append("]")
                i += 1
            continue
        elif verbose and char in " \t\n\r\f\v":
            i += 1
            continue
        elif verbose and char == "#":
            newline = body.find("\n", i)
            i = n if newline < 0 else newline + 1
            continue
        out.append(char)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=_LIVE_PATTERNS)
def _compiled(translated: str) -> re2._Regexp:
    options = re2.Options()
    options.log_errors = False  # a refused user pattern is not worth a stderr line
    options.max_mem = _MAX_MEM
    return re2.compile(translated, options)


def compile_regex(body: str, flags: str = "") -> FilterRegex:
    """Compile a filter regex body with its flags (``i m s x g u``; ``g``/``u`` are no-ops).

    Raises:
        RegexError: the pattern is refused (unknown flag, too long, unsupported
            syntax, too large, lone surrogate); the message says why.
    """
    for flag in flags:
        if flag not in FLAG_NAMES:
            raise RegexError(f"unknown regex flag {flag!r} (allowed: i m s x g u)")
    if len(body) > MAX_PATTERN_LENGTH:
        raise RegexError(f"regex is longer than {MAX_PATTERN_LENGTH} characters")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in body):
        raise RegexError("regex contains a lone UTF-16 surrogate")
    translated = _translate(body, "x" in flags)
    inline = "".join(f for f in "ims" if f in flags)
    if inline:
        translated = f"(?{inline}){translated}"
    try:
        regexp = _compiled(translated)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid pattern"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        if "too large" in str(reason):
            raise RegexError(
                f"regex is too large once compiled (limit {MAX_PROGRAM_SIZE} instructions)"
            ) from None
        raise RegexError(f"{reason}{_UNSUPPORTED_HINT}") from None
    if regexp.programsize > MAX_PROGRAM_SIZE:
        raise RegexError(
            f"regex is too large once compiled ({regexp.programsize} instructions,"
            f" limit {MAX_PROGRAM_SIZE}); use smaller repetition counts"
        )
    return FilterRegex(translated, regexp.programsize, body)
