"""Member paths as Python expressions: `Member` and `mem`.

Operators on a `Member` build filter nodes (see
`flowthings.filters._nodes`); Python values are converted to literal nodes
here, which is where unsupported operand types are refused.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any, ClassVar, NoReturn, TypeAlias, TypeVar, cast

from flowthings.filters._literals import check_finite, datetime_to_ms, parse_path
from flowthings.filters._nodes import (
    Compare,
    ListMatch,
    ListOp,
    Modulo,
    RegexMatch,
    Unit,
    UnitName,
    Within,
    compile_filter,
)
from flowthings.filters._values import (
    BooleanLiteral,
    DateLiteral,
    MemberPath,
    NumberLiteral,
    Operand,
    RegexLiteral,
    ScalarLiteral,
    StringLiteral,
)

__all__ = [
    "LiteralValue",
    "Member",
    "MemberFactory",
    "ModuloTerm",
    "OperandValue",
    "mem",
    "number",
    "path_of",
]

LiteralValue: TypeAlias = str | bool | int | float | _dt.datetime | ScalarLiteral
"""Python values accepted as literals: ``str``, ``bool``, ``int``, ``float``
(finite), ``datetime`` (compiled to ``Date(<ms>)``), or a literal node."""

OperandValue: TypeAlias = "LiteralValue | Member | MemberPath"
"""Right-hand side of a comparison: a literal value or another member."""

_M = TypeVar("_M", bound="Member")

_UNIT_NAMES = frozenset({"MILES", "KM", "KILOMETERS", "METERS", "FEET"})


def _literal(value: object, where: str) -> ScalarLiteral:
    """Convert a Python value to a literal node, refusing what has no spelling."""
    if isinstance(value, (StringLiteral, NumberLiteral, BooleanLiteral, DateLiteral)):
        return value
    if isinstance(value, bool):
        return BooleanLiteral(bool(value))
    if isinstance(value, int):
        # int() drops subclasses (IntEnum, ...) whose str() is not the number
        return NumberLiteral(int(value))
    if isinstance(value, float):
        check_finite(value, where)
        return NumberLiteral(float(value))
    if isinstance(value, str):
        return StringLiteral(str.__str__(value))
    if isinstance(value, _dt.datetime):
        return DateLiteral(datetime_to_ms(value))
    if isinstance(value, _dt.date):
        raise TypeError(f"{where}: pass a datetime, not a date (the platform compares ms)")
    if isinstance(value, (Member, MemberPath)):
        raise TypeError(f"{where}: a member is not allowed here, only literal values")
    if value is None:
        raise TypeError(
            f"{where}: None is not supported; to test for a missing member use NOT(EXISTS(mem.x))"
        )
    raise TypeError(
        f"{where}: unsupported value of type {type(value).__name__}; expected str, bool, "
        "int, float, datetime or a member (mem.x)"
    )


def _operand(value: object) -> Operand:
    if isinstance(value, Member):
        return value._path  # pyright: ignore[reportPrivateUsage]  # this module's class
    if isinstance(value, MemberPath):
        return value
    return _literal(value, "comparison operand")


def path_of(value: object, what: str) -> MemberPath:
    """The member path of a `Member`, a `MemberPath` or a dotted name."""
    if isinstance(value, Member):
        return value._path  # pyright: ignore[reportPrivateUsage]  # this module's class
    if isinstance(value, MemberPath):
        return value
    if isinstance(value, str):
        return MemberPath(parse_path(value))
    raise TypeError(f"{what} must be a member (mem.x) or a name, not {type(value).__name__}")


def _items(op: ListOp, items: tuple[object, ...]) -> tuple[ScalarLiteral, ...]:
    # 1.0.5 took `*items`; a single list/tuple argument is accepted as the items.
    if len(items) == 1 and isinstance(items[0], (list, tuple)):
        items = tuple(cast("list[object] | tuple[object, ...]", items[0]))
    if not items:
        raise ValueError(f"{op}() needs at least one item")
    return tuple(_literal(item, f"{op} item") for item in items)


def _is_reserved_attr(name: str) -> bool:
    # Tools probe objects for dunders and `_sunder_` hooks (copy, pickle,
    # IPython's `_repr_html_`, ...); answering with a Member would confuse them.
    return (name.startswith("_") and name.endswith("_")) or name.startswith("_ipython")


class Member:
    """A member of the queried objects, e.g. ``mem.elems.foo``.

    Attribute and item access extend the path (``mem.elems.foo``,
    ``mem['elems'].foo``, ``mem['elems.foo']`` are the same member).
    Comparisons and the methods below build filter nodes.

    To build a member from a path in code (e.g. for typed model fields), use
    `from_path`; subclasses inherit every operator and produce the same
    nodes.  Members are immutable and unhashable (``==`` builds a filter).

    Args:
        path: A dotted name (``"elems.foo"``), a sequence of segments, or a
            `MemberPath`.

    Raises:
        ValueError: If a segment is not a valid member name.
    """

    __slots__ = ("_path",)
    __hash__: ClassVar[None] = None  # type: ignore[assignment]
    _path: MemberPath

    def __init__(self, path: MemberPath | str | Sequence[str]) -> None:
        if isinstance(path, MemberPath):
            node = path
        elif isinstance(path, str):
            node = MemberPath(parse_path(path))
        elif isinstance(path, (tuple, list)):
            node = MemberPath(tuple(path))
        else:
            raise TypeError(
                f"a member path is a dotted name or a tuple of names, not {type(path).__name__}"
            )
        object.__setattr__(self, "_path", node)

    @classmethod
    def from_path(cls: type[_M], path: MemberPath | str | Sequence[str]) -> _M:
        """Build a member from a path (``("elems", "foo")`` or ``"elems.foo"``).

        Args:
            path: The member's path.

        Returns:
            A member of this class.
        """
        return cls(path)

    def __getattr__(self, name: str) -> Member:
        if _is_reserved_attr(name) or name == "_path":
            raise AttributeError(name)
        return Member(MemberPath((*self._path.segments, name)))

    def __getitem__(self, name: str) -> Member:
        return Member(MemberPath(self._path.segments + parse_path(name)))

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Member is immutable (cannot set {name!r})")

    def __iter__(self) -> NoReturn:
        raise TypeError("a Member is not iterable")

    def __contains__(self, item: object) -> NoReturn:
        raise TypeError("`in` cannot build a filter: use mem.x.CONTAINS(...) or mem.x.IN(...)")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._path,))

    def __str__(self) -> str:
        return compile_filter(self._path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    # Comparisons build nodes; `# type: ignore[override]` because object's
    # __eq__/__ne__ return bool.
    def __eq__(self, other: OperandValue) -> Compare:  # type: ignore[override]
        return Compare(self._path, "==", _operand(other))

    def __ne__(self, other: OperandValue) -> Compare:  # type: ignore[override]
        return Compare(self._path, "!=", _operand(other))

    def __lt__(self, other: OperandValue) -> Compare:
        return Compare(self._path, "<", _operand(other))

    def __le__(self, other: OperandValue) -> Compare:
        return Compare(self._path, "<=", _operand(other))

    def __gt__(self, other: OperandValue) -> Compare:
        return Compare(self._path, ">", _operand(other))

    def __ge__(self, other: OperandValue) -> Compare:
        return Compare(self._path, ">=", _operand(other))

    def __mod__(self, divisor: int) -> ModuloTerm:
        return ModuloTerm(self._path, divisor)

    # `mem.a == 1 & mem.b == 2` parses as `mem.a == (1 & mem.b) == 2`: point at
    # the parentheses instead of Python's generic "unsupported operand" error.
    def _not_a_filter(self, op: str) -> NoReturn:
        raise TypeError(
            f"{op!r} combines filters, not members: parenthesise the comparisons, "
            "e.g. (mem.a == 1) & (mem.b == 2)"
        )

    def __and__(self, other: object) -> NoReturn:
        self._not_a_filter("&")

    def __rand__(self, other: object) -> NoReturn:
        self._not_a_filter("&")

    def __or__(self, other: object) -> NoReturn:
        self._not_a_filter("|")

    def __ror__(self, other: object) -> NoReturn:
        self._not_a_filter("|")

    def __invert__(self) -> NoReturn:
        self._not_a_filter("~")

    def re(self, pattern: str, flags: str = "") -> RegexMatch:
        """Regex match: ``member =~ /pattern/flags``.

        Args:
            pattern: A (Java-compatible) regular expression; ``/`` needs no
                escaping.
            flags: A subset of ``imsxgu``.

        Raises:
            ValueError: If the pattern does not compile, or on bad flags.
        """
        return RegexMatch(self._path, RegexLiteral(pattern, flags))

    def IN(self, *items: LiteralValue | Sequence[LiteralValue]) -> ListMatch:
        """The member equals one of ``items``: ``member IN [a,b]``.

        Args:
            *items: Literal values, or a single list/tuple of them.

        Raises:
            ValueError: If there are no items.
            TypeError: If an item is not a literal value.
        """
        return ListMatch(self._path, "IN", _items("IN", items))

    def CONTAINS(self, *items: LiteralValue | Sequence[LiteralValue]) -> ListMatch:
        """The member (a list) contains ``items``: ``member CONTAINS [a,b]``.

        Args:
            *items: Literal values, or a single list/tuple of them.

        Raises:
            ValueError: If there are no items.
            TypeError: If an item is not a literal value.
        """
        return ListMatch(self._path, "CONTAINS", _items("CONTAINS", items))

    def WITHIN(
        self,
        distance: float,
        unit: UnitName = "MILES",
        coords: Sequence[float] | None = None,
        zip: str | int | None = None,
    ) -> Within:
        """Distance test: ``member WITHIN 5 KM OF [lat,lon]`` or ``OF [ZIP=code]``.

        Args:
            distance: A finite, non-negative number.
            unit: ``MILES``, ``KM``, ``KILOMETERS``, ``METERS`` or ``FEET``
                (lower case is accepted and upper-cased).
            coords: ``(lat, lon)``.
            zip: A postal code (pass a str to keep leading zeros).

        Raises:
            ValueError: On an unknown unit, or unless exactly one of ``coords``
                and ``zip`` is given.
            TypeError: If a number is not an int or float.
        """
        if not isinstance(unit, str):
            raise TypeError(f"WITHIN unit must be a str, not {type(unit).__name__}")
        upper = unit.upper()
        if upper not in _UNIT_NAMES:
            raise ValueError(
                f"unknown WITHIN unit {unit!r}: use one of {', '.join(sorted(_UNIT_NAMES))}"
            )
        point: tuple[int | float, int | float] | None = None
        if coords is not None:
            if not isinstance(coords, (list, tuple)) or len(coords) != 2:
                raise ValueError(f"WITHIN coords must be (lat, lon), got {coords!r}")
            point = (number(coords[0], "WITHIN latitude"), number(coords[1], "WITHIN longitude"))
        zip_code: str | None = None
        if zip is not None:
            if isinstance(zip, bool) or not isinstance(zip, (int, str)):
                raise TypeError(f"WITHIN zip must be a str or int, not {type(zip).__name__}")
            zip_code = str.__str__(zip) if isinstance(zip, str) else int.__repr__(zip)
        return Within(
            self._path, number(distance, "WITHIN distance"), cast(Unit, upper), point, zip_code
        )


def number(value: object, what: str) -> int | float:
    """``value`` as a plain finite int or float (bools and subclasses refused/dropped)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be an int or float, not {type(value).__name__}")
    if isinstance(value, int):
        return int(value)
    check_finite(value, what)
    return float(value)


