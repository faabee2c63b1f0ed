"""Track: a server-side route and transformation between flows (``/track``, prefix ``t``)."""

from __future__ import annotations

from typing import Any, ClassVar

from ._base import Resource
from ._query import TrackQuery

__all__ = ["Track"]


class Track(Resource):
    """A track: drops written to ``source`` pass ``filter`` and ``js`` into ``destination``.

    Examples:
        >>> Track(source="/alice/apples", destination="/alice/pears").to_wire()
        {'source': '/alice/apples', 'destination': '/alice/pears'}
    """

    q: ClassVar[TrackQuery] = TrackQuery()
    """Typed filter members: ``Track.q.source == "/alice/apples"``."""

    source: str
    """Path of the flow whose new drops trigger the track (it must exist)."""

    destination: str | list[str] | None = None
    """Destination flow path, or a list of paths; the server echoes the form it was sent."""

    filter: str | None = None
    """Filter (FFL) evaluated before ``js``; drops failing it are ignored."""

    js: str | None = None
    """JavaScript function source transforming the incoming drop (``null`` drops it)."""

    disabled: bool | None = None
    """Whether the track is switched off (default false)."""

    description: str | None = None
    """Free text."""

    metadata: dict[str, Any] | None = None
    """Opaque data stored by the track editor (nodes, coordinates, test data)."""
