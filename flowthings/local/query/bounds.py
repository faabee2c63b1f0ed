"""The ``creationDate`` range a filter implies, so SQLite reads only that range.

A cursor-paged find (``find_iter``) asks for ``... && creationDate > K`` or
``creationDate == K && id > I``; evaluating that in Python over every stored
drop made each page cost the whole flow (an export quadratic in the flow's
size). :func:`date_bounds` reads the parsed filter for comparisons of
``creationDate`` with a number (or ``Date(ms)``) that every match must pass,
and the store restricts its scan to that range. The bounds are conservative
(inclusive, a superset): the filter itself is still evaluated on every row.
"""

from __future__ import annotations

import functools
from typing import Any

from lark import Token, Tree

__all__ = ["Bounds", "date_bounds"]

Bounds = tuple[float | None, float | None]
"""(lowest, highest) ``creationDate`` a match may have; ``None``: unbounded."""

_NONE: Bounds = (None, None)


@functools.lru_cache(maxsize=256)
def date_bounds(text: str) -> Bounds:
    """The inclusive ``creationDate`` range every object matching ``text`` lies in.

    ``text`` must already be a valid filter (it is parsed again, cached).
    """
    from flowthings.local.query.parser import _parser

    try:
        tree = _parser().parse(text)
    except Exception:  # the find reports the syntax error itself
        return _NONE
    return _bounds(tree)


def _bounds(node: Any) -> Bounds:
    if not isinstance(node, Tree):
        return _NONE
    if node.data == "paren":  # the grammar keeps parentheses as a node (nesting depth)
        return _bounds(node.children[0])
    if node.data == "and_expr":
        lows, highs = zip(*(_bounds(c) for c in node.children), strict=True)
        known_lows = [v for v in lows if v is not None]
        known_highs = [v for v in highs if v is not None]
        return (max(known_lows) if known_lows else None, min(known_highs) if known_highs else None)
    if node.data == "or_expr":
        lows, highs = zip(*(_bounds(c) for c in node.children), strict=True)
        low = None if any(v is None for v in lows) else min(v for v in lows if v is not None)
        high = None if any(v is None for v in highs) else max(v for v in highs if v is not None)
        return (low, high)
    if node.data == "compare":
        return _compare(node.children)
    return _NONE


def _compare(children: list[Any]) -> Bounds:
    member, op, operand = children
    if not isinstance(member, Tree) or [str(t) for t in member.children] != ["creationDate"]:
        return _NONE
    value = _number(operand)
    if value is None:
        return _NONE
    op = str(op)
    if op in (">", ">="):
        return (value, None)
    if op in ("<", "<="):
        return (None, value)
    if op == "==":
        return (value, value)
    return _NONE


def _number(node: Any) -> float | None:
    if isinstance(node, Tree) and node.data in ("number", "date"):
        token = node.children[-1]
        if isinstance(token, Token):
            try:
                return float(str(token))
            except ValueError:
                return None
    return None
