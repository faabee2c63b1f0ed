"""Start the local flowthings platform in tests: a context manager and pytest fixtures.

This module is registered as a pytest plugin (entry point
``flowthings.local.testing``), so it is imported by pytest for everyone who has
flowthings installed, with or without the ``local`` extra. It therefore
imports nothing heavy at module level: starlette, uvicorn and the platform
are imported only when `local_platform` runs (i.e. when a fixture is
used). It does not import pytest either, so `local_platform` works in
scripts and demos installed without pytest: the fixtures live in
`flowthings.local.pytest_fixtures`, which this plugin loads through
``pytest_plugins`` (and which ``from flowthings.local.testing import
flowthings_api`` still reaches, lazily).

Fixtures:

* ``flowthings_platform`` (session scope): a `LocalPlatform` on a free
  loopback port with an in-memory database.
* ``flowthings_api`` (function scope): an ``API`` signed in to a *fresh*
  account of that platform, so each test starts from an empty namespace.

For example:

```python
def test_roundtrip(flowthings_api):
    flow = flowthings_api.flow.create({"path": f"/{flowthings_api.creds.account}/t"})
    flowthings_api.drop(flow["id"]).create({"elems": {"x": 1}})
```
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flowthings import API, Token
    from flowthings.local.core.platform import Credentials, Platform
    from flowthings.local.http.server import ServerThread

    from .pytest_fixtures import flowthings_api, flowthings_platform

__all__ = ["LocalPlatform", "flowthings_api", "flowthings_platform", "local_platform"]

# read by pytest when it registers this module as a plugin: the fixtures need
# pytest, so they live in a module only pytest (or an explicit import) loads
pytest_plugins = ["flowthings.local.pytest_fixtures"]
_FIXTURES = ("flowthings_api", "flowthings_platform")


def __getattr__(name: str) -> Any:
    # `from flowthings.local.testing import flowthings_api` (as in 1.x-style
    # conftests) keeps working; only that import needs pytest
    if name in _FIXTURES:
        from . import pytest_fixtures

        return getattr(pytest_fixtures, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class LocalPlatform:
    """A running local platform and the credentials of its default account.

    Attributes:
        platform: the in-process `Platform`
            (create accounts, insert fixtures directly through ``.store``).
        host: ``"127.0.0.1:PORT"``, the REST host for ``API(host=...)``.
        ws_host: the WebSocket host for ``API(ws_host=...)``: the same
            ``host:port`` (``POST /session`` and ``/session/{id}/ws`` are
            served next to the REST routes).
        base_url: ``"http://127.0.0.1:PORT"``.
        account: the default account name.
        token: the default account's master token.
    """

    def __init__(self, platform: Platform, server: ServerThread, creds: Credentials) -> None:
        self.platform = platform
        self.server = server
        self.host = f"{server.host}:{server.port}"
        self.ws_host = self.host
        self.base_url = f"http://{self.host}"
        self.account = creds.account
        self.token = creds.token
        self._api: API | None = None

    @property
    def creds(self) -> Token:
        """The default account's ``flowthings.Token``."""
        from flowthings import Token

        return Token(self.account, self.token)

    @property
    def api(self) -> API:
        """An ``API`` for the default account (created on first use, closed on exit)."""
        if self._api is None:
            self._api = self.api_for(self.creds)
        return self._api

    def url(self, path: str = "", version: str = "0.1", account: str | None = None) -> str:
        """Return ``base_url/v{version}/{account}{path}``."""
        return f"{self.base_url}/v{version}/{account or self.account}{path}"

    def new_account(self, name: str | None = None, token: str | None = None) -> Token:
        """Create a fresh account and return its ``flowthings.Token``."""
        from flowthings import Token

        c = self.platform.create_account(name, token)
        return Token(c.account, c.token)

    def api_for(self, creds: Any, **kwargs: Any) -> API:
        """Return an ``API`` talking to this platform with ``creds``.

        The caller owns the returned API (``close()`` it or use ``with``).
        """
        from flowthings import API, Token

        kwargs.setdefault("secure", False)
        return API(
            Token(creds.account, creds.token), host=self.host, ws_host=self.ws_host, **kwargs
        )

    def close(self) -> None:
        """Close the default API, stop the server and close the store."""
        # each step runs even when an earlier one raises: the store is
        # always closed (no SQLite connection left to the garbage collector)
        try:
            if self._api is not None:
                api, self._api = self._api, None
                api.close()
        finally:
            try:
                self.server.stop()
            finally:
                self.platform.close()


