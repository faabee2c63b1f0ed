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
from typing import Any, Literal, TypedDict

from .._filters import Filter
from .._modify import P, Params

__all__ = ["FindParams", "ReadParams", "query"]


class ReadParams(TypedDict, total=False):
    """Query parameters of a call on given resources (read, create, update, delete)."""

    only: str | Sequence[str]
    """Projection: return only these members (``only=id,path``)."""
    hints: bool | int
    """Typed element rendering of drop ``elems`` (``hints=0`` for plain values)."""
    extra_params: Mapping[str, Any]
    """Escape hatch: undocumented query parameters, sent as given."""


class FindParams(ReadParams, total=False):
    """Query parameters of a find (a list endpoint)."""

    filter: Filter | str | Sequence[Filter | str]
    """Filter(s), AND-ed; the same as passing them positionally."""
    limit: int
    """Maximum number of results."""
    start: int
    """Number of results to skip (offset)."""
    skip: int
    """The Java client's name for ``start``."""
    sort: str
    """Member to sort by."""
    order: Literal["asc", "desc"]
    """Sort direction."""


def query(params: Mapping[str, Any]) -> Params:
    """The ``P`` of one call's keyword arguments, ``extra_params`` merged in.

    Raises:
        TypeError: When ``extra_params`` is not a mapping or repeats a keyword.
    """
    if "extra_params" not in params:
        return P(**params)
    rest = dict(params)
    extra = rest.pop("extra_params")
    if not isinstance(extra, Mapping):
        raise TypeError(f"extra_params must be a dict, not {type(extra).__name__}")
    clash = sorted(rest.keys() & extra.keys())
    if clash:
        raise TypeError(f"parameters given twice (as keywords and in extra_params): {clash}")
    return P(**rest, **extra)
