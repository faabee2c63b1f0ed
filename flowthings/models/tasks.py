"""Tasks: API tasks (``/api-task``, ``q``), MQTT tasks (``/mqtt``, ``m``), RSS tasks
(``/rss``, ``r``)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, model_validator
from typing_extensions import Self

from ._base import Resource
from ._query import ApiTaskQuery, MqttTaskQuery, RssTaskQuery

__all__ = ["ApiTask", "MqttTask", "PeriodicTask", "RssTask", "Task"]

MIN_PERIODICITY = 60000
"""The smallest periodicity (ms) the platform accepts."""


class Task(Resource):
    """Members common to every task; the report and status members are server-set."""

    displayName: str | None = Field(default=None, max_length=2048)
    """Display name, at most 2048 characters."""

    description: str | None = None
    """Free text."""

    disabled: bool | None = None
    """Whether the task is switched off."""

    reportFlowId: str | None = None
    """Id of the flow receiving one report drop per run (server-set)."""

    reportPath: str | None = None
    """Path of the report flow, ``/<account>/:reports/<taskId>-report`` (server-set)."""

    status: str | None = None
    """``OK``, ``ERROR``, ``TIMEOUT`` or ``NO_NEW_DATA`` (server-set)."""


class PeriodicTask(Task):
    """A task the platform runs every ``periodicity`` milliseconds."""

    periodicity: int | None = Field(default=None, ge=MIN_PERIODICITY)
    """Milliseconds between runs: at least 60000 (server default 3600000)."""

    lastRun: int | None = None
    """Time of the last run, ms since the epoch; ``0`` before the first (server-set)."""

    nextRun: int | None = None
    """Time of the next run, ms since the epoch (server-set)."""

    runCt: int | None = None
    """Number of runs so far (server-set)."""


class ApiTask(PeriodicTask):
    """A periodic task that fetches data (``source``) and writes drops made by ``js``.

    Examples:
        >>> ApiTask(destination="/alice/pears", js="function(d) {return d}").to_wire()
        {'destination': '/alice/pears', 'js': 'function(d) {return d}'}
    """

    q: ClassVar[ApiTaskQuery] = ApiTaskQuery()
    """Typed filter members: ``ApiTask.q.destination == "/alice/pears"``."""

    destination: str
    """Path of the flow the produced drops are written to."""

    js: str
    """JavaScript function turning the fetched data into drops."""

    source: dict[str, Any] | None = None
    """What to fetch: a ``dropFind`` query on a flow or an ``http`` request."""


class MqttTask(Task):
    """A bridge between an MQTT broker topic and a flow, in exactly one direction.

    Set ``destination`` to read the topic into a flow, or ``source`` to publish a
    flow's new drops to the topic.

    Examples:
        >>> MqttTask(uri="tcp://abc:1883", topic="aliens", destination="/alice/pears").to_wire()
        {'uri': 'tcp://abc:1883', 'topic': 'aliens', 'destination': '/alice/pears'}
    """

    q: ClassVar[MqttTaskQuery] = MqttTaskQuery()
    """Typed filter members: ``MqttTask.q.topic == "aliens"``."""

    uri: str
    """Broker URI, e.g. ``tcp://myserver:1883``."""

    topic: str
    """MQTT topic."""

    destination: str | None = None
    """Flow path the broker's messages are written to (excludes ``source``)."""

    source: str | None = None
    """Flow path whose new drops are published to the broker (excludes ``destination``)."""

    host: str | None = None
    """Host label."""

    username: str | None = None
    """Broker user name."""

    password: str | None = Field(default=None, repr=False)
    """Broker password (hidden from ``repr``)."""

    clientId: str | None = None
    """MQTT client id."""

    qos: int | None = Field(default=None, ge=0, le=2)
    """MQTT quality of service: 0, 1 or 2."""

    version: str | None = None
    """MQTT protocol version, e.g. ``3.1.1``."""

    reportFrequency: int | None = None
    """Milliseconds between report drops."""

    inputFormat: str | None = None
    """Format of inbound payloads (java model)."""

    outputFormat: str | None = None
    """Format of outbound payloads (java model)."""

    @model_validator(mode="after")
    def _one_direction(self) -> Self:
        if (self.destination is None) == (self.source is None):
            raise ValueError("an MQTT task needs exactly one of destination and source")
        return self


class RssTask(PeriodicTask):
    """A periodic task that reads an RSS feed into a flow.

    Examples:
        >>> RssTask(url="http://example.com/feed.xml", destination="/alice/news").to_wire()
        {'url': 'http://example.com/feed.xml', 'destination': '/alice/news'}
    """

    q: ClassVar[RssTaskQuery] = RssTaskQuery()
    """Typed filter members: ``RssTask.q.url == "http://example.com/feed.xml"``."""

    url: str
    """Feed URL."""

    destination: str
    """Path of the flow the feed items are written to."""

    category: str | None = None
    """Category label."""

    favicon: str | None = None
    """Favicon URL."""

    icon: str | None = None
    """Icon URL."""

    isFeatured: bool | None = None
    """Whether the feed is featured."""
