"""Compiled filter strings: every operator and combination, byte for byte.

Strings marked "1.0.5" are exactly what flowthings 1.0.5 emitted for the same
expression (the contract); the others cover what 2.0 adds.
"""

from __future__ import annotations

import datetime as dt
import enum

import pytest

from flowthings.filters import (
    AGE,
    EXISTS,
    HAS,
    MATCHES,
    NOT,
    And,
    Filter,
    Member,
    Not,
    Or,
    compile_filter,
    mem,
)

_A = mem.a == 1
_B = mem.b == 2
_C = mem.c == 3


class Color(enum.IntEnum):
    RED = 1


class Name(str, enum.Enum):
    BOB = "bob"


MEMBERS = [
    pytest.param(mem.foo, "foo", id="attr"),
    pytest.param(mem["foo"], "foo", id="item"),
    pytest.param(mem.a.b, "a.b", id="nested-attr"),
    pytest.param(mem["elems"].foo, "elems.foo", id="item-then-attr"),
    pytest.param(mem.elems["foo"], "elems.foo", id="attr-then-item"),
    pytest.param(mem["a.b"], "a.b", id="dotted-item"),
    pytest.param(mem["a-b"], "a-b", id="hyphen"),
    pytest.param(mem["$x"]._y, "$x._y", id="dollar-underscore"),
    pytest.param(mem.elems["re"], "elems.re", id="method-name-via-item"),
    pytest.param(mem.elems.age, "elems.age", id="keyword-nested-ok"),
    pytest.param(mem.age, "age", id="lowercase-keyword-is-a-member-as-in-1.0.5"),
    pytest.param(mem.has.exists, "has.exists", id="lowercase-keywords-path"),
    pytest.param(Member.from_path(("elems", "foo")), "elems.foo", id="from-path-tuple"),
    pytest.param(Member.from_path("elems.foo"), "elems.foo", id="from-path-str"),
]


@pytest.mark.parametrize(("member", "expected"), MEMBERS)
def test_member_names(member: Member, expected: str) -> None:
    assert str(member) == expected


