"""Literal safety: no string can change a filter's structure.

A small reference decoder implements the platform's reading of the wire rules
(docs/architecture.md) independently of the SDK's encoder; the property tests
check that every string survives the round trip and stays one token.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flowthings.filters import MATCHES, mem
from flowthings.filters._literals import quote_string, regex_body

_DECODE_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "/": "/",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
}


def decode_string_literal(text: str) -> tuple[str, str]:
    """Read one single-quoted literal from the start of ``text``.

    Returns the decoded value and what follows the closing quote.
    """
    assert text[0] == "'", text
    out: list[str] = []
    i = 1
    while True:
        ch = text[i]
        if ch == "'":
            return "".join(out), text[i + 1 :]
        if ch == "\\":
            code = text[i + 1]
            if code == "u":
                hex_digits = text[i + 2 : i + 6]
                assert re.fullmatch("[0-9a-fA-F]{4}", hex_digits), hex_digits
                out.append(chr(int(hex_digits, 16)))
                i += 6
                continue
            out.append(_DECODE_ESCAPES[code])
            i += 2
            continue
        out.append(ch)
        i += 1


def read_regex_literal(text: str) -> tuple[str, str, str]:
    """Read ``/body/flags`` from the start of ``text``: (body, flags, rest)."""
    assert text[0] == "/", text
    i = 1
    while text[i] != "/":
        i += 2 if text[i] == "\\" else 1
    body = text[1:i]
    flags = re.match("[a-z]*", text[i + 1 :])
    assert flags is not None
    return body, flags.group(), text[i + 1 + flags.end() :]


_UNSAFE = re.compile("[\x00-\x1f\x7f\u2028\u2029]")


@settings(deadline=None)  # CI machines are shared; examples are cheap anyway
@given(st.text())
@example("")
@example("'")
@example("\\")
@example("\\'")
@example("x') || (y == 'z")
@example("\n\r\t\x00\x1f\x7f\u2028\u2029\x80")
@example("\\u0041")
def test_string_literal_round_trips(s: str) -> None:
    compiled = str(mem.a == s)
    assert compiled.startswith("a == '")
    value, rest = decode_string_literal(compiled[len("a == ") :])
    assert value == s
    assert rest == ""  # the literal is one token: nothing leaks past its quote
    assert not _UNSAFE.search(compiled)


@settings(deadline=None)  # CI machines are shared; examples are cheap anyway
@given(st.lists(st.text(), min_size=1, max_size=4))
def test_list_items_round_trip(items: list[str]) -> None:
    compiled = str(mem.a.IN(*items))
    rest = compiled[len("a IN [") :]
    decoded = []
    while True:
        value, rest = decode_string_literal(rest)
        decoded.append(value)
        if rest[0] == "]":
            break
        assert rest[0] == ","
        rest = rest[1:]
    assert decoded == items
    assert rest == "]"


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        pytest.param("plain", "'plain'", id="plain-like-1.0.5"),
        pytest.param("it's", "'it\\'s'", id="quote-like-1.0.5"),
        pytest.param("\\", "'\\\\'", id="backslash"),
        pytest.param("\x08\x0c", "'\\u0008\\u000c'", id="bs-ff-as-u"),
        pytest.param("\x1b[0m", "'\\u001b[0m'", id="ansi"),
        pytest.param("\x85\xa0", "'\x85\xa0'", id="c1-and-nbsp-kept"),
        pytest.param("😀", "'😀'", id="astral-kept"),
    ],
)
def test_quote_string(value: str, literal: str) -> None:
    assert quote_string(value) == literal


@settings(deadline=None)  # CI machines are shared; examples are cheap anyway
@given(st.text(alphabet=st.sampled_from("ab/\\.*\n\t'"), max_size=12) | st.text(max_size=12))
@example("/")
@example("\\/")
@example("a\\\\/b")
def test_regex_literal_stays_one_token(pattern: str) -> None:
    try:
        re.compile(pattern)
        body = regex_body(pattern)
    except (re.error, ValueError):
        return
    compiled = str(MATCHES(pattern, "i"))
    assert compiled == f"MATCHES /{body}/i"
    read_body, flags, rest = read_regex_literal(compiled[len("MATCHES ") :])
    assert (read_body, flags, rest) == (body, "i", "")
    # The platform unescapes `\/` only; the regex it compiles matches like ours.
    unescaped = re.sub(r"\\(.)|(/)", lambda m: "/" if m.group(1) == "/" else m.group(0), body)
    for probe in ("", "a", "ab/", "a\nb", "\\", "'", "a.b*"):
        assert bool(re.search(unescaped, probe)) == bool(re.search(pattern, probe))
    assert not re.search("[\x00-\x1f]", compiled)


@pytest.mark.parametrize(
    ("pattern", "body"),
    [
        pytest.param("/foo", "\\/foo", id="slash-like-1.0.5"),
        pytest.param("\\/", "\\/", id="escaped-slash-kept"),
        pytest.param("a\\\\/", "a\\\\\\/", id="escaped-backslash-then-slash"),
        pytest.param("\\d\\w\\s", "\\d\\w\\s", id="class-escapes"),
        pytest.param("a\nb", "a\\nb", id="newline"),
        pytest.param("a\\\nb", "a\\nb", id="escaped-raw-newline"),
        pytest.param("\r\t", "\\r\\t", id="cr-tab"),
        pytest.param("'\"", "'\"", id="quotes-untouched"),
    ],
)
def test_regex_body(pattern: str, body: str) -> None:
    assert regex_body(pattern) == body
