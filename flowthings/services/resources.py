"""The services of the resource families that need nothing beyond the base set."""

from __future__ import annotations

from ._base import CrudService, ImmutableService

__all__ = [
    "ApiTaskService",
    "DeviceService",
    "FlowService",
    "GroupService",
    "IdentityService",
    "MqttTaskService",
    "RssTaskService",
    "ShareService",
    "TokenService",
    "TrackService",
]


class FlowService(CrudService):
    """Flows (`/flow`)."""


class TrackService(CrudService):
    """Tracks (`/track`)."""


class GroupService(CrudService):
    """Groups (`/group`)."""


class IdentityService(CrudService):
    """Identities (`/identity`)."""


class DeviceService(CrudService):
    """Devices (`/device`)."""


class ApiTaskService(CrudService):
    """Periodic API tasks (`/api-task`)."""


class MqttTaskService(CrudService):
    """MQTT connection tasks (`/mqtt`)."""


class RssTaskService(CrudService):
    """RSS tasks (`/rss`)."""


class TokenService(ImmutableService):
    """Tokens (`/token`): immutable; `create` answers the new `tokenString`."""


class ShareService(ImmutableService):
    """Shares (`/share`): immutable grants of paths to another identity or group."""
