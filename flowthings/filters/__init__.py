"""Filter builders: ``mem``, ``AGE``, ``EXISTS``, ``HAS``, ``MATCHES``, ``NOT``.

The filter language package owns the expression tree and its one compiler:
this module (the builders, and the names the rest of the SDK imports),
`_nodes` (nodes and `compile_filter`), `_member` (member paths), `_values`
(literal operands) and `_literals` (quoting, escaping, checks). It imports
nothing else of the SDK; `_modify`, the services and the models import it.

Python expressions build an immutable expression tree (the nodes live in
`flowthings.filters._nodes`); ``str(tree)`` compiles it to the platform
filter string with `compile_filter`.

Examples:
    >>> print((mem.elems.n > 3) & mem.path.re("^/alice/", "i"))
    (elems.n > 3) && (path =~ /^\\/alice\\//i)

Every expression flowthings 1.0.5 supported compiles to byte-for-byte the same
string.  Beyond 1.0.5 (all documented by the platform): member-to-member
comparison (``mem.a <= mem.b``), modulo (``(mem.count % 2) == 0``),
``datetime`` operands (``Date(<ms>)``; a naive datetime is taken as UTC),
``timedelta`` ages, and ``&`` / ``|`` / ``~`` as aliases of
``.AND()`` / ``.OR()`` / ``NOT()``.

Deliberate divergences from 1.0.5:

* ``NOT`` over a compound filter groups it: ``NOT(a & b)`` compiles to
  ``NOT ((a) && (b))``.  1.0.5 wrote ``NOT (a) && (b)``, which the platform
  reads as ``(NOT a) && b``.  ``NOT`` over a simple rule is unchanged
  (``NOT foo == 1``).
* String literals also escape backslashes and control characters (1.0.5 only
  escaped ``'``), so every string reaches the platform intact; strings without
  those characters render as before.
* Misuse fails when the filter is built, with a clear ``TypeError`` or
  ``ValueError``, instead of producing a filter the platform rejects or reads
  differently: unsupported operand types (``None``, dicts, NaN, ...), invalid
  member names (``mem['a b']``), a first member segment that is a filter
  keyword (``mem.AGE`` would read as ``AGE``; write ``mem.elems.AGE``), members
  inside IN / CONTAINS lists (the platform takes literals only), an empty
  ``IN()``, bad WITHIN units, a WITHIN without a point (1.0.5 sent
  ``[ZIP=None]``), or with both ``coords`` and ``zip``.
* Regexes must compile with Python's `re` (the platform uses Java
  regexes; the common syntax is shared, Java-only constructs such as
  ``\\p{Alpha}`` are refused), flags must be a subset of ``imsxgu``, and with
  the ``x`` flag a raw newline / CR / tab is refused (the ``\\n`` escape the
  body needs would not mean the same thing there).

Member names that collide with `Member`'s own methods (``re``, ``IN``,
``CONTAINS``, ``WITHIN``, ``from_path``) are reached with item access:
``mem['re']``, ``mem.elems['IN']``.
"""

from __future__ import annotations

import datetime as _dt
from typing import ClassVar

from flowthings.filters._member import (
    LiteralValue,
    Member,
    MemberFactory,
    ModuloTerm,
    OperandValue,
    mem,
    number,
    path_of,
)
from flowthings.filters._nodes import (
    Age,
    And,
    Compare,
    CompareOp,
    Exists,
    Filter,
    FilterLike,
    Has,
    ListMatch,
    ListOp,
    Matches,
    Modulo,
    Not,
    Or,
    RawFilter,
    RegexMatch,
    Unit,
    UnitName,
    Within,
    as_filter,
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
    "AGE",
    "EXISTS",
    "HAS",
    "MATCHES",
    "NOT",
    "Age",
    "AgeBuilder",
    "And",
    "BooleanLiteral",
    "Compare",
    "CompareOp",
    "DateLiteral",
    "Exists",
    "Filter",
    "FilterLike",
    "Has",
    "ListMatch",
    "ListOp",
    "LiteralValue",
    "Matches",
    "Member",
    "MemberFactory",
    "MemberPath",
    "Modulo",
    "ModuloTerm",
    "Not",
    "NumberLiteral",
    "Operand",
    "OperandValue",
    "Or",
    "RawFilter",
    "RegexLiteral",
    "RegexMatch",
    "ScalarLiteral",
    "StringLiteral",
    "Unit",
    "UnitName",
    "Within",
    "as_filter",
    "compile_filter",
    "mem",
]


