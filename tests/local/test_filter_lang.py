"""Tests of the local platform's Flow Filter Language engine (parse + evaluate)."""

from __future__ import annotations

from typing import Any

import pytest

from flowthings.local.query.parser import (
    MAX_FILTER_LENGTH,
    CompiledFilter,
    FilterSyntaxError,
    parse_filter,
)

NOW = 2_000_000

_DREF = {
    "type": "dropRef",
    "value": {
        "flowId": {"type": "id", "value": "0987654321ABCDEF12345678"},
        "dropId": {"type": "id", "value": "1234567890ABCDEF12345678"},
    },
}

TYPED_DROP: dict[str, Any] = {
    "id": "d0000000000018cc6666f6f00",
    "flowId": "f55523257adc66a5ff36e731c",
    "path": "/alice/apples",
    "creationDate": 1_000_000,
    "lastEditDate": 1_900_000,
    "location": {"lat": 40.703285, "lon": -73.987852, "specifiers": {}},
    "fhash": "20150623",
    "version": 0,
    "elems": {
        "aNumber": {"type": "integer", "value": 1},
        "length": {"type": "float", "value": 2.5},
        "width": {"type": "integer", "value": 3},
        "count": {"type": "integer", "value": 7},
        "neg": {"type": "integer", "value": -3},
        "big": {"type": "long", "value": 1433800947425},
        "name": {"type": "string", "value": "foo"},
        "alias": {"type": "string", "value": "foo"},
        "is_the_sky_blue": {"type": "boolean", "value": True},
        "birthday": {"type": "date", "value": 1302547651168},
        "anotherDrop": _DREF,
        "reply_email": {"type": "email", "value": "someone@example.com"},
        "status_codes": {
            "type": "sortedSet",
            "value": [{"type": "integer", "value": 75}, {"type": "integer", "value": 100}],
        },
        "stats": {
            "type": "map",
            "value": {"voltage": 15.4, "temp": {"type": "float", "value": 30.4}},
        },
        "home": {"type": "location", "value": {"lat": 51.5074, "lon": -0.1278}},
        "nothing": None,
    },
}

PLAIN_DROP: dict[str, Any] = {
    **TYPED_DROP,
    "elems": {
        "aNumber": 1,
        "length": 2.5,
        "width": 3,
        "count": 7,
        "neg": -3,
        "big": 1433800947425,
        "name": "foo",
        "alias": "foo",
        "is_the_sky_blue": True,
        "birthday": 1302547651168,
        "anotherDrop": {
            "flowId": "0987654321ABCDEF12345678",
            "dropId": "1234567890ABCDEF12345678",
        },
        "reply_email": "someone@example.com",
        "status_codes": [75, 100],
        "stats": {"voltage": 15.4, "temp": 30.4},
        "home": {"lat": 51.5074, "lon": -0.1278},
        "nothing": None,
    },
}

FLOW: dict[str, Any] = {
    "id": "f5575f4e02b738dfc9af7314c",
    "path": "/alice/pears/test1",
    "capacity": 500,
    "description": "This is a description",
    "filter": "a==2",
    "public": True,
    "creationDate": 1_000_000,
    "creatorId": "i551ac39ad4c6c02e55b74632",
    "lastEditDate": 1_900_000,
    "name": "/alice/pears/test1",
}


# --------------------------------------------------------------------- parsing

