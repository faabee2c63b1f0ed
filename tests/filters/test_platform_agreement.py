"""The SDK's compiler agrees with the local platform's parser.

Every compiled filter of the table parses on the platform, and literals built
from arbitrary text are read back by the platform as exactly that text.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flowthings.filters import EXISTS, Filter, mem
from flowthings.local.query import parser as filter_lang

from .test_compile import CASES

# the local platform has no ZIP table, so ZIP points are refused there
_PARSEABLE = [case for case in CASES if "ZIP=" not in str(case.values[1])]


@pytest.mark.parametrize(("node", "expected"), _PARSEABLE)
def test_platform_parses_every_compiled_filter(node: Filter, expected: str) -> None:
    filter_lang.parse_filter(str(node))


def _matches(node: Filter, obj: dict[str, Any]) -> bool:
    return bool(filter_lang.parse_filter(str(node)).matches(obj))


@settings(deadline=None)  # CI machines are shared; examples are cheap anyway
@given(st.text())
@example("x') || (a == 'y")
@example("\\'")
@example("\n\x00\u2028")
def test_platform_reads_strings_back_exactly(s: str) -> None:
    assert _matches(mem.a == s, {"a": s})
    assert not _matches(mem.a == s, {"a": s + "!"})
    assert _matches(mem.a.IN("other", s), {"a": s})


@settings(deadline=None)  # CI machines are shared; examples are cheap anyway
@given(st.text(max_size=20))
@example("/a/b")
@example("a\\b")
@example("x\ny")
def test_platform_reads_regexes_back_exactly(s: str) -> None:
    pattern = "^" + re.escape(s) + "$"
    try:
        node = mem.a.re(pattern)
    except ValueError:  # raw control characters other than \n \r \t are refused
        assert re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]", s)
        return
    assert _matches(node, {"a": s})
    assert not _matches(node, {"a": s + "!"})


@pytest.mark.parametrize(
    ("node", "obj"),
    [
        pytest.param(mem["in"] == 1, {"in": 1}, id="in"),
        pytest.param(mem["IN"] == mem["of"], {"IN": 2, "of": 2}, id="IN-of"),
        pytest.param(mem.a == mem["date"], {"a": 3, "date": 3}, id="date-operand"),
        pytest.param(mem["contains"].IN(1), {"contains": 1}, id="contains"),
        pytest.param(mem["m"] == mem["miles"], {"m": 1, "miles": 1}, id="units"),
        pytest.param(mem["not_"] == 1, {"not_": 1}, id="not_"),
        pytest.param(mem["has-x"] == 1, {"has-x": 1}, id="hyphen"),
        pytest.param(mem.elems.age > 3, {"elems": {"age": 4}}, id="nested-keyword"),
        pytest.param(mem.age > 3, {"age": 4}, id="lowercase-age-member"),
        pytest.param(EXISTS(mem.has), {"has": 1}, id="lowercase-has-member"),
        pytest.param(mem.matches.re("x"), {"matches": "xy"}, id="lowercase-matches-member"),
    ],
)
def test_keyword_like_names_the_sdk_allows_are_members(node: Filter, obj: dict[str, Any]) -> None:
    assert _matches(node, obj)


def test_lone_surrogates_are_escaped_and_read_back() -> None:
    value = "a\ud800b\udfff"
    compiled = str(mem.a == value)
    assert compiled == "a == 'a\\ud800b\\udfff'"
    assert compiled.isascii()
    assert filter_lang.parse_filter(compiled).matches({"a": value})
