"""The HTTP seam: how one REST call is described, sent and answered.

Owns the request description (`_spec`: what a service call is, built into a
request and its answer interpreted by pure functions, no I/O) and the sync
executor over ``httpx.Client`` (`_transport`: sending, retries with backoff,
sleeping). A second executor (``httpx.AsyncClient``, for an asyncio client)
runs the same specs. It may import the SDK core (``flowthings._errors``,
``flowthings._config``, ``flowthings._version``); never the services, the
typed views, the WebSocket client or the green views, which all sit above it.
"""
