"""Server-side Flow Filter Language (FFL) engine of the local platform.

:func:`parse_filter` parses a filter string (grammar: ``query.parser.lark``,
lark LALR with the contextual lexer), compiles the tree into closures
(``query.compiler``; value semantics in ``query.evaluate``) and returns a
:class:`CompiledFilter` whose :meth:`~CompiledFilter.matches` evaluates it
against a stored JSON object (flow, track, token, ... or drop).

The language follows ``platform/filter-language.md``.  Where the platform docs
are silent or only *inferred*, this engine settles the question as follows:

Members
    Dotted segments ``[A-Za-z_$][A-Za-z0-9_$-]*``.  With ``drop=True`` a first
    segment that is not a drop member (``id flowId path creationDate
    lastEditDate location elems fhash parentDropId version creatorId``) is read
    from ``elems`` (``x`` is ``elems.x``); so is a drop member the drop lacks.
    Typed elements (``{"type": "integer", "value": 5}``) compare by their value,
    recursively for sets, lists and maps; ``elems.t.value`` also works, for
    typed and for plain-stored elements alike (a ``value`` segment on a plain
    value without a ``value`` member is the value itself).  What counts as a
    typed element and its plain value are defined once in ``query.elements`` (a
    map with exactly the keys ``type`` and ``value`` and a known type name;
    records such as ``location`` compare as their payload).  A right-hand bare identifier is a member
    (``path==description``).
Missing members
    Every comparison on an absent member is false, ``!=`` included, as are
    ``IN``, ``CONTAINS``, ``=~``, ``%``, ``WITHIN`` and ``AGE``.  Member-to-member
    comparisons need both members present.
``null``
    Only meaningful with ``==``/``!=`` (and inside ``IN`` lists): ``x == null``
    holds when ``x`` is absent or JSON null, ``x != null`` when it is present
    and not null (the same as ``EXISTS x``).  Ordering against null is false.
Types
    ``==`` between int and float compares numerically; ``bool`` is not a number
    (``true != 1``).  Ordering (``< <= > >=``) is defined for two numbers or two
    strings (code-point order); any other pair, e.g. string vs number, is false,
    never an error.  ``!=`` on a present member is the negation of ``==``, so
    ``5 != 'a'`` is true.  A list member is not searched by ``==``/``IN``:
    use ``CONTAINS``.  ``Date(ms)`` is the integer ``ms`` (equals an int member
    and a typed ``date`` element); ``Email('a')`` and ``ObjectId('a')`` are the
    string ``'a'``; a ``dropRef`` (typed, or any ``{flowId, dropId}`` map) equals
    a string naming either of its ids.
Modulo
    ``member % X == Y`` / ``!=`` on a numeric member; the remainder has the
    sign of the dividend as on the JVM (``-3 % 2 == -1``).  Other operators
    and ``% 0`` are syntax errors.
``CONTAINS``
    True when the member is a list/set containing **all** listed values (so
    ``CONTAINS []`` holds for any list member); false for non-list members.
``=~`` / ``MATCHES``
    RE2 *search* (a find, not a full match; linear time, see
    :mod:`flowthings.local.query.regex`); the platform used Java regexes,
    whose common syntax is the same.  Flags ``i m s x`` keep their meaning,
    ``g`` and ``u`` are accepted and ignored; other flags, regexes RE2 cannot
    run (backreferences, lookaround, ...) and oversize ones are syntax errors.  ``MATCHES`` holds
    when any string value anywhere in the object matches (map keys and the
    type tags of typed elements are not searched).
``WITHIN``
    Haversine distance (mean Earth radius) from the member, a ``{lat, lon}``
    map (the drop's ``location`` or a ``location`` element), is at most the
    given distance.  Units (any case): ``MILES MILE KM KILOMETERS KILOMETER
    METERS METER M FEET FOOT``.  ``[ZIP=code]`` is the centroid of a US ZIP
    code from a table bundled with the package (``_zipcodes``; ZIP+4 accepted,
    short numeric codes zero-padded); an unknown code is a
    :class:`FilterSyntaxError` (so a 400).
``HAS type``
    True when a top-level element of ``elems`` (for a non-drop object without
    ``elems``: a top-level member) has that type: typed elements by their
    ``type``, plain ones by inference (str string, bool boolean, int integer or
    long outside 32 bits, float float, dict map, list list).  Type names are
    case-insensitive; unknown names parse and never match.
``AGE``
    ``now_ms - creationDate`` or ``now_ms - member`` for ``AGE('member')``;
    all six comparison operators are accepted.
Keywords
    ``NOT EXISTS HAS MATCHES AGE IN CONTAINS WITHIN OF`` are upper-case, as
    the platform documents them, so lower-case member names such as ``age``
    or ``has`` stay members (1.0.5 sent ``mem.age > 3`` as ``age > 3``).
    Units, ``true false null``, ``Date( ObjectId( Email(`` and ``ZIP=`` are
    case-insensitive.  A keyword is recognised only where the grammar allows
    it, so ``elems.IN`` and ``a == AGE`` are members; but a *bare* member
    spelled like an upper-case keyword that can start a rule (``NOT``,
    ``EXISTS``, ``HAS``, ``MATCHES``, ``AGE``), or a member spelled
    ``true``/``false``/``null`` in any case, is not supported.
Precedence
    ``NOT`` > ``&&`` > ``||``; ``NOT`` applies to one rule, so ``NOT a == 1``
    is ``NOT (a == 1)`` and ``NOT (a) && (b)`` is ``(NOT a) && b``.
Strings
    Single- or double-quoted; escapes ``\\\\ \\' \\" \\/ \\n \\r \\t \\b \\f
    \\uXXXX`` (surrogate pairs are combined); any other escape is an error.
Limits
    Filters longer than 4096 characters, empty (blank) filters and nesting
    deeper than 100 levels (each parenthesis pair, ``NOT``, ``&&`` and ``||``
    is a level) are syntax errors; a caller that treats an empty
    ``filter=`` as "no filter" must check for it before parsing.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from flowthings.local.query.compiler import CompileError, Predicate, compile_tree, where
from flowthings.local.query.regex import RegexCostError, check_filter_deadline

__all__ = ["MAX_FILTER_LENGTH", "CompiledFilter", "FilterSyntaxError", "parse_filter"]

MAX_FILTER_LENGTH: Final = 4096
"""Longest filter text accepted by :func:`parse_filter`."""


class FilterSyntaxError(ValueError):
    """A filter string that the local platform cannot parse or accept.

    The message names the problem and, when known, the column (1-based), and is
    suitable as the error string of a 400 response.

    Attributes:
        column: 1-based column of the problem, or ``None``.
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


