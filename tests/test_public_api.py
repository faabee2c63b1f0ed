"""The public namespace is a contract: this test pins it."""

from __future__ import annotations

import flowthings

DOCUMENTED_1_0_5 = {
    "API", "Token", "defaults", "mem", "AGE", "EXISTS", "HAS", "MATCHES", "NOT", "M", "P",
    "FlowThingsError", "FlowThingsException", "FlowThingsBadRequest", "FlowThingsForbidden",
    "FlowThingsNotFound", "FlowThingsServerError",
}


def test_all_is_pinned() -> None:
    assert sorted(flowthings.__all__) == sorted(
        DOCUMENTED_1_0_5
        | {
            "DEFAULT", "Defaults", "Filter", "Member", "Modify", "Params", "WebSocketClient",
            "GreenThunk", "GreenPageIterator", "AsyncAPI", "AsyncView", "LazyAPI", "LazyView", "__version__",
            "FlowThingsConflict", "FlowThingsConnectionError", "FlowThingsConnectionLost",
            "FlowThingsMethodNotAllowed", "FlowThingsNotConnected", "FlowThingsRateLimited",
            "FlowThingsRequestTimeout", "FlowThingsTimeout",
        }
    )


def test_every_public_name_resolves() -> None:
    for name in flowthings.__all__:
        assert getattr(flowthings, name) is not None, name


def test_every_platform_error_is_a_flowthings_exception() -> None:
    for name in flowthings.__all__:
        value = getattr(flowthings, name)
        if isinstance(value, type) and issubclass(value, Exception) and name != "FlowThingsError":
            assert issubclass(value, flowthings.FlowThingsException), name
    assert not issubclass(flowthings.FlowThingsError, flowthings.FlowThingsException)


def test_the_thirteen_documented_services_exist() -> None:
    api = flowthings.API(flowthings.Token("acc", "tok"))
    for service in (
        "flow", "drop", "track", "group", "identity", "api_task", "mqtt_task", "rss_task",
        "token", "share", "device", "statistics", "websocket",
    ):
        assert hasattr(api, service), service
    api.close()