CANONICAL = [
    # filter-language.md §5: what the python SDK emits
    "foo == 1",
    "foo != 1",
    "foo > 1",
    "foo >= 1",
    "foo < 1",
    "foo <= 1",
    r"foo =~ /\/foo/i",
    "foo IN [1,2,3]",
    "foo CONTAINS [1,2,3]",
    "foo WITHIN 5 KM OF [1,2]",
    "AGE == 123",
    "AGE > 123",
    "AGE('lastEditDate') == 123",
    "EXISTS foo",
    "MATCHES /foo/i",
    "HAS foo",
    "NOT foo == 1",
    "(foo == 1) && (bar == 2)",
    "(foo == 1) || (bar == 2)",
    "foo == true",
    "displayName == 'foo'",
    r"displayName == 'it\'s'",
    # browser client
    '(foo == "bar")&&(n > 3)&&(re =~ /x/i)',
    # docs and other real filters
    "elems.aNumber<=1",
    "elems.length<=elems.width",
    "path==description",
    r"path =~ /^\/alice\//i",
    "reply_email=~/somebody@*/",
    'elems.color IN ["red", "blue"]',
    'elems.tags CONTAINS ["a", "b"]',
    "location WITHIN 5 MILES OF [40.703987, -73.986759]",
    "EXISTS elems.a",
    "EXISTS service_available",
    "HAS boolean",
    "HAS dropRef",
    "AGE < 600000",
    "AGE('lastEditDate') > 3600000",
    "NOT elems.x == 1",
    "elems.count % 2 == 0",
    "elems.count % 2 != 0",
    'path=="/alice/testf123"',
    'elems.foo=="bar"',
    'fhash == "20150623"',
    "elems.error_rate > 0.1",
    "somethingStrange == true",
    r"path =~ /\/greg\/test\/ruby/",
    "location WITHIN 50 MILES OF [40.5,-73.5]",
    "a==2",
    "birthday>Date(1342404840000)",
    "dropreference==ObjectId('1234567890ABCDEF12345678')",
    "reply_email==Email('someone@example.com')",
    "is_the_sky_blue==some_other_boolean",
    # lexical corners
    "x == -3",
    "x == 1e-05",
    "x == -2.5E+3",
    "x == .5",
    "x == null",
    "x IN []",
    "x IN [null, true, false, 'a', \"b\", 1, 2.5, Date(1), ObjectId('o'), Email('e')]",
    "NOT(foo == 1)",
    "x IN [1] && y CONTAINS [2] && z WITHIN 1 km OF [0,0]",
    # lower-case keywords are member names (1.0.5 sent `mem.age` as `age`)
    "age > 3 && has == 1 && not == 2 && exists == 3 && matches =~ /x/",
    "$weird-name_1.$x-y == 1",
    "elems.in == 1 && elems.not == 2 && elems.age == 3",
    "notable == 1",
    "x == age",
    "AGE ( 'lastEditDate' ) >= 1",
    "AGE(lastEditDate) != 1",
    "x == Date (5)",
    "  \t(  ( a==1 ) )  \n",
    "NOT NOT a == 1",
    "x WITHIN 1 foot OF [0, 0] || x WITHIN 1 M OF [0, 0]",
    "x =~ /a/gimsux",
    "x =~ //",
]


@pytest.mark.parametrize("text", [pytest.param(t, id=t) for t in CANONICAL])
def test_canonical_filters_parse(text: str) -> None:
    compiled = parse_filter(text)
    assert isinstance(compiled, CompiledFilter)
    assert compiled.source == text
    assert compiled.matches({}) in (True, False)


def test_parse_is_cached() -> None:
    assert parse_filter("a == 1") is parse_filter("a == 1")
    assert parse_filter("a == 1") == parse_filter("a == 1")
    assert repr(parse_filter("a == 1")) == "CompiledFilter('a == 1')"


# ------------------------------------------------------------------ evaluation

