"""Flow: a named, filterable container of drops (``/flow``, id prefix ``f``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ._base import Resource
from ._query import FlowQuery

__all__ = ["FLOW_PATH_PATTERN", "Flow"]

FLOW_PATH_PATTERN = r"^/[^/]+(/[^/]+)+$"
"""A flow path: ``/`` + account + at least one more segment (``/alice/pears/test1``)."""


class Flow(Resource):
    """A flow.

    Examples:
        >>> Flow(path="/alice/pears/test1", capacity=500).to_wire()
        {'path': '/alice/pears/test1', 'capacity': 500}
    """

    q: ClassVar[FlowQuery] = FlowQuery()
    """Typed filter members: ``Flow.q.capacity > 10``, ``Flow.q.path.re("^/a")``."""

    path: str = Field(max_length=128, pattern=FLOW_PATH_PATTERN)
    """Flow path, ``/<account>/<segment>[/...]``, at most 128 characters, unique per account."""

    capacity: int | None = Field(default=None, ge=0, le=100000)
    """Drops kept (server default 1000, max 100000); ``0`` persists nothing; the oldest
    drops are deleted when the flow is full."""

    description: str | None = None
    """Free text of any length."""

    filter: str | None = None
    """Flow filter (FFL): only drops passing it are written to the flow."""

    public: bool | None = None
    """Whether the flow is readable by anyone (undocumented; default false)."""

    name: str | None = None
    """Name (java model; rarely seen in payloads)."""

    displayName: str | None = None
    """Display name."""
