"""Value nodes of the filter tree: member paths and literals.

Each is a small frozen dataclass that validates its fields on construction,
so a value node built by hand can never change the structure of a compiled
filter.  They are rendered by `flowthings.filters._nodes.compile_filter`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from flowthings.filters._literals import (
    KEYWORDS,
    LITERAL_WORDS,
    check_finite,
    check_name,
    check_regex,
)

__all__ = [
    "BooleanLiteral",
    "DateLiteral",
    "OPERANDS",
    "SCALARS",
    "MemberPath",
    "NumberLiteral",
    "Operand",
    "RegexLiteral",
    "ScalarLiteral",
    "StringLiteral",
    "check_number",
    "need",
]


def need(value: object, kind: type | tuple[type, ...], what: str) -> None:
    """Raise TypeError unless ``value`` is an instance of ``kind``."""
    if not isinstance(value, kind):
        raise TypeError(f"{what} must be {_kind_name(kind)}, not {type(value).__name__}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return " or ".join(k.__name__ for k in kind)
    return kind.__name__


def check_number(value: object, what: str) -> None:
    """Raise unless ``value`` is a finite int or float (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be an int or float, not {type(value).__name__}")
    check_finite(value, what)


# --------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class MemberPath:
    """A member name: the dotted path into the queried object (``elems.foo``).

    Args:
        segments: The path's parts, e.g. ``("elems", "foo")``.

    Raises:
        ValueError: If the path is empty, a segment is not a valid name, or the
            first segment is a filter keyword (``AGE``, ``NOT``, ``true``, ...)
            that the platform would read as that keyword.
    """

    segments: tuple[str, ...]

    def __post_init__(self) -> None:
        need(self.segments, tuple, "MemberPath.segments")
        if not self.segments:
            raise ValueError("a member path needs at least one segment")
        for seg in self.segments:
            check_name(seg)
        first = self.segments[0]
        if first in KEYWORDS or first.lower() in LITERAL_WORDS:
            raise ValueError(
                f"member name {'.'.join(self.segments)!r} starts with the filter keyword "
                f"{self.segments[0]!r}, which the platform would read as that keyword; "
                f"for a drop element use its full path (mem.elems.{self.segments[0]})"
            )


@dataclass(frozen=True, slots=True)
class StringLiteral:
    """A string operand, rendered single-quoted and escaped."""

    value: str

    def __post_init__(self) -> None:
        need(self.value, str, "StringLiteral.value")


@dataclass(frozen=True, slots=True, eq=False)
class NumberLiteral:
    """A finite int or float operand, rendered with ``str()``.

    ``1`` and ``1.0`` render differently (``1`` / ``1.0``), so they are
    different nodes even though they are equal numbers.
    """

    value: int | float

    def __post_init__(self) -> None:
        check_number(self.value, "NumberLiteral.value")

    def _key(self) -> tuple[bool, int | float]:
        return (isinstance(self.value, int), self.value)

    def __eq__(self, other: object) -> bool:
        if type(other) is not NumberLiteral:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


@dataclass(frozen=True, slots=True)
class BooleanLiteral:
    """A boolean operand, rendered ``true`` / ``false``."""

    value: bool

    def __post_init__(self) -> None:
        need(self.value, bool, "BooleanLiteral.value")


@dataclass(frozen=True, slots=True)
class DateLiteral:
    """A date operand, rendered ``Date(<ms since the epoch>)``."""

    ms: int

    def __post_init__(self) -> None:
        if isinstance(self.ms, bool) or not isinstance(self.ms, int):
            raise TypeError(f"DateLiteral.ms must be an int, not {type(self.ms).__name__}")


@dataclass(frozen=True, slots=True)
class RegexLiteral:
    """A regex, rendered ``/pattern/flags`` (see `flowthings.filters._literals`).

    Raises:
        ValueError: If the pattern does not compile, contains a control
            character other than newline/CR/tab, ends with a lone backslash,
            or a flag is not one of ``imsxgu``.
    """

    pattern: str
    flags: str = ""

    def __post_init__(self) -> None:
        check_regex(self.pattern, self.flags)


ScalarLiteral: TypeAlias = StringLiteral | NumberLiteral | BooleanLiteral | DateLiteral
"""A literal value allowed in comparisons and in IN / CONTAINS lists."""

Operand: TypeAlias = ScalarLiteral | MemberPath
"""Right-hand side of a comparison: a literal or another member."""

SCALARS: tuple[type, ...] = (StringLiteral, NumberLiteral, BooleanLiteral, DateLiteral)
OPERANDS: tuple[type, ...] = (*SCALARS, MemberPath)
