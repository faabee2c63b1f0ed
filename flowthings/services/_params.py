"""The documented query parameters of the service calls, as ``TypedDict`` s.

The service methods take them as keyword arguments (``**params:
Unpack[FindParams]``), so a misspelt or mistyped parameter
(``find(limt=10)``, ``find(limit="10")``) is a type error in mypy and
pyright. ``refs`` is a separate keyword of every call because it changes
the return type (see the overloads).

A parameter the platform understands but these lists lack goes through the
explicit escape hatch ``extra_params={...}``: its members are sent as they
are, next to the documented ones. At run time nothing is checked beyond
1.0.5: ``find(**{"limit": 10, "x": 1})`` still sends ``limit=10&x=1``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict, cast

from .._modify import P, Params
from ..filters import Filter

__all__ = ["FindParams", "IterParams", "JSONObject", "ReadParams", "References", "merged", "query"]

JSONObject = dict[str, Any]
"""A resource as returned by the platform: a plain JSON object."""
References = dict[str, Any]
"""`head.references` of a `refs=True` answer: id -> referenced object."""


class ReadParams(TypedDict, total=False):
    """Query parameters of a call on given resources (read, create, update, delete)."""

    only: str | Sequence[str]
    """Projection: return only these members (``only=id,path``)."""
    hints: bool | int
    """Typed element rendering of drop ``elems`` (``hints=0`` for plain values)."""
    extra_params: Mapping[str, Any]
    """Escape hatch: undocumented query parameters, sent as given."""


class IterParams(ReadParams, total=False):
    """Query parameters of ``find_iter``: those of a find but the offsets.

    ``find_iter`` pages with a cursor, so ``start``/``skip`` are refused (here
    for the checkers, at run time with a ``TypeError``); its ``limit`` is the
    most items to yield in all.
    """

    filter: Filter | str | Sequence[Filter | str]
    """Filter(s), AND-ed; the same as passing them positionally."""
    limit: int
    """Maximum number of results."""
    sort: str
    """Member to sort by."""
    order: Literal["asc", "desc"]
    """Sort direction."""


class FindParams(IterParams, total=False):
    """Query parameters of a find (a list endpoint)."""

    start: int
    """Number of results to skip (offset)."""
    skip: int
    """The Java client's name for ``start``."""


def merged(params: Mapping[str, Any]) -> dict[str, Any]:
    """One call's keyword arguments with ``extra_params`` merged in (a new dict).

    Raises:
        TypeError: When ``extra_params`` is not a mapping or repeats a keyword.
    """
    rest = dict(params)
    if "extra_params" not in rest:
        return rest
    extra: object = rest.pop("extra_params")
    if not isinstance(extra, Mapping):
        raise TypeError(f"extra_params must be a dict, not {type(extra).__name__}")
    members = cast("Mapping[str, Any]", extra)  # keywords: string keys
    clash = sorted(rest.keys() & members.keys())
    if clash:
        raise TypeError(f"parameters given twice (as keywords and in extra_params): {clash}")
    return {**rest, **members}


def query(params: Mapping[str, Any]) -> Params:
    """The ``P`` of one call's keyword arguments, ``extra_params`` merged in.

    Raises:
        TypeError: When ``extra_params`` is not a mapping or repeats a keyword.
    """
    return P(**merged(params))
