"""Drop aggregation engine of the local platform (``POST /drop/<flowId>/aggregate``).

Pure and transport-independent: :func:`aggregate` takes the drops of a flow
and the request body, and returns the response ``body``.  It follows
``platform/aggregation-statistics.md`` §1 and settles what the docs leave open:

Request
    ``output`` must be a **non-empty** list of selector strings and ``groupBy``
    a list of strings; a missing ``output``, a non-list or a non-string entry
    is an :class:`AggregationError` (a ``ValueError``; its message suits a
    400).  An **empty or missing** ``groupBy`` puts all matching drops in one
    group: the platform notes say a missing ``groupBy`` is refused, but the
    1.0.5 client documents ``aggregate(['$avg:test'], rules=...)`` without one,
    and every documented call must work here.  ``filter`` is
    an FFL string; ``rules`` an object name → FFL string; ``sorts`` a list of
    strings.  Unknown members are ignored.
Size
    ``output``, ``groupBy`` and ``sorts`` hold at most :data:`MAX_LIST` (100)
    entries each and ``rules`` at most :data:`MAX_RULES` (32) filters;
    more is an :class:`AggregationError` (a 400): every rule is evaluated on
    every drop.
Output selectors
    ``$count``; ``$avg:f``, ``$min:f``, ``$max:f``, ``$sum:f``.  ``f`` is a rule
    name if ``rules`` defines it, otherwise a member resolved exactly like
    filters resolve drop members (``query.evaluate.resolve``: a bare name is
    ``elems.f`` unless it is a drop member such as ``creationDate``; dotted
    paths work; typed elements give their value).  Only numbers count (JSON
    booleans are not numbers); a group with no number for ``f`` gives ``null``.
    ``$avg`` is a float; ``$sum`` an int when every summed value is an int;
    ``$min``/``$max`` the value itself.  An ``$avg`` or float ``$sum`` beyond
    the float range (no JSON number can carry it), or an int ``$sum`` of more
    than 4300 digits (Python cannot encode it), is ``null``.
Rules
    Each drop gets ``0`` or ``1`` per rule (the FFL rule matched); usable in
    ``output`` (``$avg:near`` = fraction of drops passing) and ``groupBy``.
Group keys
    A member or rule name groups by its (plain) value; a missing member is the
    group ``null``.  Date selectors ``$year``, ``$month`` (1-12), ``$week``
    (ISO-8601 week number 1-53), ``$day`` (day of month 1-31), ``$hour``
    (0-23) and ``$minute`` (0-59), each optionally ``:dateField`` (default
    ``creationDate``; resolved like ``f`` above, an epoch-ms number), UTC;
    a date outside years 1-9999 gives ``null``.
    Like MongoDB's date operators they extract one component, so ``$month``
    alone puts June 2015 and June 2016 together.  A non-numeric date gives
    ``null``.
Response
    A list with one object per group whose keys are the ``groupBy`` entries and
    the ``output`` strings verbatim::

        [{"town": "Brooklyn", "$avg:windSpeed": 11.2, "$count": 42}, ...]

    No matching drop → ``[]`` (also with an empty ``groupBy``).
Order
    ``sorts`` entries name a result key (a ``groupBy`` or ``output`` entry); a
    bare field name that is not a result key names the first ``output``
    selector on that field (the python client's test sends ``"sorts":
    ["foo"]`` with ``"$avg:foo"``).  A leading ``-`` sorts descending, an
    optional leading ``+`` ascending; later entries break ties.  Without
    ``sorts``, or after them, groups are ordered by their group keys ascending.
    Values order as: ``null`` < booleans < numbers < strings < anything else
    (by its JSON text).  A ``sorts`` entry that names neither a result key
    nor an output's field (a member the groups do not carry) is accepted and
    orders nothing: the platform was Mongo-backed and its selectors are
    Mongo's ``$group`` operators, so ``sorts`` was a ``$sort`` stage after the
    ``$group``, where a field absent from every group document compares equal
    (as missing/null) in all of them.  Such an entry is therefore a tie, and
    the next entries (then the group keys) decide the order; it is not a 400.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from flowthings.local.query.evaluate import MISSING, is_number, resolve
from flowthings.local.query.parser import CompiledFilter, FilterSyntaxError, parse_filter

__all__ = [
    "DATE_SELECTORS",
    "MAX_LIST",
    "MAX_RULES",
    "OUTPUT_OPERATORS",
    "AggregationError",
    "aggregate",
]

MAX_LIST: Final = 100
"""Most entries of ``output``, ``groupBy`` or ``sorts`` in one request."""
MAX_RULES: Final = 32
"""Most ``rules`` of one request (each is a filter run on every drop)."""

_INT_LIMIT = 10**4300  # ints of more digits cannot be encoded (sys.int_info)

OUTPUT_OPERATORS: Final = ("$avg", "$min", "$max", "$sum")
"""Output selectors that take a field (``$count`` takes none)."""

DATE_SELECTORS: Final = ("$year", "$month", "$week", "$day", "$hour", "$minute")
"""Date-part group selectors (each optionally ``:dateField``)."""

_DATE_PARTS: Final[dict[str, Callable[[_dt.datetime], int]]] = {
    "$year": lambda d: d.year,
    "$month": lambda d: d.month,
    "$week": lambda d: d.isocalendar()[1],
    "$day": lambda d: d.day,
    "$hour": lambda d: d.hour,
    "$minute": lambda d: d.minute,
}


class AggregationError(ValueError):
    """An invalid aggregation request; the message suits a 400 envelope."""


_Getter = Callable[[Mapping[str, Any], Mapping[str, int]], Any]


def _field_getter(field: str, rules: Mapping[str, CompiledFilter], where: str) -> _Getter:
    if not field or any(not part for part in field.split(".")):
        raise AggregationError(f"invalid field {field!r} in {where}")
    if field in rules:
        return lambda drop, flags: flags[field]
    path = field.split(".")
    return lambda drop, flags: resolve(drop, path, drop=True)


def _date_getter(selector: str, rules: Mapping[str, CompiledFilter]) -> _Getter:
    op, _, field = selector.partition(":")
    part = _DATE_PARTS[op]
    inner = _field_getter(field or "creationDate", rules, f"groupBy {selector!r}")

    def get(drop: Mapping[str, Any], flags: Mapping[str, int]) -> Any:
        value = inner(drop, flags)
        if not is_number(value):
            return None
        try:  # isfinite() and / raise OverflowError on ints beyond the float range
            if not math.isfinite(value):
                return None
            moment = _dt.datetime.fromtimestamp(value / 1000, tz=_dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
        return part(moment)

    return get


def _group_getter(entry: str, rules: Mapping[str, CompiledFilter]) -> _Getter:
    op = entry.partition(":")[0]
    if op in _DATE_PARTS:
        return _date_getter(entry, rules)
    if entry.startswith("$"):
        raise AggregationError(
            f"unknown groupBy selector {entry!r}; expected a field or one of "
            + ", ".join(DATE_SELECTORS)
        )
    inner = _field_getter(entry, rules, "groupBy")

    def get(drop: Mapping[str, Any], flags: Mapping[str, int]) -> Any:
        value = inner(drop, flags)
        return None if value is MISSING else value

    return get


def _string_list(request: Mapping[str, Any], name: str, *, required: bool) -> list[str]:
    if name not in request or request[name] is None:
        if required:
            raise AggregationError(f"aggregation needs {name!r} (a list of strings)")
        return []
    value = request[name]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise AggregationError(f"{name!r} must be a list of strings")
    if len(value) > MAX_LIST:
        raise AggregationError(f"{name!r} may hold at most {MAX_LIST} entries")
    return list(value)


def _compile(text: object, where: str) -> CompiledFilter:
    if not isinstance(text, str):
        raise AggregationError(f"{where} must be a filter string")
    try:
        return parse_filter(text)
    except FilterSyntaxError as exc:  # only the text's fault is a 400; a bug stays a 500
        raise AggregationError(f"invalid {where}: {exc}") from exc


def _parse_rules(raw: object) -> dict[str, CompiledFilter]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise AggregationError("'rules' must be an object mapping names to filter strings")
    if len(raw) > MAX_RULES:
        raise AggregationError(f"'rules' may hold at most {MAX_RULES} filters")
    rules: dict[str, CompiledFilter] = {}
    for name, text in raw.items():
        if not isinstance(name, str) or not name or name.startswith("$"):
            raise AggregationError(f"invalid rule name {name!r}")
        rules[name] = _compile(text, f"rule {name!r}")
    return rules


def _sort_key(value: Any) -> tuple[int, Any]:
    """Total order over JSON values: null < bool < number < string < other."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if is_number(value):
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    return (4, json.dumps(value, sort_keys=True, default=str))


