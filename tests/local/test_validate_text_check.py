"""``parse_document`` skips the document walk when the text alone proves it
unnecessary (``validate._surely_valid``): the answers must be exactly those of
the walk, for any text — accepted documents equal, refusals with the same
message."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from flowthings.local.base.envelope import MAX_DEPTH, PlatformError
from flowthings.local.core import validate
from flowthings.local.core.validate import MAX_INT_DIGITS, parse_document, validate_document


def _walked(text: str | bytes) -> tuple[str, Any]:
    """What the full path answers: decode, then always walk."""
    try:
        raw = text.decode("utf-8") if isinstance(text, bytes) else text
        value = json.loads(
            raw, parse_constant=validate._no_constants, parse_float=validate._finite_float
        )
    except (ValueError, RecursionError) as exc:
        return "refused", f"The request body is not valid JSON: {validate._safe(exc)}"
    try:
        validate_document(value, "The request body")
    except PlatformError as exc:
        return "refused", exc.errors
    return "ok", value


def _parsed(text: str | bytes) -> tuple[str, Any]:
    try:
        return "ok", parse_document(text)
    except PlatformError as exc:
        errors = exc.errors
        return "refused", errors[0] if "not valid JSON" in errors[0] else errors


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)  # fmt: skip

TRICKY = [
    '"\\ud800"', '"\\uDFFF"', '"\\ud83d\\ude00"', '"\\\\ud800"', '["\\udc00", 1]',
    "[" * MAX_DEPTH + "]" * MAX_DEPTH, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    '{"a":' * (MAX_DEPTH - 1) + "1" + "}" * (MAX_DEPTH - 1),
    '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1),
    "9" * MAX_INT_DIGITS, "-" + "9" * MAX_INT_DIGITS, "9" * (MAX_INT_DIGITS + 1),
    '"' + "9" * (MAX_INT_DIGITS + 1) + '"', "1e400", "-1e400", "NaN", "[Infinity]",
    '{"a": 1e308, "b": 9e15}', '"\ud800"', '{"\ud800": 1}', '"é ✓"',
    '["[[[[", "{{{{"]', "", "{", "[1,]",
]  # fmt: skip


def test_tricky_texts_answer_as_the_walk_does() -> None:
    for text in TRICKY:
        assert _parsed(text) == _walked(text), text
        encoded = text.encode("utf-8", "surrogatepass")
        assert _parsed(encoded) == _walked(encoded), text


@settings(max_examples=300, deadline=None)
@given(json_values, st.booleans())
def test_random_documents_answer_as_the_walk_does(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert _parsed(text) == _walked(text)
    data = text.encode("utf-8", "surrogatepass")
    assert _parsed(data) == _walked(data)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='[]{}":,0123456789.eE-\\ud8DFabtrunl ', max_size=300))
def test_random_texts_answer_as_the_walk_does(text: str) -> None:
    assert _parsed(text) == _walked(text)


def test_the_check_skips_the_walk_only_for_short_plain_texts() -> None:
    assert validate._surely_valid('{"elems": {"t": 21.5}}', from_bytes=True)
    assert not validate._surely_valid('"\\ud800"', from_bytes=True)
    assert not validate._surely_valid("[" * (MAX_DEPTH + 1), from_bytes=True)
    assert not validate._surely_valid(" " * (validate._SHORT_TEXT + 1), from_bytes=True)
    assert not validate._surely_valid('"\ud800"', from_bytes=False)
