"""The sync services: the one implementation of every documented call."""

from ._base import CrudService, ImmutableService, JSONObject, ReadableService, References, Service
from ._bulk import BulkItem, BulkResult
from .drop import DropService, DropServiceFactory
from .resources import (
    ApiTaskService,
    DeviceService,
    FlowService,
    GroupService,
    IdentityService,
    MqttTaskService,
    RssTaskService,
    ShareService,
    TokenService,
    TrackService,
)
from .statistics import StatisticsLevel, StatisticsService
from .websocket import WebSocketService

__all__ = [
    "ApiTaskService",
    "BulkItem",
    "BulkResult",
    "CrudService",
    "DeviceService",
    "DropService",
    "DropServiceFactory",
    "FlowService",
    "GroupService",
    "IdentityService",
    "ImmutableService",
    "JSONObject",
    "MqttTaskService",
    "ReadableService",
    "References",
    "RssTaskService",
    "Service",
    "ShareService",
    "StatisticsLevel",
    "StatisticsService",
    "TokenService",
    "TrackService",
    "WebSocketService",
]
