"""Value semantics of the Flow Filter Language: resolution and comparison.

Pure helpers used by the predicates that :mod:`flowthings.local.query.parser`
compiles.  Nothing here raises on odd data: a value of the wrong shape simply
does not compare (the callers turn that into ``False``).  The semantic choices
are documented in the module docstring of ``query.parser``; what a typed
element is and its plain value come from ``query.elements``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeGuard

from flowthings.local.query.elements import plain, typed_parts

if TYPE_CHECKING:
    from flowthings.local.query.regex import FilterRegex

__all__ = [
    "DROP_TOP_LEVEL",
    "MISSING",
    "distance_m",
    "equals",
    "is_number",
    "iter_strings",
    "order",
    "regex_search",
    "remainder",
    "resolve",
    "to_point",
]


class _Missing:
    """Sentinel type of :data:`MISSING` (an absent member)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()
"""Result of :func:`resolve` for an absent member (distinct from JSON ``null``)."""

DROP_TOP_LEVEL: Final = frozenset(
    {
        "id",
        "flowId",
        "path",
        "creationDate",
        "lastEditDate",
        "location",
        "elems",
        "fhash",
        "parentDropId",
        "version",
        "creatorId",
    }
)
"""Members of a drop itself; any other first segment is looked up in ``elems``."""

_EARTH_RADIUS_M: Final = 6_371_008.8  # IUGG mean radius
_NUMBERS: Final = frozenset({int, float})


def is_number(value: object) -> TypeGuard[int | float]:
    """Return whether *value* is an int or float (``bool`` is not a number)."""
    if type(value) in _NUMBERS:  # fast path for what JSON decodes to
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def resolve(obj: Mapping[str, Any], path: Sequence[str], *, drop: bool) -> Any:
    """Look a dotted member path up in *obj*.

    Args:
        obj: The stored object.
        path: Member segments (``["elems", "x"]``).
        drop: Apply drop resolution: a first segment that is not a drop member
            (or a drop member the drop lacks) is looked up in ``elems``.

    Returns:
        The plain value (``query.elements.plain``) or :data:`MISSING`.
    """
    if (
        drop
        and path
        and path[0] != "elems"
        and (path[0] not in DROP_TOP_LEVEL or path[0] not in obj)
    ):
        path = ["elems", *path]
    current: Any = obj
    for segment in path:
        if type(current) is dict or isinstance(current, Mapping):  # dict: skip the ABC check
            if segment in current:
                current = current[segment]
                continue
            parts = typed_parts(current)
            if parts is not None and isinstance(parts[1], Mapping):
                inner = parts[1]
                if segment in inner:
                    current = inner[segment]
                    continue
        if segment == "value":
            # `elems.t.value` (written for typed rendering) also works when the
            # element was stored plain: `value` of a plain value is itself.
            continue
        return MISSING
    return plain(current)


def _ref_matches(ref: Mapping[str, Any], ident: str) -> bool:
    """Return whether a drop reference names *ident* as its flow or drop."""
    return ref.get("flowId") == ident or ref.get("dropId") == ident


def _is_ref(value: object) -> bool:
    return isinstance(value, Mapping) and ("flowId" in value or "dropId" in value)


def equals(left: Any, right: Any) -> bool:
    """FFL equality between two plain values; never raises.

    Numbers compare numerically (``1 == 1.0``), ``bool`` only equals ``bool``,
    a drop reference equals a string naming either of its ids, lists and maps
    compare item by item.
    """
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    if is_number(left) and is_number(right):
        return bool(left == right)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if left is None or right is None:
        return left is None and right is None
    if isinstance(right, str) and _is_ref(left):
        return _ref_matches(left, right)
    if isinstance(left, str) and _is_ref(right):
        return _ref_matches(right, left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(equals, left, right))
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(equals(left[k], right[k]) for k in left)
    return False


def order(left: Any, right: Any, op: str) -> bool:
    """Ordering comparison (``<``, ``<=``, ``>``, ``>=``) of numbers or of strings.

    Any other pair of types (including booleans and mixed string/number) is
    not ordered and gives ``False``.
    """
    comparable = (is_number(left) and is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    )
    if not comparable:
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    return False


def to_point(value: Any) -> tuple[float, float] | None:
    """Return ``(lat, lon)`` of a plain location value, or ``None``."""
    if isinstance(value, Mapping):
        lat, lon = value.get("lat"), value.get("lon")
        if is_number(lat) and is_number(lon):
            try:
                point = float(lat), float(lon)
            except OverflowError:  # an int too large for a float
                return None
            if all(map(math.isfinite, point)):
                return point
    return None


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance in metres between two ``(lat, lon)``."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def iter_strings(value: Any) -> Iterator[str]:
    """Yield every string value found anywhere in *value* (not map keys).

    Typed wrappers contribute their payload only, not their type tag.
    """
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        parts = typed_parts(item)
        if parts is not None:
            stack.append(parts[1])
        elif isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def regex_search(pattern: FilterRegex, value: Any) -> bool:
    """Return whether *value* is a string in which *pattern* finds a match."""
    return isinstance(value, str) and pattern.search(value)


def remainder(value: int | float, divisor: int | float) -> int | float:
    """Java-style remainder: the result has the sign of the dividend.

    ``-3 % 2`` is ``-1`` (as on the JVM platform), not Python's ``1``.
    """
    if isinstance(value, int) and isinstance(divisor, int):
        magnitude = abs(value) % abs(divisor)
        return -magnitude if value < 0 else magnitude
    try:
        return math.fmod(value, divisor)
    except (OverflowError, ValueError):  # int too large for a float, inf % x
        return math.nan
