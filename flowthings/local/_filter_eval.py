"""Value semantics of the Flow Filter Language: resolution, typing, comparison.

Pure helpers used by the predicates that :mod:`flowthings.local._filter_lang`
compiles.  Nothing here raises on odd data: a value of the wrong shape simply
does not compare (the callers turn that into ``False``).  The semantic choices
are documented in the module docstring of ``_filter_lang``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, TypeGuard

__all__ = [
    "DROP_TOP_LEVEL",
    "MISSING",
    "TYPE_NAMES",
    "distance_m",
    "element_type",
    "equals",
    "is_number",
    "iter_strings",
    "order",
    "plain",
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

TYPE_NAMES: Final = frozenset(
    {
        "boolean",
        "date",
        "dropRef",
        "id",
        "email",
        "string",
        "integer",
        "long",
        "float",
        "double",
        "list",
        "set",
        "sortedSet",
        "map",
        "sortedMap",
        "location",
        "length",
        "duration",
        "text",
        "media",
        "bytes",
        "uri",
        "url",
        "html",
        "mediaRef",
    }
)
"""Element type names recognised in the typed ``{"type": ..., "value": ...}`` form."""

_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1
_EARTH_RADIUS_M: Final = 6_371_008.8  # IUGG mean radius


def _typed(value: object) -> Mapping[str, Any] | None:
    """Return *value* if it is a typed element wrapper, else ``None``.

    Only a mapping with exactly the keys ``type`` and ``value`` and a known type
    name counts, so a user map that merely has a ``type`` key stays a map.
    """
    if (
        isinstance(value, Mapping)
        and len(value) == 2
        and "type" in value
        and "value" in value
        and value["type"] in TYPE_NAMES
    ):
        return value
    return None


def is_number(value: object) -> TypeGuard[int | float]:
    """Return whether *value* is an int or float (``bool`` is not a number)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def plain(value: Any) -> Any:
    """Strip typed wrappers recursively, giving the plain JSON value.

    A ``dropRef`` becomes ``{"flowId": str, "dropId": str}``; sets, lists and
    maps whose items are typed become plain lists and dicts.
    """
    wrapper = _typed(value)
    if wrapper is not None:
        return plain(wrapper["value"])
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def resolve(obj: Mapping[str, Any], path: Sequence[str], *, drop: bool) -> Any:
    """Look a dotted member path up in *obj*.

    Args:
        obj: The stored object.
        path: Member segments (``["elems", "x"]``).
        drop: Apply drop resolution: a first segment that is not a drop member
            (or a drop member the drop lacks) is looked up in ``elems``.

    Returns:
        The plain value (typed wrappers stripped) or :data:`MISSING`.
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
        if isinstance(current, Mapping):
            if segment in current:
                current = current[segment]
                continue
            wrapper = _typed(current)
            if wrapper is not None and isinstance(wrapper["value"], Mapping):
                inner = wrapper["value"]
                if segment in inner:
                    current = inner[segment]
                    continue
        if segment == "value":
            # `elems.t.value` (written for typed rendering) also works when the
            # element was stored plain: `value` of a plain value is itself.
            continue
        return MISSING
    return plain(current)


def element_type(value: Any) -> str | None:
    """Return the element type name of a stored element (typed or plain)."""
    wrapper = _typed(value)
    if wrapper is not None:
        return str(wrapper["type"])
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer" if _INT32_MIN <= value <= _INT32_MAX else "long"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, (list, tuple)):
        return "list"
    return None


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
        wrapper = _typed(item)
        if wrapper is not None:
            stack.append(wrapper["value"])
        elif isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def regex_search(pattern: re.Pattern[str], value: Any) -> bool:
    """Return whether *value* is a string in which *pattern* finds a match."""
    return isinstance(value, str) and pattern.search(value) is not None


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