# (filter, expected) evaluated against both the typed and the plain drop.
DROP_CASES: list[tuple[str, bool]] = [
    # fixed-value comparisons
    ("aNumber == 1", True),
    ("aNumber == 1.0", True),
    ("elems.aNumber == 1", True),
    ("elems.aNumber.value == 1", True),
    ("aNumber != 1", False),
    ("aNumber != 2", True),
    ("aNumber < 2", True),
    ("aNumber<=1", True),
    ("aNumber > 1", False),
    ("aNumber >= 1", True),
    ("length == 2.5", True),
    ("big > 2147483647", True),
    ("name == 'foo'", True),
    ('name == "foo"', True),
    ("name != 'bar'", True),
    ("name < 'fop'", True),
    ("name > 'fo'", True),
    ("is_the_sky_blue == true", True),
    ("is_the_sky_blue == TRUE", True),
    ("is_the_sky_blue != false", True),
    ("is_the_sky_blue == 1", False),
    ("aNumber == true", False),
    ("is_the_sky_blue > false", False),
    ("stats.voltage > 15", True),
    ("elems.stats.temp == 30.4", True),
    ("elems.stats.value.voltage == 15.4", True),
    ("status_codes == 75", False),
    # mixed types: never true for ordering, != true
    ("name < 3", False),
    ("name >= 3", False),
    ("aNumber > 'a'", False),
    ("name != 3", True),
    ("name == 3", False),
    # top-level drop members
    ("path == '/alice/apples'", True),
    ('fhash == "20150623"', True),
    ("version == 0", True),
    ("id == ObjectId('d0000000000018cc6666f6f00')", True),
    ("creationDate == Date(1000000)", True),
    # member to member
    ("elems.length<=elems.width", True),
    ("length > width", False),
    ("name == alias", True),
    ("name != alias", False),
    ("aNumber == missing", False),
    ("missing != aNumber", False),
    ("missing == missing2", False),
    # missing members
    ("missing == 1", False),
    ("missing != 1", False),
    ("missing < 1", False),
    ("missing IN [1]", False),
    ("missing CONTAINS [1]", False),
    ("missing =~ /x/", False),
    ("missing % 2 == 0", False),
    ("missing % 2 != 0", False),
    ("missing WITHIN 1 KM OF [0,0]", False),
    ("NOT missing == 1", True),
    # null
    ("missing == null", True),
    ("missing != null", False),
    ("nothing == null", True),
    ("nothing != null", False),
    ("aNumber == null", False),
    ("aNumber != null", True),
    ("aNumber < null", False),
    ("missing IN [null, 1]", True),
    ("nothing IN [null]", True),
    # dates
    ("birthday > Date(1302547651167)", True),
    ("birthday == Date(1302547651168)", True),
    ("birthday == 1302547651168", True),
    ("birthday < Date(1302547651168)", False),
    # dropRef
    ("anotherDrop == ObjectId('0987654321ABCDEF12345678')", True),
    ("anotherDrop == ObjectId('1234567890ABCDEF12345678')", True),
    ("anotherDrop == '1234567890ABCDEF12345678'", True),
    ("anotherDrop == 'nope'", False),
    ("anotherDrop != 'nope'", True),
    ("anotherDrop IN ['x', '1234567890ABCDEF12345678']", True),
    # email
    ("reply_email == Email('someone@example.com')", True),
    ("reply_email != 'someone@example.com'", False),
    ("reply_email =~ /@example\\.com$/", True),
    # modulo (remainder has the sign of the dividend)
    ("count % 2 == 1", True),
    ("count % 2 != 1", False),
    ("elems.count % 7 == 0", True),
    ("count % 2.5 == 2", True),
    ("neg % 2 == -1", True),
    ("neg % 2 == 1", False),
    ("name % 2 == 0", False),
    # regex
    ("name =~ /fo/", True),
    ("name =~ /^o/", False),
    ("name =~ /O+/i", True),
    ("name =~ /O+/", False),
    (r"path =~ /^\/alice\//i", True),
    ("path =~ /apples$/", True),
    ("aNumber =~ /1/", False),
    ("name =~ /f o o/x", True),
    # IN / CONTAINS
    ("aNumber IN [1,2,3]", True),
    ("aNumber IN [2,3]", False),
    ("aNumber IN []", False),
    ("name IN ['bar', 'foo']", True),
    ("status_codes CONTAINS [75]", True),
    ("status_codes CONTAINS [100, 75]", True),
    ("status_codes CONTAINS [75, 76]", False),
    ("status_codes CONTAINS []", True),
    ("name CONTAINS ['f']", False),
    # WITHIN: the drop's location is in Brooklyn; `home` is a location element in London
    ("location WITHIN 5 MILES OF [40.703987, -73.986759]", True),
    ("location WITHIN 125 meters OF [40.703987, -73.986759]", True),
    ("location WITHIN 115 meters OF [40.703987, -73.986759]", False),
    ("location WITHIN 10 M OF [40.703987, -73.986759]", False),
    ("location WITHIN 1 KM OF [40.7128, -74.0060]", False),
    ("location WITHIN 2 km OF [40.7128, -74.0060]", True),
    ("location WITHIN 5000 FEET OF [40.703987, -73.986759]", True),
    ("location WITHIN 100 feet OF [40.703987, -73.986759]", False),
    ("home WITHIN 1 KILOMETER OF [51.5072, -0.1276]", True),
    ("home WITHIN 5 MILES OF [40.703987, -73.986759]", False),
    ("name WITHIN 5 MILES OF [0, 0]", False),
    # ZIP points: 11201 (Brooklyn Heights) has its centroid ~1.15 km from the drop's location
    ("location WITHIN 2 KM OF [ZIP=11201]", True),
    ("location WITHIN 1 KM OF [ZIP=11201]", False),
    ("location WITHIN 2 km OF [ zip = 11201-2345 ]", True),
    ("location WITHIN 10 KM OF [ZIP=10001]", True),
    ("location WITHIN 100 MILES OF [ZIP=2134]", False),  # Boston, zero-padded to 02134
    ("location WITHIN 200 MILES OF [ZIP=2134]", True),
    # EXISTS
    ("EXISTS aNumber", True),
    ("EXISTS elems.aNumber", True),
    ("EXISTS elems.stats.voltage", True),
    ("EXISTS missing", False),
    ("EXISTS nothing", False),
    ("EXISTS fhash", True),
    # HAS (plain values use the inferred mapping)
    ("HAS boolean", True),
    ("HAS string", True),
    ("HAS integer", True),
    ("HAS long", True),
    ("HAS float", True),
    ("HAS map", True),
    ("HAS Boolean", True),
    ("HAS unknownType", False),
    # MATCHES
    ("MATCHES /someone@/", True),
    ("MATCHES /APPLES/i", True),
    ("MATCHES /^20150623$/", True),
    ("MATCHES /absent-text/", False),
    ("MATCHES /^aNumber$/", False),
    # AGE (now = 2_000_000, created at 1_000_000, edited at 1_900_000)
    ("AGE == 1000000", True),
    ("AGE > 999999", True),
    ("AGE < 600000", False),
    ("AGE != 1", True),
    ("AGE('lastEditDate') == 100000", True),
    ("AGE('lastEditDate') <= 99999", False),
    ("AGE(lastEditDate) >= 100000", True),
    ("AGE('missing') > 0", False),
    ("AGE('name') > 0", False),
    # boolean structure
    ("NOT aNumber == 1", False),
    ("NOT aNumber == 2", True),
    ("(aNumber == 1) && (name == 'foo')", True),
    ("(aNumber == 1) && (name == 'bar')", False),
    ("(aNumber == 2) || (name == 'foo')", True),
    ("(aNumber == 2) || (name == 'bar')", False),
]