class CompiledFilter:
    """A parsed filter, ready to test objects.

    Attributes:
        source: The filter text it was parsed from.
    """

    __slots__ = ("_predicate", "_uses_age", "source")

    def __init__(self, source: str, predicate: Predicate, *, uses_age: bool) -> None:
        self.source = source
        self._predicate = predicate
        self._uses_age = uses_age

    def matches(
        self, obj: Mapping[str, Any], *, now_ms: int | None = None, drop: bool = False
    ) -> bool:
        """Return whether *obj* passes the filter; never raises.

        Args:
            obj: The stored JSON object (flow, track, drop, ...).
            now_ms: "Now" in epoch milliseconds for ``AGE``; defaults to the
                current time.
            drop: Resolve members as for a drop (unknown names are read from
                ``elems``).

        Returns:
            ``True`` when the object is selected; ``False`` otherwise,
            including when the object is not a mapping or has odd values.

        Raises:
            RegexCostError: A regex of the filter is too costly for this data,
                or the request's filter time is spent (see
                :mod:`flowthings.local.query.regex`); a 400.
        """
        candidate: object = obj  # callers may hand over anything decoded from JSON
        try:
            if not isinstance(candidate, Mapping):
                return False
            check_filter_deadline()  # a cheap clock read per object, not per clause
            if now_ms is None:
                now_ms = time.time_ns() // 1_000_000 if self._uses_age else 0
            return bool(self._predicate(obj, now_ms, bool(drop)))
        except RegexCostError:  # a regex too costly for this data is the caller's 400
            raise
        except Exception:  # a filter never breaks a find; odd data just fails it
            return False

    def __repr__(self) -> str:
        return f"CompiledFilter({self.source!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CompiledFilter):
            return self.source == other.source
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.source)


