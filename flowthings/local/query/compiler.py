"""Compile a Flow Filter Language parse tree into a predicate.

The lark parser of :mod:`flowthings.local.query.parser` yields a tree; this
module checks what the grammar cannot (escapes, regexes and their flags,
units, coordinates, ZIP points, modulo operators, nesting depth), decodes
literals, and builds one closure per rule.  Value semantics live in
:mod:`flowthings.local.query.evaluate`; the documented choices are listed in the
docstring of ``query.parser``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from lark import Token, Tree

from flowthings.local.query import evaluate as ev
from flowthings.local.query import zipcodes
from flowthings.local.query.elements import element_type
from flowthings.local.query.regex import FilterRegex, RegexError, compile_regex

__all__ = ["MAX_DEPTH", "CompileError", "Predicate", "compile_tree", "where"]

MAX_DEPTH: Final = 100
"""Deepest nesting of rules (NOT / && / || / parentheses) accepted."""

Predicate = Callable[[Mapping[str, Any], int, bool], bool]
"""A compiled rule: ``(obj, now_ms, drop) -> bool``."""


class CompileError(Exception):
    """A semantic error in a filter; ``query.parser`` turns it into FilterSyntaxError.

    Attributes:
        column: 1-based column of the offending token, or ``None``.
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


def compile_tree(tree: Tree[Token]) -> tuple[Predicate, bool]:
    """Compile a parse tree.

    Args:
        tree: The tree produced by the FFL grammar.

    Returns:
        The predicate, and whether it uses ``AGE`` (so needs the current time).

    Raises:
        CompileError: The filter is syntactically valid but not acceptable.
    """
    compiler = _Compiler()
    predicate = compiler.compile(tree, 0)
    return predicate, compiler.uses_age


def where(line: int | None, column: int | None) -> str:
    """Format a position for an error message (`` at column 5``; empty if unknown)."""
    if column is None:
        return ""
    if line is not None and line > 1:
        return f" at line {line}, column {column}"
    return f" at column {column}"


def _error(message: str, token: Token | None, detail: str = "") -> CompileError:
    if token is None:
        return CompileError(message + detail)
    return CompileError(message + where(token.line, token.column) + detail, token.column)


# ---------------------------------------------------------------- literals