CASES = [
    # comparisons (1.0.5)
    pytest.param(mem.foo == 1, "foo == 1", id="eq"),
    pytest.param(mem.foo != 1, "foo != 1", id="ne"),
    pytest.param(mem.foo > 1, "foo > 1", id="gt"),
    pytest.param(mem.foo >= 1, "foo >= 1", id="ge"),
    pytest.param(mem.foo < 1, "foo < 1", id="lt"),
    pytest.param(mem.foo <= 1, "foo <= 1", id="le"),
    pytest.param(1 < mem.foo, "foo > 1", id="reflected-lt"),  # noqa: SIM300
    pytest.param(1 == mem.foo, "foo == 1", id="reflected-eq"),  # noqa: SIM300
    # operand rendering (1.0.5)
    pytest.param(mem.foo == True, "foo == true", id="true"),  # noqa: E712
    pytest.param(mem.foo == False, "foo == false", id="false"),  # noqa: E712
    pytest.param(mem.displayName == "foo", "displayName == 'foo'", id="str"),
    pytest.param(mem.foo == "it's", "foo == 'it\\'s'", id="str-quote"),
    pytest.param(mem.foo == 'say "hi"', "foo == 'say \"hi\"'", id="str-double-quote"),
    pytest.param(mem.foo == "", "foo == ''", id="str-empty"),
    pytest.param(mem.foo == "/a/b", "foo == '/a/b'", id="str-slashes"),
    pytest.param(mem.foo == "héllo ☃ 😀", "foo == 'héllo ☃ 😀'", id="str-unicode"),
    pytest.param(mem.foo == 1.5, "foo == 1.5", id="float"),
    pytest.param(mem.foo == -3, "foo == -3", id="negative"),
    pytest.param(mem.foo == 1e-05, "foo == 1e-05", id="float-exp"),
    pytest.param(mem.foo == 10**20, "foo == 100000000000000000000", id="bigint"),
    pytest.param(mem.foo == Color.RED, "foo == 1", id="intenum"),
    pytest.param(mem.foo == Name.BOB, "foo == 'bob'", id="str-enum"),
    # escaping beyond 1.0.5
    pytest.param(mem.foo == "a\\b", "foo == 'a\\\\b'", id="str-backslash"),
    pytest.param(mem.foo == "a\nb\rc\td", "foo == 'a\\nb\\rc\\td'", id="str-newline-cr-tab"),
    pytest.param(mem.foo == "\x00\x1f\x7f", "foo == '\\u0000\\u001f\\u007f'", id="str-controls"),
    pytest.param(mem.foo == "\u2028\u2029", "foo == '\\u2028\\u2029'", id="str-line-seps"),
    pytest.param(mem.foo == "x') || (y == 'z", "foo == 'x\\') || (y == \\'z'", id="str-injection"),
    pytest.param(mem.foo == "\\'", "foo == '\\\\\\''", id="str-backslash-quote"),
    # member to member (platform docs)
    pytest.param(mem.a <= mem.b, "a <= b", id="member-le-member"),
    pytest.param(mem.path == mem.description, "path == description", id="member-eq-member"),
    pytest.param(mem.elems.length <= mem.elems.width, "elems.length <= elems.width", id="nested"),
    # dates (platform docs)
    pytest.param(
        mem.d > dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc),
        "d > Date(1577836800000)",
        id="datetime-aware",
    ),
    pytest.param(mem.d > dt.datetime(2020, 1, 1), "d > Date(1577836800000)", id="datetime-naive"),
    pytest.param(
        mem.d == dt.datetime(2020, 1, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "d == Date(1577836800000)",
        id="datetime-offset",
    ),
    pytest.param(
        mem.d < dt.datetime(1969, 12, 31, 23, 59, 59, 999500),
        "d < Date(-1)",
        id="datetime-before-epoch",
    ),
    pytest.param(
        mem.d == dt.datetime(2012, 7, 16, 2, 14, 0, 123999, tzinfo=dt.timezone.utc),
        "d == Date(1342404840123)",
        id="datetime-truncates-micros",
    ),
    # modulo (platform docs)
    pytest.param((mem.count % 2) == 0, "count % 2 == 0", id="mod-eq"),
    pytest.param((mem.elems.count % 3) != 1, "elems.count % 3 != 1", id="mod-ne"),
    # regex (1.0.5)
    pytest.param(mem.foo.re("/foo", "i"), "foo =~ /\\/foo/i", id="re-slash"),
    pytest.param(mem.foo.re("foo"), "foo =~ /foo/", id="re-no-flags"),
    pytest.param(mem.path.re("^/alice/", "i"), "path =~ /^\\/alice\\//i", id="re-path"),
    pytest.param(mem.foo.re("a\\/b"), "foo =~ /a\\/b/", id="re-escaped-slash-kept"),
    pytest.param(mem.foo.re("\\d+\\.\\d"), "foo =~ /\\d+\\.\\d/", id="re-escapes-kept"),
    pytest.param(mem.foo.re("a\\\\/b"), "foo =~ /a\\\\\\/b/", id="re-escaped-backslash-slash"),
    pytest.param(mem.foo.re("a\nb\tc\rd"), "foo =~ /a\\nb\\tc\\rd/", id="re-controls"),
    pytest.param(mem.foo.re("x", "imsxgu"), "foo =~ /x/imsxgu", id="re-all-flags"),
    pytest.param(mem.foo.re("'"), "foo =~ /'/", id="re-quote"),
    pytest.param(mem.foo.re("a b # c\\n", "x"), "foo =~ /a b # c\\n/x", id="re-verbose"),
    # lists (1.0.5)
    pytest.param(mem.foo.IN(1, 2, 3), "foo IN [1,2,3]", id="in"),
    pytest.param(mem.foo.IN("a", "b"), "foo IN ['a','b']", id="in-str"),
    pytest.param(mem.foo.IN([1, 2]), "foo IN [1,2]", id="in-list-arg"),
    pytest.param(mem.foo.IN((1,)), "foo IN [1]", id="in-tuple-arg"),
    pytest.param(mem.foo.IN(True, 1.5, "x'"), "foo IN [true,1.5,'x\\'']", id="in-mixed"),
    pytest.param(mem.foo.CONTAINS(1, 2, 3), "foo CONTAINS [1,2,3]", id="contains"),
    pytest.param(mem.foo.CONTAINS(["a"]), "foo CONTAINS ['a']", id="contains-list-arg"),
    pytest.param(mem.d.IN(dt.datetime(1970, 1, 1, 0, 0, 1)), "d IN [Date(1000)]", id="in-datetime"),
    # WITHIN (1.0.5)
    pytest.param(mem.foo.WITHIN(5, "KM", [1, 2]), "foo WITHIN 5 KM OF [1,2]", id="within"),
    pytest.param(mem.foo.WITHIN(5, "KM", zip=123), "foo WITHIN 5 KM OF [ZIP=123]", id="zip"),
    pytest.param(
        mem.location.WITHIN(5, coords=(40.703987, -73.986759)),
        "location WITHIN 5 MILES OF [40.703987,-73.986759]",
        id="within-default-miles",
    ),
    pytest.param(
        mem.location.WITHIN(2.5, "km", (1.5, 2)),  # type: ignore[arg-type]
        "location WITHIN 2.5 KM OF [1.5,2]",
        id="within-lowercase-unit",
    ),
    pytest.param(
        mem.location.WITHIN(1, "FEET", zip="02134"),
        "location WITHIN 1 FEET OF [ZIP=02134]",
        id="zip-str",
    ),
    pytest.param(
        mem.location.WITHIN(0, "METERS", None, 1), "location WITHIN 0 METERS OF [ZIP=1]", id="pos"
    ),
    pytest.param(
        mem.location.WITHIN(3, "KILOMETERS", [0, 0]),
        "location WITHIN 3 KILOMETERS OF [0,0]",
        id="within-kilometers",
    ),
    # AGE (1.0.5)
    pytest.param(AGE == 123, "AGE == 123", id="age-eq"),
    pytest.param(AGE != 123, "AGE != 123", id="age-ne"),
    pytest.param(AGE > 123, "AGE > 123", id="age-gt"),
    pytest.param(AGE >= 123, "AGE >= 123", id="age-ge"),
    pytest.param(AGE < 123, "AGE < 123", id="age-lt"),
    pytest.param(AGE <= 123, "AGE <= 123", id="age-le"),
    pytest.param(AGE < 0.5, "AGE < 0.5", id="age-float"),
    pytest.param(AGE("lastEditDate") == 123, "AGE('lastEditDate') == 123", id="age-field"),
    pytest.param(AGE("a")("b") > 1, "AGE('a.b') > 1", id="age-field-chain"),
    pytest.param(AGE(mem.elems.when) > 1, "AGE('elems.when') > 1", id="age-member"),
    pytest.param(AGE < dt.timedelta(minutes=1), "AGE < 60000", id="age-timedelta"),  # noqa: SIM300
    pytest.param(AGE < dt.timedelta(microseconds=1500), "AGE < 1.5", id="age-timedelta-frac"),  # noqa: SIM300
    # prefix operators (1.0.5)
    pytest.param(EXISTS("foo"), "EXISTS foo", id="exists-str"),
    pytest.param(EXISTS(mem.foo), "EXISTS foo", id="exists-member"),
    pytest.param(EXISTS("elems.a"), "EXISTS elems.a", id="exists-dotted"),
    pytest.param(HAS("foo"), "HAS foo", id="has"),
    pytest.param(HAS("dropRef"), "HAS dropRef", id="has-camel"),
    pytest.param(MATCHES("foo", "i"), "MATCHES /foo/i", id="matches"),
    pytest.param(MATCHES("a/b"), "MATCHES /a\\/b/", id="matches-slash"),
    # NOT (1.0.5 for simple rules)
    pytest.param(NOT(mem.foo == 1), "NOT foo == 1", id="not"),
    pytest.param(~(mem.foo == 1), "NOT foo == 1", id="invert"),
    pytest.param(NOT(EXISTS("x")), "NOT EXISTS x", id="not-exists"),
    pytest.param(NOT(NOT(_A)), "NOT NOT a == 1", id="not-not"),
    pytest.param(NOT(_A & _B), "NOT ((a == 1) && (b == 2))", id="not-and-grouped"),
    pytest.param(~(_A | _B), "NOT ((a == 1) || (b == 2))", id="not-or-grouped"),
    pytest.param(NOT("a == 1 || b == 2"), "NOT (a == 1 || b == 2)", id="not-raw-grouped"),
    # AND / OR (1.0.5)
    pytest.param((mem.foo == 1).AND(mem.bar == 2), "(foo == 1) && (bar == 2)", id="and"),
    pytest.param((mem.foo == 1).OR(mem.bar == 2), "(foo == 1) || (bar == 2)", id="or"),
    pytest.param(_A.AND(_B).AND(_C), "((a == 1) && (b == 2)) && (c == 3)", id="and-chain"),
    pytest.param(_A.OR(_B).OR(_C), "((a == 1) || (b == 2)) || (c == 3)", id="or-chain"),
    pytest.param(_A.AND(_B.OR(_C)), "(a == 1) && ((b == 2) || (c == 3))", id="and-of-or"),
    pytest.param(_A & _B & _C, "((a == 1) && (b == 2)) && (c == 3)", id="amp-chain"),
    pytest.param(_A | _B & _C, "(a == 1) || ((b == 2) && (c == 3))", id="python-precedence"),
    pytest.param((_A | _B) & NOT(_C), "((a == 1) || (b == 2)) && (NOT c == 3)", id="or-and-not"),
    pytest.param(
        NOT(_A & ~_B) | EXISTS("x"),
        "(NOT ((a == 1) && (NOT b == 2))) || (EXISTS x)",
        id="nested-not",
    ),
    pytest.param(_A & "b == 2", "(a == 1) && (b == 2)", id="and-raw"),
    pytest.param("b == 2" | _A, "(b == 2) || (a == 1)", id="raw-or-reflected"),
    pytest.param(_A.AND("x == 1 || y == 2"), "(a == 1) && (x == 1 || y == 2)", id="AND-raw"),
    pytest.param(
        (AGE > 5) & mem.path.re("^/a") & mem.x.IN(1),
        "((AGE > 5) && (path =~ /^\\/a/)) && (x IN [1])",
        id="mixed",
    ),
]


