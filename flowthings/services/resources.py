"""The services of the resource families that need nothing beyond the base set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import CrudService, ImmutableService

if TYPE_CHECKING:
    from ..models import ApiTask, Device, Flow, Group, Identity, MqttTask, RssTask, Track
    from .typed import TypedService, TypedShareService, TypedTokenService

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

    @property
    def typed(self) -> TypedService[Flow]:
        """This service taking and returning `Flow` models."""
        from ..models import Flow
        from .typed import TypedService

        return TypedService(self, Flow)


class TrackService(CrudService):
    """Tracks (`/track`)."""

    @property
    def typed(self) -> TypedService[Track]:
        """This service taking and returning `Track` models."""
        from ..models import Track
        from .typed import TypedService

        return TypedService(self, Track)


class GroupService(CrudService):
    """Groups (`/group`)."""

    @property
    def typed(self) -> TypedService[Group]:
        """This service taking and returning `Group` models."""
        from ..models import Group
        from .typed import TypedService

        return TypedService(self, Group)


class IdentityService(CrudService):
    """Identities (`/identity`)."""

    @property
    def typed(self) -> TypedService[Identity]:
        """This service taking and returning `Identity` models."""
        from ..models import Identity
        from .typed import TypedService

        return TypedService(self, Identity)


class DeviceService(CrudService):
    """Devices (`/device`)."""

    @property
    def typed(self) -> TypedService[Device]:
        """This service taking and returning `Device` models."""
        from ..models import Device
        from .typed import TypedService

        return TypedService(self, Device)


class ApiTaskService(CrudService):
    """Periodic API tasks (`/api-task`)."""

    @property
    def typed(self) -> TypedService[ApiTask]:
        """This service taking and returning `ApiTask` models."""
        from ..models import ApiTask
        from .typed import TypedService

        return TypedService(self, ApiTask)


class MqttTaskService(CrudService):
    """MQTT connection tasks (`/mqtt`)."""

    @property
    def typed(self) -> TypedService[MqttTask]:
        """This service taking and returning `MqttTask` models."""
        from ..models import MqttTask
        from .typed import TypedService

        return TypedService(self, MqttTask)


class RssTaskService(CrudService):
    """RSS tasks (`/rss`)."""

    @property
    def typed(self) -> TypedService[RssTask]:
        """This service taking and returning `RssTask` models."""
        from ..models import RssTask
        from .typed import TypedService

        return TypedService(self, RssTask)


class TokenService(ImmutableService):
    """Tokens (`/token`): immutable; `create` answers the new `tokenString`."""

    @property
    def typed(self) -> TypedTokenService:
        """This service taking and returning `Token` models."""
        from .typed import TypedTokenService

        return TypedTokenService(self)


class ShareService(ImmutableService):
    """Shares (`/share`): immutable grants of paths to another identity or group."""

    @property
    def typed(self) -> TypedShareService:
        """This service taking and returning `Share` models."""
        from .typed import TypedShareService

        return TypedShareService(self)
