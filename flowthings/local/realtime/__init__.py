"""The WebSocket transport: sessions, subscriptions and pushed drops.

Owns ``POST /session`` and the WebSocket endpoint (:mod:`.ws`: session
tokens, message framing into :class:`~flowthings.local.core.calls.Call`,
subscriptions) and the push hub with bounded per-connection queues fed by
the platform's drop and object listeners (:mod:`.pubsub`). It may import
``core`` and the packages below it, not ``http``; the wiring
(``flowthings.local.testing``, ``__main__``) passes its routes to the server.
"""
