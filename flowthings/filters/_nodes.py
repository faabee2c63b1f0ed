"""Filter expression tree: the node types and the one function that compiles them.

Every node is a small frozen dataclass.  The set is closed: `Filter`
refuses subclasses defined outside the SDK's filter modules, so
`compile_filter` knows every shape it can meet.  Nodes validate their
fields on construction, so a tree built by hand is as safe as one built with
``mem`` and friends: no field value can change the structure of the compiled
string.

Value nodes (operands): `MemberPath`, `StringLiteral`,
`NumberLiteral`, `BooleanLiteral`, `DateLiteral`,
`RegexLiteral`.

Filter nodes (subclasses of `Filter`): `Compare`,
`RegexMatch`, `ListMatch`, `Within`, `Modulo`,
`Age`, `Exists`, `Has`, `Matches`, `Not`,
`And`, `Or`, `RawFilter`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, NoReturn, TypeAlias, get_args

from flowthings.filters._literals import check_flags, check_name, quote_string, regex_body
from flowthings.filters._values import (
    OPERANDS,
    SCALARS,
    BooleanLiteral,
    DateLiteral,
    MemberPath,
    NumberLiteral,
    Operand,
    RegexLiteral,
    ScalarLiteral,
    StringLiteral,
    check_number,
    need,
)

__all__ = [
    "Age",
    "And",
    "BooleanLiteral",
    "CompareOp",
    "Compare",
    "DateLiteral",
    "Exists",
    "Filter",
    "FilterLike",
    "Has",
    "ListMatch",
    "ListOp",
    "Matches",
    "MemberPath",
    "Modulo",
    "Not",
    "NumberLiteral",
    "Operand",
    "Or",
    "RawFilter",
    "RegexLiteral",
    "RegexMatch",
    "ScalarLiteral",
    "Unit",
    "UnitName",
    "Within",
    "as_filter",
    "compile_filter",
]

CompareOp: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">="]
"""Comparison operators of ``member OP value`` and ``AGE OP ms``."""

ListOp: TypeAlias = Literal["IN", "CONTAINS"]
"""Operators taking a list of literals."""

Unit: TypeAlias = Literal["MILES", "KM", "KILOMETERS", "METERS", "FEET"]
"""Distance units of WITHIN."""

UnitName: TypeAlias = Literal[
    "MILES", "KM", "KILOMETERS", "METERS", "FEET", "miles", "km", "kilometers", "meters", "feet"
]
"""A unit as WITHIN takes it: either case (it is upper-cased)."""

_COMPARE_OPS = frozenset(get_args(CompareOp))
_LIST_OPS = frozenset(get_args(ListOp))
_UNITS = frozenset(get_args(Unit))
_ZIP = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]*")
_FILTER_MODULES = frozenset({__name__})

_BOOL_MESSAGE = (
    "a filter has no truth value: combine filters with `&` / `|` / `~` or "
    ".AND() / .OR() / NOT() instead of `and` / `or` / `not`, use .IN(...) "
    "instead of `in`, and do not chain comparisons (`a < mem.x < b`)"
)


# -------------------------------------------------------------------- filters


class Filter:
    """Base class of every filter node.

    ``str(node)`` is the platform filter string (see `compile_filter`).
    Filters combine with ``&`` / ``|`` / ``~`` or ``.AND()`` / ``.OR()`` /
    `NOT`; both spellings build the same tree.  A filter has
    no truth value: ``bool(node)`` raises `TypeError`, so
    ``a == 1 and b == 2`` fails loudly instead of silently dropping a clause.

    The set of node types is closed; subclasses outside the SDK are refused.
    """

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__ not in _FILTER_MODULES:
            raise TypeError(
                "Filter node types are a closed set; build filters from the existing "
                "nodes (Compare, And, ...) or with mem / AGE / EXISTS / ..."
            )

    def AND(self, other: FilterLike) -> And:
        """Both this filter and ``other`` (``(self) && (other)``).

        Args:
            other: A filter, or a raw filter string.
        """
        return And(self, as_filter(other))

    def OR(self, other: FilterLike) -> Or:
        """This filter or ``other`` (``(self) || (other)``).

        Args:
            other: A filter, or a raw filter string.
        """
        return Or(self, as_filter(other))

    def __and__(self, other: FilterLike) -> And:
        return And(self, as_filter(other))

    def __rand__(self, other: str) -> And:
        return And(as_filter(other), self)

    def __or__(self, other: FilterLike) -> Or:
        return Or(self, as_filter(other))

    def __ror__(self, other: str) -> Or:
        return Or(as_filter(other), self)

    def __invert__(self) -> Not:
        return Not(self)

    def __bool__(self) -> NoReturn:
        raise TypeError(_BOOL_MESSAGE)

    def __str__(self) -> str:
        return compile_filter(self)


@dataclass(frozen=True, slots=True)
class Compare(Filter):
    """``member OP operand`` (``foo == 1``, ``a <= b``, ``d > Date(0)``)."""

    member: MemberPath
    op: CompareOp
    operand: Operand

    def __post_init__(self) -> None:
        need(self.member, MemberPath, "Compare.member")
        _check_op(self.op, _COMPARE_OPS)
        need(self.operand, OPERANDS, "Compare.operand")


@dataclass(frozen=True, slots=True)
class RegexMatch(Filter):
    """``member =~ /pattern/flags``."""

    member: MemberPath
    regex: RegexLiteral

    def __post_init__(self) -> None:
        need(self.member, MemberPath, "RegexMatch.member")
        need(self.regex, RegexLiteral, "RegexMatch.regex")


@dataclass(frozen=True, slots=True)
class ListMatch(Filter):
    """``member IN [items]`` or ``member CONTAINS [items]``.

    Raises:
        ValueError: If ``items`` is empty.
    """

    member: MemberPath
    op: ListOp
    items: tuple[ScalarLiteral, ...]

    def __post_init__(self) -> None:
        need(self.member, MemberPath, "ListMatch.member")
        _check_op(self.op, _LIST_OPS)
        need(self.items, tuple, "ListMatch.items")
        if not self.items:
            raise ValueError(f"{self.op} needs at least one item")
        for item in self.items:
            need(item, SCALARS, f"{self.op} item")


@dataclass(frozen=True, slots=True)
class Within(Filter):
    """``member WITHIN distance UNIT OF [lat,lon]`` or ``... OF [ZIP=code]``.

    Exactly one of ``coords`` and ``zip`` is set.
    """

    member: MemberPath
    distance: int | float
    unit: Unit
    coords: tuple[int | float, int | float] | None = None
    zip: str | None = None

    def __post_init__(self) -> None:
        need(self.member, MemberPath, "Within.member")
        check_number(self.distance, "WITHIN distance")
        if self.distance < 0:
            raise ValueError(f"WITHIN distance must not be negative, got {self.distance!r}")
        if self.unit not in _UNITS:
            raise ValueError(
                f"unknown WITHIN unit {self.unit!r}: use one of {', '.join(sorted(_UNITS))}"
            )
        if (self.coords is None) == (self.zip is None):
            raise ValueError("WITHIN needs exactly one of coords=(lat, lon) or zip=...")
        if self.coords is not None:
            need(self.coords, tuple, "WITHIN coords")
            if len(self.coords) != 2:
                raise ValueError(f"WITHIN coords must be (lat, lon), got {self.coords!r}")
            for c in self.coords:
                check_number(c, "WITHIN coordinate")
        if self.zip is not None:
            need(self.zip, str, "WITHIN zip")
            if not _ZIP.fullmatch(self.zip):
                raise ValueError(f"invalid WITHIN zip code {self.zip!r}")


@dataclass(frozen=True, slots=True)
class Modulo(Filter):
    """``member % divisor == remainder`` (or ``!=``)."""

    member: MemberPath
    divisor: int
    op: Literal["==", "!="]
    remainder: int

    def __post_init__(self) -> None:
        need(self.member, MemberPath, "Modulo.member")
        if isinstance(self.divisor, bool) or not isinstance(self.divisor, int):
            raise TypeError(f"modulo divisor must be an int, not {type(self.divisor).__name__}")
        if self.divisor <= 0:
            raise ValueError(f"modulo divisor must be a positive int, got {self.divisor}")
        _check_op(self.op, frozenset({"==", "!="}))
        if isinstance(self.remainder, bool) or not isinstance(self.remainder, int):
            raise TypeError(f"modulo remainder must be an int, not {type(self.remainder).__name__}")


@dataclass(frozen=True, slots=True)
class Age(Filter):
    """``AGE OP ms`` or ``AGE('field') OP ms``: time since a date member.

    ``field`` ``None`` means the object's ``creationDate``.

    Raises:
        ValueError: If ``ms`` is not a finite number greater than 0.
    """

    op: CompareOp
    ms: int | float
    field: MemberPath | None = None

    def __post_init__(self) -> None:
        _check_op(self.op, _COMPARE_OPS)
        check_number(self.ms, "AGE milliseconds")
        if self.ms <= 0:
            raise ValueError(f"AGE milliseconds must be greater than 0, got {self.ms!r}")
        if self.field is not None:
            need(self.field, MemberPath, "Age.field")


@dataclass(frozen=True, slots=True)
class Exists(Filter):
    """``EXISTS member``."""

    member: MemberPath

    def __post_init__(self) -> None:
        need(self.member, MemberPath, "Exists.member")


@dataclass(frozen=True, slots=True)
class Has(Filter):
    """``HAS typeName`` (the object has an element of that data type)."""

    type_name: str

    def __post_init__(self) -> None:
        check_name(self.type_name, "HAS type name")


@dataclass(frozen=True, slots=True)
class Matches(Filter):
    """``MATCHES /pattern/flags`` (a regex over the whole object)."""

    regex: RegexLiteral

    def __post_init__(self) -> None:
        need(self.regex, RegexLiteral, "Matches.regex")


@dataclass(frozen=True, slots=True)
class Not(Filter):
    """``NOT operand``; a compound operand is parenthesised."""

    operand: Filter

    def __post_init__(self) -> None:
        need(self.operand, Filter, "NOT operand")


@dataclass(frozen=True, slots=True)
class And(Filter):
    """``(left) && (right)``."""

    left: Filter
    right: Filter

    def __post_init__(self) -> None:
        need(self.left, Filter, "AND operand")
        need(self.right, Filter, "AND operand")


@dataclass(frozen=True, slots=True)
class Or(Filter):
    """``(left) || (right)``."""

    left: Filter
    right: Filter

    def __post_init__(self) -> None:
        need(self.left, Filter, "OR operand")
        need(self.right, Filter, "OR operand")


@dataclass(frozen=True, slots=True)
class RawFilter(Filter):
    """A filter string written by hand, passed through unchanged.

    Inside ``&&`` / ``||`` / ``NOT`` it is parenthesised, so it stays one
    operand whatever it contains.
    """

    text: str

    def __post_init__(self) -> None:
        need(self.text, str, "raw filter")


FilterLike: TypeAlias = Filter | str
"""What services accept as a filter: a node, or a raw filter string."""

Node: TypeAlias = Filter | Operand | RegexLiteral


def _check_op(op: object, allowed: frozenset[str]) -> None:
    if op not in allowed:
        raise ValueError(f"unknown operator {op!r}: use one of {', '.join(sorted(allowed))}")


def as_filter(value: FilterLike) -> Filter:
    """Return ``value`` as a filter node (a string becomes `RawFilter`).

    Raises:
        TypeError: If ``value`` is neither a filter nor a string.
    """
    if isinstance(value, Filter):
        return value
    if isinstance(value, str):
        return RawFilter(value)
    raise TypeError(
        f"expected a filter (e.g. mem.x == 1) or a filter string, not {type(value).__name__}"
    )


def _number(value: int | float) -> str:
    # int.__repr__ / float.__repr__ (what 1.0.5's str() gave for plain numbers):
    # an int or float subclass (IntEnum, numpy) cannot change the spelling.
    return int.__repr__(value) if isinstance(value, int) else float.__repr__(float(value))


def _compile_chain(node: And | Or) -> str:
    """Compile a left-nested chain of AND / OR without recursing down its spine.

    ``P(filter=[...])`` with many filters builds ``((a) && (b)) && (c) ...``
    one level per item; walking the left spine in a loop keeps long lists
    clear of the recursion limit.  Each level adds ``(`` in front and
    ``) && (right)`` behind.
    """
    spine: list[And | Or] = []
    current: Filter = node
    while isinstance(current, (And, Or)):
        spine.append(current)
        current = current.left
    parts = ["(" * len(spine), compile_filter(current)]
    for level in reversed(spine):
        symbol = "&&" if isinstance(level, And) else "||"
        parts += [") ", symbol, " (", compile_filter(level.right), ")"]
    return "".join(parts)


def compile_filter(node: FilterLike | Node) -> str:
    """Compile a filter tree to the platform filter string.

    This is the only place that knows the concrete syntax.  ``str(filter)``
    calls it.

    Args:
        node: A filter node (or a value node; a raw string is returned as is).

    Returns:
        The filter string, byte-for-byte what flowthings 1.0.5 produced for the
        same expression where 1.0.5 supported it.

    Raises:
        TypeError: If ``node`` is not a node of this module.
    """
    if isinstance(node, str):
        return node
    match node:  # pyright: ignore[reportMatchNotExhaustive]  # other nodes fall through to the TypeError
        case MemberPath(segments):
            return ".".join(segments)
        case StringLiteral(value):
            return quote_string(value)
        case BooleanLiteral(value):
            return "true" if value else "false"
        case NumberLiteral(value):
            return _number(value)
        case DateLiteral(ms):
            return f"Date({_number(ms)})"
        case RegexLiteral(pattern, flags):
            return f"/{regex_body(pattern, flags)}/{check_flags(flags)}"
        case Compare(member, op, operand):
            return f"{compile_filter(member)} {op} {compile_filter(operand)}"
        case RegexMatch(member, regex):
            return f"{compile_filter(member)} =~ {compile_filter(regex)}"
        case ListMatch(member, op, items):
            rendered = ",".join(compile_filter(item) for item in items)
            return f"{compile_filter(member)} {op} [{rendered}]"
        case Within(member, distance, unit, coords, zip_code):
            point = f"ZIP={zip_code}" if coords is None else ",".join(map(_number, coords))
            return f"{compile_filter(member)} WITHIN {_number(distance)} {unit} OF [{point}]"
        case Modulo(member, divisor, op, remainder):
            return f"{compile_filter(member)} % {_number(divisor)} {op} {_number(remainder)}"
        case Age(op, ms, field):
            # The field is a validated member path, so quoting needs no escapes.
            head = "AGE" if field is None else f"AGE('{compile_filter(field)}')"
            return f"{head} {op} {_number(ms)}"
        case Exists(member):
            return f"EXISTS {compile_filter(member)}"
        case Has(type_name):
            return f"HAS {type_name}"
        case Matches(regex):
            return f"MATCHES {compile_filter(regex)}"
        case Not(And() | Or() | RawFilter() as inner):
            # 1.0.5 wrote `NOT (a) && (b)`, which the platform reads as
            # `(NOT a) && b`; grouping keeps the meaning the caller wrote.
            return f"NOT ({compile_filter(inner)})"
        case Not(inner):
            return f"NOT {compile_filter(inner)}"
        case And() | Or():
            return _compile_chain(node)
        case RawFilter(text):
            return text
    raise TypeError(f"not a filter node: {node!r}")