def _hashable(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return ("json", json.dumps(value, sort_keys=True, default=str))
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 1 and 1.0 are one group, like FFL equality
    return value


class _Accumulator:
    """Running count/sum/min/max over the numeric values of one field."""

    __slots__ = ("all_int", "count", "maximum", "minimum", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total: float = 0
        self.all_int = True
        self.minimum: Any = None
        self.maximum: Any = None

    def add(self, value: Any) -> None:
        if not is_number(value):
            return
        self.count += 1
        try:
            self.total += value
        except OverflowError:  # an int beyond the float range met a float
            self.total = math.nan
        self.all_int = self.all_int and isinstance(value, int)
        if self.minimum is None or value < self.minimum:
            self.minimum = value
        if self.maximum is None or value > self.maximum:
            self.maximum = value

    def result(self, op: str) -> Any:
        if self.count == 0:
            return None
        if op in ("$avg", "$sum"):
            if op == "$sum" and self.all_int:
                total = int(self.total)
                # like a float beyond range: no JSON answer could carry more digits
                return total if abs(total) < _INT_LIMIT else None
            try:
                value = float(self.total / self.count if op == "$avg" else self.total)
            except OverflowError:
                return None
            return value if math.isfinite(value) else None
        return self.minimum if op == "$min" else self.maximum


def aggregate(
    drops: Sequence[Mapping[str, Any]],
    request: Mapping[str, Any],
    *,
    now_ms: int | None = None,
) -> list[dict[str, Any]]:
    """Aggregate drops as ``POST /drop/<flowId>/aggregate`` does.

    Args:
        drops: The flow's stored drops (typed or plain elements).
        request: The request body (``output``, ``groupBy``, ``filter``,
            ``rules``, ``sorts``); see the module docstring.
        now_ms: "Now" in epoch ms for ``AGE`` in filters and rules.

    Returns:
        One dict per group: the ``groupBy`` entries and ``output`` strings as
        keys, ordered per ``sorts`` then by group keys.

    Raises:
        AggregationError: Missing/malformed member, unknown selector, bad
            filter or rule, unknown sort key.
    """
    if not isinstance(request, Mapping):
        raise AggregationError("aggregation request must be a JSON object")
    output = _string_list(request, "output", required=True)
    if not output:
        raise AggregationError("'output' must name at least one selector")
    group_by = _string_list(request, "groupBy", required=False)
    sorts = _string_list(request, "sorts", required=False)
    rules = _parse_rules(request.get("rules"))
    flt = None if request.get("filter") is None else _compile(request["filter"], "filter")

    group_getters = [_group_getter(entry, rules) for entry in group_by]
    fields: dict[str, _Getter] = {}
    outputs: list[tuple[str, str, str]] = []  # (key, op, field)
    for entry in output:
        if entry == "$count":
            outputs.append((entry, "$count", ""))
            continue
        op, sep, field = entry.partition(":")
        if op not in OUTPUT_OPERATORS or not sep:
            raise AggregationError(
                f"unknown output selector {entry!r}; expected $count or "
                + ", ".join(f"{name}:<field>" for name in OUTPUT_OPERATORS)
            )
        if field not in fields:
            fields[field] = _field_getter(field, rules, f"output {entry!r}")
        outputs.append((entry, op, field))
    sort_spec = _sort_spec(sorts, group_by, outputs)

    groups: dict[tuple[Any, ...], tuple[list[Any], int, dict[str, _Accumulator]]] = {}
    for drop in drops:
        if flt is not None and not flt.matches(drop, now_ms=now_ms, drop=True):
            continue
        flags = {
            name: int(rule.matches(drop, now_ms=now_ms, drop=True)) for name, rule in rules.items()
        }
        values = [get(drop, flags) for get in group_getters]
        key = tuple(_hashable(value) for value in values)
        entry_ = groups.get(key)
        if entry_ is None:
            entry_ = (values, 0, {field: _Accumulator() for field in fields})
        values_, count, accs = entry_
        for field, get in fields.items():
            accs[field].add(get(drop, flags))
        groups[key] = (values_, count + 1, accs)

    rows: list[dict[str, Any]] = []
    for values, count, accs in groups.values():
        row: dict[str, Any] = dict(zip(group_by, values, strict=True))
        for name, op, field in outputs:
            row[name] = count if op == "$count" else accs[field].result(op)
        rows.append(row)
    # Stable sorts: least significant first (group keys), then sorts reversed.
    for name in reversed(group_by):
        rows.sort(key=_by(name))
    for name, descending in reversed(sort_spec):
        rows.sort(key=_by(name), reverse=descending)
    return rows


def _by(name: str) -> Callable[[Mapping[str, Any]], tuple[int, Any]]:
    return lambda row: _sort_key(row[name])


def _sort_spec(
    sorts: Sequence[str], group_by: Sequence[str], outputs: Sequence[tuple[str, str, str]]
) -> list[tuple[str, bool]]:
    keys = set(group_by) | {key for key, _, _ in outputs}
    spec: list[tuple[str, bool]] = []
    for raw in sorts:
        descending = raw.startswith("-")
        name = raw[1:] if raw[:1] in "+-" and raw else raw
        if name not in keys:
            by_field = [key for key, _, field in outputs if field and field == name]
            if not by_field:
                # Not in any result row: every row lacks it, so it ties everywhere
                # and orders nothing (what Mongo's $sort after $group does).
                continue
            name = by_field[0]
        spec.append((name, descending))
    return spec
