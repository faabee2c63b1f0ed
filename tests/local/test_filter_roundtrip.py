"""Round trip: filters built with the SDK's builders (``mem``, ``EXISTS``,
``NOT``, ``&``, ``|``, ...), compiled with ``str()``, parsed by the local
platform, select exactly the drops a Python reference predicate built alongside
the expression selects."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowthings import EXISTS, NOT, mem
from flowthings.filters._literals import quote_string
from flowthings.filters._member import Member
from flowthings.filters._nodes import Filter, RegexLiteral
from flowthings.local.query.parser import parse_filter

Elems = dict[str, Any]
Ref = Callable[[Elems], bool]
Pair = tuple[Filter, Ref]  # (SDK filter, reference predicate)

_MISSING = object()
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_INTS = st.integers(min_value=-3, max_value=3)
_TEXT = st.text(alphabet="ab/'\"\\\n\té", max_size=4)
_INT_NAMES = ("a", "b")


def _path(name: str, spelling: int) -> Member:
    """The same drop element, spelled three ways."""
    if spelling == 0:
        return mem.elems[name]
    if spelling == 1:
        return mem[name]  # bare name: resolved against elems
    return Member.from_path(f"elems.{name}")


def _member(name: str) -> st.SearchStrategy[Member]:
    return st.integers(min_value=0, max_value=2).map(lambda spelling: _path(name, spelling))


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare(member: Member, op: str, operand: Any) -> Filter:
    node = _OPERATORS[op](member, operand)
    assert isinstance(node, Filter)
    return node


def _is_num(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _cmp(left: Any, op: str, right: Any) -> bool:
    """Reference comparison of two present values (the documented semantics)."""
    if (_is_num(left) and _is_num(right)) or (isinstance(left, str) and isinstance(right, str)):
        if op in _ORDER:
            return bool(_ORDER[op](left, right))
    elif op in _ORDER:
        return False  # only two numbers or two strings are ordered
    same = type(left) is type(right) and left == right
    return same if op == "==" else not same


def _present_cmp(value: Any, op: str, lit: Any) -> bool:
    return value is not _MISSING and _cmp(value, op, lit)


_OPS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


@st.composite
def _int_compare(draw: st.DrawFn) -> Pair:
    name, op, lit = draw(st.sampled_from(_INT_NAMES)), draw(_OPS), draw(_INTS)
    node = _compare(draw(_member(name)), op, lit)
    return node, lambda e: _present_cmp(e.get(name, _MISSING), op, lit)


@st.composite
def _str_compare(draw: st.DrawFn) -> Pair:
    op, lit = draw(_OPS), draw(_TEXT)
    node = _compare(draw(_member("s")), op, lit)
    return node, lambda e: _present_cmp(e.get("s", _MISSING), op, lit)


@st.composite
def _bool_compare(draw: st.DrawFn) -> Pair:
    op, lit = draw(st.sampled_from(["==", "!="])), draw(st.booleans())
    node = _compare(draw(_member("f")), op, lit)
    return node, lambda e: _present_cmp(e.get("f", _MISSING), op, lit)


@st.composite
def _mixed_compare(draw: st.DrawFn) -> Pair:
    # string member against a number: only != holds (on a present member)
    op, lit = draw(_OPS), draw(_INTS)
    node = _compare(draw(_member("s")), op, lit)
    return node, lambda e: _present_cmp(e.get("s", _MISSING), op, lit)


@st.composite
def _member_compare(draw: st.DrawFn) -> Pair:
    left, right = draw(st.permutations(_INT_NAMES))
    op = draw(_OPS)
    node = _compare(draw(_member(left)), op, draw(_member(right)))

    def ref(e: Elems) -> bool:
        lv, rv = e.get(left, _MISSING), e.get(right, _MISSING)
        return lv is not _MISSING and rv is not _MISSING and _cmp(lv, op, rv)

    return node, ref


@st.composite
def _in_list(draw: st.DrawFn) -> Pair:
    name = draw(st.sampled_from(_INT_NAMES))
    items = draw(st.lists(_INTS, min_size=1, max_size=4))
    node = draw(_member(name)).IN(*items)
    return node, lambda e: _is_num(e.get(name)) and e[name] in items


@st.composite
def _exists(draw: st.DrawFn) -> Pair:
    name = draw(st.sampled_from(["a", "b", "s", "f"]))
    return EXISTS(draw(_member(name))), lambda e: e.get(name) is not None


def _java_rem(value: int, divisor: int) -> int:
    magnitude = abs(value) % divisor
    return -magnitude if value < 0 else magnitude


@st.composite
def _modulo(draw: st.DrawFn) -> Pair:
    name = draw(st.sampled_from(_INT_NAMES))
    divisor = draw(st.integers(min_value=1, max_value=4))
    op = draw(st.sampled_from(["==", "!="]))
    rem = draw(_INTS)
    term = draw(_member(name)) % divisor
    node = (term == rem) if op == "==" else (term != rem)

    def ref(e: Elems) -> bool:
        value = e.get(name, _MISSING)
        if not _is_num(value):
            return False
        return (_java_rem(value, divisor) == rem) == (op == "==")

    return node, ref


_PATTERNS = ["a", "^a", "b$", "/", "a/b", "'", '"', r"\\", r"\n", "\n", "\t", "[ab]+", "é", ""]


@st.composite
def _regex(draw: st.DrawFn) -> Pair:
    pattern = draw(st.sampled_from(_PATTERNS))
    flags = draw(st.sampled_from(["", "i", "m", "s", "g"]))
    py_flags = 0
    for flag in flags:
        py_flags |= {"i": re.I, "m": re.M, "s": re.S}.get(flag, 0)
    compiled = re.compile(pattern, py_flags)
    node = draw(_member("s")).re(pattern, flags)
    return node, lambda e: isinstance(e.get("s"), str) and compiled.search(e["s"]) is not None


_leaves = st.one_of(
    _int_compare(),
    _str_compare(),
    _bool_compare(),
    _mixed_compare(),
    _member_compare(),
    _in_list(),
    _exists(),
    _modulo(),
    _regex(),
)


def _combine(children: st.SearchStrategy[Pair]) -> st.SearchStrategy[Pair]:
    def negate(args: tuple[Pair, bool]) -> Pair:
        (node, ref), tilde = args
        return (~node if tilde else NOT(node)), lambda e: not ref(e)

    def both(args: tuple[Pair, Pair, bool]) -> Pair:
        (ln, lr), (rn, rr), method = args
        return (ln.AND(rn) if method else ln & rn), lambda e: lr(e) and rr(e)

    def either(args: tuple[Pair, Pair, bool]) -> Pair:
        (ln, lr), (rn, rr), method = args
        return (ln.OR(rn) if method else ln | rn), lambda e: lr(e) or rr(e)

    two = st.tuples(children, children, st.booleans())
    return st.tuples(children, st.booleans()).map(negate) | two.map(both) | two.map(either)


_filters = st.recursive(_leaves, _combine, max_leaves=6)

_element_values = {
    "a": _INTS | st.none() | st.just("1"),
    "b": _INTS | st.floats(min_value=-3, max_value=3, allow_nan=False).filter(float.is_integer),
    "s": _TEXT | st.just(1),
    "f": st.booleans() | st.just(0),
}
_elems = st.fixed_dictionaries({}, optional=_element_values)

_TYPE_OF = {bool: "boolean", int: "integer", float: "float", str: "string"}


def _store(elems: Elems, typed: bool) -> dict[str, Any]:
    """The stored drop: elements typed (``{"type", "value"}``) or plain."""
    if typed:
        stored = {
            k: v if v is None else {"type": _TYPE_OF[type(v)], "value": v} for k, v in elems.items()
        }
    else:
        stored = dict(elems)
    return {"id": "d1", "path": "/alice/f", "creationDate": 1, "elems": stored}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_filters, st.lists(_elems, min_size=1, max_size=8), st.booleans())
def test_sdk_filters_select_what_the_reference_selects(
    pair: Pair, population: list[Elems], typed: bool
) -> None:
    node, ref = pair
    compiled = parse_filter(str(node))
    selected = [compiled.matches(_store(e, typed), drop=True) for e in population]
    # An int-valued float counts as a number on both sides: normalise for ref.
    expected = [ref({k: _as_ref(v) for k, v in e.items()}) for e in population]
    assert selected == expected, str(node)


def _as_ref(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_sdk_string_quoting_round_trips(value: str) -> None:
    text = f"s == {quote_string(value)}"
    assert str(mem.s == value) == text
    assert parse_filter(text).matches({"s": value}), text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab/\\\n.*", max_size=6), st.text(alphabet="ab/\\\n", max_size=6))
def test_sdk_regex_literals_round_trip(pattern: str, subject: str) -> None:
    try:
        RegexLiteral(pattern)
    except ValueError:
        return  # the SDK refuses it (does not compile, lone backslash)
    compiled = parse_filter(str(mem.s.re(pattern)))
    expected = re.search(pattern, subject) is not None
    assert compiled.matches({"s": subject}) is expected


@settings(max_examples=200, deadline=None)
@given(st.integers() | st.floats(allow_nan=False, allow_infinity=False))
def test_sdk_numbers_round_trip(value: float) -> None:
    compiled = parse_filter(str(mem.x == value))
    assert compiled.matches({"x": value})
    assert not compiled.matches({"x": str(value)})
