"""The services: the one implementation of every documented call, sync and asyncio.

Bound to the sync `API`'s context a call returns its answer; bound to
`flowthings.asyncio.API`'s it returns an awaitable of the same answer (the
steps after an answer go through `_results`).

Owns the services behind ``api.flow``, ``api.drop(fid)``, ... (one module per
resource family), what each call sends (``Service.spec`` and the read specs
in `_base`), the typed query parameters (`_params`), ``find_iter``'s cursor
(`_paging`, sans-I/O), ``create_many`` (`_bulk`) and the typed views
(`typed`, plus the statistics view in `statistics`). It may import the SDK
core, ``flowthings._context``, ``flowthings.http._spec``,
``flowthings.filters``, ``flowthings.models`` (the typed views) and
``flowthings.websocket`` (``api.websocket.connect``); never ``green`` or
``_api``, which sit above it.
"""

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