@pytest.mark.parametrize(
    "drop", [pytest.param(TYPED_DROP, id="typed"), pytest.param(PLAIN_DROP, id="plain")]
)
@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=t) for t, e in DROP_CASES])
def test_drop_evaluation(text: str, expected: bool, drop: dict[str, Any]) -> None:
    assert parse_filter(text).matches(drop, now_ms=NOW, drop=True) is expected


TYPED_ONLY_CASES: list[tuple[str, bool]] = [
    ("HAS dropRef", True),
    ("HAS date", True),
    ("HAS email", True),
    ("HAS sortedSet", True),
    ("HAS location", True),
    ("HAS list", False),
    ("elems.is_the_sky_blue.type == 'boolean'", True),
    ("AGE('birthday') > 0", False),
    ("MATCHES /^integer$/", False),  # type tags are not searched
]

PLAIN_ONLY_CASES: list[tuple[str, bool]] = [
    ("HAS dropRef", False),
    ("HAS list", True),
    ("elems.status_codes.value CONTAINS [75]", True),
    ("parentDropId == 'x'", False),
]


@pytest.mark.parametrize(
    ("drop", "text", "expected"),
    [pytest.param(TYPED_DROP, t, e, id=f"typed-{t}") for t, e in TYPED_ONLY_CASES]
    + [pytest.param(PLAIN_DROP, t, e, id=f"plain-{t}") for t, e in PLAIN_ONLY_CASES],
)
def test_drop_typed_or_plain_only(drop: dict[str, Any], text: str, expected: bool) -> None:
    assert parse_filter(text).matches(drop, now_ms=NOW, drop=True) is expected