@pytest.mark.parametrize(("node", "expected"), CASES)
def test_compiled_string(node: Filter, expected: str) -> None:
    assert str(node) == expected
    assert compile_filter(node) == expected


def test_raw_string_passes_through() -> None:
    assert compile_filter("anything goes") == "anything goes"


@pytest.mark.parametrize(
    ("operator_form", "method_form"),
    [
        pytest.param(_A & _B, _A.AND(_B), id="and"),
        pytest.param(_A | _B, _A.OR(_B), id="or"),
        pytest.param(~_A, NOT(_A), id="not"),
        pytest.param(_A & _B | ~_C, _A.AND(_B).OR(NOT(_C)), id="combined"),
    ],
)
def test_operators_build_the_same_tree_as_methods(
    operator_form: Filter, method_form: Filter
) -> None:
    assert operator_form == method_form
    assert str(operator_form) == str(method_form)


def test_long_and_chains_compile_without_recursion_limits() -> None:
    clauses = [mem.a == i for i in range(3000)]
    chain: Filter = clauses[0]
    for clause in clauses[1:]:
        chain = chain.AND(clause)
    compiled = str(chain)
    assert compiled.startswith("(" * 2999 + "a == 0) && (a == 1))")
    assert compiled.endswith(") && (a == 2999)")


@pytest.mark.parametrize(
    "node",
    [
        pytest.param(_A.AND(_B).OR(_C).AND(NOT(_A | _B)), id="mixed-chain"),
        pytest.param(_A | (_B & (_C | _A)), id="right-nested"),
    ],
)
def test_chain_compiler_matches_the_recursive_definition(node: Filter) -> None:
    def naive(n: Filter) -> str:
        if isinstance(n, And):
            return f"({naive(n.left)}) && ({naive(n.right)})"
        if isinstance(n, Or):
            return f"({naive(n.left)}) || ({naive(n.right)})"
        if isinstance(n, Not) and isinstance(n.operand, (And, Or)):
            return f"NOT ({naive(n.operand)})"
        return str(n)

    assert str(node) == naive(node)
