"""Device: a registered device or gateway (``/device``, id prefix ``v``)."""

from __future__ import annotations

from typing import Any, ClassVar

from ._base import Resource
from ._query import DeviceQuery

__all__ = ["Device"]


class Device(Resource):
    """A device. Creating one also creates its token and its default, command and
    report flows under ``path``.

    Examples:
        >>> Device(path="/alice/pears").to_wire()
        {'path': '/alice/pears'}
    """

    q: ClassVar[DeviceQuery] = DeviceQuery()
    """Typed filter members: ``Device.q.status == "UNSEEN"``."""

    path: str
    """Base path under which the device's flows are created."""

    displayName: str | None = None
    """Display name."""

    tokenId: str | None = None
    """Id (``k...``) of the token created for the device (server-set)."""

    status: str | None = None
    """Status reported by the device (``UNSEEN`` for a new device)."""

    lastSeen: int | None = None
    """When the device last reported, milliseconds since the epoch."""

    timeSinceLastSeen: int | None = None
    """Milliseconds since the device last reported, ``-1`` if never (server-set)."""

    reportPeriodicity: int | None = None
    """How often the device agent reports, in milliseconds."""

    deviceSummary: dict[str, Any] | None = None
    """Free-form summary."""

    tracks: dict[str, Any] | None = None
    """Local tracks attached to the device, by id."""
