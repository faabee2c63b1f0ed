"""Type-checked (``mypy --strict``) ``.typed`` properties of the sync services.

Checked by ``test_mypy.py`` once the services have their ``typed`` property.
"""

from __future__ import annotations

from typing_extensions import assert_type

from flowthings import API
from flowthings.models import (
    ApiTask,
    Device,
    Drop,
    Flow,
    Group,
    Identity,
    MqttTask,
    References,
    RssTask,
    Track,
)
from flowthings.services.typed import (
    TypedDropFactory,
    TypedDropService,
    TypedService,
    TypedShareService,
    TypedStatisticsService,
    TypedTokenService,
)


def typed_properties(api: API) -> None:
    assert_type(api.flow.typed, TypedService[Flow])
    assert_type(api.track.typed, TypedService[Track])
    assert_type(api.group.typed, TypedService[Group])
    assert_type(api.identity.typed, TypedService[Identity])
    assert_type(api.device.typed, TypedService[Device])
    assert_type(api.api_task.typed, TypedService[ApiTask])
    assert_type(api.mqtt_task.typed, TypedService[MqttTask])
    assert_type(api.rss_task.typed, TypedService[RssTask])
    assert_type(api.token.typed, TypedTokenService)
    assert_type(api.share.typed, TypedShareService)
    assert_type(api.drop.typed, TypedDropFactory)
    assert_type(api.drop("f1").typed, TypedDropService)
    assert_type(api.statistics.typed, TypedStatisticsService)

    assert_type(api.flow.typed.read("f1"), Flow)
    assert_type(api.flow.typed.find(Flow.q.capacity > 10), list[Flow])
    assert_type(api.drop("f1").typed.find(limit=10, refs=True), tuple[list[Drop], References])