class ModuloTerm:
    """``member % divisor``, waiting for ``== remainder`` or ``!= remainder``.

    Only ``==`` and ``!=`` are supported by the platform; other comparisons
    raise `TypeError`.
    """

    __slots__ = ("_divisor", "_path")
    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    def __init__(self, path: MemberPath, divisor: int) -> None:
        if isinstance(divisor, bool) or not isinstance(divisor, int):
            raise TypeError(f"modulo divisor must be an int, not {type(divisor).__name__}")
        if divisor <= 0:
            raise ValueError(f"modulo divisor must be a positive int, got {divisor}")
        self._path = path
        self._divisor = int(divisor)

    def _build(self, op: Any, remainder: object) -> Modulo:
        if isinstance(remainder, bool) or not isinstance(remainder, int):
            raise TypeError(f"modulo remainder must be an int, not {type(remainder).__name__}")
        return Modulo(self._path, self._divisor, op, int(remainder))

    def __eq__(self, remainder: int) -> Modulo:  # type: ignore[override]
        return self._build("==", remainder)

    def __ne__(self, remainder: int) -> Modulo:  # type: ignore[override]
        return self._build("!=", remainder)

    def _unsupported(self, op: str) -> NoReturn:
        raise TypeError(f"a modulo term only supports == and != (the platform has no {op} form)")

    def __lt__(self, other: object) -> NoReturn:
        self._unsupported("<")

    def __le__(self, other: object) -> NoReturn:
        self._unsupported("<=")

    def __gt__(self, other: object) -> NoReturn:
        self._unsupported(">")

    def __ge__(self, other: object) -> NoReturn:
        self._unsupported(">=")

    def __bool__(self) -> NoReturn:
        raise TypeError("compare a modulo term with == or != to build a filter")

    def __repr__(self) -> str:
        return f"ModuloTerm({compile_filter(self._path)!r} % {self._divisor})"


class MemberFactory:
    """Type of `mem`: attribute or item access starts a member path."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Member:
        if _is_reserved_attr(name):
            raise AttributeError(name)
        return Member(MemberPath((name,)))

    def __getitem__(self, name: str) -> Member:
        return Member(MemberPath(parse_path(name)))

    def __repr__(self) -> str:
        return "mem"


mem = MemberFactory()
"""Members of the queried objects: ``mem.path``, ``mem.elems.foo``, ``mem['a-b']``."""
