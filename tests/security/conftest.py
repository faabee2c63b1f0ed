"""Attacker's harness of the security suite: several tenants on one local platform.

Everything goes over real loopback sockets against the session's
``flowthings_platform`` (``flowthings.local.testing``). The ``world`` fixture
builds a fresh multi-tenant setup per test:

* ``alice`` — the victim: flows ``/alice/shared`` and ``/alice/private`` (and
  ``/alice/outside``), master token;
* ``bob`` — another account holding a **write share** on ``/alice/shared``
  only (read, write, dropRead, dropWrite; no ``administer``);
* ``carol`` — an account with nothing of alice's;
* ``narrow`` — an alice Token object with ``dropRead`` on ``/alice/shared`` only.

:class:`Actor` sends raw REST requests (any method, any body, any headers) and
opens raw WebSocket sessions (:class:`Socket`), so tests can send exactly the
bytes an attacker would. Sub-suites (``regex/``, ``tracks/``) may build on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import pytest
import websocket

from flowthings.local.testing import LocalPlatform

TIMEOUT = 10.0


class Served(Protocol):
    """Where a platform listens: the in-process ``LocalPlatform`` or a ``serve`` process."""

    @property
    def base_url(self) -> str: ...

    @property
    def host(self) -> str: ...


@dataclass
class Reply:
    """One enveloped answer: HTTP (or head) status, body and errors."""

    status: int
    body: Any
    errors: list[str]


class Socket:
    """A raw WebSocket session (websocket-client) opened with some credentials."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    def send(self, frame: dict[str, Any] | str) -> None:
        """Send a frame (a dict is JSON-encoded; a str is sent as is)."""
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    def recv(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Return the next frame (raises ``websocket.WebSocketTimeoutException``)."""
        self.ws.settimeout(timeout)
        frame: dict[str, Any] = json.loads(self.ws.recv())
        return frame

    def request(self, frame: dict[str, Any] | str, msg_id: str = "m") -> dict[str, Any]:
        """Send a frame with ``msgId`` and return its reply (skipping pushes)."""
        if isinstance(frame, dict):
            frame = {"msgId": msg_id, **frame}
        self.send(frame)
        while True:
            reply = self.recv()
            if reply.get("type") != "message":
                return reply

    def close(self) -> None:
        """Close the socket (also when the peer closed first)."""
        self.ws.close()
        self.ws.shutdown()


@dataclass
class Actor:
    """Someone sending requests: a token, the account it signs for, and a client."""

    lp: Served
    account: str
    token: str
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.lp.base_url, timeout=TIMEOUT)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        account: str | None = None,
        raw: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Send ``body`` (JSON) or ``raw`` to ``/v0.1/{account}{path}``; never raises on status."""
        account = account or self.account
        content = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        hdrs = {"X-Auth-Token": self.token, **(headers or {})}
        r = self.http.request(
            method, f"/v0.1/{account}{path}", content=content, params=params, headers=hdrs
        )
        data = r.json()
        assert data["head"]["status"] == r.status_code
        return Reply(r.status_code, data["body"], data["head"]["errors"])

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        """Like :meth:`call` but assert a 200/201 and return the body."""
        r = self.call(method, path, body, **kw)
        assert r.status in (200, 201), (r.status, r.errors)
        return r.body

    def socket(self, account: str | None = None) -> Socket:
        """Open a WebSocket session signed for ``account`` (default: own)."""
        r = self.http.post(
            "/session",
            headers={"X-Auth-Token": self.token, "X-Auth-Account": account or self.account},
        )
        assert r.status_code == 201, r.text
        sid = r.json()["body"]["id"]
        url = f"ws://{self.lp.host}/session/{sid}/ws"
        ws = websocket.create_connection(url, timeout=TIMEOUT, suppress_origin=True)
        return Socket(ws)

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()


@dataclass
class World:
    """A fresh multi-tenant setup (see the module docstring)."""

    lp: Served
    alice: Actor
    bob: Actor
    carol: Actor
    narrow: Actor
    flows: dict[str, dict[str, Any]]
    share: dict[str, Any]
    token: dict[str, Any]

    def path(self, name: str) -> str:
        """Alice's flow path ``/alice/{name}`` (alice's real account name)."""
        return f"/{self.alice.account}/{name}"

    def actor(self, token: str, account: str | None = None) -> Actor:
        """A new actor signing with ``token`` for ``account`` (default alice's)."""
        a = Actor(self.lp, account or self.alice.account, token)
        self._extra.append(a)
        return a

    _extra: list[Actor] = field(default_factory=list)


def _actor(lp: LocalPlatform) -> Actor:
    creds = lp.new_account()
    return Actor(lp, creds.account, creds.token)


def build_world(lp: Served, alice: Actor, bob: Actor, carol: Actor) -> World:
    """Give alice her flows, a write share to bob and a narrow token (see the module docstring)."""
    a = alice.account
    flows = {
        name: alice.ok("POST", "/flow", {"path": f"/{a}/{name}"})
        for name in ("shared", "private", "outside")
    }
    bob_identity = bob.ok("GET", "/identity")[0]["id"]
    share = alice.ok(
        "POST",
        "/share",
        {
            "issuedTo": bob_identity,
            "paths": {
                f"/{a}/shared": {
                    "read": True,
                    "write": True,
                    "dropRead": True,
                    "dropWrite": True,
                }
            },
        },
    )
    token = alice.ok("POST", "/token", {"paths": {f"/{a}/shared": {"dropRead": True}}})
    narrow = Actor(lp, a, token["tokenString"])
    return World(lp, alice, bob, carol, narrow, flows, share, token)


def close_world(w: World) -> None:
    """Close every actor's HTTP client."""
    for actor in (w.alice, w.bob, w.carol, w.narrow, *w._extra):
        actor.close()


@pytest.fixture
def world(flowthings_platform: LocalPlatform) -> Iterator[World]:
    lp = flowthings_platform
    w = build_world(lp, _actor(lp), _actor(lp), _actor(lp))
    try:
        yield w
    finally:
        close_world(w)