FLOW_CASES: list[tuple[str, bool]] = [
    ("path == '/alice/pears/test1'", True),
    ("path==name", True),
    ("path==description", False),
    ("capacity > 100", True),
    ("capacity % 100 == 0", True),
    ("public == true", True),
    ("description =~ /DESCRIPTION/i", True),
    ("EXISTS filter", True),
    ("EXISTS elems", False),
    ("aNumber == 1", False),  # no elems resolution without drop=True
    ("AGE == 1000000", True),
    ("AGE('lastEditDate') < 200000", True),
    ("HAS boolean", True),
    ("HAS dropRef", False),
    ("MATCHES /^a==2$/", True),
    ("NOT (path =~ /^\\/bob\\//) && (capacity == 500)", True),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=t) for t, e in FLOW_CASES])
def test_flow_evaluation(text: str, expected: bool) -> None:
    assert parse_filter(text).matches(FLOW, now_ms=NOW) is expected


def test_drop_resolution_falls_back_to_elems() -> None:
    drop = {"path": "/a/b", "elems": {"path": "element", "version": 3}}
    assert parse_filter("path == '/a/b'").matches(drop, drop=True)
    assert parse_filter("elems.path == 'element'").matches(drop, drop=True)
    # a drop member that the drop lacks is looked up in elems
    assert parse_filter("version == 3").matches(drop, drop=True)
    assert not parse_filter("version == 3").matches(drop)


def test_parent_drop_id_matches_either_id() -> None:
    drop = {"parentDropId": {"flowId": "f1", "dropId": "d1"}, "elems": {}}
    assert parse_filter("parentDropId == 'd1'").matches(drop, drop=True)
    assert parse_filter("parentDropId == ObjectId('f1')").matches(drop, drop=True)


def test_age_defaults_to_the_current_time() -> None:
    import time

    now = time.time_ns() // 1_000_000
    recent = {"creationDate": now - 1_000}
    assert parse_filter("AGE < 60000").matches(recent)
    assert not parse_filter("AGE < 60000").matches({"creationDate": now - 120_000})


def test_typed_nested_collections_compare_by_value() -> None:
    drop = {
        "elems": {
            "tags": {"type": "set", "value": [{"type": "string", "value": "a"}, "b"]},
            "m": {
                "type": "map",
                "value": {"k": {"type": "list", "value": [1, {"type": "integer", "value": 2}]}},
            },
        }
    }
    assert parse_filter("tags CONTAINS ['a', 'b']").matches(drop, drop=True)
    assert parse_filter("m.k CONTAINS [2]").matches(drop, drop=True)
    assert parse_filter("elems.m.value.k CONTAINS [1, 2]").matches(drop, drop=True)