def parse_filter(text: str) -> CompiledFilter:
    """Parse and compile a Flow Filter Language string (cached per text).

    Args:
        text: The filter, e.g. ``"elems.temp > 20 && NOT EXISTS elems.error"``.

    Returns:
        The compiled filter.

    Raises:
        FilterSyntaxError: The text is not a valid filter (the message names
            the problem and its column), uses a ZIP point, is empty, or is
            longer than :data:`MAX_FILTER_LENGTH` characters. Any other
            exception is a bug of the filter engine, never of the text, and
            is not disguised as a syntax error.
    """
    candidate: object = text
    if not isinstance(candidate, str):
        raise FilterSyntaxError(f"filter must be a string, not {type(candidate).__name__}")
    if len(text) > MAX_FILTER_LENGTH:
        raise FilterSyntaxError(
            f"filter is too long ({len(text)} characters; at most {MAX_FILTER_LENGTH})"
        )
    return _parse_cached(text)


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str) -> CompiledFilter:
    if not text.strip():
        raise FilterSyntaxError("empty filter")
    # Only what the text got wrong is a FilterSyntaxError (a 400 that blames the
    # caller). Anything else raised here is a bug of the parser or compiler: it
    # propagates, so the server answers 500 and logs the traceback, and the fuzz
    # tests, which accept nothing but FilterSyntaxError, catch it.
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise FilterSyntaxError(_describe(exc, text), _column(exc)) from None
    try:
        predicate, uses_age = compile_tree(tree)
    except CompileError as exc:
        raise FilterSyntaxError(str(exc), exc.column) from None
    return CompiledFilter(text, predicate, uses_age=uses_age)


@functools.cache
def _parser() -> Lark:
    grammar = Path(__file__).with_name("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", maybe_placeholders=False)


# ------------------------------------------------------------------ errors

_TERMINAL_NAMES: Final = {
    "NAME": "a member name",
    "NUMBER": "a number",
    "STRING": "a quoted string",
    "REGEX": "a regex /.../",
    "CMP_OP": "a comparison operator (== != < <= > >=)",
    "_REGEX_OP": "'=~'",
    "_AND": "'&&'",
    "_OR": "'||'",
    "_PERCENT": "'%'",
    "_DOT": "'.'",
    "_COMMA": "','",
    "_LPAR": "'('",
    "_RPAR": "')'",
    "_LSQB": "'['",
    "_RSQB": "']'",
    "UNIT": "a distance unit (MILES, KM, METERS, FEET, ...)",
    "TRUE": "true",
    "FALSE": "false",
    "NULL": "null",
    "DATE": "Date(...)",
    "OBJECTID": "ObjectId(...)",
    "EMAIL": "Email(...)",
    "ZIP_POINT": "[ZIP=...]",
    "$END": "end of filter",
}


def _human(terminal: str) -> str:
    return _TERMINAL_NAMES.get(terminal, terminal)


def _expected(names: object) -> str:
    if not isinstance(names, (set, frozenset, list, tuple)) or not names:
        return ""
    described = sorted({_human(str(name)) for name in names})
    if len(described) > 8:
        return ""
    return "; expected " + ", ".join(described)


def _column(exc: UnexpectedInput) -> int | None:
    column = getattr(exc, "column", None)
    return column if isinstance(column, int) and column > 0 else None


def _describe(exc: UnexpectedInput, text: str) -> str:
    line = getattr(exc, "line", None)
    at = where(line if isinstance(line, int) else None, _column(exc))
    if isinstance(exc, UnexpectedCharacters):
        char = str(exc.char)
        pos = exc.pos_in_stream if isinstance(exc.pos_in_stream, int) else len(text)
        following = text[pos + 1 : pos + 2]
        if char == "=" and following != "~":
            return f"unexpected '='{at}; use '==' to compare"
        if char in ("&", "|") and following != char:
            return f"unexpected {char!r}{at}; use '{char * 2}'"
        if char in ("'", '"', "/"):
            return f"unterminated {'regex' if char == '/' else 'string'}{at}"
        return f"unexpected character {char!r}{at}{_expected(exc.allowed)}"
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            return f"unexpected end of filter{_expected(exc.expected)}"
        return f"unexpected {str(token)!r}{at}{_expected(exc.expected)}"
    return f"invalid filter{at}"
