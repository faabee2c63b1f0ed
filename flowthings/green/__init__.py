"""Green concurrency: `api.async_()` / `api.lazy()` over eventlet or gevent.

Owns `AsyncAPI` / `LazyAPI` (`_api`), the views that spawn a sync service's
methods (`_views`), the green library adapter (`_lib`), the lazy thunk
(`_thunk`) and the generated typed mirrors for checkers (`_typed.pyi`). It sits
above the REST services: it may import ``flowthings.services`` and the SDK
core (``flowthings._errors``, ``flowthings._modify``); the `API` it wraps is
named only under ``TYPE_CHECKING`` (``API.async_()`` imports this package
lazily, so eventlet/gevent stay optional and the layers point one way).
"""