def test_user_map_with_type_key_is_not_a_typed_element() -> None:
    drop = {"elems": {"m": {"type": "custom", "value": 5}}}
    assert parse_filter("m.type == 'custom'").matches(drop, drop=True)
    assert not parse_filter("m == 5").matches(drop, drop=True)


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(None, id="none"),
        pytest.param([], id="list"),
        pytest.param("text", id="str"),
        pytest.param({"elems": None}, id="elems-none"),
        pytest.param({"elems": [1, 2]}, id="elems-list"),
        pytest.param({"location": "here", "creationDate": "yesterday"}, id="odd-values"),
        pytest.param({"elems": {"x": {"type": "integer"}}}, id="half-typed"),
        pytest.param({"elems": {"x": float("nan")}}, id="nan"),
        pytest.param({"elems": {"x": 10**400}}, id="huge-int"),
    ],
)
@pytest.mark.parametrize(
    "text",
    [
        "x == 1",
        "x % 1.5 == 0",
        "x < 1",
        "location WITHIN 1 KM OF [0,0]",
        "AGE > 1",
        "HAS map",
        "MATCHES /x/",
        "EXISTS x",
        "x CONTAINS [1]",
    ],
)
def test_odd_objects_never_raise(obj: Any, text: str) -> None:
    assert parse_filter(text).matches(obj, now_ms=NOW, drop=True) in (True, False)


# ------------------------------------------------------------------ precedence

PRECEDENCE_CASES = [
    ("a == 1 || b == 1 && c == 1", lambda a, b, c: a or (b and c)),
    ("a == 1 && b == 1 || c == 1", lambda a, b, c: (a and b) or c),
    ("NOT a == 1 && b == 1", lambda a, b, c: (not a) and b),
    ("NOT (a == 1) && (b == 1)", lambda a, b, c: (not a) and b),
    ("NOT (a == 1 && b == 1)", lambda a, b, c: not (a and b)),
    ("NOT a == 1 || b == 1", lambda a, b, c: (not a) or b),
    ("(a == 1 || b == 1) && c == 1", lambda a, b, c: (a or b) and c),
    ("NOT NOT a == 1", lambda a, b, c: a),
    ("a == 1 || NOT b == 1 && NOT c == 1", lambda a, b, c: a or ((not b) and (not c))),
    ("a==1&&b==1||c==1&&NOT a==1", lambda a, b, c: (a and b) or (c and not a)),
]


@pytest.mark.parametrize(
    ("text", "reference"), [pytest.param(t, r, id=t) for t, r in PRECEDENCE_CASES]
)
def test_precedence(text: str, reference: Any) -> None:
    compiled = parse_filter(text)
    for bits in range(8):
        a, b, c = (bits >> 2) & 1, (bits >> 1) & 1, bits & 1
        obj = {"elems": {"a": a, "b": b, "c": c}}
        assert compiled.matches(obj, drop=True) is bool(reference(a, b, c)), (a, b, c)


# --------------------------------------------------------------------- strings

ESCAPE_CASES = [
    (r"'plain'", "plain"),
    (r"'it\'s'", "it's"),
    (r'"say \"hi\""', 'say "hi"'),
    (r"'back\\slash'", "back\\slash"),
    (r"'a\/b'", "a/b"),
    (r"'\n\r\t\b\f'", "\n\r\t\b\f"),
    (r"'\u00e9\u0041'", "éA"),
    (r"'\ud83d\ude00'", "\U0001f600"),
    ("'double \" inside single'", 'double " inside single'),
    ('"single \' inside double"', "single ' inside double"),
    ("'raw é unicode'", "raw é unicode"),
    ("''", ""),
]


@pytest.mark.parametrize(
    ("literal", "value"), [pytest.param(lit, v, id=lit) for lit, v in ESCAPE_CASES]
)
def test_string_escapes(literal: str, value: str) -> None:
    compiled = parse_filter(f"s == {literal}")
    assert compiled.matches({"s": value})
    assert not compiled.matches({"s": value + "x"})


@pytest.mark.parametrize(
    ("regex", "value", "expected"),
    [
        pytest.param(r"/\/foo/i", "/a/FOO", True, id="escaped-slash"),
        pytest.param(r"/a\\b/", "a\\b", True, id="escaped-backslash"),
        pytest.param(r"/\d+/", "abc123", True, id="class-escape"),
        pytest.param(r"/^a.b$/s", "a\nb", True, id="dotall"),
        pytest.param(r"/^b$/m", "a\nb", True, id="multiline"),
        pytest.param(r"/^b$/", "a\nb", False, id="no-multiline"),
        pytest.param(r"/somebody@*/", "reply to somebody@example.com", True, id="find-not-match"),
    ],
)
def test_regex_literals(regex: str, value: str, expected: bool) -> None:
    assert parse_filter(f"s =~ {regex}").matches({"s": value}) is expected