_ESCAPES: Final = {
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
_ESCAPE_RE: Final = re.compile(r"\\(u[0-9A-Fa-f]{4}|[\s\S])")
_SURROGATE_PAIR_RE: Final = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def _decode_string(token: Token) -> str:
    """Decode a quoted STRING token (escapes of the wire rules)."""
    body = str(token)[1:-1]

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in _ESCAPES:
            return _ESCAPES[code]
        if len(code) == 5:
            return chr(int(code[1:], 16))
        if code == "u":
            raise _error("invalid \\u escape (needs 4 hex digits) in string", token)
        raise _error(f"invalid escape '\\{code}' in string", token)

    decoded = _ESCAPE_RE.sub(replace, body)
    return _SURROGATE_PAIR_RE.sub(
        lambda m: m.group(0).encode("utf-16-le", "surrogatepass").decode("utf-16-le"),
        decoded,
    )


def _number(token: Token) -> int | float:
    text = str(token)
    try:
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        value = float(text)
    except ValueError:  # pragma: no cover - the lexer only lets numbers through
        raise _error(f"invalid number {text!r}", token) from None
    if not math.isfinite(value):
        raise _error(f"number {text!r} is out of range", token)
    return value


def _float(token: Token) -> float:
    """A number literal the filter computes with as a float (a distance, a
    latitude): an integer beyond the float range (over 309 digits) is the same
    "out of range" 400 as ``1e400``, not an ``OverflowError`` (a 500)."""
    value = _number(token)
    try:
        return float(value)
    except OverflowError:
        text = str(token)
        shown = text if len(text) <= 24 else text[:20] + "..."
        raise _error(f"number {shown!r} is out of range", token) from None


_REGEX_ESCAPED_SLASH: Final = re.compile(r"\\(.)|(/)", re.DOTALL)


def _compile_regex(token: Token) -> FilterRegex:
    """Compile a ``/body/flags`` REGEX token (RE2, linear time; see ``query.regex``)."""
    text = str(token)
    end = text.rindex("/")
    body, flags_text = text[1:end], text[end + 1 :]
    # `\/` is the wire escape of a slash; every other escape belongs to the regex.
    body = _REGEX_ESCAPED_SLASH.sub(lambda m: "/" if m.group(1) == "/" else m.group(0), body)
    try:
        return compile_regex(body, flags_text)
    except RegexError as exc:
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise _error(f"invalid regex {shown}", token, f": {exc}") from None


_UNITS_M: Final = {
    "miles": 1609.344,
    "mile": 1609.344,
    "km": 1000.0,
    "kilometers": 1000.0,
    "kilometer": 1000.0,
    "meters": 1.0,
    "meter": 1.0,
    "m": 1.0,
    "feet": 0.3048,
    "foot": 0.3048,
}

_NULL: Final = None


# ---------------------------------------------------------------- compiler


def _children(tree: Tree[Token]) -> list[Any]:
    return list(tree.children)


def _first_token(node: Tree[Token] | Token) -> Token | None:
    stack: list[Tree[Token] | Token] = [node]
    while stack:  # iterative: used on trees that are too deep to recurse into
        item = stack.pop()
        if isinstance(item, Token):
            return item
        stack.extend(reversed(item.children))
    return None


class _Compiler:
    """Turns a parse tree into a predicate closure, checking semantics."""

    def __init__(self) -> None:
        self.uses_age = False

    def compile(self, node: Tree[Token] | Token, depth: int) -> Predicate:
        if depth > MAX_DEPTH:
            raise _error("filter is nested too deeply", _first_token(node))
        if not isinstance(node, Tree):  # pragma: no cover - grammar never yields this
            raise _error(f"unexpected {str(node)!r}", node)
        method = getattr(self, f"_rule_{node.data}", None)
        if method is None:  # pragma: no cover - every grammar rule has a handler
            raise CompileError(f"unsupported construct {node.data}")
        predicate: Predicate = method(_children(node), depth + 1)
        return predicate

    # -- boolean structure

    def _rule_paren(self, children: list[Any], depth: int) -> Predicate:
        # kept as a node only so that parentheses count towards MAX_DEPTH
        return self.compile(children[0], depth)

    def _rule_or_expr(self, children: list[Any], depth: int) -> Predicate:
        parts = tuple(self.compile(child, depth) for child in children)
        return lambda obj, now, drop: any(part(obj, now, drop) for part in parts)

    def _rule_and_expr(self, children: list[Any], depth: int) -> Predicate:
        parts = tuple(self.compile(child, depth) for child in children)
        return lambda obj, now, drop: all(part(obj, now, drop) for part in parts)

    def _rule_not_(self, children: list[Any], depth: int) -> Predicate:
        inner = self.compile(children[-1], depth)
        return lambda obj, now, drop: not inner(obj, now, drop)

    # -- unary rules

    def _rule_exists(self, children: list[Any], depth: int) -> Predicate:
        path = self._member(children[-1])

        def exists(obj: Mapping[str, Any], now: int, drop: bool) -> bool:
            value = ev.resolve(obj, path, drop=drop)
            return value is not ev.MISSING and value is not None

        return exists

    def _rule_has(self, children: list[Any], depth: int) -> Predicate:
        wanted = str(children[-1]).lower()

        def has(obj: Mapping[str, Any], now: int, drop: bool) -> bool:
            elems = obj.get("elems")
            if not isinstance(elems, Mapping):
                if drop:
                    return False
                elems = obj
            for value in elems.values():
                kind = element_type(value)
                if kind is not None and kind.lower() == wanted:
                    return True
            return False

        return has

    def _rule_matches_all(self, children: list[Any], depth: int) -> Predicate:
        pattern = _compile_regex(children[-1])
        return lambda obj, now, drop: any(
            pattern.search(text) for text in ev.iter_strings(obj)
        )

    def _rule_age(self, children: list[Any], depth: int) -> Predicate:
        self.uses_age = True
        path: Sequence[str] = ["creationDate"]
        rest = children[1:]
        if isinstance(rest[0], Tree):  # age_field
            field = rest[0].children[0]
            if isinstance(field, Token):
                name = _decode_string(field)
                if not name:
                    raise _error("AGE('...') needs a member name", field)
                path = name.split(".")
            else:
                path = self._member(field)
            rest = rest[1:]
        op = str(rest[0])
        limit = _number(rest[1])

        def age(obj: Mapping[str, Any], now: int, drop: bool) -> bool:
            stamp = ev.resolve(obj, path, drop=drop)
            if not ev.is_number(stamp):
                return False
            return _compare(now - stamp, op, limit)

        return age

    def _rule_modulo(self, children: list[Any], depth: int) -> Predicate:
        path = self._member(children[0])
        divisor, op_token, remainder = children[1], children[2], children[3]
        op = str(op_token)
        if op not in ("==", "!="):
            raise _error(f"modulo only supports == and != (got {op!r})", op_token)
        by = _number(divisor)
        if by == 0:
            raise _error("modulo by zero", divisor)
        want = _number(remainder)

        def modulo(obj: Mapping[str, Any], now: int, drop: bool) -> bool:
            value = ev.resolve(obj, path, drop=drop)
            if not ev.is_number(value):
                return False
            same = ev.equals(ev.remainder(value, by), want)
            return same if op == "==" else not same

        return modulo

    def _rule_regex(self, children: list[Any], depth: int) -> Predicate:
        path = self._member(children[0])
        pattern = _compile_regex(children[1])
        return lambda obj, now, drop: ev.regex_search(pattern, ev.resolve(obj, path, drop=drop))

    def _rule_in_(self, children: list[Any], depth: int) -> Predicate:
        path = self._member(children[0])
        options = self._list(children[2])

        def in_(obj: Mapping[str, Any], now: int, drop: bool) -> bool:
            value = ev.resolve(obj, path, drop=drop)
            if value is ev.MISSING:
                return any(option is None for option in options)
            return any(ev.equals(value, option) for option in options)

        return in_

    def _rule_contains(self, children: list[Any], depth: int) -> Predicate:
        path = self._member(children[0])
        wanted = self._list(children[2])

        def contains(obj: Mapping[str, Any], now: int, drop: bool) -> bool:
            value = ev.resolve(obj, path, drop=drop)
            if not isinstance(value, list):
                return False
            return all(any(ev.equals(item, want) for item in value) for want in wanted)

        return contains

    def _rule_within(self, children: list[Any], depth: int) -> Predicate:
        path = self._member(children[0])
        amount_token, unit_token, point = children[2], children[3], children[5]
        amount = _float(amount_token)
        if amount < 0:
            raise _error("WITHIN distance must not be negative", amount_token)
        limit_m = amount * _UNITS_M[str(unit_token).lower()]
        if point.data == "zip":
            token = point.children[0]
            try:  # the token is `[ZIP=...]` as written (any case, blanks allowed)
                center = zipcodes.lookup(str(token).strip()[1:-1].split("=", 1)[1])
            except zipcodes.ZipError as exc:
                raise _error(str(exc), token) from None
            return self._within(path, limit_m, center)
        lat_token, lon_token = point.children
        center = (_float(lat_token), _float(lon_token))
        if not -90 <= center[0] <= 90:
            raise _error("latitude must be between -90 and 90", lat_token)
        if not -180 <= center[1] <= 180:
            raise _error("longitude must be between -180 and 180", lon_token)
        return self._within(path, limit_m, center)

    @staticmethod
    def _within(path: list[str], limit_m: float, center: tuple[float, float]) -> Predicate:
        def within(obj: Mapping[str, Any], now: int, drop: bool) -> bool:
            spot = ev.to_point(ev.resolve(obj, path, drop=drop))
            return spot is not None and ev.distance_m(spot, center) <= limit_m

        return within

    def _rule_compare(self, children: list[Any], depth: int) -> Predicate:
        path = self._member(children[0])
        op = str(children[1])
        operand = children[2]
        if isinstance(operand, Tree) and operand.data == "member":
            other = self._member(operand)

            def compare_members(obj: Mapping[str, Any], now: int, drop: bool) -> bool:
                left = ev.resolve(obj, path, drop=drop)
                right = ev.resolve(obj, other, drop=drop)
                if left is ev.MISSING or right is ev.MISSING:
                    return False
                return _compare(left, op, right)

            return compare_members
        literal = self._literal(operand)
        if literal is _NULL:
            if op not in ("==", "!="):
                return lambda obj, now, drop: False
            negate = op == "!="

            def compare_null(obj: Mapping[str, Any], now: int, drop: bool) -> bool:
                value = ev.resolve(obj, path, drop=drop)
                return (value is ev.MISSING or value is None) != negate

            return compare_null

        def compare(obj: Mapping[str, Any], now: int, drop: bool) -> bool:
            value = ev.resolve(obj, path, drop=drop)
            if value is ev.MISSING:
                return False
            return _compare(value, op, literal)

        return compare

    # -- pieces

    @staticmethod
    def _member(node: Tree[Token]) -> list[str]:
        return [str(segment) for segment in node.children]

    def _list(self, node: Tree[Token]) -> tuple[Any, ...]:
        return tuple(self._literal(child) for child in node.children)

    @staticmethod
    def _literal(node: Tree[Token] | Token) -> Any:
        if not isinstance(node, Tree):  # pragma: no cover - literals are always trees
            raise _error(f"unexpected {str(node)!r}", node)
        kind = node.data
        token = node.children[-1]
        assert isinstance(token, Token)
        if kind == "number":
            return _number(token)
        if kind == "string":
            return _decode_string(token)
        if kind == "true":
            return True
        if kind == "false":
            return False
        if kind == "null":
            return _NULL
        if kind == "date":
            stamp = _number(token)
            if not isinstance(stamp, int):
                raise _error("Date(...) needs integer milliseconds", token)
            return stamp
        if kind in ("object_id", "email"):
            return _decode_string(token)
        raise _error(f"unsupported literal {kind}", token)  # pragma: no cover


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "==":
        return ev.equals(left, right)
    if op == "!=":
        return not ev.equals(left, right)
    return ev.order(left, right, op)
