"""Property tests: the filter engine only ever raises FilterSyntaxError, and never
raises while matching."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowthings.local.query.parser import CompiledFilter, FilterSyntaxError, parse_filter

_SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of the language (valid and broken) so that generated texts get past the
# lexer and into the parser and the compiler.
_VOCABULARY = [
    "NOT",
    "not",
    "EXISTS",
    "HAS",
    "MATCHES",
    "AGE",
    "IN",
    "CONTAINS",
    "WITHIN",
    "OF",
    "KM",
    "MILES",
    "m",
    "feet",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "%",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=~",
    "=",
    "&&",
    "||",
    "&",
    "|",
    "!",
    "elems",
    "x",
    "y",
    "$a-b",
    "age",
    "1",
    "-1",
    "0",
    "2.5",
    "1e-05",
    "1e999",
    "-",
    ".5",
    "true",
    "false",
    "null",
    "'s'",
    "'it\\'s'",
    '"d"',
    "'\\u00e9'",
    "'\\q'",
    "'",
    '"',
    "/re/i",
    "/a(/",
    "/x/q",
    "//",
    "/",
    "\\",
    "Date(",
    "Date(1)",
    "ObjectId('o')",
    "Email('e')",
    "[ZIP=1]",
    "[1,2]",
    "[91,0]",
    "AGE('lastEditDate')",
    "\n",
    "é",
    "\x00",
]

_soup = st.lists(st.sampled_from(_VOCABULARY), max_size=25).flatmap(
    lambda words: st.lists(
        st.sampled_from(["", " ", "  "]), min_size=len(words), max_size=len(words)
    ).map(lambda gaps: "".join(w + g for w, g in zip(words, gaps, strict=True)))
)


def _parse_or_syntax_error(text: str) -> None:
    try:
        compiled = parse_filter(text)
    except FilterSyntaxError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        return
    assert isinstance(compiled, CompiledFilter)
    assert compiled.source == text


@_SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_filter_syntax_error(text: str) -> None:
    _parse_or_syntax_error(text)


@_SETTINGS
@given(_soup)
def test_token_soup_raises_only_filter_syntax_error(text: str) -> None:
    _parse_or_syntax_error(text)


_TYPE_NAMES = [
    "integer",
    "long",
    "float",
    "string",
    "boolean",
    "date",
    "email",
    "id",
    "set",
    "list",
    "sortedSet",
    "map",
    "location",
    "dropRef",
    "custom",
]

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text(max_size=8)
)


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["x", "y", "lat", "lon", "value", "type", "flowId", "dropId"]),
            children,
            max_size=4,
        )
        | st.fixed_dictionaries({"type": st.sampled_from(_TYPE_NAMES), "value": children})
    )


_json = st.recursive(_scalars, _extend, max_leaves=12)

_objects = st.fixed_dictionaries(
    {},
    optional={
        "elems": _json | st.dictionaries(st.sampled_from(["x", "y", "z"]), _json, max_size=3),
        "x": _json,
        "location": _json,
        "creationDate": _json,
        "path": _json,
    },
)

_FILTERS = [
    "x == 1",
    "x != 'a'",
    "x < 2.5",
    "x >= y",
    "x == y",
    "x != null",
    "x == null",
    "x % 3 == 1",
    "x % 0.5 != 0",
    "x =~ /a/i",
    "x IN [1, 'a', true, null]",
    "x CONTAINS [1, 'a']",
    "x WITHIN 5 KM OF [0, 0]",
    "location WITHIN 1 MILES OF [1, 2]",
    "EXISTS x",
    "EXISTS x.value.y",
    "HAS integer",
    "HAS map",
    "MATCHES /a/",
    "AGE > 5",
    "AGE('x') < 5",
    "NOT x == 1 && (y == 2 || EXISTS z)",
    "x == ObjectId('a')",
    "elems.x.value == Date(5)",
    "path =~ /^\\/a/",
]


@settings(max_examples=150, deadline=None)
@given(_objects, st.sampled_from(_FILTERS), st.booleans(), st.integers())
def test_matching_arbitrary_json_never_raises(
    obj: dict[str, Any], text: str, drop: bool, now: int
) -> None:
    compiled = parse_filter(text)
    assert compiled.matches(obj, now_ms=now, drop=drop) in (True, False)
    # The evaluator itself copes with odd data; the catch-all in matches() is
    # only a last line of defence.
    predicate = compiled._predicate  # white-box check
    assert predicate(obj, now, drop) in (True, False)