# ---------------------------------------------------------------------- errors

BAD_FILTERS = [
    ("", "empty filter", None),
    ("   ", "empty filter", None),
    ("foo = 1", "use '=='", 5),
    ("foo ==", "unexpected end of filter", None),
    ("foo == 'abc", "unterminated string", 8),
    ("x =~ /abc", "unterminated regex", 6),
    ("x =~ /a(/", "invalid regex /a(/", 6),
    ("x =~ /a/q", "unknown regex flag 'q'", 6),
    ("a == 1 & b == 2", "use '&&'", 8),
    ("a == 1 | b == 2", "use '||'", 8),
    ("foo WITHIN 5 KM OF [ZIP=123]", "unknown US ZIP code '123'", 20),
    ("foo WITHIN 5 km OF [ zip = 1234x ]", "'1234x' is not a US ZIP code", 20),
    ("foo WITHIN 5 km OF [ZIP=123456]", "is not a US ZIP code", 20),
    ("exists foo", "unexpected", None),
    ("x in [1]", "unexpected", None),
    ("foo WITHIN 5 LY OF [1,2]", "distance unit", 14),
    ("foo WITHIN -5 KM OF [1,2]", "must not be negative", 12),
    ("foo WITHIN 5 KM OF [91,2]", "latitude", 21),
    ("foo WITHIN 5 KM OF [1,181]", "longitude", 23),
    ("x == 'a\\q'", "invalid escape '\\q'", 6),
    ('x == "\\u12"', "4 hex digits", 6),
    ("((a == 1)", "expected ')'", None),
    ("(a == 1))", "unexpected ')'", 9),
    ("x % 0 == 1", "modulo by zero", 5),
    ("x % 2 < 1", "modulo only supports == and !=", 7),
    ("x == Date(1.5)", "integer milliseconds", 11),
    ("x == 1e999", "out of range", 6),
    ("1 == a", "unexpected '1' at column 1", 1),
    ("a.b. == 1", "expected a member name", 6),
    ("foo == 1 bar", "unexpected 'bar' at column 10", 10),
    ("foo IN [1,", "unexpected end of filter", None),
    ("NOT", "unexpected end of filter", None),
    ("x == /a/", "unexpected '/a/' at column 6", 6),
    ("x ≥ 2", "unexpected character '≥' at column 3", 3),
    ("a == 1\n&& b ==", "unexpected end of filter", None),
    ("a == 1\n&& ) == 2", "at line 2, column 4", 4),
    ("AGE('') > 1", "needs a member name", 5),
    ("AGE =~ /x/", "comparison operator", 5),
    ("x" * (MAX_FILTER_LENGTH - 4) + " == 1", "too long", None),
    ("NOT " * 200 + "a == 1", "nested too deeply", None),
    ("(a == 1 && " * 120 + "b == 1" + ")" * 120, "nested too deeply", None),
]


@pytest.mark.parametrize(
    ("text", "message", "column"), [pytest.param(t, m, c, id=t[:40]) for t, m, c in BAD_FILTERS]
)
def test_bad_filters(text: str, message: str, column: int | None) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(text)
    assert message in str(info.value)
    if column is not None:
        assert info.value.column == column
    assert isinstance(info.value, ValueError)


def test_longest_filter_is_accepted() -> None:
    text = "x" * (MAX_FILTER_LENGTH - 5) + " == 1"
    assert len(text) == MAX_FILTER_LENGTH
    assert parse_filter(text).matches({"x" * (MAX_FILTER_LENGTH - 5): 1})


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="none"),
        pytest.param(b"a == 1", id="bytes"),
        pytest.param(["a"], id="list"),
    ],
)
def test_non_string_filter(value: Any) -> None:
    with pytest.raises(FilterSyntaxError, match="must be a string"):
        parse_filter(value)