def _green_patched_library() -> str | None:
    """``"gevent"``/``"eventlet"`` when it monkey-patched threading in this process."""
    import sys

    gevent_monkey = sys.modules.get("gevent.monkey")
    if gevent_monkey is not None and gevent_monkey.is_module_patched("threading"):
        return "gevent"
    eventlet_patcher = sys.modules.get("eventlet.patcher")
    if eventlet_patcher is not None and eventlet_patcher.is_monkey_patched("thread"):
        return "eventlet"
    return None


def _refuse_green_threads() -> None:
    """Fails fast where the server thread would be a greenlet that never runs."""
    library = _green_patched_library()
    if library is not None:
        raise RuntimeError(
            f"local_platform() cannot run in a process monkey-patched by {library}: its "
            "server thread would be a greenlet blocked in asyncio and never answer. Start "
            "the platform in another process instead: python -m flowthings.local serve "
            "--port 8080 --account alice --token <token>, then "
            "API(Token('alice', '<token>'), host='http://127.0.0.1:8080')"
        )


@contextlib.contextmanager
def local_platform(
    db: str = ":memory:",
    accounts: Mapping[str, str | None] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    quota_bytes: int | None = 1024**3,  # core.platform.DEFAULT_QUOTA (imported lazily)
) -> Iterator[LocalPlatform]:
    """Run the local platform in a background thread for the duration of the block.

    Args:
        db: SQLite file path, ``":memory:"``, or a database URL
            (``sqlite:///path``, ``postgresql://user@host/db``: several
            platforms may share one PostgreSQL database).
        accounts: ``{name: master_token}`` to create (``None`` token = generated;
            existing accounts of a file database are reused if the token
            matches, and raise ``ValueError`` otherwise, a ``None`` token
            included). The first is the default account. ``None`` creates
            ``"demo"`` (or reuses the first account of a file database).
        host: interface to bind.
        port: port to bind (``0`` = a free port).
        quota_bytes: storage quota per account in bytes of stored documents
            (default 1 GiB, the platform's default; ``None`` = unlimited); writes
            beyond it answer 413.

    Yields:
        The running `LocalPlatform`.

    Raises:
        ImportError: When a module of the ``local`` extra (starlette,
            uvicorn, lark, websockets, mini-racer, google-re2) cannot be
            found; the message names the missing ones and the command that
            installs them.
        RuntimeError: In a process whose threads were monkey-patched by
            gevent or eventlet, where the server thread could never run.
    """
    from ._extra import require_local_extra

    require_local_extra()
    _refuse_green_threads()
    from flowthings.local.core.platform import DEFAULT_ACCOUNT, Platform
    from flowthings.local.http.server import ServerThread
    from flowthings.local.realtime.ws import websocket_routes

    platform = Platform(db, quota_bytes=quota_bytes)
    try:
        if accounts:
            creds = [
                platform.ensure_account(n, t) if t else platform.create_account(n)
                for n, t in accounts.items()
            ]
            default = creds[0]
        else:
            existing = platform.accounts()
            default = existing[0] if existing else platform.create_account(DEFAULT_ACCOUNT)
        server = ServerThread(platform, host, port, routes=websocket_routes(platform))
        server.start()
    except BaseException:
        platform.close()
        raise
    lp = LocalPlatform(platform, server, default)
    try:
        yield lp
    finally:
        lp.close()