def _age_ms(value: object) -> int | float:
    if isinstance(value, _dt.timedelta):
        micros = value // _dt.timedelta(microseconds=1)
        return micros // 1000 if micros % 1000 == 0 else micros / 1000
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"AGE is compared with milliseconds (int or float) or a timedelta, "
            f"not {type(value).__name__}"
        )
    return number(value, "AGE milliseconds")


class AgeBuilder:
    """Type of `AGE`: ``AGE > ms`` or ``AGE('lastEditDate') > ms``.

    Calling it names the date member to measure from (default:
    ``creationDate``); calling again extends the path (``AGE('a')('b')`` is
    member ``a.b``).  Comparing with milliseconds (a positive number, or a
    `timedelta`) builds an `Age` node.
    """

    __slots__ = ("_field",)
    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    def __init__(self, field: MemberPath | None = None) -> None:
        self._field = field

    def __call__(self, field: str | Member | MemberPath) -> AgeBuilder:
        path = path_of(field, "AGE field")
        if self._field is not None:
            path = MemberPath(self._field.segments + path.segments)
        return AgeBuilder(path)

    def _build(self, op: CompareOp, ms: object) -> Age:
        return Age(op, _age_ms(ms), self._field)

    def __eq__(self, ms: float | _dt.timedelta) -> Age:  # type: ignore[override]
        return self._build("==", ms)

    def __ne__(self, ms: float | _dt.timedelta) -> Age:  # type: ignore[override]
        return self._build("!=", ms)

    def __lt__(self, ms: float | _dt.timedelta) -> Age:
        return self._build("<", ms)

    def __le__(self, ms: float | _dt.timedelta) -> Age:
        return self._build("<=", ms)

    def __gt__(self, ms: float | _dt.timedelta) -> Age:
        return self._build(">", ms)

    def __ge__(self, ms: float | _dt.timedelta) -> Age:
        return self._build(">=", ms)

    def __repr__(self) -> str:
        if self._field is None:
            return "AGE"
        return f"AGE({compile_filter(self._field)!r})"


AGE = AgeBuilder()
"""Age of the object in ms: ``AGE < 60000``, ``AGE('lastEditDate') > 3600000``."""


def EXISTS(member: str | Member | MemberPath) -> Exists:
    """The member is present: ``EXISTS elems.foo``.

    Args:
        member: A member (``mem.elems.foo``) or its dotted name.

    Raises:
        ValueError: If the name is not a valid member name.
    """
    return Exists(path_of(member, "EXISTS argument"))


def HAS(type_name: str) -> Has:
    """The object has an element of a data type: ``HAS date``.

    Args:
        type_name: An element type name such as ``"date"`` or ``"dropRef"``.

    Raises:
        ValueError: If ``type_name`` is not a plain name.
    """
    return Has(type_name)


def MATCHES(pattern: str, flags: str = "") -> Matches:
    """A regex over the whole object: ``MATCHES /error/i``.

    Args:
        pattern: A (Java-compatible) regular expression.
        flags: A subset of ``imsxgu``.

    Raises:
        ValueError: If the pattern does not compile, or on bad flags.
    """
    return Matches(RegexLiteral(pattern, flags))


def NOT(filter: FilterLike) -> Not:
    """Negation: ``NOT foo == 1``; a compound operand is parenthesised.

    ``~f`` is the same.

    Args:
        filter: A filter, or a raw filter string.
    """
    return Not(as_filter(filter))
