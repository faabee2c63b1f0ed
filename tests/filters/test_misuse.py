"""Misuse fails when the filter is built, with a clear TypeError / ValueError."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from typing import Any

import pytest

from flowthings.filters import (
    AGE,
    EXISTS,
    HAS,
    MATCHES,
    NOT,
    Compare,
    MemberPath,
    NumberLiteral,
    RegexLiteral,
    Within,
    mem,
)

_A = mem.a == 1
_B = mem.b == 2

MISUSE: list[Any] = [
    # unsupported operands
    pytest.param(lambda: mem.a == None, TypeError, "None is not supported", id="none"),  # noqa: E711
    pytest.param(lambda: mem.a == {"x": 1}, TypeError, "unsupported value of type dict", id="dict"),
    pytest.param(lambda: mem.a != [1], TypeError, "type list", id="list"),
    pytest.param(lambda: mem.a < object(), TypeError, "type object", id="object"),  # type: ignore[operator]
    pytest.param(lambda: mem.a == b"x", TypeError, "type bytes", id="bytes"),
    pytest.param(lambda: mem.a == decimal.Decimal(1), TypeError, "Decimal", id="decimal"),
    pytest.param(lambda: mem.a == float("nan"), ValueError, "finite", id="nan"),
    pytest.param(lambda: mem.a > float("inf"), ValueError, "finite", id="inf"),
    pytest.param(lambda: mem.a > -float("inf"), ValueError, "finite", id="-inf"),
    pytest.param(lambda: mem.a == dt.date(2020, 1, 1), TypeError, "not a date", id="date"),
    pytest.param(lambda: mem.a == _A, TypeError, "type Compare", id="filter-operand"),
    # member names
    pytest.param(lambda: mem["a b"], ValueError, "invalid member name", id="space"),
    pytest.param(lambda: mem["x) || (y"], ValueError, "invalid member name", id="injection"),
    pytest.param(lambda: mem[""], ValueError, "invalid member name", id="empty"),
    pytest.param(lambda: mem["a..b"], ValueError, "invalid member name", id="empty-segment"),
    pytest.param(lambda: mem["1a"], ValueError, "invalid member name", id="digit-start"),
    pytest.param(lambda: mem.a["b'c"], ValueError, "invalid member name", id="quote"),
    pytest.param(lambda: mem[1], TypeError, "must be a str", id="int-key"),  # type: ignore[index]
    pytest.param(lambda: mem.AGE > 3, ValueError, "filter keyword 'AGE'", id="keyword-AGE"),
    pytest.param(lambda: mem["NOT"].x, ValueError, "filter keyword", id="keyword-not"),
    pytest.param(lambda: mem.a == mem.true, ValueError, "filter keyword", id="keyword-true"),
    pytest.param(lambda: EXISTS("HAS"), ValueError, "filter keyword", id="keyword-exists-arg"),
    pytest.param(lambda: EXISTS("a b"), ValueError, "invalid member name", id="exists-bad"),
    pytest.param(lambda: EXISTS(3), TypeError, "must be a member", id="exists-int"),  # type: ignore[arg-type]
    pytest.param(lambda: MemberPath(()), ValueError, "at least one segment", id="empty-path"),
    # IN / CONTAINS
    pytest.param(lambda: mem.a.IN(), ValueError, "at least one item", id="in-empty"),
    pytest.param(lambda: mem.a.IN([]), ValueError, "at least one item", id="in-empty-list"),
    pytest.param(lambda: mem.a.CONTAINS(), ValueError, "at least one item", id="contains-empty"),
    pytest.param(lambda: mem.a.IN(None), TypeError, "None", id="in-none"),  # type: ignore[arg-type]
    pytest.param(lambda: mem.a.IN(mem.b), TypeError, "only literal", id="in-member"),  # type: ignore[arg-type]
    pytest.param(lambda: mem.a.IN(1, [2]), TypeError, "type list", id="in-nested-list"),
    # regex
    pytest.param(lambda: mem.a.re("("), ValueError, "invalid regex pattern", id="re-bad"),
    pytest.param(lambda: mem.a.re("a", "q"), ValueError, "unsupported regex flag", id="re-flag"),
    pytest.param(lambda: mem.a.re("a\\"), ValueError, "invalid regex", id="re-trailing-backslash"),
    pytest.param(lambda: mem.a.re("a\x00"), ValueError, "control character", id="re-nul"),
    pytest.param(lambda: mem.a.re("a\\\x01"), ValueError, "control character", id="re-esc-ctl"),
    pytest.param(lambda: mem.a.re("a\u2028"), ValueError, "control character", id="re-u2028"),
    pytest.param(lambda: mem.a.re(3), TypeError, "must be a str", id="re-int"),  # type: ignore[arg-type]
    pytest.param(lambda: mem.a.re("a", 1), TypeError, "must be a str", id="re-flag-int"),  # type: ignore[arg-type]
    pytest.param(lambda: MATCHES("["), ValueError, "invalid regex pattern", id="matches-bad"),
    pytest.param(lambda: mem.a.re("a # c\nb", "x"), ValueError, "x flag", id="re-x-newline"),
    pytest.param(lambda: MATCHES("a\tb", "ix"), ValueError, "x flag", id="matches-x-tab"),
    pytest.param(lambda: MATCHES("a", "I"), ValueError, "unsupported regex flag", id="flag-case"),
    # WITHIN
    pytest.param(
        lambda: mem.l.WITHIN(5, "LEAGUES", [1, 2]),  # type: ignore[arg-type]
        ValueError,
        "unknown WITHIN unit",
        id="within-unit",
    ),
    pytest.param(lambda: mem.l.WITHIN(5, "KM"), ValueError, "exactly one of", id="within-no-point"),
    pytest.param(
        lambda: mem.l.WITHIN(5, "KM", [1, 2], 123), ValueError, "exactly one of", id="within-both"
    ),
    pytest.param(lambda: mem.l.WITHIN(5, "KM", [1]), ValueError, "(lat, lon)", id="within-1-coord"),
    pytest.param(lambda: mem.l.WITHIN(5, "KM", [1, "2"]), TypeError, "longitude", id="within-str"),  # type: ignore[list-item]
    pytest.param(
        lambda: mem.l.WITHIN(5, "KM", [1, float("nan")]), ValueError, "finite", id="within-nan"
    ),
    pytest.param(lambda: mem.l.WITHIN(-1, "KM", [1, 2]), ValueError, "negative", id="within-neg"),
    pytest.param(
        lambda: mem.l.WITHIN(True, "KM", [1, 2]), TypeError, "int or float", id="within-bool"
    ),
    pytest.param(lambda: mem.l.WITHIN(5, "KM", zip="1]"), ValueError, "zip code", id="zip-bracket"),
    pytest.param(lambda: mem.l.WITHIN(5, "KM", zip=""), ValueError, "zip code", id="zip-empty"),
    pytest.param(lambda: mem.l.WITHIN(5, "KM", zip=1.5), TypeError, "zip", id="zip-float"),  # type: ignore[arg-type]
    # AGE
    pytest.param(lambda: AGE > 0, ValueError, "greater than 0", id="age-zero"),
    pytest.param(lambda: AGE > -5, ValueError, "greater than 0", id="age-negative"),
    pytest.param(lambda: AGE > True, TypeError, "milliseconds", id="age-bool"),
    pytest.param(lambda: AGE > "5", TypeError, "milliseconds", id="age-str"),  # type: ignore[operator]
    pytest.param(lambda: AGE == None, TypeError, "milliseconds", id="age-none"),  # noqa: E711
    pytest.param(lambda: AGE > float("nan"), ValueError, "finite", id="age-nan"),  # noqa: SIM300
    pytest.param(lambda: AGE("a b") > 1, ValueError, "invalid member name", id="age-field"),
    # modulo
    pytest.param(lambda: mem.a % 0, ValueError, "positive int", id="mod-zero"),
    pytest.param(lambda: mem.a % -2, ValueError, "positive int", id="mod-negative"),
    pytest.param(lambda: mem.a % 1.5, TypeError, "must be an int", id="mod-float"),  # type: ignore[operator]
    pytest.param(lambda: mem.a % True, TypeError, "must be an int", id="mod-bool"),
    pytest.param(lambda: (mem.a % 2) < 1, TypeError, "only supports == and !=", id="mod-lt"),
    pytest.param(lambda: (mem.a % 2) >= 1, TypeError, "only supports == and !=", id="mod-ge"),
    pytest.param(lambda: (mem.a % 2) == "1", TypeError, "remainder", id="mod-str"),
    pytest.param(lambda: bool(mem.a % 2), TypeError, "== or !=", id="mod-bool-ctx"),
    # HAS / NOT / AND / OR
    pytest.param(lambda: HAS("a.b"), ValueError, "invalid HAS type name", id="has-dotted"),
    pytest.param(lambda: HAS("a b"), ValueError, "invalid HAS type name", id="has-space"),
    pytest.param(lambda: HAS(1), TypeError, "must be a str", id="has-int"),  # type: ignore[arg-type]
    pytest.param(lambda: NOT(1), TypeError, "expected a filter", id="not-int"),  # type: ignore[arg-type]
    pytest.param(lambda: NOT(mem.a), TypeError, "expected a filter", id="not-member"),  # type: ignore[arg-type]
    pytest.param(lambda: _A.AND(1), TypeError, "expected a filter", id="and-int"),  # type: ignore[arg-type]
    pytest.param(lambda: _A.OR(None), TypeError, "expected a filter", id="or-none"),  # type: ignore[arg-type]
    pytest.param(lambda: _A & 1, TypeError, "expected a filter", id="amp-int"),  # type: ignore[operator]
    pytest.param(lambda: _A | mem.b, TypeError, "expected a filter", id="pipe-member"),
    # operator precedence pitfalls
    pytest.param(lambda: mem.a == 1 & mem.b == 2, TypeError, "parenthesise", id="amp-precedence"),
    pytest.param(lambda: mem.a == 1 | mem.b, TypeError, "parenthesise", id="pipe-precedence"),
    pytest.param(lambda: mem.a & mem.b, TypeError, "parenthesise", id="member-and"),
    pytest.param(lambda: ~mem.a, TypeError, "parenthesise", id="member-invert"),
    # hand-built nodes are validated too
    pytest.param(
        lambda: Compare(MemberPath(("a",)), "=~", NumberLiteral(1)),  # type: ignore[arg-type]
        ValueError,
        "unknown operator",
        id="node-op",
    ),
    pytest.param(
        lambda: Compare(MemberPath(("a",)), "==", 1),  # type: ignore[arg-type]
        TypeError,
        "Compare.operand",
        id="node-raw-operand",
    ),
    pytest.param(
        lambda: Compare("a", "==", NumberLiteral(1)),  # type: ignore[arg-type]
        TypeError,
        "Compare.member",
        id="node-raw-member",
    ),
    pytest.param(
        lambda: MemberPath(("a", "b c")), ValueError, "invalid member name", id="node-path"
    ),
    pytest.param(lambda: NumberLiteral(True), TypeError, "int or float", id="node-bool-number"),
    pytest.param(lambda: RegexLiteral("a", "z"), ValueError, "flag", id="node-regex"),
    pytest.param(
        lambda: Within(MemberPath(("l",)), 1, "KM"), ValueError, "exactly one of", id="node-within"
    ),
]


@pytest.mark.parametrize(("build", "error", "message"), MISUSE)
def test_misuse_raises_clear_error(
    build: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        build()


BOOL_CONTEXTS: list[Any] = [
    pytest.param(lambda: bool(mem.a == 1), id="bool"),
    pytest.param(lambda: (mem.a == 1) and (mem.b == 2), id="and"),
    pytest.param(lambda: (mem.a == 1) or (mem.b == 2), id="or"),
    pytest.param(lambda: not (mem.a == 1), id="not"),  # noqa: SIM201
    pytest.param(lambda: 1 < mem.a < 3, id="chained"),
    pytest.param(lambda: mem.a in [mem.b], id="in"),
    pytest.param(lambda: AGE > 5 if (AGE > 1) else None, id="if"),
]


@pytest.mark.parametrize("use", BOOL_CONTEXTS)
def test_filters_have_no_truth_value(use: Callable[[], object]) -> None:
    with pytest.raises(TypeError, match=r"`&` / `\|`.*\.AND\(\) / \.OR\(\)"):
        use()


def test_in_operator_on_member_points_to_contains() -> None:
    with pytest.raises(TypeError, match="CONTAINS"):
        1 in mem.a  # noqa: B015


def test_member_is_not_iterable() -> None:
    with pytest.raises(TypeError, match="not iterable"):
        list(mem.a)
