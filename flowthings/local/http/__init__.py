"""The REST transport: a Starlette app and the uvicorn server that runs it.

Owns request parsing into a :class:`~flowthings.local.core.calls.Call`,
envelopes and status codes on the way out, compression, the choice of which
calls leave the event loop (:mod:`.app`), and binding, serving and the
background server thread used by tests (:mod:`.server`). It may import
``core`` and the packages below it, not ``realtime``: WebSocket routes are
handed in by the wiring (``flowthings.local.testing``, ``__main__``).
"""
