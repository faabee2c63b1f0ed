"""The WebSocket client: `WebSocketClient` and the pieces it is built from.

Owns the realtime side of the SDK: the connection loop and its reconnects
(`_loop`), the socket wrapper over ``websocket-client`` (`_socket`), the
request/reply table and its errors (`_requests`), dispatch of incoming frames
(`_dispatch`), drop streams (`_drops`) and the callback types (`_callbacks`);
`_client` composes them into `WebSocketClient`. It may import the SDK core
(``flowthings._errors``, ``flowthings._config``) and, for types only, the
models; never the REST services, the HTTP seam or the green views. Within the
package the layers point one way: ``_client -> _loop -> _dispatch ->
_requests/_drops -> _callbacks``, ``_loop -> _socket``; the modules below
`_client` name it only under ``TYPE_CHECKING``.
"""
